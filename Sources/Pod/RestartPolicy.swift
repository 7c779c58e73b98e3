/// When the supervisor starts the agent again after it exited (the contract's `spec.restartPolicy`).
public enum RestartPolicy: String, Sendable, CaseIterable, Codable {
    /// Restart whatever the exit status.
    case always = "Always"
    /// Restart after a non-zero exit or a death by signal.
    case onFailure = "OnFailure"
    /// Never restart.
    case never = "Never"

    /// Parses `Always`, `OnFailure`, `Never` (case-insensitive; `on-failure` accepted).
    public init?(parsing text: String) {
        let t = text.lowercased().replacing("-", with: "").replacing("_", with: "")
        guard let p = RestartPolicy.allCases.first(where: { $0.rawValue.lowercased() == t }) else { return nil }
        self = p
    }

    /// Whether a run that ended with `status` is followed by another.
    public func shouldRestart(after status: ExitStatus) -> Bool {
        switch self {
        case .always: return true
        case .onFailure: return !status.isSuccess
        case .never: return false
        }
    }
}

/// Exponential restart backoff: 1 s, 2 s, 4 s, ... up to 60 s, forgotten after 5 minutes of healthy running
/// (the same shape as the kubelet's CrashLoopBackOff, scaled to an in-pod supervisor).
public struct Backoff: Sendable, Equatable {
    /// First delay.
    public var initial: Duration
    /// Largest delay.
    public var maximum: Duration
    /// A run at least this long resets the backoff.
    public var resetAfter: Duration
    /// Consecutive short runs so far.
    public private(set) var failures = 0

    /// Creates a backoff (defaults 1 s, 60 s, 5 min).
    public init(initial: Duration = .seconds(1), maximum: Duration = .seconds(60), resetAfter: Duration = .seconds(300)) {
        self.initial = initial
        self.maximum = maximum
        self.resetAfter = resetAfter
    }

    /// The delay before restart number `n` of a crash loop (1-based): `initial × 2^(n-1)`, capped.
    public func delay(forAttempt n: Int) -> Duration {
        guard n > 1 else { return initial }
        var d = initial
        for _ in 1..<n {
            d = d * 2
            if d >= maximum { return maximum }
        }
        return min(d, maximum)
    }

    /// Records a run that lasted `runTime` and returns the delay before the next start.
    public mutating func next(afterRunOf runTime: Duration) -> Duration {
        if runTime >= resetAfter { failures = 0 }
        failures += 1
        return delay(forAttempt: failures)
    }

    /// Forgets past failures.
    public mutating func reset() { failures = 0 }
}
