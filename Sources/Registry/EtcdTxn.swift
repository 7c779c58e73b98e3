import Foundation
import RuntimeCore

/// One condition of a transaction: a field of `key` (or of every key in a range) compared with a value.
public struct EtcdCompare: Sendable, Equatable {
    /// How the key's field relates to the given value.
    public enum Result: String, Sendable, Equatable {
        /// Equal.
        case equal = "EQUAL"
        /// Not equal.
        case notEqual = "NOT_EQUAL"
        /// The key's field is greater.
        case greater = "GREATER"
        /// The key's field is less.
        case less = "LESS"
    }

    /// Which field is compared, and with what. A missing key has version, create and mod revision,
    /// and lease 0, and an empty value.
    public enum Target: Sendable, Equatable {
        /// Number of modifications since creation.
        case version(Int64)
        /// The revision of the key's creation (0 = absent).
        case createRevision(Int64)
        /// The revision of the key's last modification.
        case modRevision(Int64)
        /// The value bytes.
        case value(Data)
        /// The attached lease id (0 = none).
        case lease(Int64)
    }

    /// The key whose field is compared.
    public var key: String
    /// Compare every key in `[key, rangeEnd)` instead of one key.
    public var rangeEnd: Data?
    /// The field and the value to compare with.
    public var target: Target
    /// The relation that must hold.
    public var result: Result

    /// Creates a comparison.
    public init(key: String, _ target: Target, _ result: Result = .equal, rangeEnd: Data? = nil) {
        self.key = key
        self.target = target
        self.result = result
        self.rangeEnd = rangeEnd
    }

    /// True when `key` does not exist.
    public static func absent(_ key: String) -> EtcdCompare { EtcdCompare(key: key, .createRevision(0)) }

    /// True when `key` is attached to `lease`.
    public static func leased(_ key: String, to lease: Int64) -> EtcdCompare { EtcdCompare(key: key, .lease(lease)) }

    /// True when `key` was last modified at `revision` (compare-and-swap on a read).
    public static func unchanged(_ key: String, since revision: Int64) -> EtcdCompare {
        EtcdCompare(key: key, .modRevision(revision))
    }

    var json: JSON {
        var j: JSON = ["key": EtcdEncode.bytes(key), "result": .string(result.rawValue)]
        if let rangeEnd { j["range_end"] = EtcdEncode.bytes(rangeEnd) }
        switch target {
        case .version(let v): j["target"] = "VERSION"; j["version"] = EtcdEncode.int(v)
        case .createRevision(let v): j["target"] = "CREATE"; j["create_revision"] = EtcdEncode.int(v)
        case .modRevision(let v): j["target"] = "MOD"; j["mod_revision"] = EtcdEncode.int(v)
        case .value(let v): j["target"] = "VALUE"; j["value"] = EtcdEncode.bytes(v)
        case .lease(let v): j["target"] = "LEASE"; j["lease"] = EtcdEncode.int(v)
        }
        return j
    }
}

/// One operation inside a transaction branch.
public indirect enum EtcdTxnOp: Sendable, Equatable {
    /// A read.
    case range(EtcdRangeRequest)
    /// A write.
    case put(EtcdPutRequest)
    /// A delete.
    case delete(EtcdDeleteRequest)
    /// A nested transaction (etcd 3.3+): how to express "if A then X else if B then Y else Z" atomically.
    case txn(EtcdTxnRequest)

    var json: JSON {
        switch self {
        case .range(let r): return ["request_range": r.json]
        case .put(let p): return ["request_put": p.json]
        case .delete(let d): return ["request_delete_range": d.json]
        case .txn(let t): return ["request_txn": t.json]
        }
    }
}

/// The answer to one operation of the branch that ran.
public indirect enum EtcdTxnOpResponse: Sendable, Equatable {
    /// Answer to a read.
    case range(EtcdRangeResponse)
    /// Answer to a write.
    case put(EtcdPutResponse)
    /// Answer to a delete.
    case delete(EtcdDeleteResponse)
    /// Answer to a nested transaction.
    case txn(EtcdTxnResponse)

    init(json: JSON) throws(EtcdError) {
        // The gateway omits the empty inner message of a put/delete answer, so only the member name tells.
        if let r = json.objectValue?["response_range"] ?? json.objectValue?["responseRange"] {
            self = .range(EtcdRangeResponse(json: r))
        } else if let p = json.objectValue?["response_put"] ?? json.objectValue?["responsePut"] {
            self = .put(EtcdPutResponse(json: p))
        } else if let d = json.objectValue?["response_delete_range"] ?? json.objectValue?["responseDeleteRange"] {
            self = .delete(EtcdDeleteResponse(json: d))
        } else if let t = json.objectValue?["response_txn"] ?? json.objectValue?["responseTxn"] {
            self = .txn(try EtcdTxnResponse(json: t))
        } else {
            throw .invalidResponse("unknown transaction response \(json.serialized())")
        }
    }

    /// The range answer, if this was a read.
    public var rangeResponse: EtcdRangeResponse? { if case .range(let r) = self { return r } else { return nil } }
    /// The put answer, if this was a write.
    public var putResponse: EtcdPutResponse? { if case .put(let p) = self { return p } else { return nil } }
    /// The delete answer, if this was a delete.
    public var deleteResponse: EtcdDeleteResponse? { if case .delete(let d) = self { return d } else { return nil } }
    /// The nested transaction's answer, if this was one.
    public var txnResponse: EtcdTxnResponse? { if case .txn(let t) = self { return t } else { return nil } }
}

/// An atomic transaction (`/v3/kv/txn`): if every comparison holds, `success` runs, otherwise `failure`.
public struct EtcdTxnRequest: Sendable, Equatable {
    /// Conditions, all of which must hold (etcd has no OR).
    public var compare: [EtcdCompare]
    /// Operations when all conditions hold.
    public var success: [EtcdTxnOp]
    /// Operations otherwise.
    public var failure: [EtcdTxnOp]

    /// Creates a transaction.
    public init(compare: [EtcdCompare], success: [EtcdTxnOp], failure: [EtcdTxnOp] = []) {
        self.compare = compare
        self.success = success
        self.failure = failure
    }

    var json: JSON {
        var j: JSON = [:]
        if !compare.isEmpty { j["compare"] = .array(compare.map(\.json)) }
        if !success.isEmpty { j["success"] = .array(success.map(\.json)) }
        if !failure.isEmpty { j["failure"] = .array(failure.map(\.json)) }
        return j
    }
}

/// The answer to a transaction.
public struct EtcdTxnResponse: Sendable, Equatable {
    /// The response header; its revision is the store revision after the transaction.
    public var header: EtcdResponseHeader
    /// True when the conditions held and `success` ran.
    public var succeeded: Bool
    /// One answer per operation of the branch that ran.
    public var responses: [EtcdTxnOpResponse]

    init(json: JSON) throws(EtcdError) {
        header = EtcdResponseHeader(json: json["header"])
        succeeded = json.etcdBool("succeeded")
        var rs: [EtcdTxnOpResponse] = []
        for r in json.etcdArray("responses") { rs.append(try EtcdTxnOpResponse(json: r)) }
        responses = rs
    }
}

extension EtcdClient {
    /// Runs a transaction.
    public func txn(_ request: EtcdTxnRequest) async throws(EtcdError) -> EtcdTxnResponse {
        let json = try await call("/v3/kv/txn", request.json)
        return try EtcdTxnResponse(json: json)
    }
}
