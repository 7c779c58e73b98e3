import Foundation

/// Where one agent's registration stands.
public enum RegistrationStatus: Sendable, Equatable, CustomStringConvertible {
    /// The key holds our current value on `lease`, which is being kept alive.
    case registered(lease: Int64)
    /// Not (or no longer) in etcd yet; the registry retries. `reason` is the last failure.
    case pending(reason: String)
    /// The key belongs to someone else (`ownerLease`, 0 for a key without lease); it is left alone and the
    /// registry retries when that lease expires.
    case conflict(ownerLease: Int64)

    /// True for ``registered(lease:)``.
    public var isRegistered: Bool { if case .registered = self { return true } else { return false } }

    /// One line for logs and status messages.
    public var description: String {
        switch self {
        case .registered(let lease): return "registered (lease \(String(lease, radix: 16)))"
        case .pending(let reason): return "pending: \(reason)"
        case .conflict(let owner): return "key owned by another writer (lease \(String(owner, radix: 16)))"
        }
    }
}

/// A snapshot of one registration.
public struct RegistrationInfo: Sendable, Equatable {
    /// The agent id.
    public var agentId: String
    /// The etcd key.
    public var key: String
    /// Where it stands.
    public var status: RegistrationStatus
    /// The lease held, 0 for none.
    public var lease: Int64
    /// The granted TTL in seconds.
    public var ttl: Int64
    /// The value the registry wants at the key.
    public var record: ParallaxAgentRecord
}

/// Something that happened to a registration; the operator turns these into conditions and Events.
public enum RegistryEvent: Sendable, Equatable {
    /// The key was written for the first time by this registry (or taken over from an earlier process
    /// with the same identity).
    case registered(agentId: String, key: String, lease: Int64)
    /// The value was rewritten on the same lease (health, state or descriptor change).
    case updated(agentId: String, lease: Int64)
    /// The lease was lost (etcd forgot it, or it could not be renewed within its TTL); a repair follows.
    case leaseLost(agentId: String, lease: Int64, reason: String)
    /// After a lost lease: a new lease, the value written again, the old lease revoked.
    case repaired(agentId: String, oldLease: Int64, newLease: Int64)
    /// The key is held by someone else and was not overwritten.
    case conflict(agentId: String, key: String, ownerLease: Int64)
    /// A write or renewal failed; the registry retries.
    case failed(agentId: String, reason: String)
    /// The key was deleted and its lease revoked.
    case deregistered(agentId: String)
}

/// Tuning of an ``AgentRegistry``.
public struct AgentRegistryOptions: Sendable {
    /// The Parallax key layout.
    public var keys: RegistryKeys
    /// How our keys are recognised (see ``LeaseOwnership``).
    public var ownership: LeaseOwnership
    /// At most this many leases renewed by one keepalive request.
    public var keepaliveBatchSize: Int
    /// At most this many etcd requests of the registry in flight at once.
    public var maxConcurrentRequests: Int
    /// Delay between retries of a failed write or grant.
    public var retryBackoff: RetryBackoff
    /// Renewals due within this share of a lease's TTL are sent together with the one that is due, so
    /// leases registered close together settle into shared batches (default 1/10 of the TTL).
    public var coalesceFraction: Double

    /// Creates options.
    public init(prefix: String = RegistryKeys.defaultPrefix, ownerIdentity: String = LeaseOwnership.defaultIdentity,
                keepaliveBatchSize: Int = 256, maxConcurrentRequests: Int = 16,
                retryBackoff: RetryBackoff = RetryBackoff(initial: .milliseconds(250), max: .seconds(5)),
                coalesceFraction: Double = 0.1) {
        keys = RegistryKeys(prefix: prefix)
        ownership = LeaseOwnership(identity: ownerIdentity)
        self.keepaliveBatchSize = max(1, keepaliveBatchSize)
        self.maxConcurrentRequests = max(1, maxConcurrentRequests)
        self.retryBackoff = retryBackoff
        self.coalesceFraction = min(max(coalesceFraction, 0), 0.3)
    }
}
