import CurlHTTP
import Foundation
import RuntimeCore

/// A Kubernetes REST client: typed and dynamic verbs, watches, retries, credentials and metrics.
///
/// Immutable after creation and safe to share between tasks; the state it has (cached credentials,
/// the rate limiter's bucket) lives in actors and locks. All I/O goes through ``KubeTransport``,
/// which never blocks the cooperative pool.
public final class KubeClient: Sendable {
    /// The client version reported in `User-Agent`.
    public static let version = agentRuntimeVersion

    /// The configuration in use.
    public let config: ClientConfig
    /// The credential cache (exposed for diagnostics such as plugin run counts).
    public let credentials: CredentialProvider
    let transport: any KubeTransport
    let limiter: RateLimiter?
    let requestsTotal: Counter?
    let logger: Logger

    /// Creates a client. `metrics` receives `rest_client_requests_total{code,method,host}`.
    public init(config: ClientConfig, transport: any KubeTransport = CurlTransport(), metrics: MetricsRegistry? = nil,
                logger: Logger = Logger(label: "kubeclient"), credentialProvider: CredentialProvider? = nil) {
        self.config = config
        self.transport = transport
        self.logger = logger
        credentials = credentialProvider ?? CredentialProvider(config.credentials)
        limiter = config.qps.flatMap { $0 > 0 ? RateLimiter(qps: $0, burst: config.burst) : nil }
        requestsTotal = metrics?.counter("rest_client_requests_total",
                                         help: "Number of HTTP requests, partitioned by status code, method, and host.",
                                         labelNames: ["code", "method", "host"])
    }

    /// Loads the configuration with `loader` (flag, KUBECONFIG, in-cluster, ~/.kube/config) and creates a client.
    public convenience init(loader: KubeConfigLoader, metrics: MetricsRegistry? = nil,
                            logger: Logger = Logger(label: "kubeclient")) throws(KubeConfigError) {
        self.init(config: try loader.load(), metrics: metrics, logger: logger)
    }

    /// The namespace used when a namespaced call passes none.
    public var defaultNamespace: String { config.namespace }

    /// One request, as the verbs describe it before auth, retries and metrics are applied.
    public struct RawRequest: Sendable {
        /// The HTTP method.
        public var method: String
        /// The URL path below the server URL, such as `/api/v1/namespaces/x/pods`.
        public var path: String
        /// Query parameters.
        public var query: [(String, String)]
        /// The body.
        public var body: Data?
        /// The body's content type.
        public var contentType: String?
        /// The accepted response type.
        public var accept: String
        /// Overrides the configured request timeout; `.some(nil)` means none (watches).
        public var timeout: Duration??

        /// Creates a request.
        public init(method: String, path: String, query: [(String, String)] = [], body: Data? = nil,
                    contentType: String? = nil, accept: String = "application/json", timeout: Duration?? = nil) {
            self.method = method
            self.path = path
            self.query = query
            self.body = body
            self.contentType = contentType
            self.accept = accept
            self.timeout = timeout
        }
    }

    /// Sends a request with authentication, rate limiting, retries (429, 5xx, transport errors per
    /// ``RetryPolicy``), one credential refresh on 401, and metrics. Non-2xx answers throw ``KubeError/api(code:status:)``.
    public func send(_ request: RawRequest) async throws(KubeError) -> KubeHTTPResponse {
        var attempt = 0
        var refreshed = false
        while true {
            attempt += 1
            let (httpRequest, auth) = try await prepare(request)
            let response: KubeHTTPResponse
            do {
                response = try await transport.execute(httpRequest)
            } catch {
                count(code: "<error>", method: request.method)
                if case .cancelled = error { throw .cancelled }
                if Task.isCancelled { throw .cancelled }
                if let delay = config.retry.retryDelay(method: request.method, attempt: attempt, failure: .transport(error)) {
                    logger.debug("retrying kube request after transport error", [
                        "method": .string(request.method), "path": .string(request.path), "attempt": .int(Int64(attempt)),
                        "delaySeconds": .double(delay.inSeconds), "error": .string("\(error)"),
                    ])
                    try await sleep(delay)
                    continue
                }
                throw .transport(error)
            }
            count(code: String(response.status), method: request.method)
            if (200..<300).contains(response.status) { return response }
            if response.status == 401, !refreshed, credentials.canRefresh {
                refreshed = true
                await credentials.invalidate(generation: auth.generation)
                logger.info("kube request unauthorized; refreshing credentials", ["path": .string(request.path)])
                attempt -= 1
                continue
            }
            let error = KubeError.fromResponse(code: response.status, body: response.body)
            let failure = RetryPolicy.Failure.status(code: response.status, retryAfterHeader: response.header("retry-after"),
                                                     retryAfterSeconds: error.retryAfterSeconds)
            if let delay = config.retry.retryDelay(method: request.method, attempt: attempt, failure: failure) {
                logger.debug("retrying kube request", [
                    "method": .string(request.method), "path": .string(request.path), "code": .int(Int64(response.status)),
                    "attempt": .int(Int64(attempt)), "delaySeconds": .double(delay.inSeconds),
                ])
                try await sleep(delay)
                continue
            }
            throw error
        }
    }

