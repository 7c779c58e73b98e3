import Foundation
import RuntimeCore

/// The header etcd puts on every answer.
public struct EtcdResponseHeader: Sendable, Equatable {
    /// The cluster's id.
    public var clusterId: UInt64
    /// The id of the member that answered.
    public var memberId: UInt64
    /// The store revision when the request was applied (0 when the gateway left it out).
    public var revision: Int64
    /// The raft term of the member.
    public var raftTerm: UInt64

    /// Creates a header.
    public init(clusterId: UInt64 = 0, memberId: UInt64 = 0, revision: Int64 = 0, raftTerm: UInt64 = 0) {
        self.clusterId = clusterId
        self.memberId = memberId
        self.revision = revision
        self.raftTerm = raftTerm
    }

    init(json: JSON) {
        clusterId = json.etcdUInt64("cluster_id")
        memberId = json.etcdUInt64("member_id")
        revision = json.etcdInt64("revision")
        raftTerm = json.etcdUInt64("raft_term")
    }
}

/// One key-value pair as stored in etcd.
///
/// Keys are bytes in etcd; this client treats them as UTF-8 text (invalid sequences are replaced), which
/// is what every key this project reads or writes is.
public struct EtcdKeyValue: Sendable, Equatable {
    /// The key.
    public var key: String
    /// The value bytes (empty for `keys_only` reads).
    public var value: Data
    /// The revision of the last creation of the key.
    public var createRevision: Int64
    /// The revision of the last modification.
    public var modRevision: Int64
    /// Number of modifications since creation (0 means the key was deleted, in watch events).
    public var version: Int64
    /// The lease attached to the key, 0 for none.
    public var lease: Int64

    /// Creates a key-value pair.
    public init(key: String, value: Data = Data(), createRevision: Int64 = 0, modRevision: Int64 = 0,
                version: Int64 = 0, lease: Int64 = 0) {
        self.key = key
        self.value = value
        self.createRevision = createRevision
        self.modRevision = modRevision
        self.version = version
        self.lease = lease
    }

    /// The value as UTF-8 text.
    public var valueString: String { String(decoding: value, as: UTF8.self) }

    init(json: JSON) {
        key = json.etcdBytesString("key")
        value = json.etcdBytes("value")
        createRevision = json.etcdInt64("create_revision")
        modRevision = json.etcdInt64("mod_revision")
        version = json.etcdInt64("version")
        lease = json.etcdInt64("lease")
    }
}

/// etcd's JSON encoding rules, in one place.
///
/// The gateway marshals protobuf messages with the original (snake_case) field names, writes 64-bit
/// integers as strings, bytes as base64, and omits every field that holds its zero value (0, false, "",
/// empty lists, enum value 0). Readers therefore treat a missing field as zero; the camelCase spelling is
/// accepted too, in case a gateway is configured to emit it.
extension JSON {
    func etcdField(_ snake: String) -> JSON {
        let v = self[snake]
        if !v.isNull { return v }
        let camel = snakeToCamel(snake)
        return camel == snake ? .null : self[camel]
    }

    func etcdInt64(_ name: String) -> Int64 {
        switch etcdField(name) {
        case .string(let s): return Int64(s) ?? 0
        case let v: return v.intValue ?? 0
        }
    }

    func etcdUInt64(_ name: String) -> UInt64 {
        switch etcdField(name) {
        case .string(let s): return UInt64(s) ?? 0
        case let v: return v.intValue.map { UInt64(bitPattern: $0) } ?? 0
        }
    }

    func etcdBool(_ name: String) -> Bool {
        switch etcdField(name) {
        case .bool(let b): return b
        case .string(let s): return s == "true"
        default: return false
        }
    }

    func etcdBytes(_ name: String) -> Data {
        guard let s = etcdField(name).stringValue else { return Data() }
        return Data(base64Encoded: s) ?? Data()
    }

    func etcdBytesString(_ name: String) -> String { String(decoding: etcdBytes(name), as: UTF8.self) }

    func etcdArray(_ name: String) -> [JSON] { etcdField(name).arrayValue ?? [] }
}

func snakeToCamel(_ s: String) -> String {
    var out = ""
    var upper = false
    for c in s {
        if c == "_" { upper = true; continue }
        out.append(upper ? Character(c.uppercased()) : c)
        upper = false
    }
    return out
}

/// Encoders for request fields.
enum EtcdEncode {
    /// Keys and values travel as base64.
    static func bytes(_ s: String) -> JSON { .string(Data(s.utf8).base64EncodedString()) }
    static func bytes(_ d: Data) -> JSON { .string(d.base64EncodedString()) }
    /// int64 fields are sent as strings, which the gateway accepts everywhere and which never lose precision.
    static func int(_ i: Int64) -> JSON { .string(String(i)) }

    /// The `range_end` that makes a range cover every key starting with `prefix` (etcd's `GetPrefixRangeEnd`):
    /// the prefix with its last byte below 0xff incremented and the rest dropped; `\0` (all keys) when the
    /// prefix is all 0xff bytes or empty.
    static func prefixRangeEnd(_ prefix: Data) -> Data {
        var bytes = [UInt8](prefix)
        while let last = bytes.last {
            if last < 0xff {
                bytes[bytes.count - 1] = last + 1
                return Data(bytes)
            }
            bytes.removeLast()
        }
        return Data([0])
    }
}
