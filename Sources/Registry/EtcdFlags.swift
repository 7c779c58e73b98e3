import CurlHTTP
import RuntimeCore

/// The etcd connection flags of every program that talks to etcd (`agent-operator controller|local`,
/// `agentctl registry`): where etcd is and how to reach it. One parser, so all of them accept and refuse the
/// same command lines and read the same `AGENT_ETCD_*` environment.
public struct EtcdFlags: Sendable {
    /// `--etcd-endpoints`, as given (comma-separated URLs); empty means no etcd.
    public var endpoints: String
    /// `--etcd-cacert`, `--etcd-cert`, `--etcd-key`.
    public var caCert: String?, cert: String?, key: String?
    /// `--etcd-username`, `--etcd-password-file`: both or neither.
    public var username: String?, passwordFile: String?

    /// The flags, to append to a program's own.
    ///
    /// - Parameter defaultEndpoints: the `--etcd-endpoints` default; nil makes etcd optional (no flag: no registry).
    public static func specs(defaultEndpoints: String? = nil) -> [FlagSpec] {
        let endpointsHelp = "etcd client URLs, comma-separated, tried in order"
            + (defaultEndpoints == nil ? " (none: no registry)" : "")
        return [
            .value("etcd-endpoints", "URLS", help: endpointsHelp, default: defaultEndpoints, env: "AGENT_ETCD_ENDPOINTS"),
            .value("etcd-cacert", "FILE", help: "CA bundle to verify etcd's certificate", env: "AGENT_ETCD_CACERT"),
            .value("etcd-cert", "FILE", help: "client certificate for etcd", env: "AGENT_ETCD_CERT"),
            .value("etcd-key", "FILE", help: "client key for etcd", env: "AGENT_ETCD_KEY"),
            .value("etcd-username", "USER", help: "etcd user (needs --etcd-password-file)", env: "AGENT_ETCD_USERNAME"),
            .value("etcd-password-file", "FILE", help: "file holding the etcd password (needs --etcd-username)",
                   env: "AGENT_ETCD_PASSWORD_FILE"),
        ]
    }

    /// Checks parsed flags.
    ///
    /// A username without a password file is refused rather than tried without auth: it is nearly always a
    /// password Secret that was not mounted, and etcd would only reject every request later.
    public init(flags f: ParsedFlags) throws(UsageError) {
        endpoints = f.string("etcd-endpoints") ?? ""
        caCert = f.string("etcd-cacert")
        cert = f.string("etcd-cert")
        key = f.string("etcd-key")
        username = f.string("etcd-username")
        passwordFile = f.string("etcd-password-file")
        if (cert == nil) != (key == nil) { throw UsageError("--etcd-cert and --etcd-key go together") }
        switch (username, passwordFile) {
        case (.some, nil): throw UsageError("--etcd-username needs --etcd-password-file (etcd auth takes both)")
        case (nil, .some): throw UsageError("--etcd-password-file needs --etcd-username (etcd auth takes both)")
        default: break
        }
    }

    /// The etcd client configuration, reading the password file; nil without `--etcd-endpoints`.
    ///
    /// - Parameter requestTimeout: the per-request limit; nil keeps ``EtcdConfiguration``'s default.
    public func configuration(requestTimeout: Duration? = nil) throws(EtcdError) -> EtcdConfiguration? {
        guard !endpoints.isEmpty else { return nil }
        var configuration = EtcdConfiguration(endpoints: try EtcdConfiguration.parseEndpoints(endpoints))
        if caCert != nil || cert != nil {
            configuration.tls = TLSConfiguration(caFile: caCert, clientCertFile: cert, clientKeyFile: key)
        }
        if let username, let passwordFile {
            configuration.credentials = try EtcdCredentials.load(username: username, passwordFile: passwordFile)
        }
        if let requestTimeout { configuration.requestTimeout = requestTimeout }
        return configuration
    }
}
