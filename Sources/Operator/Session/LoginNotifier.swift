import CurlHTTP
import Foundation
import RuntimeCore

/// POSTs `spec.login.callbackUrl` when an agent starts waiting for a login and when the login completed:
///
/// ```json
/// {"agentId": "team-a.fix", "namespace": "team-a", "session": "fix", "state": "login_required",
///  "login": {"url": "https://...", "code": "ABCD-1234", "message": "..."}, "timestamp": "..."}
/// ```
///
/// `state` is `login_required` or `login_completed` (then `login` is null). Delivery is at least once per
/// phase transition as written to the status: fire and forget from the reconcile, up to 3 attempts
/// (1 s, 2 s apart), 5 s per attempt; a 2xx answer ends it. Never carries a token or key.
public final class LoginNotifier: Sendable {
    /// The two notifications.
    public enum Kind: String, Sendable {
        /// The agent shows a login prompt.
        case required = "login_required"
        /// The prompt is gone and the agent is ready.
        case completed = "login_completed"
    }

    private let http: HTTPClient
    private let logger: Logger
    private let attempts: Int

    /// Creates a notifier.
    public init(http: HTTPClient, attempts: Int = 3, logger: Logger = Logger(label: "login-callback")) {
        self.http = http
        self.attempts = max(1, attempts)
        self.logger = logger
    }

    /// The JSON body of one notification.
    public static func body(kind: Kind, agentId: String, namespace: String, session: String,
                            login: AgentSessionStatus.LoginStatus?, at: Date = Date()) -> JSON {
        var loginJSON: JSON = .null
        if kind == .required, let l = login {
            loginJSON = ["url": l.url.map(JSON.string) ?? .null, "code": l.code.map(JSON.string) ?? .null,
                         "message": l.message.map(JSON.string) ?? .null]
        }
        return ["agentId": .string(agentId), "namespace": .string(namespace), "session": .string(session),
                "state": .string(kind.rawValue), "login": loginJSON, "timestamp": .string(Timestamp.iso8601(at))]
    }

    /// Sends in the background.
    public func notify(url: String, body: JSON) {
        let http = http, logger = logger, attempts = attempts
        Task {
            for attempt in 1...attempts {
                let request = HTTPClientRequest(method: "POST", url: url, headers: [("Content-Type", "application/json")],
                                                body: body.data(), timeout: .seconds(5))
                do {
                    let response = try await http.execute(request)
                    if (200..<300).contains(response.status) { return }
                    logger.warning("login callback answered an error", ["status": .int(Int64(response.status)),
                                                                         "attempt": .int(Int64(attempt))])
                } catch {
                    logger.warning("login callback failed", ["error": .string("\(error)"), "attempt": .int(Int64(attempt))])
                }
                if attempt < attempts { try? await Task.sleep(for: .seconds(Int64(attempt))) }
            }
        }
    }
}
