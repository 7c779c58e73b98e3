import Foundation
import RuntimeCore

/// An agent's health as Parallax reads it from `health.status`.
public enum HealthStatus: String, Codable, Sendable, Equatable, CaseIterable {
    /// The supervisor answered its last check.
    case healthy
    /// The supervisor failed several checks in a row (3 by default).
    case unhealthy
    /// Not checked yet, or not enough failures to call it unhealthy after being unknown.
    case unknown
}

/// The value stored at `<prefix>/services/agent/<agentId>`: exactly the JSON Parallax's control plane
/// reads (contract §5). Field names and types must not change; Parallax decodes it as-is.
///
/// ```json
/// {"id": "team-a.fix-login-bug", "name": "fix-login-bug", "type": "agent",
///  "endpoint": "http://10.1.2.3:8077",
///  "metadata": {"capabilities": ["code", "review"], "agentType": "codex", "workspaceId": "ws-42",
///               "namespace": "team-a", "session": "fix-login-bug", "pod": "fix-login-bug",
///               "protocol": "pty-supervisor", "state": "running", "version": "0.1.0"},
///  "health": {"status": "healthy", "lastCheck": "2026-11-21T10:00:00.000Z", "checkInterval": 10000},
///  "registeredAt": "2026-11-21T09:58:12.345Z", "ttl": 30}
/// ```
public struct ParallaxAgentRecord: Codable, Sendable, Equatable {
    /// `metadata`: what the agent is and where it runs.
    public struct Metadata: Codable, Sendable, Equatable {
        /// What the agent can do, e.g. `["code", "review"]`.
        public var capabilities: [String]
        /// `claude`, `codex`, `gemini`, `aider` or `custom`.
        public var agentType: String
        /// The Raven/Parallax workspace.
        public var workspaceId: String
        /// The session's Kubernetes namespace (or `local`).
        public var namespace: String
        /// The AgentSession's name.
        public var session: String
        /// The pod's name.
        public var pod: String
        /// How to talk to the endpoint; always `pty-supervisor` for this runtime.
        public var `protocol`: String
        /// The supervisor's state (`running`, ...).
        public var state: String
        /// The runtime's version.
        public var version: String

        /// Creates metadata.
        public init(capabilities: [String], agentType: String, workspaceId: String, namespace: String,
                    session: String, pod: String, protocol: String = "pty-supervisor", state: String = "running",
                    version: String = agentRuntimeVersion) {
            self.capabilities = capabilities
            self.agentType = agentType
            self.workspaceId = workspaceId
            self.namespace = namespace
            self.session = session
            self.pod = pod
            self.protocol = `protocol`
            self.state = state
            self.version = version
        }
    }

    /// `health`: the operator's view of the supervisor.
    public struct Health: Codable, Sendable, Equatable {
        /// `healthy`, `unhealthy` or `unknown`.
        public var status: HealthStatus
        /// When the status was last determined, ISO-8601 UTC with milliseconds.
        public var lastCheck: String
        /// The check interval in milliseconds.
        public var checkInterval: Int

        /// Creates a health block.
        public init(status: HealthStatus, lastCheck: String, checkInterval: Int) {
            self.status = status
            self.lastCheck = lastCheck
            self.checkInterval = checkInterval
        }
    }

    /// The Parallax agent id (`<namespace>.<name>` by default).
    public var id: String
    /// The display name.
    public var name: String
    /// Always `agent`.
    public var type: String
    /// The supervisor's base URL.
    public var endpoint: String
    /// What the agent is.
    public var metadata: Metadata
    /// Its health.
    public var health: Health
    /// When it was first registered, ISO-8601 UTC with milliseconds.
    public var registeredAt: String
    /// The lease TTL in seconds.
    public var ttl: Int

    /// Creates a record.
    public init(id: String, name: String, type: String = "agent", endpoint: String, metadata: Metadata,
                health: Health, registeredAt: String, ttl: Int) {
        self.id = id
        self.name = name
        self.type = type
        self.endpoint = endpoint
        self.metadata = metadata
        self.health = health
        self.registeredAt = registeredAt
        self.ttl = ttl
    }

    /// The bytes written to etcd: compact JSON, keys sorted, slashes unescaped (so URLs read naturally).
    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain strings, ints and arrays cannot fail.
        return (try? encoder.encode(self)) ?? Data("{}".utf8)
    }

    /// Decodes a value read from etcd; throws when a field is missing or has the wrong type.
    public static func decode(_ data: Data) throws -> ParallaxAgentRecord {
        try JSONDecoder().decode(ParallaxAgentRecord.self, from: data)
    }
}
