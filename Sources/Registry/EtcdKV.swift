import Foundation
import RuntimeCore

/// A read of one key or a key range (`/v3/kv/range`).
public struct EtcdRangeRequest: Sendable, Equatable {
    /// The first key (or the only key when `rangeEnd` is nil).
    public var key: String
    /// The end of the range, exclusive; nil reads one key. See ``prefix(_:)``.
    public var rangeEnd: Data?
    /// At most this many keys; 0 means no limit.
    public var limit: Int64
    /// Leave values out of the answer.
    public var keysOnly: Bool
    /// Return only the count.
    public var countOnly: Bool
    /// Read at this revision (0 = current); fails with ``EtcdError/compacted(compactRevision:)`` when too old.
    public var revision: Int64

    /// Creates a range request.
    public init(key: String, rangeEnd: Data? = nil, limit: Int64 = 0, keysOnly: Bool = false,
                countOnly: Bool = false, revision: Int64 = 0) {
        self.key = key
        self.rangeEnd = rangeEnd
        self.limit = limit
        self.keysOnly = keysOnly
        self.countOnly = countOnly
        self.revision = revision
    }

    /// Every key that starts with `prefix`.
    public static func prefix(_ prefix: String, limit: Int64 = 0, keysOnly: Bool = false, countOnly: Bool = false,
                              revision: Int64 = 0) -> EtcdRangeRequest {
        EtcdRangeRequest(key: prefix, rangeEnd: EtcdEncode.prefixRangeEnd(Data(prefix.utf8)), limit: limit,
                         keysOnly: keysOnly, countOnly: countOnly, revision: revision)
    }

    var json: JSON {
        var j: JSON = ["key": EtcdEncode.bytes(key)]
        if let rangeEnd { j["range_end"] = EtcdEncode.bytes(rangeEnd) }
        if limit > 0 { j["limit"] = EtcdEncode.int(limit) }
        if keysOnly { j["keys_only"] = true }
        if countOnly { j["count_only"] = true }
        if revision > 0 { j["revision"] = EtcdEncode.int(revision) }
        return j
    }
}

/// The answer to a range read.
public struct EtcdRangeResponse: Sendable, Equatable {
    /// The response header (its revision is the store revision the read saw).
    public var header: EtcdResponseHeader
    /// The keys found, in key order.
    public var kvs: [EtcdKeyValue]
    /// True when `limit` cut the answer short.
    public var more: Bool
    /// Number of keys in the range (regardless of `limit`).
    public var count: Int64

    init(json: JSON) {
        header = EtcdResponseHeader(json: json["header"])
        kvs = json.etcdArray("kvs").map(EtcdKeyValue.init(json:))
        more = json.etcdBool("more")
        count = json.etcdInt64("count")
    }
}

/// A write of one key (`/v3/kv/put`).
public struct EtcdPutRequest: Sendable, Equatable {
    /// The key.
    public var key: String
    /// The new value.
    public var value: Data
    /// Attach the key to this lease (0 = none); the key is deleted when the lease expires or is revoked.
    public var lease: Int64
    /// Return the previous key-value pair.
    public var prevKV: Bool

    /// Creates a put.
    public init(key: String, value: Data, lease: Int64 = 0, prevKV: Bool = false) {
        self.key = key
        self.value = value
        self.lease = lease
        self.prevKV = prevKV
    }

    var json: JSON {
        var j: JSON = ["key": EtcdEncode.bytes(key), "value": EtcdEncode.bytes(value)]
        if lease != 0 { j["lease"] = EtcdEncode.int(lease) }
        if prevKV { j["prev_kv"] = true }
        return j
    }
}

/// The answer to a put.
public struct EtcdPutResponse: Sendable, Equatable {
    /// The response header; its revision is the revision of this write.
    public var header: EtcdResponseHeader
    /// The previous pair, when asked for and the key existed.
    public var prevKV: EtcdKeyValue?

    init(json: JSON) {
        header = EtcdResponseHeader(json: json["header"])
        let prev = json.etcdField("prev_kv")
        prevKV = prev.isNull ? nil : EtcdKeyValue(json: prev)
    }
}

