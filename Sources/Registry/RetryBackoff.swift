import Foundation

/// Jittered exponential backoff for reconnects and retries.
///
/// Attempt `n` (0-based) waits `min(max, initial * 2^n)`, reduced by a random share of up to 20 %, so
/// clients that failed together do not retry in lockstep and the wait never exceeds `max`.
public struct RetryBackoff: Sendable, Equatable {
    /// The first delay.
    public var initial: Duration
    /// The largest delay.
    public var max: Duration

    /// Creates a backoff.
    public init(initial: Duration, max: Duration) {
        self.initial = initial
        self.max = max
    }

    /// Watch reconnects: 200 ms doubling up to 10 s.
    public static let watch = RetryBackoff(initial: .milliseconds(200), max: .seconds(10))

    /// The delay before retry `attempt` (0-based).
    public func delay(attempt: Int, random: Double = Double.random(in: 0..<1)) -> Duration {
        let base = initial.inSeconds * pow(2, Double(Swift.min(Swift.max(attempt, 0), 40)))
        let capped = Swift.min(base, max.inSeconds)
        return .milliseconds(Int64(capped * (1 - 0.2 * Swift.min(Swift.max(random, 0), 1)) * 1000))
    }
}
