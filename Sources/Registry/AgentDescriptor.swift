import Foundation
import RuntimeCore

/// What the operator knows about an agent it wants in the registry: the static part of the
/// ``ParallaxAgentRecord``. Health and timestamps are kept by ``AgentRegistry``.
public struct AgentDescriptor: Sendable, Equatable {
    /// The Parallax agent id; the last segment of the key, so it must not contain `/`.
    public var agentId: String
    /// The display name.
    public var name: String
    /// The supervisor's base URL, e.g. `http://10.1.2.3:8077`.
    public var endpoint: String
    /// Capabilities, e.g. `["code", "review"]`.
    public var capabilities: [String]
    /// The agent type (`codex`, `claude`, ...).
    public var agentType: String
    /// The Raven/Parallax workspace.
    public var workspaceId: String
    /// The session's namespace (the `agent_registry_registered` label).
    public var namespace: String
    /// The AgentSession's name.
    public var session: String
    /// The pod's name.
    public var pod: String
    /// The supervisor state written to `metadata.state`.
    public var state: String
    /// The lease TTL in seconds (`spec.registry.ttlSeconds`, default 30).
    public var ttlSeconds: Int
    /// The health check interval written to `health.checkInterval` (default 10 s).
    public var checkInterval: Duration

    /// Creates a descriptor.
    public init(agentId: String, name: String, endpoint: String, capabilities: [String] = [], agentType: String,
                workspaceId: String = "", namespace: String, session: String, pod: String, state: String = "running",
                ttlSeconds: Int = 30, checkInterval: Duration = .seconds(10)) {
        self.agentId = agentId
        self.name = name
        self.endpoint = endpoint
        self.capabilities = capabilities
        self.agentType = agentType
        self.workspaceId = workspaceId
        self.namespace = namespace
        self.session = session
        self.pod = pod
        self.state = state
        self.ttlSeconds = ttlSeconds
        self.checkInterval = checkInterval
    }

    /// Checks what etcd and Parallax need: a usable id and a positive TTL.
    public func validate() throws(RegistryError) {
        guard !agentId.isEmpty else { throw .invalidAgent("agentId is empty") }
        guard !agentId.contains("/") else { throw .invalidAgent("agentId \(agentId) contains '/'") }
        guard ttlSeconds >= 1 else { throw .invalidAgent("ttlSeconds must be at least 1, got \(ttlSeconds)") }
        guard endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://") else {
            throw .invalidAgent("endpoint \(endpoint) is not an http(s) URL")
        }
    }

    /// The record for this agent with the given dynamic parts.
    public func record(health: HealthStatus, lastCheck: Date, registeredAt: Date, ttl: Int) -> ParallaxAgentRecord {
        ParallaxAgentRecord(
            id: agentId, name: name, endpoint: endpoint,
            metadata: .init(capabilities: capabilities, agentType: agentType, workspaceId: workspaceId,
                            namespace: namespace, session: session, pod: pod, state: state),
            health: .init(status: health, lastCheck: Timestamp.iso8601(lastCheck),
                          checkInterval: Int(checkInterval.milliseconds)),
            registeredAt: Timestamp.iso8601(registeredAt), ttl: ttl)
    }
}
