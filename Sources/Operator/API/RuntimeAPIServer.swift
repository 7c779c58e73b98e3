import CurlHTTP
import Foundation
import RuntimeCore

/// The runtime API (CONTRACT.md §6) over an ``AgentBackend``: routes, bearer auth, size limits, JSON
/// errors, supervisor relays, the attach WebSocket and the `/events` stream. See docs/runtime-api.md.
///
/// | request | answer |
/// | --- | --- |
/// | `GET /healthz` | 200, no token needed |
/// | `POST /spawn` | 201 agent; 400 bad JSON; 415 not JSON; 422 invalid or unknown field; 409 exists; 403 policy; 429 quota |
/// | `POST /stop` `{"agentId"}` | 202 agent (phase `Stopping`); 404 unknown |
/// | `GET /agents` | `{"agents": [...]}` |
/// | `GET /agents/{id}` | the agent; 404 |
/// | `GET /agents/{id}/logs?tail=N&raw=1` | text from the supervisor |
/// | `GET /agents/{id}/screen` | the terminal screen as text |
/// | `POST /agents/{id}/input` | forwarded (`{"text", "enter"}` or octet-stream) |
/// | `POST /agents/{id}/resize` | forwarded (`{"cols", "rows"}`) |
/// | `GET /agents/{id}/attach` | WebSocket (subprotocol `tty`), relayed |
/// | `GET /events[?agentId=ID]` | SSE: `agent`, `login_required`, `login_completed` |
/// | `GET /metrics` | Prometheus text, when the server was given a registry |
///
/// Every answer but `/healthz` needs `Authorization: Bearer <token>` (or `?token=`, for WebSocket
/// clients that cannot set headers): 401 without or with a wrong one. Bodies above `maxBodyBytes` get
/// 413 before they are read.
public final class RuntimeAPIServer: Sendable {
    /// Listen address and limits.
    public struct Configuration: Sendable {
        /// `host:port`; port 0 picks a free one (read back ``port``).
        public var listen: String
        /// Larger request bodies are refused with 413 (default 1 MiB).
        public var maxBodyBytes: Int = 1 << 20
        /// Worker threads: concurrent requests, including open `/events` streams and attached viewers.
        public var threads: Int = 64
        /// Most open `/events` streams and, separately, most attached viewers (each holds a worker
        /// thread): beyond it 503, so streams can never starve spawn, stop and reads of threads.
        public var maxStreams: Int = 24

        /// Creates a configuration.
        public init(listen: String, maxBodyBytes: Int = 1 << 20, threads: Int = 64) {
            self.listen = listen
            self.maxBodyBytes = maxBodyBytes
            self.threads = threads
        }
    }

    /// The backend served.
    public let backend: any AgentBackend
    /// The change feed.
    public let hub: AgentEventHub
    /// The server.
    public let server: HTTPServer
    private let relay: SupervisorRelay
    private let logger: Logger
    private let hubTask = TaskBox()
    private let maxStreams: Int

    /// Builds the server. `metrics`, when given, is served at `/metrics` (behind the token).
    public init(configuration: Configuration, backend: any AgentBackend, tokens: APITokens, metrics: MetricsRegistry? = nil,
                relayClient: HTTPClient = HTTPClient(name: "supervisor-relay", maxConnectionsPerHost: 8),
                logger: Logger = Logger(label: "runtime-api")) {
        self.backend = backend
        self.logger = logger
        maxStreams = configuration.maxStreams
        hub = AgentEventHub(backend: backend)
        relay = SupervisorRelay(http: relayClient)
        let auth = Self.authMiddleware(tokens: tokens, logger: logger)
        let box = APIBox()
        var routes: [(method: String, pattern: String, handler: Router.Handler)] = [
            ("GET", "/healthz", .streaming { _, w in w.send(.json(["status": "ok"])) }),
            ("POST", "/spawn", .async { r in await box.api?.spawn(r) ?? Self.gone }),
            ("POST", "/stop", .async { r in await box.api?.stop(r) ?? Self.gone }),
            ("GET", "/agents", .async { _ in await box.api?.list() ?? Self.gone }),
            ("GET", "/agents/:id", .async { r in await box.api?.get(r) ?? Self.gone }),
            ("GET", "/agents/:id/logs", .async { r in await box.api?.logs(r) ?? Self.gone }),
            ("GET", "/agents/:id/screen", .async { r in await box.api?.screen(r) ?? Self.gone }),
            ("GET", "/agents/:id/status", .async { r in await box.api?.supervisorStatus(r) ?? Self.gone }),
            ("POST", "/agents/:id/input", .async { r in await box.api?.input(r) ?? Self.gone }),
            ("POST", "/agents/:id/resize", .async { r in await box.api?.resize(r) ?? Self.gone }),
            ("POST", "/agents/:id/messages", .async { r in await box.api?.message(r) ?? Self.gone }),
            ("GET", "/agents/:id/messages", .async { r in await box.api?.messages(r) ?? Self.gone }),
            ("POST", "/agents/:id/interrupt", .async { r in await box.api?.interrupt(r) ?? Self.gone }),
            ("GET", "/agents/:id/attach", .streaming { _, w in
                w.send(.error(400, code: "UpgradeRequired", message: "GET /agents/{id}/attach is a WebSocket endpoint (subprotocol tty)"))
            }),
            ("GET", "/events", .streaming { r, w in box.api?.events(r, w) }),
        ]
        if let metrics {
            routes.append(("GET", "/metrics", .streaming { _, w in
                w.send(.text(metrics.exposition(), contentType: "text/plain; version=0.0.4; charset=utf-8"))
            }))
        }
        let router = Router(routes, middleware: auth)
        server = HTTPServer(configuration: .init(listen: configuration.listen, threads: configuration.threads,
                                                 maxBodyBytes: configuration.maxBodyBytes), handler: router.handler)
        server.webSocket("/agents/*/attach", subprotocols: ["tty"],
                         handler: AttachRelay(backend: backend, authorize: auth, maxViewers: configuration.maxStreams, logger: logger))
        box.api = self
    }

