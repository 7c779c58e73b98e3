import Foundation
import RuntimeCore
import Synchronization

/// kube-emulator's HTTP face: the Kubernetes REST API over an ``APIStore``, served by civetweb.
///
/// Requests are handled synchronously on civetweb worker threads (the store is internally locked), so a
/// watch simply holds its thread while it streams. Routing follows the apiserver's URL layout:
/// `/api/v1/...` and `/apis/<group>/<version>/...`, with `namespaces/<ns>/` for namespaced resources.
public final class EmulatorServer: Sendable {
    /// Settings of one emulator instance.
    public struct Configuration: Sendable {
        /// Address to listen on (`127.0.0.1:0` picks a free port).
        public var listen = "127.0.0.1:0"
        /// When set, every API request needs `Authorization: Bearer <token>`.
        public var token: String?
        /// Watch events kept per resource for resume; older resourceVersions get 410 Gone.
        public var watchHistory = 1000
        /// Faults active from the start.
        public var faults = FaultSettings()
        /// Worker threads; each open watch holds one (see README: civetweb is thread-per-connection).
        public var threads = 256
        /// How often an idle watch that allows bookmarks receives one (the apiserver sends them about once a
        /// minute; shorter here so tests see resumable resourceVersions quickly).
        public var bookmarkInterval: Duration = .seconds(5)
        /// Largest accepted request body (the apiserver's limit is 3 MiB).
        public var maxBodyBytes = 3 << 20
        /// Run agent pods as local processes (`--run-pods`); nil leaves every pod Pending.
        public var kubelet: ProcessKubelet.Configuration?
        /// Append one JSON line per API request to this file (`--audit-log`, see `ServerAudit.swift`).
        public var auditLog: String?
        /// Creates the default configuration.
        public init() {}
    }

    /// The configuration this server runs with.
    public let configuration: Configuration
    /// The object store behind the API (tests may use it directly).
    public let store: APIStore
    let faults: FaultInjector
    let logger: Logger
    private let http: Mutex<HTTPServer?> = Mutex(nil)
    private let audit: Mutex<AuditLog?> = Mutex(nil)
    /// The process kubelet, when pods are run.
    public let kubelet: ProcessKubelet?

    /// Creates an emulator (not yet listening).
    public init(configuration: Configuration = Configuration(), logger: Logger = Logger(label: "kube-emulator")) {
        self.configuration = configuration
        self.store = APIStore(configuration: .init(watchHistorySize: configuration.watchHistory))
        self.faults = FaultInjector(configuration.faults)
        self.logger = logger
        let store = self.store
        self.kubelet = configuration.kubelet.map { ProcessKubelet(store: store, configuration: $0, logger: logger) }
    }

    /// Starts serving (and the kubelet, if configured); returns the bound port.
    @discardableResult
    public func start() throws -> Int {
        let auditLog = try configuration.auditLog.map { path throws(UsageError) in try AuditLog(path: path) }
        audit.withLock { $0 = auditLog }
        try kubelet?.start()
        var hc = HTTPServer.Configuration(listen: configuration.listen, threads: configuration.threads,
                                          maxBodyBytes: configuration.maxBodyBytes)
        hc.requestTimeout = .seconds(60)
        let server = HTTPServer(configuration: hc) { [self] req, w in self.handle(req, w) }
        try server.start()
        http.withLock { $0 = server }
        return server.port
    }

    /// The bound port (0 before ``start()``).
    public var port: Int { http.withLock { $0?.port ?? 0 } }

    /// Base URL, e.g. `http://127.0.0.1:43121`.
    public var url: String { "http://\(configuration.listen.split(separator: ":").first ?? "127.0.0.1"):\(port)" }

    /// Writes a kubeconfig pointing at this server.
    public func writeKubeconfig(to path: String) throws {
        try EmulatorKubeconfig.write(to: path, server: url, token: configuration.token)
    }

    /// Current fault settings (also settable over HTTP at `/emulator/faults`).
    public var faultSettings: FaultSettings {
        get { faults.settings }
        set { faults.settings = newValue }
    }

    /// Ends every open watch stream (clients see a dropped connection and must resume).
    public func dropWatches() { faults.dropAllWatches() }

    /// Stops serving and joins the worker threads (blocking).
    public func stop() {
        let server = http.withLock { s -> HTTPServer? in
            defer { s = nil }
            return s
        }
        server?.stop()
        kubelet?.stop()
        audit.withLock { $0?.close() }
    }

    // MARK: Dispatch

