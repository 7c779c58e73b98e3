import CurlHTTP
import Foundation

/// The JSON of the supervisor's `GET /status` (contract §4). Every field but `state` is optional here so
/// that a newer or older supervisor still parses.
public struct SupervisorStatus: Codable, Sendable, Equatable {
    /// What the supervisor shows on a login screen.
    public struct Login: Codable, Sendable, Equatable {
        /// The login URL, if shown.
        public var url: String?
        /// The one-time code, if shown.
        public var code: String?
        /// The prompt text.
        public var message: String?
        /// When the prompt was detected.
        public var detectedAt: String?

        /// Creates login details.
        public init(url: String? = nil, code: String? = nil, message: String? = nil, detectedAt: String? = nil) {
            self.url = url
            self.code = code
            self.message = message
            self.detectedAt = detectedAt
        }
    }

    /// `starting`, `running`, `login_required`, `exited`, `failed` or `stopping`.
    public var state: String
    /// The agent type.
    public var agentType: String?
    /// The CLI's process id.
    public var pid: Int?
    /// CLI restarts so far.
    public var restarts: Int?
    /// The last exit code.
    public var exitCode: Int?
    /// When the CLI started.
    public var startedAt: String?
    /// Last input or output.
    public var lastActivityAt: String?
    /// The login prompt, when one is shown.
    public var login: Login?
    /// Bytes written to the CLI.
    public var bytesIn: Int64?
    /// Bytes read from the CLI.
    public var bytesOut: Int64?

    /// Creates a status.
    public init(state: String, agentType: String? = nil, pid: Int? = nil, restarts: Int? = nil, exitCode: Int? = nil,
                startedAt: String? = nil, lastActivityAt: String? = nil, login: Login? = nil, bytesIn: Int64? = nil,
                bytesOut: Int64? = nil) {
        self.state = state
        self.agentType = agentType
        self.pid = pid
        self.restarts = restarts
        self.exitCode = exitCode
        self.startedAt = startedAt
        self.lastActivityAt = lastActivityAt
        self.login = login
        self.bytesIn = bytesIn
        self.bytesOut = bytesOut
    }

    /// The supervisor state that means the agent waits for a person to log in.
    public static let loginRequired = "login_required"
    /// The state of a working agent.
    public static let running = "running"
    /// States in which the CLI is not running: a check that sees them counts as failed.
    public static let downStates: Set<String> = ["exited", "failed"]
}

/// One `GET /status` of a supervisor, as the registry's health checks and the operator's monitor both count it.
public enum SupervisorProbe: Sendable {
    /// The supervisor answered with a state in which the CLI runs.
    case success(SupervisorStatus)
    /// Anything else: the reason, whether it was a timeout, and the status if the supervisor answered one
    /// (an exited or failed CLI).
    case failure(String, timeout: Bool, status: SupervisorStatus?)

    /// Asks the supervisor at `endpoint` (e.g. `http://10.0.0.5:8077`) for its status with `token`.
    public static func run(endpoint: String, token: String, timeout: Duration, http: HTTPClient) async -> SupervisorProbe {
        let request = HTTPClientRequest(method: "GET", url: endpoint + "/status",
                                        headers: [("Authorization", "Bearer \(token)"), ("Accept", "application/json")],
                                        timeout: timeout)
        do throws(HTTPClientError) {
            let response = try await http.execute(request)
            guard response.status == 200 else {
                return .failure("GET /status answered HTTP \(response.status)", timeout: false, status: nil)
            }
            guard let status = try? JSONDecoder().decode(SupervisorStatus.self, from: response.body) else {
                return .failure("GET /status answered something that is not a supervisor status", timeout: false,
                                status: nil)
            }
            if SupervisorStatus.downStates.contains(status.state) {
                return .failure("supervisor reports state \(status.state)", timeout: false, status: status)
            }
            return .success(status)
        } catch {
            if case .timedOut = error { return .failure("GET /status timed out after \(timeout)", timeout: true, status: nil) }
            return .failure("GET /status failed: \(error)", timeout: false, status: nil)
        }
    }
}
