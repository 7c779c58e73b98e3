import Foundation
import RuntimeCore

/// core/v1 PersistentVolumeClaim.
public struct PersistentVolumeClaim: Resource, PreservesUnknownFields, Hashable {
    /// `persistentvolumeclaims` in the core group, namespaced.
    public static let resource = DynamicResource(group: "", version: "v1", plural: "persistentvolumeclaims",
                                                 kind: "PersistentVolumeClaim")

    /// `v1`.
    public var apiVersion: String?
    /// `PersistentVolumeClaim`.
    public var kind: String?
    /// Standard object metadata.
    public var metadata: ObjectMeta
    /// The desired state.
    public var spec: PersistentVolumeClaimSpec?
    /// The observed state.
    public var status: PersistentVolumeClaimStatus?

    /// Fields of the server's object this model does not represent; sent back on update.
    public var unknownFields = UnknownFields()

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, spec, status }

    /// Creates a claim.
    public init(metadata: ObjectMeta, spec: PersistentVolumeClaimSpec? = nil, status: PersistentVolumeClaimStatus? = nil) {
        apiVersion = Self.apiVersion
        kind = Self.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

/// core/v1 PersistentVolumeClaimSpec.
public struct PersistentVolumeClaimSpec: Codable, Hashable, Sendable {
    /// `ReadWriteOnce`, `ReadOnlyMany`, `ReadWriteMany`, `ReadWriteOncePod`.
    public var accessModes: [String]?
    /// The requested size (`requests.storage`) and optional limits.
    public var resources: ResourceRequirements?
    /// The StorageClass; nil uses the cluster default, empty string means none.
    public var storageClassName: String?
    /// The bound volume's name.
    public var volumeName: String?
    /// `Filesystem` or `Block`.
    public var volumeMode: String?
    /// Restricts which volumes may bind.
    public var selector: LabelSelector?
    /// Populate from a snapshot or another claim, untyped.
    public var dataSource: JSON?
    /// Populate from any populator, untyped.
    public var dataSourceRef: JSON?
    /// The VolumeAttributesClass, if any.
    public var volumeAttributesClassName: String?

    /// Creates a claim spec.
    public init(accessModes: [String]? = nil, resources: ResourceRequirements? = nil,
                storageClassName: String? = nil, volumeName: String? = nil, volumeMode: String? = nil,
                selector: LabelSelector? = nil) {
        self.accessModes = accessModes
        self.resources = resources
        self.storageClassName = storageClassName
        self.volumeName = volumeName
        self.volumeMode = volumeMode
        self.selector = selector
    }
}

/// core/v1 PersistentVolumeClaimStatus.
public struct PersistentVolumeClaimStatus: Codable, Hashable, Sendable {
    /// `Pending`, `Bound` or `Lost`.
    public var phase: String?
    /// The access modes of the bound volume.
    public var accessModes: [String]?
    /// The actual size of the bound volume.
    public var capacity: [String: Quantity]?
    /// Resize conditions and others, untyped.
    public var conditions: [JSON]?

    /// Creates a claim status.
    public init(phase: String? = nil, accessModes: [String]? = nil, capacity: [String: Quantity]? = nil) {
        self.phase = phase
        self.accessModes = accessModes
        self.capacity = capacity
    }
}
