import CurlHTTP
import Foundation
import RuntimeCore

/// How requests authenticate.
public enum Credentials: Sendable, Hashable {
    /// No authentication (plain HTTP emulators, client certificates only).
    case none
    /// A fixed bearer token.
    case bearerToken(String)
    /// A bearer token read from a file and re-read at least every minute (projected service
    /// account tokens rotate).
    case tokenFile(String)
    /// HTTP basic authentication.
    case basic(username: String, password: String)
    /// A client-go credential plugin; its output is cached until it expires or a request gets a 401.
    case exec(ExecConfig)

    /// A short name for logs (never the secret itself).
    public var kind: String {
        switch self {
        case .none: return "none"
        case .bearerToken: return "token"
        case .tokenFile: return "tokenFile"
        case .basic: return "basic"
        case .exec: return "exec"
        }
    }
}

/// Everything needed to talk to one API server: the resolved form of a kubeconfig context or of the
/// in-cluster service account (client-go's `rest.Config`).
public struct ClientConfig: Sendable {
    /// The server's base URL, such as `https://10.0.0.1:443` or `http://127.0.0.1:8001`; it may carry
    /// a path prefix.
    public var server: String
    /// TLS settings for `https` servers (nil uses the system trust store with no client certificate).
    public var tls: TLSConfiguration?
    /// How requests authenticate.
    public var credentials: Credentials
    /// The default namespace of namespaced calls that pass none.
    public var namespace: String
    /// The `User-Agent` header.
    public var userAgent: String
    /// The total timeout of ordinary (non-watch) requests.
    public var requestTimeout: Duration
    /// Client-side rate limit in requests per second; nil (the default) disables it.
    public var qps: Double?
    /// Burst of the client-side rate limit.
    public var burst: Int
    /// Retry policy of ordinary requests.
    public var retry: RetryPolicy
    /// Where this configuration came from, for logs and errors: `kubeconfig /x (context c)`, `in-cluster`.
    public var source: String

    /// The default `User-Agent`.
    public static let defaultUserAgent = "agent-runtime/\(KubeClient.version)"

    /// Creates a configuration.
    public init(server: String, tls: TLSConfiguration? = nil, credentials: Credentials = .none,
                namespace: String = "default", userAgent: String = ClientConfig.defaultUserAgent,
                requestTimeout: Duration = .seconds(30), qps: Double? = nil, burst: Int = 10,
                retry: RetryPolicy = .default, source: String = "explicit") {
        self.server = server.hasSuffix("/") ? String(server.dropLast()) : server
        self.tls = tls
        self.credentials = credentials
        self.namespace = namespace
        self.userAgent = userAgent
        self.requestTimeout = requestTimeout
        self.qps = qps
        self.burst = burst
        self.retry = retry
        self.source = source
    }

    /// `host:port` of the server, the `host` label of `rest_client_requests_total`.
    public var host: String {
        var rest = Substring(server)
        if let r = rest.range(of: "://") { rest = rest[r.upperBound...] }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        if let at = rest.lastIndex(of: "@") { rest = rest[rest.index(after: at)...] }
        return String(rest)
    }

    /// True for `https` servers.
    public var isTLS: Bool { server.lowercased().hasPrefix("https://") }
}
