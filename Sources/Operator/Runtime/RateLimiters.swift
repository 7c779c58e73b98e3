import Foundation
import KubeClient
import Synchronization

/// How long a key waits before it is retried (client-go's `workqueue.TypedRateLimiter`).
public protocol WorkQueueRateLimiter: Sendable {
    /// The delay before `key` may be processed again; counts as one more failure of it.
    func when(_ key: String) -> Duration
    /// Forgets the failures of `key` (after a success).
    func forget(_ key: String)
    /// Failures of `key` since it was last forgotten.
    func numRequeues(_ key: String) -> Int
}

/// Per-key exponential backoff: `base * 2^failures`, capped at `max` (client-go's
/// `ItemExponentialFailureRateLimiter`; controller-runtime uses 5 ms up to 1000 s).
public final class ItemExponentialRateLimiter: WorkQueueRateLimiter {
    /// The first delay.
    public let base: Duration
    /// The largest delay.
    public let max: Duration
    private let failures = Mutex([String: Int]())

    /// Creates a limiter.
    public init(base: Duration = .milliseconds(5), max: Duration = .seconds(1000)) {
        self.base = base
        self.max = max
    }

    public func when(_ key: String) -> Duration {
        let n = failures.withLock { f -> Int in
            let n = f[key, default: 0]
            f[key] = n + 1
            return n
        }
        return Self.delay(base: base, max: max, failures: n)
    }

    /// `base * 2^failures` capped at `max`, without overflow for any failure count.
    public static func delay(base: Duration, max: Duration, failures n: Int) -> Duration {
        let seconds = base.inSeconds * pow(2, Double(Swift.min(n, 62)))
        return seconds >= max.inSeconds ? max : .milliseconds(Int64((seconds * 1000).rounded()))
    }

    public func forget(_ key: String) { failures.withLock { _ = $0.removeValue(forKey: key) } }
    public func numRequeues(_ key: String) -> Int { failures.withLock { $0[key, default: 0] } }
}

/// An overall token bucket (client-go's `BucketRateLimiter`; controller-runtime: 10 qps, burst 100):
/// bounds how fast retries as a whole come back, whatever the number of failing keys.
public final class BucketRateLimiter: WorkQueueRateLimiter {
    private let bucket: Mutex<TokenBucket>
    private let now: @Sendable () -> ContinuousClock.Instant

    /// Creates a limiter; `now` is injectable for tests.
    public init(qps: Double = 10, burst: Int = 100, now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.now = now
        bucket = Mutex(TokenBucket(qps: qps, burst: burst, now: now()))
    }

    public func when(_ key: String) -> Duration {
        let t = now()
        return bucket.withLock { $0.reserve(now: t) }
    }

    public func forget(_ key: String) {}
    public func numRequeues(_ key: String) -> Int { 0 }
}

/// The longest delay of several limiters (client-go's `MaxOfRateLimiter`).
public final class MaxOfRateLimiter: WorkQueueRateLimiter {
    /// The combined limiters.
    public let limiters: [any WorkQueueRateLimiter]

    /// Combines limiters.
    public init(_ limiters: [any WorkQueueRateLimiter]) { self.limiters = limiters }

    /// controller-runtime's default: per-key 5 ms..1000 s, overall 10 qps with bursts of 100.
    public static func controllerDefault() -> MaxOfRateLimiter {
        MaxOfRateLimiter([ItemExponentialRateLimiter(), BucketRateLimiter()])
    }

    public func when(_ key: String) -> Duration { limiters.map { $0.when(key) }.max() ?? .zero }
    public func forget(_ key: String) { limiters.forEach { $0.forget(key) } }
    public func numRequeues(_ key: String) -> Int { limiters.map { $0.numRequeues(key) }.max() ?? 0 }
}
