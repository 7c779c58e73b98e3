import FoundationEssentials
import RuntimeCore

/// The supervisor's HTTP API (contract §4) on a civetweb ``HTTPServer``.
///
/// Every endpoint but `/healthz`, `/readyz` and `/metrics` needs the bearer token (compared in constant
/// time); the WebSocket `/attach` also takes it as `?token=`. Errors use the runtime's JSON shape
/// `{"error": {"code", "message"}}`: 400 bad JSON or values, 401 no/invalid token, 404 unknown endpoint,
/// 405 wrong method, 409 no agent running, 413 body over the limit, 503 input backlog.
public final class SupervisorAPI: Sendable {
    /// The supervisor served.
    public let supervisor: Supervisor
    /// The server (started by ``start()``).
    public let server: HTTPServer
    private let metrics: MetricsRegistry
    private let tokens: [String]

    /// Builds the routes. An empty `token` disables authentication (only for `--insecure-no-auth`).
    public init(supervisor: Supervisor, listen: String, token: String?, maxBodyBytes: Int = 1 << 20, threads: Int = 16) {
        self.supervisor = supervisor
        metrics = SupervisorMetrics.registry(for: supervisor)
        let tokens = token.map { [$0] } ?? []
        self.tokens = tokens
        let open: Set<String> = ["/healthz", "/readyz", "/metrics"]
        let auth = bearerAuth(tokens: { tokens }, open: open)
        let middleware: @Sendable (HTTPRequest) -> HTTPResponse? = { req in tokens.isEmpty ? nil : auth(req) }
        let box = RouteBox()
        let router = Router([
            ("GET", "/healthz", .streaming { _, w in w.send(.json(["status": "ok"])) }),
            ("GET", "/readyz", .streaming { _, w in box.api?.readyz(w) }),
            ("GET", "/status", .streaming { _, w in box.api?.statusResponse(w) }),
            ("GET", "/screen", .streaming { _, w in box.api?.screen(w) }),
            ("GET", "/logs", .streaming { r, w in box.api?.logs(r, w) }),
            ("GET", "/events", .streaming { r, w in box.api?.events(r, w) }),
            ("POST", "/input", .streaming { r, w in box.api?.input(r, w) }),
            ("POST", "/resize", .streaming { r, w in box.api?.resize(r, w) }),
            ("POST", "/signal", .streaming { r, w in box.api?.signal(r, w) }),
            ("GET", "/metrics", .streaming { _, w in box.api?.metricsResponse(w) }),
            ("GET", "/attach", .streaming { _, w in
                w.send(.error(400, code: "UpgradeRequired", message: "GET /attach is a WebSocket endpoint (subprotocol tty)"))
            }),
        ], middleware: middleware)
        var config = HTTPServer.Configuration(listen: listen, threads: threads, maxBodyBytes: maxBodyBytes)
        config.keepAliveTimeout = .seconds(5)
        server = HTTPServer(configuration: config, handler: router.handler)
        server.webSocket("/attach", subprotocols: ["tty"], handler: AttachHandler(supervisor: supervisor, tokens: tokens))
        box.api = self
    }

    /// Starts listening; read the port from ``server``.
    public func start() throws(HTTPServerError) { try server.start() }

    /// Stops the server (joins its threads on a dedicated thread).
    public func shutdown() async { await server.shutdown() }

    // MARK: Handlers (civetweb worker threads)

    private func readyz(_ w: HTTPResponseWriter) {
        let state = supervisor.state
        w.send(.json(["state": .string(state.rawValue)], status: state == .running ? 200 : 503))
    }

    private func statusResponse(_ w: HTTPResponseWriter) { w.send(.json(supervisor.status.json)) }

    private func screen(_ w: HTTPResponseWriter) { w.send(.text(supervisor.hub.screenText + "\n")) }

