import Foundation
import RuntimeCore

/// A granted lease.
public struct EtcdLeaseGrant: Sendable, Equatable {
    /// The response header.
    public var header: EtcdResponseHeader
    /// The lease id.
    public var id: Int64
    /// The TTL etcd granted, in seconds (it may raise a TTL below its minimum).
    public var ttl: Int64
}

/// What etcd knows about a lease.
public struct EtcdLeaseTimeToLive: Sendable, Equatable {
    /// The lease id.
    public var id: Int64
    /// Seconds left; -1 when the lease does not exist (expired or revoked).
    public var ttl: Int64
    /// The TTL the lease was granted with.
    public var grantedTTL: Int64
    /// Keys attached to the lease, when asked for.
    public var keys: [String]

    /// True when the lease still exists.
    public var exists: Bool { ttl > 0 }
}

/// The answer to one renewal in a keepalive batch.
public struct EtcdKeepAliveResult: Sendable, Equatable {
    /// The lease id.
    public var id: Int64
    /// The TTL the lease was renewed to; 0 when the lease no longer exists.
    public var ttl: Int64

    /// False when etcd no longer knows the lease: it expired or was revoked, and its keys are gone.
    public var isAlive: Bool { ttl > 0 }
}

extension EtcdClient {
    /// Grants a lease of `ttl` seconds. `id` 0 lets etcd choose the id; a chosen id that is taken fails
    /// with ``EtcdError/server(code:message:httpStatus:)`` (FailedPrecondition, "lease already exists").
    public func grantLease(ttl: Int64, id: Int64 = 0) async throws(EtcdError) -> EtcdLeaseGrant {
        var body: JSON = ["TTL": EtcdEncode.int(ttl)]
        if id != 0 { body["ID"] = EtcdEncode.int(id) }
        let json = try await call("/v3/lease/grant", body)
        if let error = json["error"].stringValue, !error.isEmpty {
            throw .server(code: GRPCCode.unknown, message: error, httpStatus: 200)
        }
        let grant = EtcdLeaseGrant(header: EtcdResponseHeader(json: json["header"]), id: json.etcdInt64("ID"),
                                   ttl: json.etcdInt64("TTL"))
        guard grant.id != 0 else { throw .invalidResponse("/v3/lease/grant: no lease id in the answer") }
        return grant
    }

    /// Renews a lease once and returns its new TTL; throws ``EtcdError/leaseNotFound(_:)`` when the
    /// lease is gone (etcd answers without a TTL, or with 0).
    @discardableResult
    public func keepAlive(lease id: Int64) async throws(EtcdError) -> Int64 {
        let results = try await keepAlive(leases: [id])
        guard let ttl = results[id] else {
            throw .invalidResponse("/v3/lease/keepalive: no answer for lease \(id)")
        }
        guard ttl > 0 else { throw .leaseNotFound(id) }
        return ttl
    }

    /// Renews many leases with as few HTTP requests as possible and returns the new TTL per lease
    /// (0 = lease gone).
    ///
    /// `/v3/lease/keepalive` is a gRPC bidirectional stream behind the gateway: the gateway sends every
    /// JSON object of the request body as one stream message and writes one answer line per message, so
    /// one HTTP request can renew many leases. But etcd's gateway runs on Go's HTTP/1.1 server, which
    /// discards whatever of the request body the handler has not read yet once it starts writing the
    /// response; the gateway reads the body with a JSON decoder 512 bytes at first, and answers as soon
    /// as the first renewal is done. So a body above 512 bytes (about 18 renewals) is sometimes cut short
    /// and only its first renewals are answered. This method therefore sends whatever was not answered
    /// again, until every lease has an answer (each round answers at least the leases in the first 512
    /// bytes). Leases still without an answer after that (the stream failed) are missing from the
    /// result: their state is unknown, not lost.
    public func keepAlive(leases ids: [Int64]) async throws(EtcdError) -> [Int64: Int64] {
        var out: [Int64: Int64] = [:]
        var pending = ids
        for _ in 0..<64 where !pending.isEmpty {
            let (answers, streamError) = try await keepAliveOnce(pending)
            let before = out.count
            out.merge(answers) { _, new in new }
            pending = pending.filter { out[$0] == nil }
            if out.count == before {
                // No progress: the stream failed before answering anything.
                if out.isEmpty, let streamError { throw streamError }
                break
            }
        }
        return out
    }

    private func keepAliveOnce(_ ids: [Int64]) async throws(EtcdError) -> ([Int64: Int64], EtcdError?) {
        let lines = try await callStreaming("/v3/lease/keepalive", messages: ids.map { ["ID": EtcdEncode.int($0)] })
        var out: [Int64: Int64] = [:]
        var streamError: EtcdError?
        for line in lines {
            let result = line["result"]
            if !result.isNull {
                out[result.etcdInt64("ID")] = result.etcdInt64("TTL")
            } else if !line["error"].isNull {
                let e = line["error"]
                let message = e["message"].stringValue ?? e.serialized()
                let code = Int(e.etcdInt64("grpc_code"))
                streamError = .server(code: code == 0 ? GRPCCode.unknown : code, message: message,
                                      httpStatus: Int(e.etcdInt64("http_code")))
            }
        }
        return (out, streamError)
    }

    /// Revokes a lease: etcd deletes every key attached to it. Throws ``EtcdError/leaseNotFound(_:)``
    /// when the lease is already gone.
    public func revokeLease(_ id: Int64) async throws(EtcdError) {
        do throws(EtcdError) {
            _ = try await call("/v3/lease/revoke", ["ID": EtcdEncode.int(id)])
        } catch {
            if case .server(let code, _, _) = error, code == GRPCCode.notFound { throw .leaseNotFound(id) }
            throw error
        }
    }

    /// Asks how long a lease has left, optionally with its keys. A missing lease answers with TTL -1.
    public func leaseTimeToLive(_ id: Int64, keys: Bool = false) async throws(EtcdError) -> EtcdLeaseTimeToLive {
        var body: JSON = ["ID": EtcdEncode.int(id)]
        if keys { body["keys"] = true }
        let json = try await call("/v3/lease/timetolive", body)
        return EtcdLeaseTimeToLive(id: json.etcdInt64("ID"), ttl: json.etcdInt64("TTL"),
                                   grantedTTL: json.etcdInt64("grantedTTL"),
                                   keys: json.etcdArray("keys").compactMap { $0.stringValue }
                                       .map { String(decoding: Data(base64Encoded: $0) ?? Data(), as: UTF8.self) })
    }

    /// Every lease id the cluster knows.
    public func leases() async throws(EtcdError) -> [Int64] {
        let json = try await call("/v3/lease/leases", [:])
        return json.etcdArray("leases").map { $0.etcdInt64("ID") }
    }
}
