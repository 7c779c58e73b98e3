import CCivetweb
import FoundationEssentials
import Synchronization

/// A WebSocket client over civetweb's client API (libcurl 7.88 in Debian has no WebSocket support).
///
/// civetweb's client cannot add request headers, so servers of this project also accept the bearer
/// token as a `token` query parameter on WebSocket routes. Incoming messages arrive on a civetweb thread and
/// are delivered through ``messages``.
public final class WebSocketClient: @unchecked Sendable {
    /// A received message.
    public struct Message: Sendable {
        /// Text or binary.
        public let opcode: WebSocketOpcode
        /// Payload bytes.
        public let data: Data
    }

    /// Why a connection could not be made.
    public struct ConnectError: Error, CustomStringConvertible, Sendable {
        /// civetweb's explanation (refused, handshake failed, ...).
        public let message: String
        public var description: String { "websocket connect failed: \(message)" }
    }

    private var connection: OpaquePointer?
    private let open = Mutex<Bool>(false)
    private let continuation: AsyncStream<Message>.Continuation
    /// Messages from the server, in order; finishes when the connection closes.
    public let messages: AsyncStream<Message>
    private var fragments = Data()
    private var fragmentOpcode: WebSocketOpcode = .binary

    private init() {
        (messages, continuation) = AsyncStream<Message>.makeStream()
    }

    /// Connects to `ws://host:port/path` (path includes any query). The blocking handshake runs on a
    /// dedicated thread, so this never blocks the cooperative pool.
    public static func connect(host: String, port: Int, path: String, timeout: Duration = .seconds(10)) async throws(ConnectError) -> WebSocketClient {
        let client = WebSocketClient()
        let result: Result<OpaquePointer, ConnectError> = await withCheckedContinuation { cont in
            startThread("ws-connect") {
                var err = [CChar](repeating: 0, count: 256)
                let me = Unmanaged.passUnretained(client).toOpaque()
                let conn = mg_connect_websocket_client(host, Int32(port), 0, &err, err.count, path, nil, { _, bits, data, len, ctx in
                    guard let ctx else { return 0 }
                    let c = Unmanaged<WebSocketClient>.fromOpaque(ctx).takeUnretainedValue()
                    return c.received(bits: bits, data: data.map { Data(bytes: $0, count: len) } ?? Data()) ? 1 : 0
                }, { _, ctx in
                    guard let ctx else { return }
                    Unmanaged<WebSocketClient>.fromOpaque(ctx).takeUnretainedValue().closedByPeer()
                }, me)
                if let conn {
                    cont.resume(returning: .success(conn))
                } else {
                    let msg = String(decoding: err.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                    cont.resume(returning: .failure(ConnectError(message: msg.isEmpty ? "handshake failed" : msg)))
                }
            }
        }
        let conn = try result.get()
        client.connection = conn
        client.open.withLock { $0 = true }
        // Retained until closedByPeer: civetweb calls back with our pointer until the connection ends.
        _ = Unmanaged.passRetained(client)
        return client
    }

    /// True until the connection closed.
    public var isOpen: Bool { open.withLock { $0 } }

    /// Sends a binary message.
    @discardableResult
    public func send(binary data: Data) -> Bool { write(.binary, data) }

    /// Sends a text message.
    @discardableResult
    public func send(text: String) -> Bool { write(.text, Data(text.utf8)) }

    /// Closes the connection (a close frame; civetweb ends the connection).
    public func close() {
        guard let connection, isOpen else { return }
        _ = write(.close, Data([0x03, 0xE8]))
        mg_close_connection(connection)
    }

    private func write(_ opcode: WebSocketOpcode, _ data: Data) -> Bool {
        open.withLock { isOpen -> Bool in
            guard isOpen, let connection else { return false }
            let n = data.withUnsafeBytes { raw in
                mg_websocket_client_write(connection, opcode.rawValue, raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count)
            }
            return n > 0 || data.isEmpty
        }
    }

    private func received(bits: Int32, data: Data) -> Bool {
        let op = WebSocketOpcode(rawValue: bits & 0x0F) ?? .binary
        switch op {
        case .close: return false
        case .ping, .pong: return true
        case .continuation: fragments.append(data)
        default:
            fragmentOpcode = op
            fragments = data
        }
        if bits & 0x80 != 0 {
            continuation.yield(Message(opcode: fragmentOpcode, data: fragments))
            fragments = Data()
        }
        return true
    }

    private func closedByPeer() {
        open.withLock { $0 = false }
        continuation.finish()
        Unmanaged.passUnretained(self).release()
    }
}
