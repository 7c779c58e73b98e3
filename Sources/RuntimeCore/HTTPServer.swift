import CCivetweb
import FoundationEssentials
import Glibc
import Synchronization

/// Errors from starting or running the HTTP server.
public enum HTTPServerError: Error, CustomStringConvertible, Sendable {
    /// civetweb could not listen on the address (in use, bad syntax, no permission).
    case cannotListen(String)

    public var description: String {
        switch self {
        case .cannotListen(let m): return "cannot listen: \(m)"
        }
    }
}

/// A handler runs on one of the server's worker threads (never on Swift's cooperative pool), so it may
/// block: long-lived responses such as watches and SSE streams simply keep writing until done.
public typealias HTTPHandler = @Sendable (HTTPRequest, HTTPResponseWriter) -> Void

/// An HTTP/1.1 server over civetweb with routing, size limits, streaming, SSE and WebSockets.
public final class HTTPServer: @unchecked Sendable {
    /// Server settings; defaults suit an API served to a handful of clients with some long streams.
    public struct Configuration: Sendable {
        /// `host:port` to listen on; port 0 picks a free port (read it back from ``HTTPServer/port``).
        public var listen: String = "127.0.0.1:0"
        /// Worker threads = maximum concurrent requests including open streams and WebSockets.
        public var threads: Int = 64
        /// Larger request bodies are refused with 413 before they are read.
        public var maxBodyBytes: Int = 1 << 20
        /// Request read timeout.
        public var requestTimeout: Duration = .seconds(30)
        /// How long an idle keep-alive connection may hold its worker thread. civetweb serves one connection
        /// per thread, so idle connections must not pin workers for long; it is also how long ``stop()`` may
        /// wait for such a worker. Busy connections are reused regardless; a loopback reconnect costs ~0.1 ms.
        public var keepAliveTimeout: Duration = .milliseconds(500)
        /// Creates the default configuration.
        public init() {}
        /// Creates a configuration with the most commonly changed fields.
        public init(listen: String, threads: Int = 64, maxBodyBytes: Int = 1 << 20) {
            self.listen = listen
            self.threads = threads
            self.maxBodyBytes = maxBodyBytes
        }
    }

    /// The configuration the server runs with.
    public let configuration: Configuration
    private let handler: HTTPHandler
    private var context: OpaquePointer?
    private let stopping = Atomic<Bool>(false)
    private var webSocketRoutes: [WebSocketRoute] = []
    /// Port actually bound (useful with port 0).
    public private(set) var port: Int = 0

    /// Creates a server that sends every plain HTTP request to `handler` (typically a ``Router``).
    public init(configuration: Configuration, handler: @escaping HTTPHandler) {
        self.configuration = configuration
        self.handler = handler
    }

    /// True once ``stop()`` began; long-running handlers should finish promptly.
    public var isStopping: Bool { stopping.load(ordering: .relaxed) }

    /// Registers WebSocket endpoints. Must be called before ``start()``. `pattern` uses civetweb's
    /// syntax (`*` matches one path segment, `**` anything), e.g. `/agents/*/attach`.
    ///
    /// civetweb serves every connection on a worker thread of its own for as long as it is open, so each
    /// open WebSocket holds one of ``Configuration/threads``. `limit` caps the route's open connections: an
    /// authorised upgrade beyond it gets `overLimit` (a 503) instead, and the workers left over keep
    /// answering probes and short requests however many clients try to connect.
    public func webSocket(_ pattern: String, subprotocols: [String] = [], limit: Int = .max, overLimit: HTTPResponse? = nil,
                          handler: any WebSocketHandler) {
        let refusal = overLimit ?? .error(503, code: "TooManyConnections", message: "\(limit) connections are open on \(pattern); retry later")
        webSocketRoutes.append(WebSocketRoute(pattern: pattern, subprotocols: subprotocols, limit: limit, overLimit: refusal,
                                              handler: handler, server: self))
    }

    /// Open connections on the WebSocket route registered with `pattern` (0 for an unknown pattern).
    public func openWebSockets(_ pattern: String) -> Int {
        webSocketRoutes.first { $0.pattern == pattern }?.open.inUse ?? 0
    }

