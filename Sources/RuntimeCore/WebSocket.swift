import CCivetweb
import FoundationEssentials
import Glibc
import Synchronization

/// WebSocket frame opcodes (RFC 6455).
public enum WebSocketOpcode: Int32, Sendable {
    case continuation = 0x0, text = 0x1, binary = 0x2, close = 0x8, ping = 0x9, pong = 0xA
}

/// Receives the events of WebSocket connections on one route. Callbacks run on server worker threads.
public protocol WebSocketHandler: Sendable {
    /// Decides whether to accept the upgrade; return an HTTP response (e.g. 401) to refuse it.
    func authorize(_ request: HTTPRequest) -> HTTPResponse?
    /// The handshake completed; the connection can be written to.
    func connected(_ socket: WebSocketConnection)
    /// A complete message (fragments already joined).
    func received(_ socket: WebSocketConnection, opcode: WebSocketOpcode, data: Data)
    /// The connection closed; no more writes are possible.
    func closed(_ socket: WebSocketConnection)
}

/// One accepted WebSocket connection. Writes are thread-safe and fail quietly after close.
public final class WebSocketConnection: @unchecked Sendable, Hashable {
    private let connection: OpaquePointer
    private let state = Mutex<Bool>(true)  // open
    private var fragments = Data()
    private var fragmentOpcode: WebSocketOpcode = .text
    /// The upgrade request (path, query, headers), for handlers that route by it.
    public let request: HTTPRequest
    /// Free-form per-connection storage for the handler (set once in `connected`).
    public let userInfo = Mutex<[String: String]>([:])

    init(connection: OpaquePointer, request: HTTPRequest) {
        self.connection = connection
        self.request = request
    }

    /// True until the connection closed.
    public var isOpen: Bool { state.withLock { $0 } }

    /// Sends a binary message. Returns false when the connection is closed.
    @discardableResult
    public func send(binary data: Data) -> Bool { send(opcode: .binary, data) }

    /// Sends a text message. Returns false when the connection is closed.
    @discardableResult
    public func send(text: String) -> Bool { send(opcode: .text, Data(text.utf8)) }

    /// Sends a close frame; the peer's reply ends the connection.
    public func close() { _ = send(opcode: .close, Data([0x03, 0xE8])) }

    private func send(opcode: WebSocketOpcode, _ data: Data) -> Bool {
        state.withLock { open -> Bool in
            guard open else { return false }
            let n = data.withUnsafeBytes { raw in
                mg_websocket_write(connection, opcode.rawValue, raw.baseAddress?.assumingMemoryBound(to: CChar.self), raw.count)
            }
            if n <= 0 && !data.isEmpty { open = false }
            return open
        }
    }

    func markClosed() { state.withLock { $0 = false } }

    /// Joins fragments; returns a complete message when the FIN bit is set.
    func assemble(bits: Int32, data: Data) -> (WebSocketOpcode, Data)? {
        let op = WebSocketOpcode(rawValue: bits & 0x0F) ?? .binary
        let fin = bits & 0x80 != 0
        if op == .continuation {
            fragments.append(data)
        } else {
            fragmentOpcode = op
            fragments = data
        }
        guard fin else { return nil }
        defer { fragments = Data() }
        return (fragmentOpcode, fragments)
    }

    public static func == (l: WebSocketConnection, r: WebSocketConnection) -> Bool { l === r }
    public func hash(into h: inout Hasher) { h.combine(ObjectIdentifier(self)) }
}

/// Binds a ``WebSocketHandler`` to civetweb's C callbacks for one URI pattern.
final class WebSocketRoute: @unchecked Sendable {
    let pattern: String
    let handler: any WebSocketHandler
    /// Connections accepted and not yet closed (a place from the accepted upgrade to the close callback),
    /// and the answer once all are taken.
    let open: Slots
    let overLimit: HTTPResponse
    unowned let server: HTTPServer
    private var protocolStorage: [UnsafeMutablePointer<CChar>?]
    private var protocolArray: UnsafeMutablePointer<UnsafePointer<CChar>?>
    private var subprotocolStruct: UnsafeMutablePointer<mg_websocket_subprotocols>

