import CCurl
import Foundation

/// TLS settings for one request: trust roots, a client certificate, and the escape hatch for test servers.
public struct TLSConfiguration: Sendable, Hashable {
    /// PEM file with the CA certificates to trust (instead of the system store).
    public var caFile: String?
    /// PEM bytes with the CA certificates to trust.
    public var caData: Data?
    /// PEM file with the client certificate.
    public var clientCertFile: String?
    /// PEM bytes of the client certificate.
    public var clientCertData: Data?
    /// PEM file with the client private key.
    public var clientKeyFile: String?
    /// PEM bytes of the client private key.
    public var clientKeyData: Data?
    /// Skip server certificate verification. Only ever set when a user explicitly asked for it.
    public var insecureSkipVerify: Bool
    /// Host name to verify the server certificate against, when it differs from the URL's host.
    public var serverName: String?

    /// Creates a TLS configuration; everything defaults to "system trust store, no client certificate".
    public init(caFile: String? = nil, caData: Data? = nil, clientCertFile: String? = nil, clientCertData: Data? = nil,
                clientKeyFile: String? = nil, clientKeyData: Data? = nil, insecureSkipVerify: Bool = false,
                serverName: String? = nil) {
        self.caFile = caFile
        self.caData = caData
        self.clientCertFile = clientCertFile
        self.clientCertData = clientCertData
        self.clientKeyFile = clientKeyFile
        self.clientKeyData = clientKeyData
        self.insecureSkipVerify = insecureSkipVerify
        self.serverName = serverName
    }
}

/// One HTTP request for ``HTTPClient``.
public struct HTTPClientRequest: Sendable {
    /// HTTP method, e.g. `GET`.
    public var method: String
    /// Absolute URL.
    public var url: String
    /// Request headers in order; names are sent as given.
    public var headers: [(String, String)]
    /// Request body, if any.
    public var body: Data?
    /// Limit for the whole transfer; `nil` means none (watches, streams).
    public var timeout: Duration?
    /// Limit for establishing the connection (default 10 s, like client-go's dialer).
    public var connectTimeout: Duration
    /// TLS settings for https URLs; nil uses the system trust store.
    public var tls: TLSConfiguration?

    /// Creates a request. The default total timeout of 30 s matches the operator's API calls; pass nil for streams.
    public init(method: String = "GET", url: String, headers: [(String, String)] = [], body: Data? = nil,
                timeout: Duration? = .seconds(30), tls: TLSConfiguration? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.connectTimeout = .seconds(10)
        self.tls = tls
    }
}

/// A complete HTTP response.
public struct HTTPClientResponse: Sendable {
    /// Status code.
    public let status: Int
    /// Response headers with lower-cased names (the last value wins for repeated headers).
    public let headers: [String: String]
    /// The body, already decompressed.
    public let body: Data

    /// A header by case-insensitive name.
    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// Why a request did not produce a response.
public enum HTTPClientError: Error, Sendable, CustomStringConvertible {
    /// The URL could not be used.
    case invalidURL(String)
    /// No connection could be made (refused, unreachable, DNS).
    case connectionFailed(String)
    /// The request did not finish within its timeout.
    case timedOut(String)
    /// TLS handshake or certificate verification failed.
    case tls(String)
    /// The caller cancelled the request.
    case cancelled
    /// Any other libcurl failure, with curl's code and message.
    case transport(code: Int, message: String)

    public var description: String {
        switch self {
        case .invalidURL(let m): return "invalid URL: \(m)"
        case .connectionFailed(let m): return "connection failed: \(m)"
        case .timedOut(let m): return "timed out: \(m)"
        case .tls(let m): return "TLS error: \(m)"
        case .cancelled: return "request cancelled"
        case .transport(let c, let m): return "transport error \(c): \(m)"
        }
    }

    /// True when retrying the same request may succeed (connection problems and timeouts).
    public var isTransient: Bool {
        switch self {
        case .connectionFailed, .timedOut, .transport: return true
        default: return false
        }
    }

