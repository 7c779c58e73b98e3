import Foundation
import RuntimeCore
import Synchronization

/// Fault injection for tests: refuse a share of requests, delay answers, and cut watch streams.
///
/// Settable from flags at start and at run time through `PUT /emulator/faults` (JSON of these fields), so a
/// test can make a running emulator misbehave and then heal it.
public struct FaultSettings: Sendable, Codable, Equatable {
    /// Share (0...1) of non-watch API requests answered with ``errorStatus`` instead of being served.
    public var errorRate: Double = 0
    /// Status for injected errors: 429 (with Retry-After) or 500/503.
    public var errorStatus: Int = 429
    /// Retry-After seconds sent with injected 429s.
    public var retryAfterSeconds: Int = 1
    /// Added latency before every API request, in milliseconds.
    public var delayMilliseconds: Int = 0
    /// Close every watch this many seconds after it started (0: never).
    public var dropWatchesAfterSeconds: Double = 0
    /// Close every watch after it sent this many events (0: never).
    public var dropWatchesAfterEvents: Int = 0

    /// No faults.
    public init() {}

    /// True when any fault is active.
    public var isActive: Bool {
        errorRate > 0 || delayMilliseconds > 0 || dropWatchesAfterSeconds > 0 || dropWatchesAfterEvents > 0
    }
}

/// Holds the current ``FaultSettings`` and an epoch that, when bumped, ends every open watch.
final class FaultInjector: Sendable {
    private let state: Mutex<(settings: FaultSettings, watchEpoch: Int, rng: SystemRandomNumberGenerator)>

    init(_ settings: FaultSettings) {
        state = Mutex((settings, 0, SystemRandomNumberGenerator()))
    }

    var settings: FaultSettings {
        get { state.withLock { $0.settings } }
        set { state.withLock { $0.settings = newValue } }
    }

    /// Incremented by ``dropAllWatches()``; a watch that sees it change ends its stream.
    var watchEpoch: Int { state.withLock { $0.watchEpoch } }

    /// Ends every open watch at its next check (within about a second).
    func dropAllWatches() { state.withLock { $0.watchEpoch += 1 } }

    /// Applies delay, then decides whether this request gets an injected error instead of an answer.
    func intercept() -> HTTPResponse? {
        let (s, roll) = state.withLock { st -> (FaultSettings, Double) in
            (st.settings, Double.random(in: 0..<1, using: &st.rng))
        }
        if s.delayMilliseconds > 0 { usleep(useconds_t(s.delayMilliseconds) * 1000) }
        guard s.errorRate > 0, roll < s.errorRate else { return nil }
        let reason = s.errorStatus == 429 ? "TooManyRequests" : "InternalError"
        let message = s.errorStatus == 429 ? "the server has received too many requests (injected fault)"
            : "an error on the server (\"injected fault\") has prevented the request from succeeding"
        var status: JSON = [
            "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure", "message": .string(message),
            "reason": .string(reason), "code": .int(Int64(s.errorStatus)),
        ]
        var headers: [(String, String)] = [("Content-Type", "application/json")]
        if s.errorStatus == 429 {
            status["details"] = ["retryAfterSeconds": .int(Int64(s.retryAfterSeconds))]
            headers.append(("Retry-After", String(s.retryAfterSeconds)))
        }
        return HTTPResponse(status: s.errorStatus, headers: headers, body: status.data())
    }
}

/// Writes a kubeconfig that points kubectl and our client at the emulator.
enum EmulatorKubeconfig {
    /// The kubeconfig as JSON (valid YAML, which every kubeconfig reader accepts).
    static func render(server: String, token: String?) -> JSON {
        var user: JSON = [:]
        if let token { user["token"] = .string(token) }
        return [
            "apiVersion": "v1", "kind": "Config", "preferences": [:],
            "clusters": [["name": "kube-emulator", "cluster": ["server": .string(server)]]],
            "users": [["name": "kube-emulator", "user": user]],
            "contexts": [["name": "kube-emulator", "context": ["cluster": "kube-emulator", "user": "kube-emulator", "namespace": "default"]]],
            "current-context": "kube-emulator",
        ]
    }

    static func write(to path: String, server: String, token: String?) throws {
        let text = render(server: server, token: token).serialized(pretty: true) + "\n"
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url, options: .atomic)
        // It may hold a token: owner-only.
        chmod(path, 0o600)
    }
}
