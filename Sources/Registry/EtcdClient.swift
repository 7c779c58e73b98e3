import CurlHTTP
import Foundation
import RuntimeCore
import Synchronization

/// An etcd v3 client over etcd's JSON gateway (`/v3/...`, etcd 3.4 and later), carried by libcurl
/// through ``RuntimeCore/HTTPClient``.
///
/// Every call is one HTTP POST (or one batch of stream messages in one POST); all calls of a client share
/// the HTTP client's single event-loop thread and connection pool, so any number of concurrent callers
/// costs no extra threads. Endpoints are tried in order on connection failures; the last one that worked
/// is preferred afterwards. With ``EtcdConfiguration/credentials`` the client fetches a token from
/// `/v3/auth/authenticate`, sends it as `Authorization: <token>`, and fetches a new one when etcd rejects it.
///
/// The verbs live in extensions: KV in `EtcdKV.swift`, transactions in `EtcdTxn.swift`, leases in
/// `EtcdLease.swift`, watches in `EtcdWatch.swift`.
public final class EtcdClient: Sendable {
    /// The configuration the client was created with.
    public let configuration: EtcdConfiguration
    let http: HTTPClient
    private let ownsHTTPClient: Bool

    private struct AuthState {
        var token: String?
        var inflight: Task<Result<String, EtcdError>, Never>?
    }

    private let closed = Atomic<Bool>(false)
    private let preferred = Mutex(0)
    private let auth = Mutex(AuthState())
    private let stats = Mutex(EtcdClientStatistics())

    /// Creates a client. Without `httpClient` the client makes its own (one curl thread, connections
    /// pooled per endpoint) and shuts it down in ``shutdown()``.
    public init(configuration: EtcdConfiguration, httpClient: HTTPClient? = nil) throws(EtcdError) {
        try configuration.validate()
        self.configuration = configuration
        if let httpClient {
            http = httpClient
            ownsHTTPClient = false
        } else {
            http = HTTPClient(name: "etcd-client", maxConnectionsPerHost: 32)
            ownsHTTPClient = true
        }
    }

    /// Convenience: a client for plain-HTTP endpoints without auth.
    public convenience init(endpoints: [String]) throws(EtcdError) {
        try self.init(configuration: EtcdConfiguration(endpoints: endpoints))
    }

    /// Stops the client's own HTTP thread (if it made one); in-flight and later calls fail with
    /// ``EtcdError/cancelled``.
    public func shutdown() {
        closed.store(true, ordering: .relaxed)
        if ownsHTTPClient { http.shutdown() }
    }

    /// Traffic counters since the client was created.
    public var statistics: EtcdClientStatistics { stats.withLock { $0 } }

    /// The endpoint tried first by the next request (the last one that answered).
    public var currentEndpoint: String { configuration.endpoints[preferred.withLock { $0 } % configuration.endpoints.count] }

    // MARK: Requests

    /// Sends one gateway request and returns the parsed JSON answer.
    func call(_ path: String, _ body: JSON, timeout: Duration? = nil) async throws(EtcdError) -> JSON {
        let data = try await send(path, body: body.data(), timeout: timeout ?? configuration.requestTimeout)
        do {
            return try JSON.parse(data)
        } catch {
            throw .invalidResponse("\(path): \(error)")
        }
    }

    /// Sends one request to a streaming endpoint whose body holds several messages and returns the answers
    /// (the gateway writes one `{"result": ...}` or `{"error": ...}` per line).
    func callStreaming(_ path: String, messages: [JSON], timeout: Duration? = nil) async throws(EtcdError) -> [JSON] {
        var body = Data()
        for m in messages { body.append(m.data()) }
        let data = try await send(path, body: body, timeout: timeout ?? configuration.requestTimeout)
        return try EtcdClient.splitLines(data, path: path)
    }

    static func splitLines(_ data: Data, path: String) throws(EtcdError) -> [JSON] {
        var out: [JSON] = []
        for line in data.split(separator: UInt8(ascii: "\n")) where !line.allSatisfy({ $0 == 32 || $0 == 13 }) {
            do {
                out.append(try JSON.parse(Data(line)))
            } catch {
                throw .invalidResponse("\(path): bad stream line: \(error)")
            }
        }
        return out
    }

    /// The shared request path: endpoint failover, auth token, error mapping.
    private func send(_ path: String, body: Data, timeout: Duration, authenticated: Bool = true)
        async throws(EtcdError) -> Data
    {
        try await firstAnswer(path, body: body, timeout: timeout, authenticated: authenticated) {
            request throws(HTTPClientError) in try await http.execute(request)
        }.answer.body
    }

    /// Opens a streaming request (watch) on the first endpoint that accepts it.
    func openStream(_ path: String, _ body: JSON) async throws(EtcdError) -> (HTTPClientStream, String) {
        try await firstAnswer(path, body: body.data(), timeout: nil) {
            request throws(HTTPClientError) in try await http.stream(request)
        }
    }

