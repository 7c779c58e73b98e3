import CurlHTTP
import Foundation
import RuntimeCore

/// One event of a watch stream.
public enum WatchEvent<T: Sendable>: Sendable {
    /// An object appeared (or existed, for watches started without a resourceVersion).
    case added(T)
    /// An object changed.
    case modified(T)
    /// An object was removed; the payload is its last state.
    case deleted(T)
    /// Progress: every change up to this version has been sent.
    case bookmark(resourceVersion: String)
    /// The server ended the watch with an error; code 410 means the version is too old (relist).
    case error(Status)

    /// The event type as sent on the wire.
    public var type: String {
        switch self {
        case .added: return "ADDED"
        case .modified: return "MODIFIED"
        case .deleted: return "DELETED"
        case .bookmark: return "BOOKMARK"
        case .error: return "ERROR"
        }
    }

    /// The object of added, modified and deleted events.
    public var object: T? {
        switch self {
        case .added(let o), .modified(let o), .deleted(let o): return o
        default: return nil
        }
    }
}

extension WatchEvent {
    /// Decodes one `{"type": ..., "object": ...}` frame.
    public static func decode(_ frame: Data) throws(KubeError) -> WatchEvent<T> where T: Decodable {
        do {
            // One parse: the envelope's decode and the unknown fields read the same tree.
            let raw = try JSON.parse(frame)
            let event = try JSONValueDecoder().decode(WatchEnvelope<T>.self, from: raw).event
            guard T.self is any PreservesUnknownFields.Type else { return event }
            switch event {
            case .added(let o): return .added(UnknownFieldsCodec.attach(o, raw: raw["object"]))
            case .modified(let o): return .modified(UnknownFieldsCodec.attach(o, raw: raw["object"]))
            case .deleted(let o): return .deleted(UnknownFieldsCodec.attach(o, raw: raw["object"]))
            default: return event
            }
        } catch let e as DecodingError {
            throw .decoding("watch event: \(KubeClient.describe(e))")
        } catch {
            throw .decoding("watch event: \(error)")
        }
    }
}

/// Decodes the event type first, then the object as the type that event carries.
private struct WatchEnvelope<T: Decodable & Sendable>: Decodable {
    let event: WatchEvent<T>

    enum CodingKeys: String, CodingKey { case type, object }

    struct BookmarkObject: Decodable {
        struct Meta: Decodable { let resourceVersion: String? }
        let metadata: Meta?
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decode(String.self, forKey: .type)
        switch type {
        case "ADDED": event = .added(try c.decode(T.self, forKey: .object))
        case "MODIFIED": event = .modified(try c.decode(T.self, forKey: .object))
        case "DELETED": event = .deleted(try c.decode(T.self, forKey: .object))
        case "BOOKMARK":
            let b = try c.decode(BookmarkObject.self, forKey: .object)
            event = .bookmark(resourceVersion: b.metadata?.resourceVersion ?? "")
        case "ERROR": event = .error(try c.decode(Status.self, forKey: .object))
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "unknown watch event type \"\(type)\"")
        }
    }
}

/// Splits a byte stream into top-level JSON values, whatever the chunking: a value may span chunks,
/// a chunk may hold several values. Values are usually newline-delimited objects (Kubernetes' watch
/// framing), but concatenated objects without separators are handled too.
public struct JSONStreamFramer: Sendable {
    private var buffer: [UInt8] = []
    private var scan = 0
    private var start: Int?
    private var depth = 0
    private var inString = false
    private var escaped = false
    private var scalar = false

    /// A new framer.
    public init() {}

    /// True when a value has started but not ended.
    public var hasPartialValue: Bool { start != nil }

    /// Bytes buffered but not yet returned.
    public var bufferedByteCount: Int { buffer.count }

    /// Adds a chunk; returns the values it completed, in order.
    public mutating func feed(_ chunk: Data) -> [Data] {
        buffer.append(contentsOf: chunk)
        var frames: [Data] = []
        var consumed = 0
        while scan < buffer.count {
            let b = buffer[scan]
            if let s = start {
                if scalar {
                    if b == 0x0A || b == 0x0D {
                        frames.append(Data(buffer[s..<scan]))
                        start = nil
                        scalar = false
                        consumed = scan + 1
                    }
                } else if inString {
                    if escaped { escaped = false } else if b == 0x5C { escaped = true } else if b == 0x22 { inString = false }
                } else {
                    switch b {
                    case 0x22: inString = true
                    case 0x7B, 0x5B: depth += 1
                    case 0x7D, 0x5D:
                        depth -= 1
                        if depth == 0 {
                            frames.append(Data(buffer[s...scan]))
                            start = nil
                            consumed = scan + 1
                        }
                    default: break
                    }
                }
            } else {
                switch b {
                case 0x20, 0x09, 0x0A, 0x0D, 0x2C:  // whitespace, and commas of a JSON-array framing
                    consumed = scan + 1
                case 0x7B, 0x5B:
                    start = scan
                    depth = 1
                default:
                    // Not an object: take the rest of the line so the caller sees (and reports) it.
                    start = scan
                    scalar = true
                }
            }
            scan += 1
        }
        if consumed > 0 {
            buffer.removeFirst(consumed)
            scan -= consumed
            if let s = start { start = s - consumed }
        }
        return frames
    }
}

