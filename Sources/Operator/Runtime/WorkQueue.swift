import Foundation
import RuntimeCore
import Synchronization

/// The workqueue metrics of one queue (client-go's names, labelled `name` and `controller` as
/// controller-runtime does).
public struct WorkQueueMetrics: Sendable {
    let depth: Gauge
    let adds: Counter
    let retries: Counter
    let queueDuration: Histogram
    let workDuration: Histogram
    let labels: [String]

    /// Registers (or reuses) the workqueue metrics for queue `name`.
    public init(registry: MetricsRegistry, name: String) {
        let l = ["name", "controller"]
        depth = registry.gauge(MetricNames.workqueueDepth, help: "Current depth of workqueue", labelNames: l)
        adds = registry.counter(MetricNames.workqueueAdds, help: "Total number of adds handled by workqueue", labelNames: l)
        retries = registry.counter(MetricNames.workqueueRetries, help: "Total number of retries handled by workqueue", labelNames: l)
        queueDuration = registry.histogram(MetricNames.workqueueQueueDuration,
                                           help: "How long in seconds an item stays in workqueue before being requested",
                                           labelNames: l, buckets: MetricNames.workqueueBuckets)
        workDuration = registry.histogram(MetricNames.workqueueWorkDuration,
                                          help: "How long in seconds processing an item from workqueue takes.",
                                          labelNames: l, buckets: MetricNames.workqueueBuckets)
        labels = [name, name]
        depth.set(0, labels: labels)
    }
}

/// A rate-limited, delaying work queue of object keys with client-go's guarantees:
///
/// - **Dedup.** A key is queued at most once; adding a queued key does nothing.
/// - **One worker per key.** While a key is being processed, adding it again only marks it dirty; it is
///   queued again when the worker calls ``done(_:)``. So no key is ever reconciled by two workers at once,
///   and no change is lost.
/// - **Delays.** ``addAfter(_:_:)`` adds later (a key waiting twice keeps the earlier time);
///   ``addRateLimited(_:)`` adds after the rate limiter's delay; ``forget(_:)`` resets its failures.
///
/// Workers wait in ``get()`` without holding a thread; the lock is never held across a suspension.
public final class WorkQueue: Sendable {
    private struct State {
        var queue: [String] = []
        var head = 0
        var dirty: Set<String> = []
        var processing: Set<String> = []
        var addedAt: [String: ContinuousClock.Instant] = [:]
        var startedAt: [String: ContinuousClock.Instant] = [:]
        var waiting: [String: ContinuousClock.Instant] = [:]
        var getters: [(id: Int, continuation: CheckedContinuation<String?, Never>)] = []
        var nextGetter = 0
        var shuttingDown = false

        var depth: Int { queue.count - head }

        mutating func pop() -> String {
            let key = queue[head]
            head += 1
            if head > 1024, head * 2 > queue.count {
                queue.removeFirst(head)
                head = 0
            }
            return key
        }
    }

    /// The queue's name (metrics label).
    public let name: String
    /// The retry delays.
    public let rateLimiter: any WorkQueueRateLimiter
    private let metrics: WorkQueueMetrics?
    private let state = Mutex(State())

    /// Creates a queue. Without `rateLimiter`, controller-runtime's default is used.
    public init(name: String, rateLimiter: any WorkQueueRateLimiter = MaxOfRateLimiter.controllerDefault(),
                metrics: MetricsRegistry? = nil) {
        self.name = name
        self.rateLimiter = rateLimiter
        self.metrics = metrics.map { WorkQueueMetrics(registry: $0, name: name) }
    }

    /// Keys queued and not yet handed to a worker.
    public var depth: Int { state.withLock { $0.depth } }
    /// Keys being processed right now.
    public var processingCount: Int { state.withLock { $0.processing.count } }
    /// Keys waiting for a delayed add.
    public var waitingCount: Int { state.withLock { $0.waiting.count } }
    /// True after ``shutDown()``.
    public var isShuttingDown: Bool { state.withLock { $0.shuttingDown } }

    /// Queues `key` now (unless queued already).
    public func add(_ key: String) {
        let handoff: (CheckedContinuation<String?, Never>, String)? = state.withLock { s in
            guard !s.shuttingDown, !s.dirty.contains(key) else { return nil }
            s.dirty.insert(key)
            metrics?.adds.inc(labels: metrics!.labels)
            if s.processing.contains(key) { return nil }
            s.queue.append(key)
            s.addedAt[key] = s.addedAt[key] ?? .now
            return handOff(&s)
        }
        if let (c, k) = handoff { c.resume(returning: k) }
        publishDepth()
    }