    /// Starts listening. Throws when the address cannot be bound.
    public func start() throws(HTTPServerError) {
        var opts: [String] = [
            "listening_ports", configuration.listen,
            "num_threads", String(configuration.threads),
            "request_timeout_ms", String(configuration.requestTimeout.milliseconds),
            "enable_keep_alive", "yes",
            "keep_alive_timeout_ms", String(configuration.keepAliveTimeout.milliseconds),
            "websocket_timeout_ms", "3600000",
            "enable_websocket_ping_pong", "yes",
            "decode_url", "yes",
            // Headers and body go out in separate writes; without TCP_NODELAY, Nagle's algorithm and delayed
            // ACKs hold every response back ~40 ms.
            "tcp_nodelay", "1",
        ]
        var callbacks = mg_callbacks()
        callbacks.log_message = { _, _ in 1 }  // keep civetweb quiet; we log ourselves
        // Errors civetweb answers itself (a request line or headers it cannot parse, headers over
        // `max_request_size`) get the same JSON shape as every handler's errors, not its plain-text page.
        callbacks.http_error = { conn, status, message in
            guard let conn else { return 1 }
            HTTPServer.writeRaw(conn, HTTPServer.civetwebError(status: Int(status), message: message.map { String(cString: $0) } ?? ""))
            return 0
        }
        let cStrings = opts.map { strdup($0) }
        defer { cStrings.forEach { free($0) } }
        var optionPointers: [UnsafePointer<CChar>?] = cStrings.map { UnsafePointer($0) } + [nil]
        // civetweb's master and worker threads inherit the mask: keep process signals away from them.
        let ctx = withSignalsBlocked {
            optionPointers.withUnsafeMutableBufferPointer { mg_start(&callbacks, nil, $0.baseAddress) }
        }
        opts.removeAll()
        guard let ctx else { throw .cannotListen(configuration.listen) }
        context = ctx
        let me = Unmanaged.passUnretained(self).toOpaque()
        mg_set_request_handler(ctx, "**", { conn, cbdata in
            guard let conn, let cbdata else { return 500 }
            let server = Unmanaged<HTTPServer>.fromOpaque(cbdata).takeUnretainedValue()
            return server.serve(conn)
        }, me)
        for route in webSocketRoutes { route.install(on: ctx) }
        var ports = [mg_server_port](repeating: mg_server_port(), count: 4)
        let n = mg_get_server_ports(ctx, Int32(ports.count), &ports)
        port = n > 0 ? Int(ports[0].port) : 0
    }

    /// Stops accepting connections, lets running handlers finish (they see ``isStopping``), and joins the
    /// worker threads. Blocking: call it from a plain thread, or use ``shutdown()`` from async code.
    public func stop() {
        guard let ctx = context else { return }
        stopping.store(true, ordering: .relaxed)
        context = nil
        // civetweb's accept loop notices the stop flag only when its poll wakes (every 2 s); a throw-away
        // connection wakes it at once.
        let finished = Atomic<Bool>(false)
        startThread("http-stop-waker") { [port] in
            while !finished.load(ordering: .relaxed) {
                HTTPServer.poke(port: port)
                usleep(20_000)
            }
        }
        mg_stop(ctx)
        finished.store(true, ordering: .relaxed)
    }

    /// The JSON error for a request civetweb refused before any handler saw it. Its own messages are
    /// terse ("Malformed message" also covers headers over the size limit), so the text says what to check.
    static func civetwebError(status: Int, message: String) -> HTTPResponse {
        let code: String
        var text = message.isEmpty ? HTTPResponse.reasonPhrase(status) : message
        switch status {
        case 400:
            code = "BadRequest"
            text = "the request could not be read (\(text)): its request line and headers must be well-formed "
                + "and at most \(maxHeaderBytes / 1024) KiB together"
        case 404: code = "NotFound"
        case 405: code = "MethodNotAllowed"
        case 413: code = "PayloadTooLarge"
        case 500...: code = "InternalError"
        default: code = "HTTPError"
        }
        return .error(status, code: code, message: text)
    }

    /// civetweb's `max_request_size` default: the request line and all headers must fit in it.
    static let maxHeaderBytes = 16 * 1024

    /// Writes a whole response straight to the socket with `Connection: close`, for the moments before
    /// civetweb's response functions may be used (a refused upgrade, a request civetweb itself refused).
    static func writeRaw(_ conn: OpaquePointer, _ response: HTTPResponse) {
        var head = "HTTP/1.1 \(response.status) \(HTTPResponse.reasonPhrase(response.status))\r\n"
        for (n, v) in response.headers { head += "\(n): \(v)\r\n" }
        head += "Content-Length: \(response.body.count)\r\nConnection: close\r\n\r\n"
        var bytes = Data(head.utf8)
        bytes.append(response.body)
        bytes.withUnsafeBytes { _ = mg_write(conn, $0.baseAddress, $0.count) }
    }

    private static func poke(port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }

