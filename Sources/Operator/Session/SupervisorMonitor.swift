import CurlHTTP
import Foundation
import Registry
import RuntimeCore
import Synchronization

/// What the operator last learned from one agent's supervisor.
public struct SupervisorObservation: Sendable, Equatable {
    /// The supervisor's URL.
    public var endpoint: String
    /// The last `/status` answer, if any.
    public var status: SupervisorStatus?
    /// `healthy` after a good check, `unhealthy` after ``OperatorConfig/HealthChecks/failureThreshold``
    /// failures in a row, `unknown` before either.
    public var health: HealthStatus = .unknown
    /// Failed checks in a row.
    public var consecutiveFailures = 0
    /// When the last check finished.
    public var lastCheck: Date?
    /// Why the last check failed.
    public var lastError: String?

    /// The supervisor state (`starting`, `running`, `login_required`, ...), nil before any answer.
    public var state: String? { status?.state }
}

/// Polls every watched supervisor's `GET /status` (bearer token) and keeps the latest
/// ``SupervisorObservation`` per session, telling the controller when something that matters changed
/// (state, health, login prompt, restarts).
///
/// The contract's health check (CONTRACT.md §5: every 10 s, unhealthy after 3 failures) with two
/// additions the registry's `HealthChecker` does not have, which is why the operator has its own:
/// - while a supervisor is `starting` (or has not answered yet) it is polled fast (0.5 s doubling to the
///   interval), so a login prompt shows in the session's status within a second or so;
/// - ``checkNow(_:)``, which the reconcile calls when the pod's readiness disagrees with the last answer
///   (a finished login flips `/readyz`, the kubelet flips the pod, the operator asks at once).
/// One scheduler task, checks in child tasks with bounded concurrency on one HTTP client (one thread).
public final class SupervisorMonitor: Sendable {
    private struct Target {
        var endpoint: String
        var token: String
        var generation: Int
        var nextCheck: ContinuousClock.Instant
        var fastInterval: Duration
        var inFlight = false
        var observation: SupervisorObservation
    }

    private struct State {
        var targets: [String: Target] = [:]
        var generation = 0
        var inFlight = 0
        var stopped = false
    }

    /// Interval, timeout and threshold.
    public let options: OperatorConfig.HealthChecks
    /// Most checks in flight at once.
    public let maxConcurrent: Int
    private let http: HTTPClient
    private let onChange: @Sendable (String) -> Void
    private let checks: Counter?
    private let logger: Logger
    private let state = Mutex(State())
    private let wake = WakeSignal()

    /// Creates a monitor. `onChange` receives the session key whenever an observation changed in a way
    /// the session's status reflects.
    public init(options: OperatorConfig.HealthChecks, http: HTTPClient, metrics: MetricsRegistry?, maxConcurrent: Int = 32,
                logger: Logger = Logger(label: "supervisor-monitor"), onChange: @escaping @Sendable (String) -> Void) {
        self.options = options
        self.http = http
        self.maxConcurrent = max(1, maxConcurrent)
        self.onChange = onChange
        self.logger = logger
        checks = metrics?.counter(MetricNames.agentHealthChecks,
                                  help: "Supervisor /status checks by result (success, failure, timeout).",
                                  labelNames: ["result"])
        for r in ["success", "failure", "timeout"] { checks?.inc(0, labels: [r]) }
    }

    /// Starts watching a session's supervisor, or updates its endpoint and token. A new target, or a new
    /// endpoint (the pod was recreated), is checked at once.
    public func watch(_ key: String, endpoint: String, token: String) {
        let poke = state.withLock { s -> Bool in
            guard !s.stopped else { return false }
            if var t = s.targets[key] {
                t.token = token
                guard t.endpoint != endpoint else {
                    s.targets[key] = t
                    return false
                }
                t.endpoint = endpoint
                t.observation = SupervisorObservation(endpoint: endpoint)
                t.nextCheck = .now
                t.fastInterval = .milliseconds(500)
                s.generation += 1
                t.generation = s.generation
                s.targets[key] = t
                return true
            }
            s.generation += 1
            s.targets[key] = Target(endpoint: endpoint, token: token, generation: s.generation, nextCheck: .now,
                                    fastInterval: .milliseconds(500), observation: SupervisorObservation(endpoint: endpoint))
            return true
        }
        if poke { wake.poke() }
    }

