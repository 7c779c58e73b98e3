import Foundation

/// The Parallax key layout: `<prefix>/services/agent/<agentId>`, prefix `/parallax` by default.
public struct RegistryKeys: Sendable, Equatable {
    /// The prefix without a trailing slash (`/parallax`).
    public let prefix: String

    /// The default prefix.
    public static let defaultPrefix = "/parallax"

    /// Creates the layout for `prefix`; trailing slashes are dropped, and a missing leading slash added.
    public init(prefix: String = RegistryKeys.defaultPrefix) {
        var p = prefix
        while p.hasSuffix("/") { p.removeLast() }
        if !p.isEmpty, !p.hasPrefix("/") { p = "/" + p }
        self.prefix = p
    }

    /// The directory holding every agent: `<prefix>/services/agent/`.
    public var agentsPrefix: String { prefix + "/services/agent/" }

    /// The key of one agent.
    public func agentKey(_ agentId: String) -> String { agentsPrefix + agentId }

    /// The agent id of a key under ``agentsPrefix``, or nil for other keys.
    public func agentId(fromKey key: String) -> String? {
        guard key.hasPrefix(agentsPrefix) else { return nil }
        let id = String(key.dropFirst(agentsPrefix.count))
        return id.isEmpty || id.contains("/") ? nil : id
    }
}

/// How the registry recognises keys it owns.
///
/// The registry chooses its lease ids instead of letting etcd pick them: bits 32-62 carry an owner tag,
/// a 31-bit FNV-1a hash of the owner identity and the agent id; bits 0-31 are random. A key is "ours"
/// exactly when its lease carries our tag for that agent, which etcd itself can check in a transaction
/// (the tag makes our leases one contiguous id range, see ``ownedCompares(key:agentId:)``). That survives
/// everything the registry must handle without state outside etcd: a lost lease (the old lease id still
/// carries the tag), an operator restart (the new process computes the same tag and moves the key to its
/// own lease in the same transaction that writes it, then revokes the old lease), and a leader handover.
/// A key written by anyone else (Parallax itself, a person with etcdctl, another runtime with a
/// different identity) has a lease without our tag, or none, and is never overwritten.
public struct LeaseOwnership: Sendable, Equatable {
    /// Who we are, e.g. `agent-runtime` or `agent-runtime/cluster-a`. Runtimes sharing an etcd and a prefix
    /// must use different identities, or they would take over each other's keys for equal agent ids.
    public let identity: String

    /// The default identity.
    public static let defaultIdentity = "agent-runtime"

    /// Creates the ownership rule for `identity`.
    public init(identity: String = LeaseOwnership.defaultIdentity) { self.identity = identity }

    /// The 31-bit owner tag for one agent, in 1...0x7ffffffe (so the lease range below never overflows).
    public func tag(for agentId: String) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in Array(identity.utf8) + [0] + Array(agentId.utf8) {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let folded = (hash >> 33) ^ (hash & 0x7fff_ffff)
        return Int64(folded % 0x7fff_fffe) + 1
    }

    /// Our leases for `agentId` are exactly the ids strictly between these bounds, so etcd can check
    /// ownership inside a transaction: `lease(key) > lower AND lease(key) < upper`.
    public func leaseBounds(for agentId: String) -> (lower: Int64, upper: Int64) {
        let tag = tag(for: agentId)
        return ((tag << 32) - 1, (tag + 1) << 32)
    }

    /// The transaction conditions "the key's lease is one of ours for `agentId`" (false for a missing key
    /// or a key without lease).
    public func ownedCompares(key: String, agentId: String) -> [EtcdCompare] {
        let (lower, upper) = leaseBounds(for: agentId)
        return [EtcdCompare(key: key, .lease(lower), .greater), EtcdCompare(key: key, .lease(upper), .less)]
    }

    /// A fresh lease id carrying our tag for `agentId`.
    public func newLeaseId(for agentId: String) -> Int64 {
        (tag(for: agentId) << 32) | Int64(UInt32.random(in: 1...UInt32.max))
    }

    /// True when `lease` is one of ours for `agentId`.
    public func owns(lease: Int64, agentId: String) -> Bool {
        lease > 0 && (lease >> 32) == tag(for: agentId)
    }
}
