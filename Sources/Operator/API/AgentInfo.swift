import Foundation
import Registry
import RuntimeCore

/// One agent as the runtime API shows it (`GET /agents`, `GET /agents/{id}`, `POST /spawn`, `/events`).
///
/// The contract's fields (CONTRACT.md §6) come first: `agentId`, `agentType`, `workspaceId`, `phase`,
/// `endpoint`, `health`, `startedAt`, `login`; the rest is extra context. Both backends fill the same
/// model, with the AgentSession phases (`Pending`, `Starting`, `Authenticating`, `Ready`, `Stopping`,
/// `Stopped`, `Error`) in both. Never holds a secret: the supervisor's token is not part of it.
public struct AgentInfo: Sendable, Equatable {
    /// The login prompt an agent shows: the same shape as the AgentSession status's `login`.
    public typealias Login = AgentSessionStatus.LoginStatus

    /// The Parallax id.
    public var agentId: String
    /// `claude`, `codex`, `gemini`, `aider` or `custom`.
    public var agentType: String
    /// The Raven/Parallax workspace.
    public var workspaceId: String
    /// The session phase.
    public var phase: String
    /// The supervisor's URL, once known.
    public var endpoint: String?
    /// `healthy`, `unhealthy` or `unknown`.
    public var health: HealthStatus
    /// When the agent (its pod or supervisor process) started.
    public var startedAt: String?
    /// The login prompt while one is shown.
    public var login: Login?

    /// The supervisor's state (`starting`, `running`, `login_required`, ...), once it answered.
    public var state: String?
    /// Capabilities.
    public var capabilities: [String]
    /// The namespace (Kubernetes) or `local`.
    public var namespace: String
    /// The AgentSession's name, or the local agent's directory name.
    public var name: String
    /// The registry key while registered.
    public var registryKey: String?
    /// CLI restarts reported by the supervisor.
    public var restarts: Int
    /// A one-line summary for people.
    public var message: String?
    /// `kubernetes` or `local`.
    public var runtime: String

    /// Creates an agent view.
    public init(agentId: String, agentType: String, workspaceId: String, phase: String, endpoint: String? = nil,
                health: HealthStatus = .unknown, startedAt: String? = nil, login: Login? = nil, state: String? = nil,
                capabilities: [String] = [], namespace: String, name: String, registryKey: String? = nil, restarts: Int = 0,
                message: String? = nil, runtime: String) {
        self.agentId = agentId
        self.agentType = agentType
        self.workspaceId = workspaceId
        self.phase = phase
        self.endpoint = endpoint
        self.health = health
        self.startedAt = startedAt
        self.login = login
        self.state = state
        self.capabilities = capabilities
        self.namespace = namespace
        self.name = name
        self.registryKey = registryKey
        self.restarts = restarts
        self.message = message
        self.runtime = runtime
    }

    /// The JSON form (stable field names; absent values are `null`).
    public var json: JSON {
        [
            "agentId": .string(agentId), "agentType": .string(agentType), "workspaceId": .string(workspaceId),
            "phase": .string(phase), "endpoint": endpoint.map(JSON.string) ?? .null, "health": .string(health.rawValue),
            "startedAt": startedAt.map(JSON.string) ?? .null, "login": login?.json ?? .null,
            "state": state.map(JSON.string) ?? .null, "capabilities": .array(capabilities.map(JSON.string)),
            "namespace": .string(namespace), "name": .string(name), "registered": .bool(registryKey != nil),
            "registryKey": registryKey.map(JSON.string) ?? .null, "restarts": .int(Int64(restarts)),
            "message": message.map(JSON.string) ?? .null, "runtime": .string(runtime),
        ]
    }

    /// True while the agent waits for a person to log in.
    public var needsLogin: Bool { phase == SessionPhase.authenticating.rawValue }
}

extension AgentSessionStatus.LoginStatus {
    /// JSON form in the runtime API (absent fields as `null`).
    public var json: JSON {
        ["url": url.map(JSON.string) ?? .null, "code": code.map(JSON.string) ?? .null,
         "message": message.map(JSON.string) ?? .null, "since": since.map(JSON.string) ?? .null]
    }
}
