import Foundation

/// coordination.k8s.io/v1 Lease: the lock object of leader election.
///
/// Every field is modelled, so the read-modify-write (PUT) that leader election does loses nothing.
public struct Lease: Resource, PreservesUnknownFields, Hashable {
    /// `leases` in `coordination.k8s.io/v1`, namespaced.
    public static let resource = DynamicResource(group: "coordination.k8s.io", version: "v1", plural: "leases",
                                                 kind: "Lease")

    /// `coordination.k8s.io/v1`.
    public var apiVersion: String?
    /// `Lease`.
    public var kind: String?
    /// Standard object metadata.
    public var metadata: ObjectMeta
    /// The lease state.
    public var spec: LeaseSpec?

    /// Fields of the server's object this model does not represent; sent back on update.
    public var unknownFields = UnknownFields()

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, spec }

    /// Creates a lease.
    public init(metadata: ObjectMeta, spec: LeaseSpec? = nil) {
        apiVersion = Self.apiVersion
        kind = Self.kind
        self.metadata = metadata
        self.spec = spec
    }
}

/// coordination.k8s.io/v1 LeaseSpec.
public struct LeaseSpec: Codable, Hashable, Sendable {
    /// The identity of the current holder.
    public var holderIdentity: String?
    /// How long candidates wait after the last renewal before taking over.
    public var leaseDurationSeconds: Int?
    /// When the current holder acquired the lease.
    public var acquireTime: MicroTime?
    /// When the holder last renewed it.
    public var renewTime: MicroTime?
    /// How often the lease changed holders.
    public var leaseTransitions: Int?
    /// Coordinated leader election strategy (alpha).
    public var strategy: String?
    /// Coordinated leader election preferred holder (alpha).
    public var preferredHolder: String?

    /// Creates a lease spec.
    public init(holderIdentity: String? = nil, leaseDurationSeconds: Int? = nil, acquireTime: MicroTime? = nil,
                renewTime: MicroTime? = nil, leaseTransitions: Int? = nil, strategy: String? = nil,
                preferredHolder: String? = nil) {
        self.holderIdentity = holderIdentity
        self.leaseDurationSeconds = leaseDurationSeconds
        self.acquireTime = acquireTime
        self.renewTime = renewTime
        self.leaseTransitions = leaseTransitions
        self.strategy = strategy
        self.preferredHolder = preferredHolder
    }
}