    /// Queues `key` after `delay` (at once when the delay is not positive).
    public func addAfter(_ key: String, _ delay: Duration) {
        guard delay > .zero else { return add(key) }
        let readyAt = ContinuousClock.now + delay
        let schedule = state.withLock { s -> Bool in
            guard !s.shuttingDown else { return false }
            if let existing = s.waiting[key], existing <= readyAt { return false }
            s.waiting[key] = readyAt
            return true
        }
        guard schedule else { return }
        Task { [weak self] in
            try? await Task.sleep(until: readyAt, clock: .continuous)
            guard let self else { return }
            let due = self.state.withLock { s -> Bool in
                guard s.waiting[key] == readyAt else { return false }  // superseded by an earlier add
                s.waiting[key] = nil
                return true
            }
            if due { self.add(key) }
        }
    }

    /// Queues `key` after the rate limiter's delay and counts a retry.
    public func addRateLimited(_ key: String) {
        metrics?.retries.inc(labels: metrics!.labels)
        addAfter(key, rateLimiter.when(key))
    }

    /// Forgets the failures of `key`.
    public func forget(_ key: String) { rateLimiter.forget(key) }

    /// Failures of `key` since it was last forgotten.
    public func numRequeues(_ key: String) -> Int { rateLimiter.numRequeues(key) }

    /// Waits for the next key; nil once the queue shuts down. The key belongs to the caller until ``done(_:)``.
    public func get() async -> String? {
        let id = state.withLock { s -> Int in
            s.nextGetter += 1
            return s.nextGetter
        }
        let key: String? = await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<String?, Never>) in
                let now: String?? = state.withLock { s in
                    if s.depth > 0 { return .some(take(&s)) }
                    if s.shuttingDown || Task.isCancelled { return .some(nil) }
                    s.getters.append((id, c))
                    return nil
                }
                if let now { c.resume(returning: now) }
            }
        } onCancel: {
            let c = state.withLock { s -> CheckedContinuation<String?, Never>? in
                guard let i = s.getters.firstIndex(where: { $0.id == id }) else { return nil }
                return s.getters.remove(at: i).continuation
            }
            c?.resume(returning: nil)
        }
        publishDepth()
        return key
    }

    /// Marks `key` processed; if it was added meanwhile, it is queued again.
    public func done(_ key: String) {
        let handoff: (CheckedContinuation<String?, Never>, String)? = state.withLock { s in
            s.processing.remove(key)
            if let started = s.startedAt.removeValue(forKey: key), let m = metrics {
                m.workDuration.observe((ContinuousClock.now - started).inSeconds, labels: m.labels)
            }
            guard s.dirty.contains(key) else { return nil }
            s.queue.append(key)
            s.addedAt[key] = s.addedAt[key] ?? .now
            return handOff(&s)
        }
        if let (c, k) = handoff { c.resume(returning: k) }
        publishDepth()
    }

    /// Stops handing out keys: waiting workers get nil; adds are ignored from now on.
    public func shutDown() {
        let getters = state.withLock { s -> [CheckedContinuation<String?, Never>] in
            s.shuttingDown = true
            defer { s.getters.removeAll() }
            return s.getters.map(\.continuation)
        }
        for c in getters { c.resume(returning: nil) }
    }

    // MARK: Internals (called with the lock held)

    private func take(_ s: inout State) -> String {
        let key = s.pop()
        s.processing.insert(key)
        s.dirty.remove(key)
        let now = ContinuousClock.now
        if let added = s.addedAt.removeValue(forKey: key), let m = metrics {
            m.queueDuration.observe((now - added).inSeconds, labels: m.labels)
        }
        s.startedAt[key] = now
        return key
    }

    private func handOff(_ s: inout State) -> (CheckedContinuation<String?, Never>, String)? {
        guard !s.getters.isEmpty, s.depth > 0 else { return nil }
        let getter = s.getters.removeFirst()
        return (getter.continuation, take(&s))
    }

    private func publishDepth() {
        guard let m = metrics else { return }
        m.depth.set(Double(depth), labels: m.labels)
    }
}