    init(pattern: String, subprotocols: [String], limit: Int, overLimit: HTTPResponse, handler: any WebSocketHandler,
         server: HTTPServer) {
        self.pattern = pattern
        self.handler = handler
        open = Slots(capacity: limit)
        self.overLimit = overLimit
        self.server = server
        protocolStorage = subprotocols.map { strdup($0) }
        protocolArray = .allocate(capacity: protocolStorage.count + 1)
        for (i, p) in protocolStorage.enumerated() { protocolArray[i] = UnsafePointer(p) }
        protocolArray[protocolStorage.count] = nil
        subprotocolStruct = .allocate(capacity: 1)
        subprotocolStruct.initialize(to: mg_websocket_subprotocols(nb_subprotocols: Int32(subprotocols.count),
                                                                   subprotocols: UnsafeMutablePointer(mutating: protocolArray)))
    }

    func install(on ctx: OpaquePointer) {
        let me = Unmanaged.passRetained(self).toOpaque()  // lives as long as the server context
        mg_set_websocket_handler_with_subprotocols(
            ctx, pattern, protocolStorage.isEmpty ? nil : subprotocolStruct,
            { conn, cbdata in
                guard let conn, let cbdata else { return 1 }
                let route = Unmanaged<WebSocketRoute>.fromOpaque(cbdata).takeUnretainedValue()
                return route.connect(conn)
            },
            { conn, cbdata in
                guard let conn, let cbdata else { return }
                let route = Unmanaged<WebSocketRoute>.fromOpaque(cbdata).takeUnretainedValue()
                guard let socket = WebSocketRoute.socket(of: conn) else { return }
                route.handler.connected(socket)
            },
            { conn, bits, data, len, cbdata in
                guard let conn, let cbdata else { return 0 }
                let route = Unmanaged<WebSocketRoute>.fromOpaque(cbdata).takeUnretainedValue()
                guard let socket = WebSocketRoute.socket(of: conn) else { return 0 }
                let payload = data.map { Data(bytes: $0, count: len) } ?? Data()
                if let (op, message) = socket.assemble(bits: bits, data: payload) {
                    switch op {
                    case .close: return 0
                    case .ping, .pong: return 1
                    default: route.handler.received(socket, opcode: op, data: message)
                    }
                }
                return route.server.isStopping ? 0 : 1
            },
            { conn, cbdata in
                guard let conn, let cbdata else { return }
                let route = Unmanaged<WebSocketRoute>.fromOpaque(cbdata).takeUnretainedValue()
                guard let raw = mg_get_user_connection_data(conn) else { return }
                let socket = Unmanaged<WebSocketConnection>.fromOpaque(raw).takeRetainedValue()
                mg_set_user_connection_data(conn, nil)
                route.open.give()
                socket.markClosed()
                route.handler.closed(socket)
            },
            me)
    }

    private static func socket(of conn: OpaquePointer) -> WebSocketConnection? {
        guard let raw = mg_get_user_connection_data(conn) else { return nil }
        return Unmanaged<WebSocketConnection>.fromOpaque(raw).takeUnretainedValue()
    }

    private func connect(_ conn: OpaquePointer) -> Int32 {
        guard let info = mg_get_request_info(conn)?.pointee else { return 1 }
        let request = HTTPRequest(
            method: "GET",
            path: (info.local_uri_raw ?? info.local_uri).map { String(cString: $0) } ?? "/",
            rawQuery: info.query_string.map { String(cString: $0) } ?? "",
            headers: HTTPServer.headers(of: info))
        if let refusal = handler.authorize(request) {
            // The handshake has not started, so a plain HTTP answer can still be written.
            HTTPServer.writeRaw(conn, refusal)
            return 1
        }
        // Counted before the handshake so that two upgrades racing for the last place cannot both win.
        if !open.take() {
            HTTPServer.writeRaw(conn, overLimit)
            return 1
        }
        let socket = WebSocketConnection(connection: conn, request: request)
        mg_set_user_connection_data(conn, Unmanaged.passRetained(socket).toOpaque())
        return 0
    }
}
