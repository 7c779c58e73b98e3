import CurlHTTP
import Foundation
import RuntimeCore

/// Username and password for etcd's auth (`/v3/auth/authenticate`).
public struct EtcdCredentials: Sendable, Equatable {
    /// The etcd user.
    public var username: String
    /// The user's password.
    public var password: String

    /// Creates credentials.
    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    /// Reads the password from a file (trailing newline dropped), as `--etcd-password-file` does.
    public static func load(username: String, passwordFile: String) throws(EtcdError) -> EtcdCredentials {
        guard let data = FileManager.default.contents(atPath: passwordFile) else {
            throw .invalidConfiguration("cannot read password file \(passwordFile)")
        }
        let password = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
        return EtcdCredentials(username: username, password: password)
    }
}

/// Where etcd is and how to talk to it.
public struct EtcdConfiguration: Sendable {
    /// Client URLs (`http://host:2379`, `https://...`), tried in order on connection failures.
    public var endpoints: [String]
    /// TLS settings for `https` endpoints: CA, client certificate and key.
    public var tls: TLSConfiguration?
    /// Username/password auth; the token is fetched on first use and refreshed when rejected.
    public var credentials: EtcdCredentials?
    /// Limit for one unary request to one endpoint (default 5 s).
    public var requestTimeout: Duration
    /// Limit for establishing a connection to one endpoint (default 2 s), so a dead endpoint fails over fast.
    public var connectTimeout: Duration

    /// Creates a configuration.
    public init(endpoints: [String], tls: TLSConfiguration? = nil, credentials: EtcdCredentials? = nil,
                requestTimeout: Duration = .seconds(5), connectTimeout: Duration = .seconds(2)) {
        self.endpoints = endpoints
        self.tls = tls
        self.credentials = credentials
        self.requestTimeout = requestTimeout
        self.connectTimeout = connectTimeout
    }

    /// Parses `--etcd-endpoints`: a comma-separated list of URLs; `host:port` alone means `http://host:port`.
    /// Trailing slashes are dropped so paths can be appended.
    public static func parseEndpoints(_ text: String) throws(EtcdError) -> [String] {
        var out: [String] = []
        for part in text.split(separator: ",") {
            var url = part.trimmingCharacters(in: .whitespaces)
            if url.isEmpty { continue }
            if !url.contains("://") { url = "http://" + url }
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw .invalidConfiguration("endpoint \(url) must be http:// or https://")
            }
            while url.hasSuffix("/") { url.removeLast() }
            let host = url.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: true)
            guard host.count >= 2 else { throw .invalidConfiguration("endpoint \(url) has no host") }
            out.append(url)
        }
        guard !out.isEmpty else { throw .invalidConfiguration("no etcd endpoints given") }
        return out
    }

    func validate() throws(EtcdError) {
        guard !endpoints.isEmpty else { throw .invalidConfiguration("no etcd endpoints given") }
        for e in endpoints where !(e.hasPrefix("http://") || e.hasPrefix("https://")) {
            throw .invalidConfiguration("endpoint \(e) must be http:// or https://")
        }
    }
}

/// Counters of one client's traffic, for tests, benchmarks and debugging.
public struct EtcdClientStatistics: Sendable, Equatable {
    /// HTTP requests sent (every attempt against every endpoint, streams included).
    public var requests: Int = 0
    /// Attempts that failed at the transport level or with an error status.
    public var failedRequests: Int = 0
    /// Times a request moved on to the next endpoint.
    public var failovers: Int = 0
    /// Auth tokens fetched (the first one included).
    public var tokenRefreshes: Int = 0
    /// Requests per gateway path (`/v3/kv/txn`, `/v3/lease/keepalive`, ...).
    public var requestsByPath: [String: Int] = [:]
}
