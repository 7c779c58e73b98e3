import CurlHTTP
import Foundation
import RuntimeCore

/// Jittered exponential backoff.
///
/// Attempt `n` (0-based) waits `min(max, initial * multiplier^n)` reduced by a random share of up to
/// `jitter`, so the delay never exceeds `max` and clients that failed together spread out.
public struct Backoff: Hashable, Sendable {
    /// The delay before the first retry.
    public var initial: Duration
    /// The largest delay.
    public var max: Duration
    /// The growth factor per attempt.
    public var multiplier: Double
    /// The largest share (0...1) randomly taken off a delay.
    public var jitter: Double

    /// Creates a backoff.
    public init(initial: Duration, max: Duration, multiplier: Double = 2, jitter: Double = 0.2) {
        self.initial = initial
        self.max = max
        self.multiplier = multiplier
        self.jitter = Swift.min(1, Swift.max(0, jitter))
    }

    /// The watch reconnect backoff: 0.8 s doubling up to 30 s (client-go's reflector values).
    public static let watch = Backoff(initial: .milliseconds(800), max: .seconds(30), multiplier: 2, jitter: 0.2)

    /// The request retry backoff: 250 ms doubling up to 8 s.
    public static let request = Backoff(initial: .milliseconds(250), max: .seconds(8), multiplier: 2, jitter: 0.2)

    /// The un-jittered delay of attempt `n`.
    public func baseDelay(attempt n: Int) -> Duration {
        let seconds = initial.inSeconds * pow(multiplier, Double(Swift.max(0, Swift.min(n, 60))))
        return .fromSeconds(Swift.min(seconds, max.inSeconds))
    }

    /// The delay of attempt `n` given a random number in `0..<1` (injectable for tests).
    public func delay(attempt n: Int, random: Double) -> Duration {
        let base = baseDelay(attempt: n).inSeconds
        let r = Swift.min(Swift.max(random, 0), 1)
        return .fromSeconds(base * (1 - jitter * r))
    }

    /// The delay of attempt `n` with a fresh random jitter.
    public func delay(attempt n: Int) -> Duration { delay(attempt: n, random: Double.random(in: 0..<1)) }
}

/// When and how long to wait before retrying a failed request.
///
/// - 429 is retried for every verb: the server did not process the request.
/// - 5xx with a `Retry-After` header is retried for every verb (the server asks for it); 5xx without it
///   only for idempotent verbs (GET, HEAD, PUT, DELETE), since the request may have been applied.
/// - Transport failures are retried only for idempotent verbs; TLS and URL errors never.
/// - `Retry-After` (or the Status' `retryAfterSeconds`) is honoured, capped at `maxRetryAfter`;
///   otherwise the delay follows `backoff`. Watches are never retried here.
public struct RetryPolicy: Hashable, Sendable {
    /// Total attempts including the first; 1 disables retries.
    public var maxAttempts: Int
    /// The delay between attempts when the server gives none.
    public var backoff: Backoff
    /// The longest server-requested delay honoured.
    public var maxRetryAfter: Duration

    /// Creates a policy.
    public init(maxAttempts: Int = 10, backoff: Backoff = .request, maxRetryAfter: Duration = .seconds(60)) {
        self.maxAttempts = Swift.max(1, maxAttempts)
        self.backoff = backoff
        self.maxRetryAfter = maxRetryAfter
    }

    /// Ten attempts with the request backoff.
    public static let `default` = RetryPolicy()
    /// No retries.
    public static let none = RetryPolicy(maxAttempts: 1)

    /// What went wrong with one attempt.
    public enum Failure: Sendable {
        /// The server answered `code`, with an optional `Retry-After` header and Status hint.
        case status(code: Int, retryAfterHeader: String?, retryAfterSeconds: Int?)
        /// The transport failed.
        case transport(HTTPClientError)
    }

    /// True for verbs that can be repeated without changing the outcome.
    public static func isIdempotent(_ method: String) -> Bool {
        ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"].contains(method.uppercased())
    }

    /// The delay before the next attempt, or nil to give up. `attempt` counts attempts made so far (1-based).
    public func retryDelay(method: String, attempt: Int, failure: Failure, random: Double = Double.random(in: 0..<1)) -> Duration? {
        guard attempt < maxAttempts else { return nil }
        let fallback = backoff.delay(attempt: attempt - 1, random: random)
        switch failure {
        case .status(let code, let header, let hint):
            let serverDelay = Self.parseRetryAfter(header) ?? hint.map { Duration.seconds($0) }
            let capped = serverDelay.map { Swift.min($0, maxRetryAfter) }
            if code == 429 { return capped ?? fallback }
            guard (500...599).contains(code), code != 501 else { return nil }
            if let d = capped { return d }
            return Self.isIdempotent(method) ? fallback : nil
        case .transport(let e):
            switch e {
            case .cancelled, .invalidURL, .tls: return nil
            case .connectionFailed, .timedOut, .transport: return Self.isIdempotent(method) ? fallback : nil
            }
        }
    }

    /// Parses `Retry-After` in its delta-seconds form; HTTP dates count as one second.
    public static func parseRetryAfter(_ header: String?) -> Duration? {
        guard let h = header?.trimmingCharacters(in: .whitespaces), !h.isEmpty else { return nil }
        if let s = Int(h) { return .seconds(Swift.max(0, s)) }
        if let d = Double(h), d.isFinite { return .fromSeconds(d) }
        return .seconds(1)
    }
}
