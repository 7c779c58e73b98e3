import CurlHTTP
import Foundation
import RuntimeCore

/// Tuning of a ``HealthChecker``.
public struct HealthCheckOptions: Sendable, Equatable {
    /// Time between two checks of one agent (contract: 10 s).
    public var interval: Duration
    /// Limit for one `/status` request.
    public var timeout: Duration
    /// Failures in a row after which an agent is `unhealthy`.
    public var failureThreshold: Int
    /// At most this many checks in flight at once, whatever the number of agents.
    public var maxConcurrentChecks: Int

    /// Creates options; the defaults are the contract's.
    public init(interval: Duration = .seconds(10), timeout: Duration = .seconds(2), failureThreshold: Int = 3,
                maxConcurrentChecks: Int = 32) {
        self.interval = interval
        self.timeout = timeout
        self.failureThreshold = max(1, failureThreshold)
        self.maxConcurrentChecks = max(1, maxConcurrentChecks)
    }
}

/// The health of one agent after a check, as reported to the checker's owner.
public struct HealthReport: Sendable, Equatable {
    /// The agent id.
    public var agentId: String
    /// `healthy`, `unhealthy` (after the failure threshold) or `unknown`.
    public var status: HealthStatus
    /// The supervisor's state from the last answer (`running`, `login_required`, ...); nil before any.
    public var state: String?
    /// The login prompt the supervisor reported, if any.
    public var login: SupervisorStatus.Login?
    /// When this check finished.
    public var checkedAt: Date
    /// Failed checks in a row (0 after a success).
    public var consecutiveFailures: Int
    /// Why the last check failed, if it did.
    public var error: String?
}

/// Checks every watched agent's supervisor (`GET <endpoint>/status` with its bearer token) on an interval
/// and reports changes through ``reports``.
///
/// One scheduler task drives all agents; checks run with bounded concurrency on one shared HTTP client
/// (one curl thread), so a thousand agents cost neither a thousand threads nor a thousand connections.
/// First checks of agents added together are spread over one interval so they do not all fire at once.
///
/// A check succeeds when the supervisor answers 200 with a state other than `exited`/`failed`. Status:
/// `healthy` after a success; `unhealthy` after ``HealthCheckOptions/failureThreshold`` failures in a row;
/// `unknown` before that. A report is sent whenever status, supervisor state or login prompt changes; the
/// owner reacts to `login_required` (``AgentRegistry/apply(_:)`` deregisters the agent until it runs again).
public actor HealthChecker {
    /// Changes, in the order they were seen. Buffers without limit.
    public nonisolated let reports: AsyncStream<HealthReport>
    /// The options in use.
    public nonisolated let options: HealthCheckOptions

    private struct Target {
        var endpoint: String
        var token: String
        var generation: Int
        var nextCheck: ContinuousClock.Instant
        var inFlight = false
        var report: HealthReport
    }

    private let sink: AsyncStream<HealthReport>.Continuation
    private let http: HTTPClient
    private let metrics: HealthMetrics
    private let logger: Logger
    private let limiter: AsyncLimiter
    private let wakeup = Wakeup()
    private let clock = ContinuousClock()
    private var targets: [String: Target] = [:]
    private var loop: Task<Void, Never>?
    private var generation = 0
    private var stopped = false

    /// Creates a checker. `httpClient` defaults to ``RuntimeCore/HTTPClient/shared``.
    public init(options: HealthCheckOptions = HealthCheckOptions(), httpClient: HTTPClient = .shared,
                metrics: MetricsRegistry? = nil, logger: Logger = Logger(label: "health")) {
        self.options = options
        http = httpClient
        self.metrics = HealthMetrics(metrics)
        self.logger = logger
        limiter = AsyncLimiter(limit: options.maxConcurrentChecks)
        (reports, sink) = AsyncStream<HealthReport>.makeStream(bufferingPolicy: .unbounded)
    }

    /// Starts checking an agent, or updates its endpoint and token (its health is kept).
    public func watch(agentId: String, endpoint: String, token: String) {
        guard !stopped else { return }
        if loop == nil { loop = Task { [weak self] in await self?.run() } }
        let base = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        if var t = targets[agentId] {
            t.endpoint = base
            t.token = token
            targets[agentId] = t
            return
        }
        generation += 1
        // Spread first checks over a tenth of the interval (at most 1 s): prompt, but not all at once.
        let spreadMs = max(1, min(options.interval.milliseconds / 10, 1000))
        let offset = Duration.milliseconds(Int64(abs(agentId.hashValue) % Int(spreadMs)))
        targets[agentId] = Target(endpoint: base, token: token, generation: generation, nextCheck: clock.now + offset,
                                  report: HealthReport(agentId: agentId, status: .unknown, state: nil, login: nil,
                                                       checkedAt: Date(), consecutiveFailures: 0, error: nil))
        wakeup.poke()
    }

    /// Stops checking an agent.
    public func unwatch(agentId: String) {
        targets.removeValue(forKey: agentId)
    }

    /// The latest report of an agent.
    public func report(for agentId: String) -> HealthReport? { targets[agentId]?.report }

    /// The agents being checked.
    public var watchedAgents: [String] { targets.keys.sorted() }

    /// Stops all checks and ends ``reports``.
    public func shutdown() {
        stopped = true
        loop?.cancel()
        targets.removeAll()
        wakeup.poke()
        sink.finish()
    }

    // MARK: Scheduling

    private func run() async {
        while !stopped, !Task.isCancelled {
            let now = clock.now
            var next = now + options.interval
            for (id, t) in targets where !t.inFlight {
                if t.nextCheck <= now {
                    targets[id]?.inFlight = true
                    let (endpoint, token, gen) = (t.endpoint, t.token, t.generation)
                    Task { await self.check(id, endpoint: endpoint, token: token, generation: gen) }
                } else {
                    next = min(next, t.nextCheck)
                }
            }
            await wakeup.wait(until: next)
        }
    }

    private func check(_ id: String, endpoint: String, token: String, generation: Int) async {
        await limiter.acquire()
        let outcome = await SupervisorProbe.run(endpoint: endpoint, token: token, timeout: options.timeout, http: http)
        limiter.release()
        record(outcome, for: id, generation: generation)
    }

    // MARK: Checking

    private func record(_ outcome: SupervisorProbe, for id: String, generation: Int) {
        guard var t = targets[id], t.generation == generation else { return }
        t.inFlight = false
        t.nextCheck = clock.now + options.interval
        let before = t.report
        var r = before
        r.checkedAt = Date()
        switch outcome {
        case .success(let status):
            metrics.record("success")
            r.status = .healthy
            r.state = status.state
            r.login = status.login
            r.consecutiveFailures = 0
            r.error = nil
        case .failure(let message, let timeout, let status):
            metrics.record(timeout ? "timeout" : "failure")
            r.consecutiveFailures += 1
            r.error = message
            if let status {
                r.state = status.state
                r.login = status.login
            }
            if r.consecutiveFailures >= options.failureThreshold { r.status = .unhealthy }
        }
        t.report = r
        targets[id] = t
        if r.status != before.status || r.state != before.state || r.login != before.login {
            if r.status != before.status {
                logger.info("agent health changed", ["agentId": .string(id), "from": .string(before.status.rawValue),
                                                     "to": .string(r.status.rawValue), "error": r.error.map { .string($0) } ?? .null])
            }
            sink.yield(r)
        }
        // No poke: the next check is a full interval away, and the loop never sleeps longer than that.
    }
}