    func handle(_ req: HTTPRequest, _ w: HTTPResponseWriter) {
        if ["/healthz", "/readyz", "/livez"].contains(req.path) { return w.send(.text("ok")) }
        if let token = configuration.token {
            guard let presented = req.bearerToken, constantTimeEquals(presented, token) else {
                return w.send(statusResponse(APIError(code: 401, reason: "Unauthorized", message: "Unauthorized")))
            }
        }
        if req.path.hasPrefix("/emulator/") { return w.send(admin(req)) }
        switch req.path {
        case "/version": return w.send(.json(ServerDiscovery.version))
        case "/openapi/v3": return w.send(.json(ServerOpenAPI.root(store.registry)))
        default:
            if req.path.hasPrefix("/openapi/") {
                guard let doc = ServerOpenAPI.document(store.registry, path: req.path) else { return w.send(notFound()) }
                return w.send(.json(doc))
            }
        }
        guard let target = ResourcePath.target(req.path) else {
            return w.send(statusResponse(APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")))
        }
        switch target {
        case .apiVersions: return w.send(.json(ServerDiscovery.apiVersions(serverAddress: "127.0.0.1:\(port)")))
        case .groupList: return w.send(.json(ServerDiscovery.groupList(store.registry)))
        case .group(let g):
            guard let info = store.registry.groups().first(where: { $0.name == g }) else { return w.send(notFound()) }
            return w.send(.json(ServerDiscovery.group(info)))
        case .resourceList(let g, let v):
            guard let list = ServerDiscovery.resourceList(store.registry, group: g, version: v) else { return w.send(notFound()) }
            return w.send(.json(list))
        case .resource(let g, let v, let rest):
            guard let path = ResourcePath.resolve(group: g, version: v, rest: rest, registry: store.registry) else {
                return w.send(notFound())
            }
            let isWatch = req.method == "GET" && path.name == nil && ["true", "1"].contains(req.query("watch") ?? "")
            audit.withLock { $0 }?.record(req, path, isWatch: isWatch)
            if !isWatch, let injected = faults.intercept() { return w.send(injected) }
            if isWatch { return serveWatch(req, path, w) }
            do {
                w.send(try serveResource(req, path))
            } catch {
                w.send(statusResponse(error))
            }
        }
    }

    private func notFound() -> HTTPResponse {
        statusResponse(APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource"))
    }

    func statusResponse(_ e: APIError) -> HTTPResponse {
        var headers: [(String, String)] = [("Content-Type", "application/json")]
        if let s = e.retryAfterSeconds { headers.append(("Retry-After", String(s))) }
        return HTTPResponse(status: e.code, headers: headers, body: e.status.data())
    }

    private func serveResource(_ req: HTTPRequest, _ p: ResourcePath) throws(APIError) -> HTTPResponse {
        var query = Dictionary(req.queryItems.map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last })
        if query["fieldManager"] == nil, req.method != "PATCH" || !(req.contentType ?? "").hasPrefix("application/apply-patch"),
           let agent = req.header("user-agent")?.split(separator: "/").first
        {
            // The apiserver records non-apply writes under the User-Agent's program name.
            query["fieldManager"] = String(agent)
        }
        let r = p.resource
        if let sub = p.subresource, r.subresources[sub] == nil {
            throw APIError(code: 404, reason: "NotFound", message: "the server could not find the requested resource")
        }
        switch (req.method, p.name) {
        case ("GET", let name?):
            let obj = try store.get(r, namespace: p.namespace, name: name)
            return render(obj, req, r)
        case ("GET", nil):
            let list = try store.list(r, namespace: p.namespace, options: try ListOptions(query: query))
            if let table = tableRequest(req) {
                return .json(TableRenderer(resource: r).table(list: list, includeObject: table))
            }
            return .json(list.json(for: r))
        case ("POST", nil):
            let body = try decodeBody(req, r)
            let result = try store.create(r, namespace: p.namespace, object: body, options: try WriteOptions(query: query))
            return withWarnings(render(result.object, req, r, status: 201), result.warnings)
        case ("PUT", let name?):
            let body = try decodeBody(req, r)
            let result = try store.update(r, namespace: p.namespace, name: name, object: body, subresource: p.subresource,
                                          options: try WriteOptions(query: query))
            return withWarnings(render(result.object, req, r, status: result.created ? 201 : 200), result.warnings)
        case ("PATCH", let name?):
            let force = ["true", "1"].contains(query["force"] ?? "")
            guard let type = PatchType(contentType: req.header("content-type") ?? "", fieldManager: query["fieldManager"], force: force) else {
                throw APIError(code: 415, reason: "UnsupportedMediaType",
                               message: "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml")
            }
            let body: JSON
            if case .apply = type {
                do {
                    body = try YAML.parse(String(decoding: req.body, as: UTF8.self), source: "request body")
                } catch {
                    throw .badRequest("error decoding YAML: \(error.description)")
                }
            } else {
                body = try parseJSON(req.body)
            }
            let result = try store.patch(r, namespace: p.namespace, name: name, type: type, body: body,
                                         subresource: p.subresource, options: try WriteOptions(query: query))
            return withWarnings(render(result.object, req, r, status: result.created ? 201 : 200), result.warnings)
        case ("DELETE", let name?):
            let body = req.body.isEmpty ? nil : try parseJSON(req.body)
            let result = try store.delete(r, namespace: p.namespace, name: name, options: try DeleteOptions(query: query, body: body))
            return .json(result.body, status: result.completed ? 200 : 202)
        case ("DELETE", nil):
            let body = req.body.isEmpty ? nil : try parseJSON(req.body)
            let list = try store.deleteCollection(r, namespace: p.namespace, listOptions: try ListOptions(query: query),
                                                  options: try DeleteOptions(query: query, body: body))
            return .json(list)
        default:
            throw .methodNotAllowed("the server does not allow this method on the requested resource")
        }
    }

    private func withWarnings(_ response: HTTPResponse, _ warnings: [String]) -> HTTPResponse {
        var r = response
        for w in warnings { r.headers.append(("Warning", "299 - \"\(w.replacingOccurrences(of: "\"", with: "'"))\"")) }
        return r
    }

