import Foundation

/// Where an agent's supervisor is and how to talk to it. Held only inside the runtime: the token never
/// leaves it (no API answer, log line or error carries it).
public struct SupervisorTarget: Sendable, Equatable {
    /// The supervisor's base URL, e.g. `http://127.0.0.1:41234`.
    public var endpoint: String
    /// Its bearer token.
    public var token: String

    /// Creates a target.
    public init(endpoint: String, token: String) {
        self.endpoint = endpoint
        self.token = token
    }

    /// Host and port of the endpoint (for the WebSocket client, which takes them apart).
    public var hostAndPort: (host: String, port: Int)? {
        guard let url = URL(string: endpoint), let host = url.host else { return nil }
        return (host, url.port ?? (url.scheme == "https" ? 443 : 80))
    }
}

/// What the runtime API needs from a runtime: the Kubernetes one (``KubernetesBackend``: agents are
/// AgentSessions reconciled by the operator) or the local one (``LocalBackend``: agents are
/// `agent-supervisor` child processes). The API layer (routes, auth, size limits, relays, events) is the
/// same for both.
///
/// Every method throws ``APIError`` with the status the API answers.
public protocol AgentBackend: Sendable {
    /// `kubernetes` or `local` (the `runtime` field of every agent).
    var runtimeName: String { get }

    /// Creates an agent: 201 with it; 409 when the id exists; 403 policy; 429 quota; 422 a field the
    /// runtime cannot use.
    func spawn(_ request: SpawnRequest) async throws(APIError) -> AgentInfo

    /// Starts stopping an agent (202 with its view, phase `Stopping`); 404 when unknown.
    func stop(agentId: String) async throws(APIError) -> AgentInfo

    /// Every agent, sorted by id.
    func list() async -> [AgentInfo]

    /// One agent; 404 when unknown.
    func get(agentId: String) async throws(APIError) -> AgentInfo

    /// The agent's supervisor: 404 unknown, 409 not reachable yet (no endpoint or no token).
    func supervisor(agentId: String) async throws(APIError) -> SupervisorTarget

    /// Called after input reached an agent (API or attach): the agent may have left its login screen,
    /// so the backend checks its supervisor again soon instead of at the next interval.
    func inputDelivered(agentId: String) async

    /// Registers a callback for "something may have changed" (the event hub then compares lists).
    func onChange(_ callback: @escaping @Sendable () -> Void)

    /// Whether the backend can serve (caches synced, state loaded); `/readyz`.
    var isReady: Bool { get }
}
