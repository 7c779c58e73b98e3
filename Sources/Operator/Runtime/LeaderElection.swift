import Foundation
import KubeClient

/// Timing and identity of leader election (client-go's `LeaderElectionConfig`).
public struct LeaderElectionConfig: Sendable, Equatable {
    /// The Lease's name.
    public var leaseName: String
    /// The Lease's namespace (`--leader-election-namespace`).
    public var namespace: String
    /// This candidate's identity (pod name + random suffix, as client-go does).
    public var identity: String
    /// How long a lease is valid after its last renewal: followers wait this long (client-go: 15 s).
    public var leaseDuration: Duration
    /// How long the leader keeps trying to renew before giving up leadership (client-go: 10 s).
    public var renewDeadline: Duration
    /// Time between attempts (client-go: 2 s; followers add up to 20 % jitter).
    public var retryPeriod: Duration

    /// Creates a configuration with client-go's defaults.
    public init(leaseName: String = "agent-operator-leader", namespace: String, identity: String,
                leaseDuration: Duration = .seconds(15), renewDeadline: Duration = .seconds(10),
                retryPeriod: Duration = .seconds(2)) {
        self.leaseName = leaseName
        self.namespace = namespace
        self.identity = identity
        self.leaseDuration = leaseDuration
        self.renewDeadline = renewDeadline
        self.retryPeriod = retryPeriod
    }

    /// The identity client-go would use: host name plus a random suffix, so two processes on one host differ.
    public static func defaultIdentity() -> String {
        let host = ProcessInfo.processInfo.environment["POD_NAME"] ?? ProcessInfo.processInfo.hostName
        return host + "_" + UUID().uuidString.lowercased().prefix(8)
    }
}

/// The decision logic of leader election as a pure state machine (no I/O, no clocks of its own), so
/// every transition is tested by feeding it observations.
///
/// ```
///            observe lease held by another, not expired
///          ┌──────────────────────────────┐
///          ▼                              │
///   ┌──────────┐  create/update ok  ┌──────────┐  no successful renew within renewDeadline,
///   │ follower │ ─────────────────▶ │  leader  │  or the lease now names someone else
///   └──────────┘                    └──────────┘ ─────────────────▶ ┌──────┐
///          ▲                          │  renew ok (stay)             │ lost │ (terminal: the process
///          └── release (shutdown) ────┘                              └──────┘  stops, as in client-go)
/// ```
///
/// Expiry is judged on the local clock from when *this* candidate last saw the record change, never from
/// the `renewTime` written by another host, so clock skew between hosts cannot cause two leaders.
public struct LeaderElectionMachine: Sendable {
    /// Where the candidate is.
    public enum State: Sendable, Equatable {
        /// Not leading; trying to acquire.
        case follower
        /// Leading since the given acquisition.
        case leader
        /// Leadership was lost; terminal.
        case lost
    }

    /// What the driver should do after observing the Lease.
    public enum Step: Sendable, Equatable {
        /// No Lease exists: create it with this spec.
        case create(LeaseSpec)
        /// Write this spec over the observed Lease (conditional on its resourceVersion).
        case update(LeaseSpec)
        /// Someone else holds a valid lease: wait.
        case wait(holder: String)
    }

    /// What changed after a write or a failure.
    public enum Transition: Sendable, Equatable {
        /// This candidate became leader.
        case startedLeading
        /// This candidate was leader and is no longer.
        case stoppedLeading(reason: String)
        /// The observed leader changed (for logs).
        case newLeader(String)
    }

    /// The timing and identity.
    public let config: LeaderElectionConfig
    /// The current state.
    public private(set) var state: State = .follower
    /// The last Lease spec observed (read or written).
    public private(set) var observed: LeaseSpec?
    /// When `observed` last changed, on the local clock.
    public private(set) var observedAt: ContinuousClock.Instant?
    /// When this candidate last renewed successfully.
    public private(set) var lastRenew: ContinuousClock.Instant?
    private var reportedLeader: String?

    /// A follower.
    public init(config: LeaderElectionConfig) { self.config = config }

    /// True while leading.
    public var isLeader: Bool { state == .leader }

    /// Seconds of `leaseDuration`, as written to the Lease.
    public var leaseSeconds: Int { Int(config.leaseDuration.components.seconds) }

    /// Decides what to write given the Lease as just read (nil when it does not exist).
    public mutating func step(lease: LeaseSpec?, now: ContinuousClock.Instant, wallClock: Date) -> (Step, [Transition]) {
        var transitions: [Transition] = []
        guard let lease else {
            return (.create(LeaseSpec(holderIdentity: config.identity, leaseDurationSeconds: leaseSeconds,
                                      acquireTime: MicroTime(wallClock), renewTime: MicroTime(wallClock),
                                      leaseTransitions: 0)), transitions)
        }
        if observed != lease {
            observed = lease
            observedAt = now
        }
        let holder = lease.holderIdentity ?? ""
        if !holder.isEmpty, holder != reportedLeader {
            reportedLeader = holder
            if holder != config.identity { transitions.append(.newLeader(holder)) }
        }
        let duration = lease.leaseDurationSeconds.map { Duration.seconds($0) } ?? config.leaseDuration
        let valid = (observedAt ?? now) + duration > now
        if !holder.isEmpty, holder != config.identity, valid {
            if state == .leader {
                state = .lost
                transitions.append(.stoppedLeading(reason: "the lease is now held by \(holder)"))
            }
            return (.wait(holder: holder), transitions)
        }
        var spec = LeaseSpec(holderIdentity: config.identity, leaseDurationSeconds: leaseSeconds,
                             acquireTime: lease.acquireTime, renewTime: MicroTime(wallClock),
                             leaseTransitions: lease.leaseTransitions ?? 0)
        if holder != config.identity {
            spec.acquireTime = MicroTime(wallClock)
            spec.leaseTransitions = (lease.leaseTransitions ?? 0) + 1
        }
        return (.update(spec), transitions)
    }

    /// The write of `spec` succeeded.
    public mutating func succeeded(_ spec: LeaseSpec, now: ContinuousClock.Instant) -> [Transition] {
        observed = spec
        observedAt = now
        lastRenew = now
        reportedLeader = config.identity
        guard state == .follower else { return [] }
        state = .leader
        return [.startedLeading]
    }

    /// An attempt failed (read or write error, conflict, lease held by another). A leader that has not
    /// renewed for `renewDeadline` loses leadership.
    public mutating func failed(now: ContinuousClock.Instant) -> [Transition] {
        guard state == .leader, let last = lastRenew, now - last >= config.renewDeadline else { return [] }
        state = .lost
        return [.stoppedLeading(reason: "could not renew the lease within \(config.renewDeadline)")]
    }

    /// The delay before the next attempt: `retryPeriod` for the leader, jittered up to 20 % for followers
    /// (`random` in 0..<1).
    public func nextDelay(random: Double) -> Duration {
        state == .leader ? config.retryPeriod : config.retryPeriod * (1 + 0.2 * min(max(random, 0), 1))
    }

    /// On a clean shutdown: the spec that hands the lease over at once (empty holder, 1 s duration, as
    /// client-go's `ReleaseOnCancel`), or nil when not leading.
    public mutating func release(wallClock: Date) -> LeaseSpec? {
        guard state == .leader, var spec = observed else { return nil }
        spec.holderIdentity = ""
        spec.leaseDurationSeconds = 1
        spec.renewTime = MicroTime(wallClock)
        state = .lost
        return spec
    }
}
