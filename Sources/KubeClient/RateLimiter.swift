import Foundation

/// A token bucket: `burst` tokens, refilled at `qps` per second.
///
/// A pure value so its arithmetic can be tested with explicit instants; ``RateLimiter`` wraps it
/// with a lock and sleeping.
public struct TokenBucket: Sendable {
    /// Tokens added per second.
    public let qps: Double
    /// Bucket capacity: how many requests may go out at once after a quiet period.
    public let burst: Int
    /// Tokens currently available; negative when callers have reserved future tokens.
    public private(set) var tokens: Double
    /// When `tokens` was last brought up to date.
    public private(set) var last: ContinuousClock.Instant

    /// A full bucket.
    public init(qps: Double, burst: Int, now: ContinuousClock.Instant = .now) {
        self.qps = max(qps, 1e-9)
        self.burst = max(1, burst)
        tokens = Double(self.burst)
        last = now
    }

    private mutating func refill(_ now: ContinuousClock.Instant) {
        guard now > last else { return }
        tokens = min(Double(burst), tokens + (now - last).inSeconds * qps)
        last = now
    }

    /// Takes a token now or reserves the next one; returns how long the caller must wait before using it.
    public mutating func reserve(now: ContinuousClock.Instant) -> Duration {
        refill(now)
        tokens -= 1
        if tokens >= 0 { return .zero }
        return .fromSeconds(-tokens / qps)
    }

    /// Takes a token if one is available now.
    public mutating func tryTake(now: ContinuousClock.Instant) -> Bool {
        refill(now)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}

/// A client-side request rate limiter (client-go's `--kube-api-qps`/`--kube-api-burst`). Off by
/// default in ``ClientConfig``, as in controller-runtime, because API priority and fairness on the
/// server is the better throttle.
public final class RateLimiter: Sendable {
    private let bucket: Locked<TokenBucket>

    /// A limiter allowing `qps` requests per second with bursts of `burst`.
    public init(qps: Double, burst: Int) { bucket = Locked(TokenBucket(qps: qps, burst: burst)) }

    /// The configured rate.
    public var qps: Double { bucket.current.qps }
    /// The configured burst.
    public var burst: Int { bucket.current.burst }

    /// Waits until the caller may send a request. Throws `CancellationError` when the task is
    /// cancelled while waiting (the reserved token is not returned; the next caller waits slightly longer).
    public func acquire() async throws {
        let wait = bucket.withLock { $0.reserve(now: .now) }
        if wait > .zero { try await Task.sleep(for: wait) }
    }

    /// Takes a token if one is available without waiting.
    public func tryAcquire() -> Bool { bucket.withLock { $0.tryTake(now: .now) } }
}
