import Foundation
import RuntimeCore

/// What one watch stream watches (`create_request` of `/v3/watch`).
public struct EtcdWatchRequest: Sendable, Equatable {
    /// The key, or the first key of the range.
    public var key: String
    /// The end of the range, exclusive; nil watches one key.
    public var rangeEnd: Data?
    /// Deliver events from this revision on (0 = from now). Older than the compaction point fails the watch
    /// with a compaction notice.
    public var startRevision: Int64
    /// Include each key's previous value in events.
    public var prevKV: Bool
    /// Ask etcd for periodic progress notifications while nothing changes.
    public var progressNotify: Bool

    /// Creates a watch request.
    public init(key: String, rangeEnd: Data? = nil, startRevision: Int64 = 0, prevKV: Bool = false,
                progressNotify: Bool = false) {
        self.key = key
        self.rangeEnd = rangeEnd
        self.startRevision = startRevision
        self.prevKV = prevKV
        self.progressNotify = progressNotify
    }

    /// Watches every key starting with `prefix`.
    public static func prefix(_ prefix: String, startRevision: Int64 = 0, prevKV: Bool = false,
                              progressNotify: Bool = false) -> EtcdWatchRequest {
        EtcdWatchRequest(key: prefix, rangeEnd: EtcdEncode.prefixRangeEnd(Data(prefix.utf8)),
                         startRevision: startRevision, prevKV: prevKV, progressNotify: progressNotify)
    }

    var json: JSON {
        var c: JSON = ["key": EtcdEncode.bytes(key)]
        if let rangeEnd { c["range_end"] = EtcdEncode.bytes(rangeEnd) }
        if startRevision > 0 { c["start_revision"] = EtcdEncode.int(startRevision) }
        if prevKV { c["prev_kv"] = true }
        if progressNotify { c["progress_notify"] = true }
        return ["create_request": c]
    }
}

/// One change seen by a watch.
public struct EtcdWatchEvent: Sendable, Equatable {
    /// What happened to the key.
    public enum Kind: String, Sendable, Equatable {
        /// Created or modified (`PUT`, the proto's zero value, so the gateway leaves `type` out).
        case put = "PUT"
        /// Deleted, or its lease expired or was revoked.
        case delete = "DELETE"
    }

    /// What happened.
    public var kind: Kind
    /// The key after the change (for deletes: the key with its delete revision as `modRevision`).
    public var kv: EtcdKeyValue
    /// The value before the change, when the watch asked for it.
    public var prevKV: EtcdKeyValue?

    /// Creates an event.
    public init(kind: Kind, kv: EtcdKeyValue, prevKV: EtcdKeyValue? = nil) {
        self.kind = kind
        self.kv = kv
        self.prevKV = prevKV
    }

    init(json: JSON) {
        kind = json["type"].stringValue == "DELETE" ? .delete : .put
        kv = EtcdKeyValue(json: json["kv"])
        let prev = json.etcdField("prev_kv")
        prevKV = prev.isNull ? nil : EtcdKeyValue(json: prev)
    }
}

/// One message of a watch stream.
public struct EtcdWatchResponse: Sendable, Equatable {
    /// The response header (the store revision when the message was sent).
    public var header: EtcdResponseHeader
    /// The watch id within the stream.
    public var watchId: Int64
    /// True for the answer to the create request.
    public var created: Bool
    /// True when etcd ended the watch (compaction, auth, or an error in `cancelReason`).
    public var canceled: Bool
    /// Non-zero when the requested start revision was compacted; history up to it is gone.
    public var compactRevision: Int64
    /// Why the watch was cancelled, if etcd said.
    public var cancelReason: String
    /// The changes, in revision order.
    public var events: [EtcdWatchEvent]

    /// True for a progress notification: nothing changed up to `header.revision`.
    public var isProgressNotification: Bool { events.isEmpty && !created && !canceled && compactRevision == 0 }

    init(json: JSON) {
        header = EtcdResponseHeader(json: json["header"])
        watchId = json.etcdInt64("watch_id")
        created = json.etcdBool("created")
        canceled = json.etcdBool("canceled")
        compactRevision = json.etcdInt64("compact_revision")
        cancelReason = json.etcdField("cancel_reason").stringValue ?? ""
        events = json.etcdArray("events").map(EtcdWatchEvent.init(json:))
    }
}

/// A single open watch stream: messages until the connection ends. No reconnects; see
/// ``EtcdClient/watch(_:)`` for the self-healing watch.
public struct EtcdWatchStream: Sendable {
    /// The stream's messages; finishes when the server ends the response, throws on transport errors or
    /// a gateway error message.
    public let responses: AsyncThrowingStream<EtcdWatchResponse, any Error>
    /// The endpoint serving the stream.
    public let endpoint: String
    let cancelHTTP: @Sendable () -> Void

    /// Closes the stream.
    public func cancel() { cancelHTTP() }
}

/// Splits a byte stream into newline-delimited JSON documents.
struct NDJSONSplitter {
    private var buffer = Data()

    /// Appends bytes and returns every complete line.
    mutating func feed(_ chunk: Data) -> [Data] {
        buffer.append(chunk)
        var lines: [Data] = []
        while let nl = buffer.firstIndex(of: UInt8(ascii: "\n")) {
            let line = buffer[buffer.startIndex..<nl]
            if !line.allSatisfy({ $0 == 32 || $0 == 13 }) { lines.append(Data(line)) }
            buffer.removeSubrange(buffer.startIndex...nl)
        }
        return lines
    }

    /// Whatever is left without a trailing newline (the gateway ends every message with one, so this is
    /// only non-empty for a truncated stream).
    var remainder: Data { buffer }
}

extension EtcdClient {
    /// Opens one watch stream (`/v3/watch`) without recovery: the caller handles reconnects and compaction.
    public func openWatch(_ request: EtcdWatchRequest) async throws(EtcdError) -> EtcdWatchStream {
        let (http, endpoint) = try await openStream("/v3/watch", request.json)
        let (responses, continuation) = AsyncThrowingStream<EtcdWatchResponse, any Error>.makeStream()
        let reader = Task {
            var splitter = NDJSONSplitter()
            do {
                for try await chunk in http.body {
                    for line in splitter.feed(chunk) {
                        let json: JSON
                        do {
                            json = try JSON.parse(line)
                        } catch {
                            throw EtcdError.invalidResponse("/v3/watch: bad stream line: \(error)")
                        }
                        let result = json["result"]
                        if !result.isNull {
                            continuation.yield(EtcdWatchResponse(json: result))
                        } else if !json["error"].isNull {
                            let e = json["error"]
                            throw EtcdError.server(code: Int(e.etcdInt64("grpc_code")),
                                                   message: e["message"].stringValue ?? e.serialized(),
                                                   httpStatus: Int(e.etcdInt64("http_code")))
                        }
                    }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in
            http.cancel()
            reader.cancel()
        }
        return EtcdWatchStream(responses: responses, endpoint: endpoint, cancelHTTP: {
            http.cancel()
            reader.cancel()
        })
    }
}
