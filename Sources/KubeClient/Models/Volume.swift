import Foundation
import RuntimeCore

/// core/v1 Volume: a named volume of a pod.
///
/// The sources the operator uses are typed; the rarer ones are kept as raw JSON so that they survive
/// a read-modify-write unchanged.
public struct Volume: Codable, Hashable, Sendable {
    /// The name, referenced by volume mounts.
    public var name: String
    /// A scratch directory that lives as long as the pod.
    public var emptyDir: EmptyDirVolumeSource?
    /// The keys of a Secret as files.
    public var secret: SecretVolumeSource?
    /// The keys of a ConfigMap as files.
    public var configMap: ConfigMapVolumeSource?
    /// A PersistentVolumeClaim.
    public var persistentVolumeClaim: PersistentVolumeClaimVolumeSource?
    /// Projected sources (service account tokens, secrets, ...), untyped.
    public var projected: JSON?
    /// Downward API files, untyped.
    public var downwardAPI: JSON?
    /// A host path, untyped.
    public var hostPath: JSON?
    /// A CSI volume, untyped.
    public var csi: JSON?
    /// A generic ephemeral volume, untyped.
    public var ephemeral: JSON?

    /// Creates a volume.
    public init(name: String, emptyDir: EmptyDirVolumeSource? = nil, secret: SecretVolumeSource? = nil,
                configMap: ConfigMapVolumeSource? = nil,
                persistentVolumeClaim: PersistentVolumeClaimVolumeSource? = nil, projected: JSON? = nil,
                downwardAPI: JSON? = nil, hostPath: JSON? = nil) {
        self.name = name
        self.emptyDir = emptyDir
        self.secret = secret
        self.configMap = configMap
        self.persistentVolumeClaim = persistentVolumeClaim
        self.projected = projected
        self.downwardAPI = downwardAPI
        self.hostPath = hostPath
    }
}

/// core/v1 EmptyDirVolumeSource.
public struct EmptyDirVolumeSource: Codable, Hashable, Sendable {
    /// `""` (node disk) or `Memory` (tmpfs).
    public var medium: String?
    /// The most the volume may hold.
    public var sizeLimit: Quantity?

    /// Creates an emptyDir source.
    public init(medium: String? = nil, sizeLimit: Quantity? = nil) {
        self.medium = medium
        self.sizeLimit = sizeLimit
    }
}

/// core/v1 KeyToPath: projects one key to a file path.
public struct KeyToPath: Codable, Hashable, Sendable {
    /// The key.
    public var key: String
    /// The relative file path.
    public var path: String
    /// The file mode.
    public var mode: Int?

    /// Creates a projection.
    public init(key: String, path: String, mode: Int? = nil) {
        self.key = key
        self.path = path
        self.mode = mode
    }
}

/// core/v1 SecretVolumeSource.
public struct SecretVolumeSource: Codable, Hashable, Sendable {
    /// The Secret's name.
    public var secretName: String?
    /// Keys to project (default: all).
    public var items: [KeyToPath]?
    /// The default file mode.
    public var defaultMode: Int?
    /// Do not fail when the Secret is missing.
    public var optional: Bool?

    /// Creates a source.
    public init(secretName: String? = nil, items: [KeyToPath]? = nil, defaultMode: Int? = nil, optional: Bool? = nil) {
        self.secretName = secretName
        self.items = items
        self.defaultMode = defaultMode
        self.optional = optional
    }
}

/// core/v1 ConfigMapVolumeSource.
public struct ConfigMapVolumeSource: Codable, Hashable, Sendable {
    /// The ConfigMap's name.
    public var name: String?
    /// Keys to project (default: all).
    public var items: [KeyToPath]?
    /// The default file mode.
    public var defaultMode: Int?
    /// Do not fail when the ConfigMap is missing.
    public var optional: Bool?

    /// Creates a source.
    public init(name: String? = nil, items: [KeyToPath]? = nil, defaultMode: Int? = nil, optional: Bool? = nil) {
        self.name = name
        self.items = items
        self.defaultMode = defaultMode
        self.optional = optional
    }
}

/// core/v1 PersistentVolumeClaimVolumeSource.
public struct PersistentVolumeClaimVolumeSource: Codable, Hashable, Sendable {
    /// The claim's name in the pod's namespace.
    public var claimName: String
    /// Mount read-only.
    public var readOnly: Bool?

    /// Creates a source.
    public init(claimName: String, readOnly: Bool? = nil) {
        self.claimName = claimName
        self.readOnly = readOnly
    }
}