    /// Starts listening and the event hub.
    public func start() throws(HTTPServerError) {
        try server.start()
        let hub = self.hub
        hubTask.set(Task { await hub.run() })
        logger.info("runtime API listening", ["address": .string(server.configuration.listen), "port": .int(Int64(server.port)),
                                              "runtime": .string(backend.runtimeName)])
    }

    /// The bound port.
    public var port: Int { server.port }

    /// Stops the hub (ending `/events` streams) and the server.
    public func shutdown() async {
        hubTask.cancel()
        await server.shutdown()
    }

    static let gone = APIError.unavailable("the runtime API is shutting down").response

    /// Bearer tokens from `tokens` (constant-time), `/healthz` open; refusals logged without the token.
    static func authMiddleware(tokens: APITokens, logger: Logger) -> @Sendable (HTTPRequest) -> HTTPResponse? {
        let check = bearerAuth(tokens: { tokens.current }, open: ["/healthz"])
        return { request in
            guard let refusal = check(request) else { return nil }
            logger.warning("request refused: \(request.presentedToken == nil ? "no token" : "invalid token")",
                           ["method": .string(request.method), "path": .string(request.path), "remote": .string(request.remoteAddress)])
            return refusal
        }
    }

    // MARK: Handlers

    private func spawn(_ r: HTTPRequest) async -> HTTPResponse {
        if let type = r.contentType, type != "application/json" {
            return APIError(415, "UnsupportedMediaType", "POST /spawn takes application/json, not \(type)").response
        }
        do throws(APIError) {
            let request = try SpawnRequest.parse(r.body)
            let agent = try await backend.spawn(request)
            logger.info("agent spawned", ["agentId": .string(agent.agentId), "agentType": .string(agent.agentType),
                                          "namespace": .string(agent.namespace), "remote": .string(r.remoteAddress)])
            hub.poke()
            return .json(agent.json, status: 201)
        } catch {
            logger.info("spawn refused", ["status": .int(Int64(error.status)), "code": .string(error.code), "reason": .string(error.message)])
            return error.response
        }
    }

    private func stop(_ r: HTTPRequest) async -> HTTPResponse {
        do throws(APIError) {
            guard let json = try? JSON.parse(r.body) else { throw .badRequest("the body is not valid JSON") }
            guard let object = json.objectValue else { throw .badRequest("the body must be a JSON object {\"agentId\": \"...\"}") }
            let unknown = object.keys.filter { $0 != "agentId" }.sorted()
            guard unknown.isEmpty else { throw .invalid("unknown field \(AgentNames.quoted(unknown[0])) (POST /stop takes agentId only)") }
            guard let id = object["agentId"]?.stringValue else { throw .invalid("agentId is required and must be a string") }
            try AgentNames.validate(agentId: id)
            let agent = try await backend.stop(agentId: id)
            logger.info("agent stopping", ["agentId": .string(id), "remote": .string(r.remoteAddress)])
            hub.poke()
            return .json(agent.json, status: 202)
        } catch {
            return error.response
        }
    }

    private func list() async -> HTTPResponse {
        .json(["agents": .array(await backend.list().map(\.json))])
    }