    /// The failover loop of every call: the endpoints in order, starting with the preferred one (the last that
    /// answered, which the first 200 answer here becomes), each asked with the current token. Unreachable and
    /// timed-out endpoints, and members answering gRPC UNAVAILABLE ("no leader", shutting down), are skipped;
    /// TLS, URL and cancellation errors end the loop, since another endpoint would fail alike. A rejected token
    /// is refreshed once and the same endpoint asked again (tokens expire after `--auth-token-ttl` and vanish
    /// on etcd restarts); any other gateway error is the answer. Requests and watch streams fail over alike.
    private func firstAnswer<Answer: GatewayAnswer>(
        _ path: String, body: Data, timeout: Duration?, authenticated: Bool = true,
        perform: (HTTPClientRequest) async throws(HTTPClientError) -> Answer
    ) async throws(EtcdError) -> (answer: Answer, endpoint: String) {
        let endpoints = configuration.endpoints
        let start = preferred.withLock { $0 } % endpoints.count
        var lastFailure = "no attempt"
        var onlyTimeouts = true
        var refreshedToken = false
        var index = 0
        func skip(_ reason: String) {
            lastFailure = reason
            index += 1
            if index < endpoints.count { recordFailover() }
        }
        while index < endpoints.count {
            if Task.isCancelled || closed.load(ordering: .relaxed) { throw .cancelled }
            let i = (start + index) % endpoints.count
            let endpoint = endpoints[i]
            let token = authenticated ? try await authToken(rejecting: nil) : nil
            var request = HTTPClientRequest(method: "POST", url: endpoint + path,
                                            headers: [("Content-Type", "application/json")], body: body,
                                            timeout: timeout, tls: configuration.tls)
            request.connectTimeout = configuration.connectTimeout
            if let token, !token.isEmpty { request.headers.append(("Authorization", token)) }
            record(path)
            let answer: Answer
            do {
                answer = try await perform(request)
            } catch {
                recordFailure()
                switch error {
                case .cancelled: throw .cancelled
                case .tls(let m): throw .tls(endpoint: endpoint, reason: m)
                case .invalidURL(let m): throw .invalidConfiguration("invalid endpoint URL: \(m)")
                case .timedOut: skip("\(endpoint): \(error)")
                case .connectionFailed, .transport:
                    onlyTimeouts = false
                    skip("\(endpoint): \(error)")
                }
                continue
            }
            if answer.status == 200 {
                if i != start { preferred.withLock { $0 = i } }
                return (answer, endpoint)
            }
            recordFailure()
            let error = EtcdError.fromGateway(status: answer.status, body: await answer.errorBody())
            if case .authenticationFailed = error, let token, configuration.credentials != nil, !refreshedToken {
                refreshedToken = true
                _ = try await authToken(rejecting: token)
                continue
            }
            if case .server(let code, let message, _) = error, code == GRPCCode.unavailable {
                // "no leader" or a member that is shutting down: another member may serve us.
                onlyTimeouts = false
                skip("\(endpoint): \(message)")
                continue
            }
            throw error
        }
        if onlyTimeouts, endpoints.count == 1 { throw .timedOut(endpoint: endpoints[0], path: path) }
        throw .unavailable(endpoints: endpoints, reason: lastFailure)
    }

    // MARK: Auth

    /// The token in use, if any.
    var currentToken: String? { auth.withLock { $0.token } }

    /// The current token, fetching one if needed. `rejecting` drops a token etcd refused so a new one is
    /// fetched; concurrent callers share one `/v3/auth/authenticate` round trip.
    func authToken(rejecting rejected: String?) async throws(EtcdError) -> String? {
        guard let credentials = configuration.credentials else { return nil }
        let pending: Task<Result<String, EtcdError>, Never> = auth.withLock { s in
            if let rejected, s.token == rejected { s.token = nil }
            if let t = s.token {
                return Task { .success(t) }
            }
            if let f = s.inflight { return f }
            let f = Task { [self] () -> Result<String, EtcdError> in
                let result: Result<String, EtcdError>
                do throws(EtcdError) {
                    result = .success(try await self.authenticate(credentials))
                } catch {
                    result = .failure(error)
                }
                auth.withLock { s in
                    s.inflight = nil
                    if case .success(let t) = result { s.token = t }
                }
                return result
            }
            s.inflight = f
            return f
        }
        return try await pending.value.get()
    }

    private func authenticate(_ credentials: EtcdCredentials) async throws(EtcdError) -> String {
        stats.withLock { $0.tokenRefreshes += 1 }
        let body: JSON = ["name": .string(credentials.username), "password": .string(credentials.password)]
        do throws(EtcdError) {
            let data = try await send("/v3/auth/authenticate", body: body.data(), timeout: configuration.requestTimeout,
                                      authenticated: false)
            guard let token = (try? JSON.parse(data))?["token"].stringValue else {
                throw EtcdError.invalidResponse("/v3/auth/authenticate: no token in the answer")
            }
            return token
        } catch {
            // Credentials given but auth disabled on the cluster: carry on without a token.
            if case .server(let code, _, _) = error, code == GRPCCode.failedPrecondition { return "" }
            throw error
        }
    }

    // MARK: Statistics

    private func record(_ path: String) {
        stats.withLock {
            $0.requests += 1
            $0.requestsByPath[path, default: 0] += 1
        }
    }

    private func recordFailure() { stats.withLock { $0.failedRequests += 1 } }
    private func recordFailover() { stats.withLock { $0.failovers += 1 } }
}

/// What the failover loop needs of an answer, whole (unary requests) or streaming (watches).
private protocol GatewayAnswer: Sendable {
    /// The HTTP status.
    var status: Int { get }
    /// The body of an error answer, for ``EtcdError/fromGateway(status:body:)``.
    func errorBody() async -> Data
}

extension HTTPClientResponse: GatewayAnswer {
    fileprivate func errorBody() async -> Data { body }
}

extension HTTPClientStream: GatewayAnswer {
    fileprivate func errorBody() async -> Data { (try? await collect()) ?? Data() }
}
