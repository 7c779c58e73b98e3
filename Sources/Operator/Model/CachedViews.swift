import Foundation
import KubeClient
import RuntimeCore

/// What the operator caches of a pod: metadata and status, no spec.
///
/// Why not the typed `Pod`: a full pod is ~9 KB of JSON, and KubeClient keeps every server field the
/// model does not know (``PreservesUnknownFields``) so that a read-modify-write loses nothing. The
/// operator never writes a pod back (it creates and deletes them), so its cache keeps only what the
/// reconcile reads: at a thousand sessions this is most of the difference between ~90 MB and the
/// budget of 50 MB resident (docs/bench-operator.md).
public struct PodView: KubeObject, Hashable {
    /// Metadata (labels, the spec-hash annotation, owner references, deletion state).
    public var metadata: ObjectMeta
    /// The kubelet's view: phase, conditions, IP, start time, container states.
    public var status: PodStatus?

    enum CodingKeys: String, CodingKey { case metadata, status }

    /// A view of a pod.
    public init(_ pod: Pod) {
        metadata = pod.metadata.compactedForOwnedObject()
        status = pod.status
    }

    /// A view from parts (tests).
    public init(metadata: ObjectMeta, status: PodStatus? = nil) {
        self.metadata = metadata
        self.status = status
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        metadata = try c.decode(ObjectMeta.self, forKey: .metadata).compactedForOwnedObject()
        // A status this model cannot read is treated as "not reported yet" rather than failing the list.
        status = (try? c.decodeIfPresent(PodStatus.self, forKey: .status)) ?? nil
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(metadata, forKey: .metadata)
        try c.encodeIfPresent(status, forKey: .status)
    }
}

/// What the operator caches of a credentials Secret: metadata and the supervisor token. The MCP key is
/// never held in memory beyond the write that copies it.
public struct SecretView: KubeObject, Hashable {
    /// Metadata (owner references, the key-source annotation).
    public var metadata: ObjectMeta
    /// `supervisor-token`, decoded.
    public var supervisorToken: String?

    private struct DataKeys: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    enum CodingKeys: String, CodingKey { case metadata, data }

    /// A view of a Secret.
    public init(_ secret: Secret) {
        metadata = secret.metadata.compactedForOwnedObject()
        supervisorToken = secret.string(CredentialsSecret.tokenKey)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        metadata = try c.decode(ObjectMeta.self, forKey: .metadata).compactedForOwnedObject()
        if let data = try? c.nestedContainer(keyedBy: DataKeys.self, forKey: .data),
           let b64 = try? data.decodeIfPresent(String.self, forKey: DataKeys(stringValue: CredentialsSecret.tokenKey)),
           let bytes = Data(base64Encoded: b64) {
            supervisorToken = String(data: bytes, encoding: .utf8)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(metadata, forKey: .metadata)
        if let t = supervisorToken {
            var data = c.nestedContainer(keyedBy: DataKeys.self, forKey: .data)
            try data.encode(Data(t.utf8).base64EncodedString(), forKey: DataKeys(stringValue: CredentialsSecret.tokenKey))
        }
    }
}
