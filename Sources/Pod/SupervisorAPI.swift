import FoundationEssentials
import RuntimeCore

/// The supervisor's HTTP API (contract §4) on a civetweb ``HTTPServer``.
///
/// Every endpoint but `/healthz`, `/readyz` and `/metrics` needs the bearer token (compared in constant
/// time); the WebSocket `/attach` also takes it as `?token=`. Errors use the runtime's JSON shape
/// `{"error": {"code", "message"}}`: 400 bad JSON or values, 401 no/invalid token, 404 unknown endpoint,
/// 405 wrong method, 409 no agent running, 413 body over the limit, 503 input backlog or too many streams.
///
/// Long-lived streams (attach viewers, `/events`) each hold one civetweb worker for as long as they are
/// open, so they are capped (``Limits``) below the worker count: the workers left over
/// (``Limits/requestWorkers``) are never taken by a stream, and `/healthz`, `/readyz`, `/status`,
/// `/screen` and `/input` keep answering however many viewers try to attach.
public final class SupervisorAPI: Sendable {
    /// How many long-lived streams may be open, and how many workers stay free for everything else.
    public struct Limits: Sendable, Equatable {
        /// Attached `/attach` viewers at once (`--max-viewers`); one more gets 503 `TooManyViewers`.
        public var viewers = 16
        /// Open `/events` streams at once (`--max-event-streams`); one more gets 503 `TooManyStreams`.
        public var eventStreams = 8
        /// Workers no stream can take: probes and short requests, including idle keep-alive connections
        /// (each holds a worker for up to the 5 s keep-alive timeout).
        public var requestWorkers = 8
        /// civetweb's worker threads: every stream at its cap plus the request workers.
        public var threads: Int { viewers + eventStreams + requestWorkers }
        /// The defaults: 16 viewers, 8 event streams, 8 request workers (32 threads).
        public init() {}
    }

    /// The supervisor served.
    public let supervisor: Supervisor
    /// The server (started by ``start()``).
    public let server: HTTPServer
    /// The stream caps in force.
    public let limits: Limits
    private let metrics: MetricsRegistry
    private let tokens: [String]
    private let eventStreams: Slots

    /// Builds the routes. An empty `token` disables authentication (only for `--insecure-no-auth`).
    public init(supervisor: Supervisor, listen: String, token: String?, maxBodyBytes: Int = 1 << 20, limits: Limits = Limits()) {
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
            ("POST", "/message", .streaming { r, w in box.api?.message(r, w) }),
            ("GET", "/messages", .streaming { r, w in box.api?.messages(r, w) }),
            ("POST", "/interrupt", .streaming { _, w in box.api?.interrupt(w) }),
            ("GET", "/metrics", .streaming { _, w in box.api?.metricsResponse(w) }),
            ("GET", "/attach", .streaming { _, w in
                w.send(.error(400, code: "UpgradeRequired", message: "GET /attach is a WebSocket endpoint (subprotocol tty)"))
            }),
        ], middleware: middleware)
        self.limits = limits
        eventStreams = Slots(capacity: limits.eventStreams)
        var config = HTTPServer.Configuration(listen: listen, threads: limits.threads, maxBodyBytes: maxBodyBytes)
        config.keepAliveTimeout = .seconds(5)
        server = HTTPServer(configuration: config, handler: router.handler)
        let tooMany = HTTPResponse.error(503, code: "TooManyViewers",
                                         message: "\(limits.viewers) viewers are attached, the most this supervisor serves; retry later")
        server.webSocket("/attach", subprotocols: ["tty"], limit: limits.viewers, overLimit: tooMany,
                         handler: AttachHandler(supervisor: supervisor, tokens: tokens))
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
        guard eventStreams.take() else {
            w.send(.error(503, code: "TooManyStreams", message: "\(limits.eventStreams) /events streams are open, the most this supervisor serves; retry later"))
            return
        }
        defer { eventStreams.give() }
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
                case .event(let name, let json):
                    ok = w.sendEvent(name, data: json)
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
        w.send(Self.inputAnswer(supervisor.sendInput(bytes), bytes: bytes.count))
    }

    /// The answer to input written as it is (`POST /input`, `POST /message` of type `raw`).
    private static func inputAnswer(_ result: Supervisor.InputResult, bytes: Int) -> HTTPResponse {
        switch result {
        case .accepted: return .json(["bytes": .int(Int64(bytes))])
        case .notRunning: return .error(409, code: "AgentNotRunning", message: "the agent is not running")
        case .backlog: return inputBacklog
        }
    }

    private static let inputBacklog = HTTPResponse.error(503, code: "InputBacklog", message: "the agent is not reading its input; try again later")

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

    /// `POST /message` `{"content": "...", "type": "user"|"raw"}`: `user` (the default) types the message the
    /// way the CLI takes it and starts a turn (202 with the message and the turn id); `raw` writes the bytes
    /// as they are (200, no turn). 409 while the agent is not `running` or is busy.
    private func message(_ r: HTTPRequest, _ w: HTTPResponseWriter) {
        guard let json = try? JSON.parse(r.body), json.objectValue != nil else {
            w.send(.error(400, code: "BadRequest", message: "body must be a JSON object {\"content\": \"...\", \"type\": \"user\"}"))
            return
        }
        guard let content = json["content"].stringValue, !content.isEmpty else {
            w.send(.error(400, code: "BadRequest", message: "content must be a non-empty string"))
            return
        }
        let type = json["type"].stringValue ?? "user"
        switch type {
        case "raw":
            w.send(Self.inputAnswer(supervisor.sendInput(Data(content.utf8)), bytes: content.utf8.count))
        case "user":
            switch supervisor.sendMessage(content) {
            case .started(let m, let turnId):
                w.send(.json(["message": m.json, "turnId": .int(Int64(turnId))], status: 202))
            case .notRunning:
                w.send(.error(409, code: "AgentNotRunning", message: "the agent is \(supervisor.state.rawValue), not running"))
            case .busy:
                w.send(.error(409, code: "AgentBusy", message: "the agent is busy (a turn is in progress or its screen is changing); wait for stable"))
            case .backlog:
                w.send(Self.inputBacklog)
            }
        default:
            w.send(.error(400, code: "BadRequest", message: "type must be user or raw"))
        }
    }

    /// `GET /messages[?since=ID]`: `{"messages": [{id, role, content, time}]}`.
    private func messages(_ r: HTTPRequest, _ w: HTTPResponseWriter) {
        var since: Int?
        if let text = r.query("since") {
            guard let v = Int(text), v >= 0 else {
                w.send(.error(400, code: "BadRequest", message: "since must be a message id (a whole number)"))
                return
            }
            since = v
        }
        let list = supervisor.conversation.messages(after: since).map(\.json)
        w.send(.json(["messages": .array(list), "activity": .string(supervisor.conversation.activity().rawValue),
                      "turnInProgress": .bool(supervisor.conversation.turnInProgress)]))
    }

    /// `POST /interrupt`: the CLI's interrupt key (Esc or Ctrl-C); a turn in progress ends as `turn.interrupted`.
    private func interrupt(_ w: HTTPResponseWriter) {
        guard supervisor.interrupt() else {
            w.send(.error(409, code: "AgentNotRunning", message: "the agent is not running"))
            return
        }
        w.send(.json(["interrupted": true]))
    }

    private func metricsResponse(_ w: HTTPResponseWriter) {
        w.send(.text(metrics.exposition(), contentType: "text/plain; version=0.0.4; charset=utf-8"))
    }
}

/// Lets the route closures reach the API object created after them.
private final class RouteBox: @unchecked Sendable {
    weak var api: SupervisorAPI?
}