    /// Async form of ``stop()`` that does the blocking join on a dedicated thread.
    public func shutdown() async {
        await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
            startThread("http-stop") { self.stop(); cont.resume() }
        }
    }

    private func serve(_ conn: OpaquePointer) -> Int32 {
        guard let info = mg_get_request_info(conn)?.pointee else { return 500 }
        let writer = HTTPResponseWriter(connection: conn, server: self)
        let headers = HTTPServer.headers(of: info)
        let method = info.request_method.map { String(cString: $0) } ?? "GET"
        let path = (info.local_uri_raw ?? info.local_uri).map { String(cString: $0) } ?? "/"
        let query = info.query_string.map { String(cString: $0) } ?? ""
        let remote = withUnsafeBytes(of: info.remote_addr) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        let limit = configuration.maxBodyBytes
        if info.content_length > Int64(limit) {
            writer.send(.error(413, code: "PayloadTooLarge", message: "request body exceeds \(limit) bytes"))
            return 413
        }
        guard let body = HTTPServer.readBody(conn, expected: info.content_length, limit: limit) else {
            writer.send(.error(413, code: "PayloadTooLarge", message: "request body exceeds \(limit) bytes"))
            return 413
        }
        let request = HTTPRequest(method: method.uppercased(), path: path, rawQuery: query, headers: headers,
                                  body: body, remoteAddress: remote)
        handler(request, writer)
        if !writer.responded { writer.send(.error(500, code: "InternalError", message: "handler sent no response")) }
        return Int32(writer.status)
    }

    static func headers(of info: mg_request_info) -> [String: String] {
        var out: [String: String] = [:]
        withUnsafeBytes(of: info.http_headers) { raw in
            let hs = raw.bindMemory(to: mg_header.self)
            for i in 0..<Int(info.num_headers) where i < hs.count {
                guard let n = hs[i].name, let v = hs[i].value else { continue }
                let name = String(cString: n).lowercased()
                let value = String(cString: v)
                out[name] = out[name].map { "\($0), \(value)" } ?? value
            }
        }
        return out
    }

    static func readBody(_ conn: OpaquePointer, expected: Int64, limit: Int) -> Data? {
        if expected == 0 { return Data() }
        var body = Data()
        if expected > 0 { body.reserveCapacity(Int(expected)) }
        var buf = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = buf.withUnsafeMutableBytes { mg_read(conn, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            body.append(contentsOf: buf[0..<Int(n)])
            if body.count > limit { return nil }
        }
        return body
    }
}

/// Writes one response: either whole (``send(_:)``) or as a chunked stream (``startStream(status:headers:)``).
///
/// Used only from the handler's worker thread, except that stream writes are serialised by a lock so that a
/// producer thread may write too.
public final class HTTPResponseWriter: @unchecked Sendable {
    let connection: OpaquePointer
    unowned let server: HTTPServer
    private let lock = ThreadCondition()
    private(set) var responded = false
    private(set) var status = 0
    private var streaming = false
    private var broken = false

    init(connection: OpaquePointer, server: HTTPServer) {
        self.connection = connection
        self.server = server
    }

    /// True once the server is shutting down; streaming handlers should end their stream.
    public var isServerStopping: Bool { server.isStopping }

    /// Sends a complete response with a Content-Length.
    public func send(_ response: HTTPResponse) {
        lock.lock()
        defer { lock.unlock() }
        guard !responded else { return }
        responded = true
        status = response.status
        mg_response_header_start(connection, Int32(response.status))
        for (n, v) in response.headers { mg_response_header_add(connection, n, v, -1) }
        mg_response_header_add(connection, "Content-Length", String(response.body.count), -1)
        mg_response_header_send(connection)
        response.body.withUnsafeBytes { raw in
            if let base = raw.baseAddress, raw.count > 0 { _ = mg_write(connection, base, raw.count) }
        }
    }

    /// Starts a chunked response. Follow with ``write(_:)`` calls and one ``finish()``.
    public func startStream(status: Int = 200, headers: [(String, String)]) {
        lock.lock()
        defer { lock.unlock() }
        guard !responded else { return }
        responded = true
        streaming = true
        self.status = status
        mg_response_header_start(connection, Int32(status))
        for (n, v) in headers { mg_response_header_add(connection, n, v, -1) }
        mg_response_header_add(connection, "Transfer-Encoding", "chunked", -1)
        mg_response_header_add(connection, "Cache-Control", "no-cache", -1)
        mg_response_header_add(connection, "X-Accel-Buffering", "no", -1)
        mg_response_header_send(connection)
    }

    /// Writes one chunk. Returns false once the client has gone away; the caller should stop streaming.
    @discardableResult
    public func write(_ data: Data) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard streaming, !broken else { return false }
        guard !data.isEmpty else { return true }
        let n = data.withUnsafeBytes { raw in
            mg_send_chunk(connection, raw.baseAddress!.assumingMemoryBound(to: CChar.self), UInt32(raw.count))
        }
        if n <= 0 { broken = true }
        return !broken
    }

    /// Writes a string chunk.
    @discardableResult
    public func write(_ text: String) -> Bool { write(Data(text.utf8)) }

    /// Ends a chunked response with the terminating zero-length chunk.
    public func finish() {
        lock.lock()
        defer { lock.unlock() }
        guard streaming, !broken else { return }
        _ = mg_send_chunk(connection, "", 0)
        broken = true
    }

    /// Starts a Server-Sent Events stream (`text/event-stream`).
    public func startEventStream() {
        startStream(status: 200, headers: [("Content-Type", "text/event-stream")])
    }

    /// Sends one SSE event; multi-line data becomes several `data:` lines. Returns false when the client left.
    @discardableResult
    public func sendEvent(_ event: String?, data: String, id: String? = nil) -> Bool {
        var text = ""
        if let id { text += "id: \(id)\n" }
        if let event { text += "event: \(event)\n" }
        for line in data.split(separator: "\n", omittingEmptySubsequences: false) { text += "data: \(line)\n" }
        text += "\n"
        return write(text)
    }

    /// Sends an SSE comment line, used as a keep-alive that also detects departed clients.
    @discardableResult
    public func sendComment(_ text: String = "keep-alive") -> Bool { write(": \(text)\n\n") }
}
