import Foundation
import RuntimeCore
import Synchronization

/// A stand-in for agent-supervisor's `GET /status` (bearer auth), switchable between behaviours.
final class FakeSupervisor: @unchecked Sendable {
    enum Mode: Sendable {
        /// 200 with this state (and a login prompt for `login_required`).
        case state(String)
        /// This HTTP status with an error body.
        case error(Int)
        /// Answer only after this long (to provoke client timeouts).
        case slow(Duration)
    }

    let token: String
    private let mode = Mutex<Mode>(.state("running"))
    private let counters = Mutex((requests: 0, inFlight: 0, maxInFlight: 0))
    private var server: HTTPServer!

    /// Base URL, e.g. `http://127.0.0.1:PORT`.
    var endpoint: String { "http://127.0.0.1:\(server.port)" }

    init(token: String = "supervisor-token", threads: Int = 16, holdEachRequest: Duration = .zero) throws {
        self.token = token
        let router = Router([
            ("GET", "/status", .streaming({ [unowned self] _, writer in
                self.counters.withLock {
                    $0.requests += 1
                    $0.inFlight += 1
                    $0.maxInFlight = max($0.maxInFlight, $0.inFlight)
                }
                defer { self.counters.withLock { $0.inFlight -= 1 } }
                // Server worker threads may block: they are civetweb's, not the cooperative pool.
                if holdEachRequest > .zero { Thread.sleep(forTimeInterval: Double(holdEachRequest.milliseconds) / 1000) }
                switch self.mode.withLock({ $0 }) {
                case .state(let state):
                    var status: JSON = ["state": .string(state), "agentType": "codex", "pid": 42, "restarts": 0,
                                        "exitCode": nil, "startedAt": "2026-11-21T10:00:00.000Z",
                                        "lastActivityAt": "2026-11-21T10:00:01.000Z", "login": nil,
                                        "bytesIn": 10, "bytesOut": 2000]
                    if state == "login_required" {
                        status["login"] = ["url": "https://auth.example/device", "code": "ABCD-1234",
                                           "message": "Sign in with ChatGPT", "detectedAt": "2026-11-21T10:00:02.000Z"]
                    }
                    writer.send(.json(status))
                case .error(let code):
                    writer.send(.error(code, code: "Broken", message: "simulated failure"))
                case .slow(let d):
                    Thread.sleep(forTimeInterval: Double(d.milliseconds) / 1000)
                    writer.send(.json(["state": "running"]))
                }
            })),
        ], middleware: bearerAuth(tokens: { [token] }, open: []))
        server = HTTPServer(configuration: .init(listen: "127.0.0.1:0", threads: threads), handler: router.handler)
        try server.start()
    }

    func set(_ m: Mode) { mode.withLock { $0 = m } }
    var requests: Int { counters.withLock { $0.requests } }
    var maxInFlight: Int { counters.withLock { $0.maxInFlight } }
    func stop() async { await server.shutdown() }
}