    private func logs(_ r: HTTPRequest, _ w: HTTPResponseWriter) {
        var n = 100
        if let t = r.query("tail") {
            guard let v = Int(t), v >= 0 else {
                w.send(.error(400, code: "BadRequest", message: "tail must be a non-negative whole number"))
                return
            }
            n = min(v, 100_000)
        }
        let raw = ["1", "true", "yes"].contains(r.query("raw")?.lowercased() ?? "")
        let lines = raw ? supervisor.hub.rawTail(n) : supervisor.hub.tail(n)
        w.send(.text(lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"))
    }

    private func events(_ r: HTTPRequest, _ w: HTTPResponseWriter) {
        let sub = supervisor.hub.attachStream()
        defer { supervisor.hub.detach(sub) }
        w.startEventStream()
        guard w.sendEvent("state", data: supervisor.status.json.serialized()) else { return }
        var decoder = UTF8StreamDecoder()
        while !w.isServerStopping {
            guard let items = sub.next(timeout: 15) else { break }
            if items.isEmpty {
                if !w.sendComment() { break }
                continue
            }
            var ok = true
            for item in items where ok {
                switch item {
                case .output(let d):
                    let text = decoder.decode(Array(d))
                    if !text.isEmpty { ok = w.sendEvent("output", data: text) }
                case .state(let json):
                    ok = w.sendEvent("state", data: json)
                }
            }
            if !ok { break }
        }
        w.finish()
    }

    private func input(_ r: HTTPRequest, _ w: HTTPResponseWriter) {
        var bytes: Data
        if r.contentType == "application/octet-stream" {
            bytes = r.body
        } else {
            guard let json = try? JSON.parse(r.body), json.objectValue != nil else {
                w.send(.error(400, code: "BadRequest", message: "body must be a JSON object {\"text\": \"...\", \"enter\": true} or application/octet-stream"))
                return
            }
            let text = json["text"]
            let enter = json["enter"]
            guard text == .null || text.stringValue != nil, enter == .null || enter.boolValue != nil else {
                w.send(.error(400, code: "BadRequest", message: "text must be a string and enter a boolean"))
                return
            }
            bytes = Data((text.stringValue ?? "").utf8)
            if enter.boolValue == true { bytes.append(0x0D) }  // what the Enter key sends
        }
        guard !bytes.isEmpty else {
            w.send(.error(400, code: "BadRequest", message: "no input given"))
            return
        }
        switch supervisor.sendInput(bytes) {
        case .accepted: w.send(.json(["bytes": .int(Int64(bytes.count))]))
        case .notRunning: w.send(.error(409, code: "AgentNotRunning", message: "the agent is not running"))
        case .backlog: w.send(.error(503, code: "InputBacklog", message: "the agent is not reading its input; try again later"))
        }
    }

    private func resize(_ r: HTTPRequest, _ w: HTTPResponseWriter) {
        guard let json = try? JSON.parse(r.body), json.objectValue != nil else {
            w.send(.error(400, code: "BadRequest", message: "body must be a JSON object {\"cols\": C, \"rows\": R}"))
            return
        }
        guard let cols = json["cols"].intValue, let rows = json["rows"].intValue,
              supervisor.resize(WindowSize(cols: Int(cols), rows: Int(rows))) else {
            w.send(.error(400, code: "BadRequest", message: "cols and rows must be whole numbers in 1...1000"))
            return
        }
        w.send(.json(["cols": .int(cols), "rows": .int(rows)]))
    }

    private func signal(_ r: HTTPRequest, _ w: HTTPResponseWriter) {
        guard let json = try? JSON.parse(r.body), json.objectValue != nil else {
            w.send(.error(400, code: "BadRequest", message: "body must be a JSON object {\"signal\": \"SIGINT\"}"))
            return
        }
        let name = json["signal"].stringValue ?? json["signal"].intValue.map { String($0) }
        guard let name, let number = signalNumber(name) else {
            w.send(.error(400, code: "BadRequest", message: "unknown signal"))
            return
        }
        guard supervisor.sendSignal(number) else {
            w.send(.error(409, code: "AgentNotRunning", message: "the agent is not running"))
            return
        }
        w.send(.json(["signal": .string(signalName(number))]))
    }

    private func metricsResponse(_ w: HTTPResponseWriter) {
        w.send(.text(metrics.exposition(), contentType: "text/plain; version=0.0.4; charset=utf-8"))
    }
}

/// Lets the route closures reach the API object created after them.
private final class RouteBox: @unchecked Sendable {
    weak var api: SupervisorAPI?
}