    /// Stops watching a session.
    public func unwatch(_ key: String) { state.withLock { _ = $0.targets.removeValue(forKey: key) } }

    /// Checks a session again as soon as possible.
    public func checkNow(_ key: String) {
        let poke = state.withLock { s -> Bool in
            guard var t = s.targets[key], !t.inFlight else { return false }
            t.nextCheck = .now
            s.targets[key] = t
            return true
        }
        if poke { wake.poke() }
    }

    /// The latest observation of a session.
    public func observation(_ key: String) -> SupervisorObservation? { state.withLock { $0.targets[key]?.observation } }

    /// Whether a session is watched.
    public func isWatching(_ key: String) -> Bool { state.withLock { $0.targets[key] != nil } }

    /// Number of watched sessions.
    public var count: Int { state.withLock { $0.targets.count } }

    /// Forgets every target (leadership lost).
    public func reset() { state.withLock { $0.targets.removeAll() } }

    /// Schedules checks until the calling task is cancelled.
    public func run() async {
        while !Task.isCancelled {
            let now = ContinuousClock.now
            var next = now + options.interval
            var due: [(String, String, String, Int)] = []
            state.withLock { s in
                for (key, t) in s.targets where !t.inFlight {
                    if t.nextCheck <= now {
                        guard s.inFlight < maxConcurrent else { next = min(next, now + .milliseconds(50)); continue }
                        s.targets[key]?.inFlight = true
                        s.inFlight += 1
                        due.append((key, t.endpoint, t.token, t.generation))
                    } else {
                        next = min(next, t.nextCheck)
                    }
                }
            }
            for (key, endpoint, token, generation) in due {
                Task { await self.check(key, endpoint: endpoint, token: token, generation: generation) }
            }
            await wake.wait(until: next)
        }
        state.withLock { $0.stopped = true }
    }

    private func check(_ key: String, endpoint: String, token: String, generation: Int) async {
        let outcome = await SupervisorProbe.run(endpoint: endpoint, token: token, timeout: options.timeout, http: http)
        let changed = state.withLock { s -> Bool in
            s.inFlight -= 1
            guard var t = s.targets[key], t.generation == generation else { return false }
            t.inFlight = false
            let before = t.observation
            var o = before
            o.lastCheck = Date()
            switch outcome {
            case .success(let status):
                checks?.inc(labels: ["success"])
                o.status = status
                o.health = .healthy
                o.consecutiveFailures = 0
                o.lastError = nil
            case .failure(let message, let timeout, let status):
                checks?.inc(labels: [timeout ? "timeout" : "failure"])
                if let status { o.status = status }
                o.consecutiveFailures += 1
                o.lastError = message
                if o.consecutiveFailures >= options.failureThreshold { o.health = .unhealthy }
            }
            t.observation = o
            // Fast polling while the agent has not settled; the regular interval afterwards.
            let settling = o.status == nil || o.state == "starting"
            if settling {
                t.nextCheck = .now + t.fastInterval
                t.fastInterval = min(t.fastInterval * 2, options.interval)
            } else {
                t.nextCheck = .now + options.interval
                t.fastInterval = .milliseconds(500)
            }
            s.targets[key] = t
            return before.state != o.state || before.health != o.health || before.status?.login != o.status?.login
                || before.status?.restarts != o.status?.restarts || before.status?.exitCode != o.status?.exitCode
        }
        wake.poke()
        if changed { onChange(key) }
    }
}
