import Foundation
import Registry

/// What the reconciler needs from the registry; ``EtcdRegistrar`` is the real one, tests use fakes.
public protocol Registrar: Sendable {
    /// False when the operator runs without etcd.
    var isAvailable: Bool { get }
    /// The etcd key of an agent.
    func key(_ agentId: String) -> String
    /// Registers or updates an agent; cheap when nothing changed.
    func ensureRegistered(_ descriptor: AgentDescriptor) async -> RegistrationStatus
    /// Where an agent's registration stands, nil when not registered by us.
    func status(_ agentId: String) async -> RegistrationStatus?
    /// Records a health result (rewrites the value only when it changed).
    func setHealth(_ agentId: String, _ health: HealthStatus) async
    /// Deletes the agent's key and revokes its lease.
    func deregister(_ agentId: String) async
}

/// The ``Registrar`` over the Registry module's ``AgentRegistry``: one key and lease per agent, renewed
/// every TTL/3, repaired when lost, adopted (not duplicated) after an operator restart or a leader change
/// because every replica shares the registry identity.
public final class EtcdRegistrar: Registrar {
    /// The registry.
    public let registry: AgentRegistry

    /// Wraps a registry.
    public init(registry: AgentRegistry) { self.registry = registry }

    public var isAvailable: Bool { true }

    public func key(_ agentId: String) -> String { registry.options.keys.agentKey(agentId) }

    public func ensureRegistered(_ descriptor: AgentDescriptor) async -> RegistrationStatus {
        // register() always writes; only call it for a new agent or a changed descriptor.
        if let info = await registry.info(descriptor.agentId), info.record == expectedRecord(info.record, descriptor) {
            return info.status
        }
        do {
            return try await registry.register(descriptor)
        } catch {
            return .pending(reason: error.description)
        }
    }

    /// The record `descriptor` would produce, keeping the registry's dynamic parts of `current`.
    private func expectedRecord(_ current: ParallaxAgentRecord, _ d: AgentDescriptor) -> ParallaxAgentRecord {
        var r = current
        r.id = d.agentId
        r.name = d.name
        r.endpoint = d.endpoint
        r.metadata.capabilities = d.capabilities
        r.metadata.agentType = d.agentType
        r.metadata.workspaceId = d.workspaceId
        r.metadata.namespace = d.namespace
        r.metadata.session = d.session
        r.metadata.pod = d.pod
        r.metadata.state = d.state
        r.health.checkInterval = Int((d.checkInterval.inSeconds * 1000).rounded())
        return r
    }

    public func status(_ agentId: String) async -> RegistrationStatus? { await registry.info(agentId)?.status }

    public func setHealth(_ agentId: String, _ health: HealthStatus) async {
        _ = try? await registry.setHealth(agentId, health)
    }

    public func deregister(_ agentId: String) async { await registry.deregister(agentId) }
}

/// The ``Registrar`` when the operator runs without etcd: nothing is registered.
public struct NoRegistrar: Registrar {
    /// Creates it.
    public init() {}
    public var isAvailable: Bool { false }
    public func key(_ agentId: String) -> String { "" }
    public func ensureRegistered(_ descriptor: AgentDescriptor) async -> RegistrationStatus { .pending(reason: "no registry") }
    public func status(_ agentId: String) async -> RegistrationStatus? { nil }
    public func setHealth(_ agentId: String, _ health: HealthStatus) async {}
    public func deregister(_ agentId: String) async {}
}
