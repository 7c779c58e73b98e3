import CurlHTTP
import Foundation
import RuntimeCore

/// A complete HTTP response, as the client sees it.
public struct KubeHTTPResponse: Sendable {
    /// The status code.
    public var status: Int
    /// Headers with lower-cased names.
    public var headers: [String: String]
    /// The body.
    public var body: Data

    /// Creates a response.
    public init(status: Int, headers: [String: String] = [:], body: Data = Data()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A header by case-insensitive name.
    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}

/// A streaming HTTP response (watches): status and headers first, then body chunks.
public struct KubeHTTPStream: Sendable {
    /// The status code.
    public var status: Int
    /// Headers with lower-cased names.
    public var headers: [String: String]
    /// Body chunks as they arrive; ends when the server closes the response.
    public var body: AsyncThrowingStream<Data, any Error>
    /// Aborts the transfer.
    public var cancel: @Sendable () -> Void

    /// Creates a stream.
    public init(status: Int, headers: [String: String] = [:], body: AsyncThrowingStream<Data, any Error>,
                cancel: @escaping @Sendable () -> Void = {}) {
        self.status = status
        self.headers = headers
        self.body = body
        self.cancel = cancel
    }
}

/// What KubeClient needs from HTTP. The production implementation is ``CurlTransport`` over
/// RuntimeCore's libcurl client; tests substitute scripted transports.
public protocol KubeTransport: Sendable {
    /// Sends a request and returns the whole response.
    func execute(_ request: HTTPClientRequest) async throws(HTTPClientError) -> KubeHTTPResponse
    /// Sends a request and returns once the headers arrived, streaming the body.
    func stream(_ request: HTTPClientRequest) async throws(HTTPClientError) -> KubeHTTPStream
}

/// The libcurl transport: HTTP/2 over TLS, keep-alive reuse and gzip come from `HTTPClient`, which
/// runs its own thread and never blocks the cooperative pool.
public struct CurlTransport: KubeTransport {
    /// The HTTP client used.
    public let client: HTTPClient

    /// Wraps an HTTP client (by default the process-wide one, so connections are shared).
    public init(client: HTTPClient = .shared) { self.client = client }

    public func execute(_ request: HTTPClientRequest) async throws(HTTPClientError) -> KubeHTTPResponse {
        let r = try await client.execute(request)
        return KubeHTTPResponse(status: r.status, headers: r.headers, body: r.body)
    }

    public func stream(_ request: HTTPClientRequest) async throws(HTTPClientError) -> KubeHTTPStream {
        let s = try await client.stream(request)
        return KubeHTTPStream(status: s.status, headers: s.headers, body: s.body, cancel: { s.cancel() })
    }
}
