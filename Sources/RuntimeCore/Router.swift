import Dispatch
import FoundationEssentials

/// Matches request paths against patterns such as `/agents/:id/logs` and dispatches to handlers.
///
/// Patterns are literal segments, `:name` captures (one segment) and a trailing `*` (the rest of the path,
/// captured as `*`). A path that matches a pattern for another method answers 405; no match answers 404.
public final class Router: Sendable {
    /// A route's handler: synchronous (runs on the server thread, may stream) or async (bridged).
    public enum Handler: Sendable {
        /// Runs on the server's worker thread and writes the response itself.
        case streaming(HTTPHandler)
        /// Runs as a Swift task; the worker thread waits for its response.
        case async(@Sendable (HTTPRequest) async -> HTTPResponse)
    }

    struct Route: Sendable {
        let method: String
        let segments: [Substring]
        let handler: Handler
    }

    private let routes: [Route]
    private let middleware: (@Sendable (HTTPRequest) -> HTTPResponse?)?

    /// Creates a router from a list of routes. `middleware` runs first; a non-nil answer short-circuits
    /// (this is where bearer authentication goes).
    public init(_ routes: [(method: String, pattern: String, handler: Handler)],
                middleware: (@Sendable (HTTPRequest) -> HTTPResponse?)? = nil) {
        self.routes = routes.map { Route(method: $0.method.uppercased(), segments: Router.split($0.pattern), handler: $0.handler) }
        self.middleware = middleware
    }

    static func split(_ path: String) -> [Substring] { path.split(separator: "/", omittingEmptySubsequences: true) }

    /// Finds the route for a request; the result carries the captured path parameters.
    func match(_ request: HTTPRequest) -> (Route, [String: String])? {
        let parts = Router.split(request.path)
        var methodMismatch = false
        for r in routes {
            guard let params = Router.capture(r.segments, parts) else { continue }
            if r.method == request.method || (r.method == "GET" && request.method == "HEAD") { return (r, params) }
            methodMismatch = true
        }
        return methodMismatch ? (Route(method: "", segments: [], handler: .async({ _ in
            .error(405, code: "MethodNotAllowed", message: "method not allowed")
        })), [:]) : nil
    }

    static func capture(_ pattern: [Substring], _ parts: [Substring]) -> [String: String]? {
        var params: [String: String] = [:]
        for (i, seg) in pattern.enumerated() {
            if seg == "*" {
                params["*"] = parts.dropFirst(i).joined(separator: "/")
                return params
            }
            guard i < parts.count else { return nil }
            if seg.hasPrefix(":") {
                params[String(seg.dropFirst())] = String(parts[i])
            } else if seg != parts[i] {
                return nil
            }
        }
        return pattern.count == parts.count ? params : nil
    }

    /// The server handler: middleware, then the matching route.
    public var handler: HTTPHandler {
        { request, writer in self.handle(request, writer) }
    }

    /// Dispatches one request.
    public func handle(_ request: HTTPRequest, _ writer: HTTPResponseWriter) {
        if let middleware, let early = middleware(request) { writer.send(early); return }
        guard let (route, params) = match(request) else {
            writer.send(.error(404, code: "NotFound", message: "no such endpoint: \(request.method) \(request.path)"))
            return
        }
        var req = request
        req.pathParameters = params
        switch route.handler {
        case .streaming(let h): h(req, writer)
        case .async(let h):
            let routed = req
            writer.send(Router.runBlocking { await h(routed) })
        }
    }

    /// Runs async work from a non-cooperative thread (a server worker) and waits for its result.
    public static func runBlocking<T: Sendable>(_ work: @escaping @Sendable () async -> T) -> T {
        let box = ResultBox<T>()
        let done = DispatchSemaphore(value: 0)
        Task {
            box.value = await work()
            done.signal()
        }
        done.wait()
        return box.value!
    }
}

/// Carries a value from a task back to the thread that waits for it; the semaphore orders the accesses.
final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}

/// The 401 for a request without a token; one that put it in the URL is told where it belongs.
public func missingTokenResponse(_ request: HTTPRequest) -> HTTPResponse {
    let hint = request.query("token") == nil ? "" : " (?token= is accepted on WebSocket upgrades only; send Authorization: Bearer)"
    return .error(401, code: "Unauthorized", message: "missing bearer token" + hint)
}

/// Bearer-token middleware shared by every API: constant-time comparison against any of `tokens`,
/// `open` paths (health, metrics) pass without a token.
public func bearerAuth(tokens: @escaping @Sendable () -> [String], open: Set<String>) -> @Sendable (HTTPRequest) -> HTTPResponse? {
    { request in
        if open.contains(request.path) { return nil }
        guard let presented = request.presentedToken else { return missingTokenResponse(request) }
        var ok = false
        for t in tokens() where constantTimeEquals(presented, t) { ok = true }  // no early exit: constant time
        return ok ? nil : .error(401, code: "Unauthorized", message: "invalid bearer token")
    }
}