/// A delete of one key or a range (`/v3/kv/deleterange`).
public struct EtcdDeleteRequest: Sendable, Equatable {
    /// The first key (or the only key when `rangeEnd` is nil).
    public var key: String
    /// The end of the range, exclusive.
    public var rangeEnd: Data?
    /// Return the deleted pairs.
    public var prevKV: Bool

    /// Creates a delete.
    public init(key: String, rangeEnd: Data? = nil, prevKV: Bool = false) {
        self.key = key
        self.rangeEnd = rangeEnd
        self.prevKV = prevKV
    }

    /// Deletes every key that starts with `prefix`.
    public static func prefix(_ prefix: String, prevKV: Bool = false) -> EtcdDeleteRequest {
        EtcdDeleteRequest(key: prefix, rangeEnd: EtcdEncode.prefixRangeEnd(Data(prefix.utf8)), prevKV: prevKV)
    }

    var json: JSON {
        var j: JSON = ["key": EtcdEncode.bytes(key)]
        if let rangeEnd { j["range_end"] = EtcdEncode.bytes(rangeEnd) }
        if prevKV { j["prev_kv"] = true }
        return j
    }
}

/// The answer to a delete.
public struct EtcdDeleteResponse: Sendable, Equatable {
    /// The response header.
    public var header: EtcdResponseHeader
    /// Number of keys deleted.
    public var deleted: Int64
    /// The deleted pairs, when asked for.
    public var prevKVs: [EtcdKeyValue]

    init(json: JSON) {
        header = EtcdResponseHeader(json: json["header"])
        deleted = json.etcdInt64("deleted")
        prevKVs = json.etcdArray("prev_kvs").map(EtcdKeyValue.init(json:))
    }
}

extension EtcdClient {
    /// Reads a key or a range.
    public func range(_ request: EtcdRangeRequest) async throws(EtcdError) -> EtcdRangeResponse {
        let json = try await call("/v3/kv/range", request.json)
        return EtcdRangeResponse(json: json)
    }

    /// Reads one key; nil when it does not exist.
    public func get(_ key: String) async throws(EtcdError) -> EtcdKeyValue? {
        try await range(EtcdRangeRequest(key: key)).kvs.first
    }

    /// Reads every key under a prefix.
    public func getPrefix(_ prefix: String, limit: Int64 = 0, revision: Int64 = 0)
        async throws(EtcdError) -> EtcdRangeResponse
    {
        try await range(.prefix(prefix, limit: limit, revision: revision))
    }

    /// Writes a key.
    @discardableResult
    public func put(_ request: EtcdPutRequest) async throws(EtcdError) -> EtcdPutResponse {
        let json = try await call("/v3/kv/put", request.json)
        return EtcdPutResponse(json: json)
    }

    /// Writes a key with a text value.
    @discardableResult
    public func put(_ key: String, _ value: String, lease: Int64 = 0, prevKV: Bool = false)
        async throws(EtcdError) -> EtcdPutResponse
    {
        try await put(EtcdPutRequest(key: key, value: Data(value.utf8), lease: lease, prevKV: prevKV))
    }

    /// Deletes a key or a range.
    @discardableResult
    public func delete(_ request: EtcdDeleteRequest) async throws(EtcdError) -> EtcdDeleteResponse {
        let json = try await call("/v3/kv/deleterange", request.json)
        return EtcdDeleteResponse(json: json)
    }

    /// Deletes one key; returns how many keys went (0 or 1).
    @discardableResult
    public func delete(_ key: String) async throws(EtcdError) -> Int64 {
        try await delete(EtcdDeleteRequest(key: key)).deleted
    }

    /// Compacts the key history up to `revision` (older revisions can no longer be read or watched).
    public func compact(revision: Int64, physical: Bool = false) async throws(EtcdError) {
        var body: JSON = ["revision": EtcdEncode.int(revision)]
        if physical { body["physical"] = true }
        _ = try await call("/v3/kv/compaction", body)
    }
}