/// A watch as an async sequence of typed events. Ends when the server closes the stream; throws
/// ``KubeError`` when the connection fails or an event cannot be decoded. Leaving the loop (or
/// cancelling the task) aborts the HTTP transfer.
public struct WatchStream<T: Sendable>: AsyncSequence, Sendable {
    /// The element type.
    public typealias Element = WatchEvent<T>
    private let events: AsyncThrowingStream<WatchEvent<T>, any Error>
    private let cancelTransfer: @Sendable () -> Void

    /// Wraps a stream of events (tests build watches from scripted events this way).
    public init(events: AsyncThrowingStream<WatchEvent<T>, any Error>, cancel: @escaping @Sendable () -> Void = {}) {
        self.events = events
        cancelTransfer = cancel
    }

    /// Decodes a streaming HTTP response.
    init(response: KubeHTTPStream) where T: Decodable {
        let driver = WatchDecodingDriver<T>(response: response)
        events = AsyncThrowingStream(unfolding: { try await driver.next() })
        cancelTransfer = response.cancel
    }

    public func makeAsyncIterator() -> AsyncThrowingStream<WatchEvent<T>, any Error>.AsyncIterator {
        events.makeAsyncIterator()
    }

    /// Aborts the transfer; the sequence then ends.
    public func cancel() { cancelTransfer() }
}

/// Pulls body chunks, frames and decodes them. Only ever used by one consumer at a time (the
/// unfolding stream serialises calls), hence the unchecked Sendable.
private final class WatchDecodingDriver<T: Decodable & Sendable>: @unchecked Sendable {
    private var chunks: AsyncThrowingStream<Data, any Error>.AsyncIterator
    private var framer = JSONStreamFramer()
    private var pending: [WatchEvent<T>] = []
    private var finished = false
    private let cancel: @Sendable () -> Void

    init(response: KubeHTTPStream) {
        chunks = response.body.makeAsyncIterator()
        cancel = response.cancel
    }

    deinit { cancel() }

    func next() async throws -> WatchEvent<T>? {
        while true {
            if !pending.isEmpty { return pending.removeFirst() }
            if finished { return nil }
            let chunk: Data?
            do { chunk = try await chunks.next() } catch {
                finished = true
                if error is CancellationError || Task.isCancelled { throw KubeError.cancelled }
                if let e = error as? HTTPClientError {
                    if case .cancelled = e { throw KubeError.cancelled }
                    throw KubeError.transport(e)
                }
                if let e = error as? KubeError { throw e }
                throw KubeError.transport(.transport(code: 0, message: "\(error)"))
            }
            guard let chunk else {
                finished = true
                if framer.hasPartialValue { throw KubeError.decoding("watch stream ended inside an event") }
                return nil
            }
            for frame in framer.feed(chunk) {
                pending.append(try WatchEvent<T>.decode(frame))
            }
        }
    }
}

extension KubeClient {
    /// Watches objects of any type decodable as `T` (typed models or `JSON`) served at `resource`.
    ///
    /// Returns once the server accepted the watch; a 410 (too old `resourceVersion`) or any other
    /// failure is thrown from here. Watches are never retried; ``Watcher`` adds list, resume and relist.
    public func watch<T: KubeObject>(_ resource: DynamicResource, as type: T.Type, namespace: String? = nil,
                                     options: WatchOptions = WatchOptions()) async throws(KubeError) -> WatchStream<T> {
        let path = resource.path(namespace: resource.namespaced ? namespace : nil)
        // The server ends the watch after timeoutSeconds; the client-side limit only catches dead connections.
        let timeout: Duration? = options.timeoutSeconds.map { .seconds($0 + 60) }
        let response = try await openStream(.init(method: "GET", path: path, query: options.queryItems, timeout: .some(timeout)))
        return WatchStream<T>(response: response)
    }

    /// Watches a typed resource. A nil namespace watches all namespaces.
    public func watch<T: Resource>(_ type: T.Type, namespace: String? = nil, labelSelector: String? = nil,
                                   fieldSelector: String? = nil, resourceVersion: String? = nil,
                                   allowWatchBookmarks: Bool = true, timeoutSeconds: Int? = nil) async throws(KubeError) -> WatchStream<T> {
        let options = WatchOptions(labelSelector: labelSelector, fieldSelector: fieldSelector, resourceVersion: resourceVersion,
                                   allowWatchBookmarks: allowWatchBookmarks, timeoutSeconds: timeoutSeconds)
        return try await watch(T.resource, as: T.self, namespace: namespace, options: options)
    }

    /// Watches any resource as unstructured objects.
    public func watch(_ resource: DynamicResource, namespace: String? = nil,
                      options: WatchOptions = WatchOptions()) async throws(KubeError) -> WatchStream<JSON> {
        try await watch(resource, as: JSON.self, namespace: namespace, options: options)
    }
}