    /// Opens a streaming request (watch). Never retried here; a non-2xx answer throws with its Status.
    public func openStream(_ request: RawRequest) async throws(KubeError) -> KubeHTTPStream {
        var refreshed = false
        while true {
            let (httpRequest, auth) = try await prepare(request)
            let stream: KubeHTTPStream
            do {
                stream = try await transport.stream(httpRequest)
            } catch {
                count(code: "<error>", method: request.method)
                if case .cancelled = error { throw .cancelled }
                throw .transport(error)
            }
            count(code: String(stream.status), method: request.method)
            if (200..<300).contains(stream.status) { return stream }
            // Error answers are small: read them whole for the Status.
            var body = Data()
            do {
                for try await chunk in stream.body {
                    body.append(chunk)
                    if body.count > 1 << 20 { break }
                }
            } catch {}
            stream.cancel()
            if stream.status == 401, !refreshed, credentials.canRefresh {
                refreshed = true
                await credentials.invalidate(generation: auth.generation)
                continue
            }
            throw KubeError.fromResponse(code: stream.status, body: body)
        }
    }

    private func prepare(_ request: RawRequest) async throws(KubeError) -> (HTTPClientRequest, AuthMaterial) {
        if let limiter {
            do { try await limiter.acquire() } catch { throw .cancelled }
        }
        let auth = try await credentials.authorization()
        var headers: [(String, String)] = [("Accept", request.accept), ("User-Agent", config.userAgent)]
        if let ct = request.contentType { headers.append(("Content-Type", ct)) }
        headers += auth.headers
        var tls = config.tls
        if let cert = auth.clientCertificateData, let key = auth.clientKeyData {
            var t = tls ?? TLSConfiguration()
            t.clientCertFile = nil
            t.clientKeyFile = nil
            t.clientCertData = cert
            t.clientKeyData = key
            tls = t
        }
        let url = config.server + request.path + PathEscaping.query(request.query)
        let timeout: Duration? = request.timeout ?? config.requestTimeout
        var r = HTTPClientRequest(method: request.method, url: url, headers: headers, body: request.body,
                                  timeout: timeout, tls: config.isTLS ? tls : nil)
        if let t = timeout, t < r.connectTimeout { r.connectTimeout = t }
        return (r, auth)
    }

    private func sleep(_ d: Duration) async throws(KubeError) {
        do { try await Task.sleep(for: d) } catch { throw .cancelled }
    }

    private func count(code: String, method: String) {
        requestsTotal?.inc(labels: [code, method, config.host])
    }

    // MARK: Encoding and decoding

    /// Decodes a response body, turning decoding failures into one-line errors, and records the fields
    /// typed models do not represent (``UnknownFields``). The body is parsed once (RuntimeCore's parser);
    /// the typed decode and the unknown fields both read that tree.
    func decode<T: Decodable>(_ type: T.Type, from data: Data) throws(KubeError) -> T {
        let raw: JSON
        do { raw = try JSON.parse(data) } catch { throw .decoding("cannot decode \(T.self): \(error)") }
        return try decode(T.self, fromParsed: raw)
    }

    /// ``decode(_:from:)`` for a body already parsed.
    func decode<T: Decodable>(_ type: T.Type, fromParsed raw: JSON) throws(KubeError) -> T {
        let value: T
        do { value = try JSONValueDecoder().decode(T.self, from: raw) } catch let e as DecodingError {
            throw .decoding("cannot decode \(T.self): \(Self.describe(e))")
        } catch {
            throw .decoding("cannot decode \(T.self): \(error)")
        }
        return UnknownFieldsCodec.attachIfWanted(value, raw: raw)
    }

    /// Encodes an object as JSON, filling in `apiVersion` and `kind` from the resource when missing,
    /// restoring unknown fields of typed models and dropping `metadata.managedFields`.
    func encodeObject<T: Encodable>(_ object: T, resource: DynamicResource) throws(KubeError) -> Data {
        var json: JSON
        do { json = try JSON(encoding: object) } catch { throw .invalidRequest("cannot encode \(T.self): \(error)") }
        guard json.objectValue != nil else { throw .invalidRequest("\(resource) object must be a JSON object") }
        if json["apiVersion"].stringValue?.isEmpty ?? true { json["apiVersion"] = .string(resource.apiVersion) }
        if json["kind"].stringValue?.isEmpty ?? true { json["kind"] = .string(resource.kind) }
        UnknownFieldsCodec.restore(object, into: &json)
        // Never sent: the server keeps its own when an update omits them.
        if case .object(var meta) = json["metadata"], meta.removeValue(forKey: "managedFields") != nil {
            json["metadata"] = .object(meta)
        }
        return json.data()
    }

    static func describe(_ e: DecodingError) -> String {
        func path(_ ctx: DecodingError.Context) -> String {
            let p = ctx.codingPath.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined()
            return p.isEmpty ? "(root)" : (p.hasPrefix(".") ? String(p.dropFirst()) : p)
        }
        switch e {
        case .typeMismatch(let t, let ctx): return "\(path(ctx)): expected \(t)"
        case .valueNotFound(let t, let ctx): return "\(path(ctx)): missing \(t)"
        case .keyNotFound(let k, let ctx): return "\(path(ctx)): missing key \"\(k.stringValue)\""
        case .dataCorrupted(let ctx): return "\(path(ctx)): \(ctx.debugDescription)"
        @unknown default: return "\(e)"
        }
    }
}