    private func parseJSON(_ data: Data) throws(APIError) -> JSON {
        do {
            return try JSON.parse(data)
        } catch {
            throw .badRequest("the request body could not be decoded: \(error)")
        }
    }

    private func decodeBody(_ req: HTTPRequest, _ r: ResourceInfo) throws(APIError) -> JSON {
        switch req.contentType ?? "application/json" {
        case "application/json", "": return try parseJSON(req.body)
        case "application/vnd.kubernetes.protobuf":
            throw APIError(code: 415, reason: "UnsupportedMediaType",
                           message: "kube-emulator does not decode protobuf request bodies; send application/json or application/yaml (e.g. kubectl create -f)")
        case "application/yaml":
            do {
                return try YAML.parse(String(decoding: req.body, as: UTF8.self), source: "request body")
            } catch {
                throw .badRequest("error decoding YAML: \(error.description)")
            }
        default:
            throw APIError(code: 415, reason: "UnsupportedMediaType",
                           message: "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml")
        }
    }

    /// `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` asks for a Table; the result is the
    /// includeObject policy to render with.
    func tableRequest(_ req: HTTPRequest) -> IncludeObjectPolicy? {
        guard let accept = req.header("accept") else { return nil }
        for option in accept.split(separator: ",") {
            let params = option.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            if params.contains("as=Table"), params.contains("g=meta.k8s.io"), params.contains("v=v1") {
                return IncludeObjectPolicy(rawValue: req.query("includeObject") ?? "Metadata") ?? .metadata
            }
        }
        return nil
    }

    /// Whether the client asked for PartialObjectMetadata rather than the object.
    func wantsPartialMetadata(_ req: HTTPRequest) -> Bool {
        (req.header("accept") ?? "").contains("as=PartialObjectMetadata")
    }

    private func render(_ obj: JSON, _ req: HTTPRequest, _ r: ResourceInfo, status: Int = 200) -> HTTPResponse {
        if let table = tableRequest(req) {
            return .json(TableRenderer(resource: r).table(object: obj, includeObject: table), status: status)
        }
        if wantsPartialMetadata(req) {
            return .json(["kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]], status: status)
        }
        return .json(obj, status: status)
    }

    // MARK: Admin (test control) endpoints

    private func admin(_ req: HTTPRequest) -> HTTPResponse {
        switch (req.method, req.path) {
        case ("GET", "/emulator/faults"):
            return .json(encoding: faults.settings)
        case ("PUT", "/emulator/faults"), ("POST", "/emulator/faults"):
            do {
                let settings = try JSONDecoder().decode(FaultSettings.self, from: req.body)
                faults.settings = settings
                logger.info("fault settings changed", ["faults": (try? JSON(encoding: settings)) ?? .null])
                return .json(encoding: settings)
            } catch {
                return .error(400, code: "BadRequest", message: "invalid fault settings: \(error)")
            }
        case ("POST", "/emulator/drop-watches"):
            faults.dropAllWatches()
            return .json(["dropped": .int(Int64(store.watchCount))])
        case ("POST", "/emulator/compact"):
            store.compactHistory()
            return .json(["compactedAt": .string(store.resourceVersion)])
        default:
            return .error(404, code: "NotFound", message: "no such emulator endpoint")
        }
    }
}