    static func from(code: CURLcode, message: String) -> HTTPClientError {
        switch code {
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL: return .invalidURL(message)
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .connectionFailed(message)
        case CURLE_OPERATION_TIMEDOUT: return .timedOut(message)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR:
            return .tls(message)
        default: return .transport(code: Int(code.rawValue), message: message)
        }
    }
}

/// A streaming response: status and headers are known, the body arrives as chunks.
public struct HTTPClientStream: Sendable {
    /// Status code.
    public let status: Int
    /// Response headers with lower-cased names.
    public let headers: [String: String]
    /// Body chunks as they arrive; finishes when the server ends the response, throws on transport errors.
    public let body: AsyncThrowingStream<Data, any Error>
    let canceller: @Sendable () -> Void

    /// Aborts the transfer; the body sequence finishes.
    public func cancel() { canceller() }

    /// Reads the whole remaining body (for error responses of streaming calls).
    public func collect(limit: Int = 1 << 20) async throws -> Data {
        var out = Data()
        for try await chunk in body {
            out.append(chunk)
            if out.count >= limit { cancel(); break }
        }
        return out
    }
}

/// An HTTP client over libcurl's multi interface.
///
/// All transfers of one client share a single dedicated thread running `curl_multi_poll`, so any number of
/// concurrent requests and long-lived streams (watches) cost no cooperative-pool threads and share
/// connections: keep-alive reuse and HTTP/2 multiplexing come from the shared multi handle.
public final class HTTPClient: Sendable {
    /// A process-wide client for callers that do not need their own connection pool.
    public static let shared = HTTPClient()

    let loop: CurlMultiLoop

    /// Creates a client with its own connection pool and event-loop thread. HTTP/1.1 needs one connection
    /// per concurrent request or open stream, so `maxConnectionsPerHost` (default 32) bounds both; HTTP/2
    /// servers multiplex everything over one.
    public init(name: String = "http-client", maxConnectionsPerHost: Int = 32) {
        loop = CurlMultiLoop(name: name, maxConnectionsPerHost: maxConnectionsPerHost)
    }

    /// Performs a request and returns the whole response. Cancelling the task aborts the transfer.
    public func execute(_ request: HTTPClientRequest) async throws(HTTPClientError) -> HTTPClientResponse {
        let transfer = try CurlTransfer(request: request, streaming: false)
        let result: Result<HTTPClientResponse, HTTPClientError> = await withTaskCancellationHandler {
            await withCheckedContinuation { (cont: CheckedContinuation<Result<HTTPClientResponse, HTTPClientError>, Never>) in
                transfer.onComplete = { cont.resume(returning: $0) }
                loop.add(transfer)
            }
        } onCancel: {
            loop.cancel(transfer)
        }
        return try result.get()
    }

    /// Starts a request whose body is consumed as a stream; returns once the headers arrived.
    public func stream(_ request: HTTPClientRequest) async throws(HTTPClientError) -> HTTPClientStream {
        let transfer = try CurlTransfer(request: request, streaming: true)
        let (body, bodyContinuation) = AsyncThrowingStream<Data, any Error>.makeStream()
        transfer.bodyContinuation = bodyContinuation
        let loop = self.loop
        bodyContinuation.onTermination = { _ in loop.cancel(transfer) }
        let head: Result<(Int, [String: String]), HTTPClientError> = await withTaskCancellationHandler {
            await withCheckedContinuation { (cont: CheckedContinuation<Result<(Int, [String: String]), HTTPClientError>, Never>) in
                transfer.onHeaders = { cont.resume(returning: $0) }
                loop.add(transfer)
            }
        } onCancel: {
            loop.cancel(transfer)
        }
        let (status, headers) = try head.get()
        return HTTPClientStream(status: status, headers: headers, body: body, canceller: { loop.cancel(transfer) })
    }
}

extension HTTPClient {
    /// Stops the client's event-loop thread; in-flight requests fail with ``HTTPClientError/cancelled``.
    public func shutdown() { loop.shutdown() }
}