    private func get(_ r: HTTPRequest) async -> HTTPResponse {
        do throws(APIError) {
            return .json(try await backend.get(agentId: try Self.agentId(r)).json)
        } catch {
            return error.response
        }
    }

    private func logs(_ r: HTTPRequest) async -> HTTPResponse {
        var tail: Int?
        if let t = r.query("tail") {
            guard let n = Int(t), (0...100_000).contains(n) else {
                return APIError.badRequest("tail must be a whole number from 0 to 100000").response
            }
            tail = n
        }
        let raw = ["1", "true", "yes"].contains(r.query("raw")?.lowercased() ?? "")
        return await relayed(r) { await relay.logs($0, tail: tail, raw: raw) }
    }

    private func screen(_ r: HTTPRequest) async -> HTTPResponse { await relayed(r) { await relay.screen($0) } }

    private func supervisorStatus(_ r: HTTPRequest) async -> HTTPResponse { await relayed(r) { await relay.status($0) } }

    private func input(_ r: HTTPRequest) async -> HTTPResponse {
        await relayed(r, typed: true) { await relay.input($0, body: r.body, contentType: r.contentType) }
    }

    private func resize(_ r: HTTPRequest) async -> HTTPResponse { await relayed(r) { await relay.resize($0, body: r.body) } }

    /// `POST /agents/{id}/messages`: a turn on the agent (the supervisor's `POST /message`).
    private func message(_ r: HTTPRequest) async -> HTTPResponse {
        await relayed(r, typed: true) { await relay.message($0, body: r.body) }
    }

    /// `GET /agents/{id}/messages[?since=ID]`: the conversation.
    private func messages(_ r: HTTPRequest) async -> HTTPResponse {
        await relayed(r) { await relay.messages($0, since: r.query("since")) }
    }

    /// `POST /agents/{id}/interrupt`: the CLI's interrupt key.
    private func interrupt(_ r: HTTPRequest) async -> HTTPResponse { await relayed(r) { await relay.interrupt($0) } }

    /// Finds the supervisor of the agent in a `/agents/{id}/...` path and relays the request to it (API errors
    /// become their answers). After a 2xx answer to `typed` input the backend looks at the agent again soon:
    /// typing may have ended a login screen.
    private func relayed(_ r: HTTPRequest, typed: Bool = false, _ forward: (SupervisorTarget) async -> HTTPResponse) async -> HTTPResponse {
        do throws(APIError) {
            let id = try Self.agentId(r)
            let response = await forward(try await backend.supervisor(agentId: id))
            if typed, (200..<300).contains(response.status) { await backend.inputDelivered(agentId: id) }
            return response
        } catch {
            return error.response
        }
    }

    /// `GET /events`: the current agents first, then changes; a comment every 15 s keeps proxies (and
    /// the check for departed clients) going. Runs on its worker thread until the client leaves.
    private func events(_ r: HTTPRequest, _ w: HTTPResponseWriter) {
        let filter = r.query("agentId").flatMap { $0.isEmpty ? nil : $0 }
        let hub = self.hub
        guard hub.subscriberCount < maxStreams else {
            w.send(APIError.unavailable("too many open event streams (\(maxStreams)); retry later").response)
            return
        }
        let (sub, initial) = Router.runBlocking { await hub.subscribe(agentId: filter) }
        defer { hub.unsubscribe(sub) }
        w.startEventStream()
        for e in initial where !w.sendEvent(e.name, data: e.data.serialized()) { return }
        if !w.sendComment("synced") { return }
        while !w.isServerStopping {
            guard let batch = sub.next(timeout: 15) else { break }
            if batch.isEmpty {
                if !w.sendComment() { break }
                continue
            }
            var ok = true
            for e in batch where ok { ok = w.sendEvent(e.name, data: e.data.serialized()) }
            if !ok { break }
        }
        w.finish()
    }

    /// The `{id}` path parameter, percent-decoded and checked (so `..` or `/` never reach a backend).
    static func agentId(_ r: HTTPRequest) throws(APIError) -> String {
        let raw = r.pathParameters["id"] ?? ""
        let id = raw.removingPercentEncoding ?? raw
        do {
            try AgentNames.validate(agentId: id)
        } catch {
            throw APIError.notFound(id)
        }
        return id
    }
}

/// Lets the route closures reach the server object created after them.
private final class APIBox: @unchecked Sendable {
    weak var api: RuntimeAPIServer?
}

/// A task handle set once and cancelled on shutdown.
final class TaskBox: @unchecked Sendable {
    private let lock = NSLock()
    private var task: Task<Void, Never>?

    func set(_ t: Task<Void, Never>) { lock.withLock { task = t } }
    func cancel() { lock.withLock { task?.cancel() } }
}
