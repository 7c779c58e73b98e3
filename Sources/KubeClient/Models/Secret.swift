import Foundation

/// core/v1 Secret.
///
/// Every field is modelled, so a read-modify-write (PUT) through this type loses nothing.
/// `data` values are the decoded bytes; they travel base64-encoded, as the API expects.
public struct Secret: Resource, PreservesUnknownFields, Hashable {
    /// `secrets` in the core group, namespaced.
    public static let resource = DynamicResource(group: "", version: "v1", plural: "secrets", kind: "Secret")

    /// `v1`.
    public var apiVersion: String?
    /// `Secret`.
    public var kind: String?
    /// Standard object metadata.
    public var metadata: ObjectMeta
    /// The secret bytes per key (base64 on the wire).
    public var data: [String: Data]?
    /// Write-only plain-text convenience: merged into `data` by the server, never returned.
    public var stringData: [String: String]?
    /// `Opaque`, `kubernetes.io/tls`, ...
    public var type: String?
    /// When true, the data can no longer change.
    public var immutable: Bool?

    /// Fields of the server's object this model does not represent; sent back on update.
    public var unknownFields = UnknownFields()

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, data, stringData, type, immutable }

    /// Creates a secret.
    public init(metadata: ObjectMeta, data: [String: Data]? = nil, stringData: [String: String]? = nil,
                type: String? = nil, immutable: Bool? = nil) {
        apiVersion = Self.apiVersion
        kind = Self.kind
        self.metadata = metadata
        self.data = data
        self.stringData = stringData
        self.type = type
        self.immutable = immutable
    }

    /// The value of `key` as UTF-8 text, if present and valid.
    public func string(_ key: String) -> String? {
        if let d = data?[key] { return String(data: d, encoding: .utf8) }
        return stringData?[key]
    }
}

/// core/v1 ConfigMap.
///
/// Every field is modelled, so a read-modify-write through this type loses nothing.
public struct ConfigMap: Resource, PreservesUnknownFields, Hashable {
    /// `configmaps` in the core group, namespaced.
    public static let resource = DynamicResource(group: "", version: "v1", plural: "configmaps", kind: "ConfigMap")

    /// `v1`.
    public var apiVersion: String?
    /// `ConfigMap`.
    public var kind: String?
    /// Standard object metadata.
    public var metadata: ObjectMeta
    /// UTF-8 values per key.
    public var data: [String: String]?
    /// Binary values per key (base64 on the wire).
    public var binaryData: [String: Data]?
    /// When true, the data can no longer change.
    public var immutable: Bool?

    /// Fields of the server's object this model does not represent; sent back on update.
    public var unknownFields = UnknownFields()

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, data, binaryData, immutable }

    /// Creates a config map.
    public init(metadata: ObjectMeta, data: [String: String]? = nil, binaryData: [String: Data]? = nil,
                immutable: Bool? = nil) {
        apiVersion = Self.apiVersion
        kind = Self.kind
        self.metadata = metadata
        self.data = data
        self.binaryData = binaryData
        self.immutable = immutable
    }
}
