import CurlHTTP
import Registry
import RuntimeCore

/// The registry flags that `controller` and `local` share (CONTRACT §8): where etcd is, how to reach it,
/// and the key prefix. One parser for both, so the two subcommands accept and refuse the same command lines.
public struct RegistryFlags: Sendable {
    /// `--etcd-endpoints`; empty runs without a registry.
    public var endpoints: String
    /// `--etcd-cacert`, `--etcd-cert`, `--etcd-key`.
    public var caCert: String?, cert: String?, key: String?
    /// `--etcd-username`, `--etcd-password-file`: both or neither.
    public var username: String?, passwordFile: String?
    /// `--registry-prefix` (`/parallax`).
    public var prefix: String

    /// The flags, appended to each subcommand's own.
    static let specs: [FlagSpec] = [
        .value("etcd-endpoints", "URLS", help: "etcd client URLs, comma-separated (none: no registry)", env: "AGENT_ETCD_ENDPOINTS"),
        .value("etcd-cacert", "FILE", help: "CA bundle of etcd's TLS certificate", env: "AGENT_ETCD_CACERT"),
        .value("etcd-cert", "FILE", help: "client certificate for etcd", env: "AGENT_ETCD_CERT"),
        .value("etcd-key", "FILE", help: "client key for etcd", env: "AGENT_ETCD_KEY"),
        .value("etcd-username", "USER", help: "etcd user (needs --etcd-password-file)", env: "AGENT_ETCD_USERNAME"),
        .value("etcd-password-file", "FILE", help: "file holding the etcd password (needs --etcd-username)",
               env: "AGENT_ETCD_PASSWORD_FILE"),
        .value("registry-prefix", "PREFIX", help: "registry key prefix", default: "/parallax", env: "AGENT_REGISTRY_PREFIX"),
    ]

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
        prefix = f.string("registry-prefix") ?? "/parallax"
        if (cert == nil) != (key == nil) { throw UsageError("--etcd-cert and --etcd-key go together") }
        switch (username, passwordFile) {
        case (.some, nil): throw UsageError("--etcd-username needs --etcd-password-file (etcd auth takes both)")
        case (nil, .some): throw UsageError("--etcd-password-file needs --etcd-username (etcd auth takes both)")
        default: break
        }
    }

    /// The etcd client configuration, reading the password file; nil without `--etcd-endpoints`.
    func configuration() throws(EtcdError) -> EtcdConfiguration? {
        guard !endpoints.isEmpty else { return nil }
        let urls = try EtcdConfiguration.parseEndpoints(endpoints)
        var tls: TLSConfiguration?
        if caCert != nil || cert != nil {
            tls = TLSConfiguration(caFile: caCert, clientCertFile: cert, clientKeyFile: key)
        }
        var credentials: EtcdCredentials?
        if let username, let passwordFile {
            credentials = try EtcdCredentials.load(username: username, passwordFile: passwordFile)
        }
        return EtcdConfiguration(endpoints: urls, tls: tls, credentials: credentials)
    }

    /// The agent registry these flags describe, owned by `identity`; nil without `--etcd-endpoints`.
    func makeRegistry(identity: String, metrics: MetricsRegistry, logger: Logger) throws(EtcdError) -> AgentRegistry? {
        guard let configuration = try configuration() else { return nil }
        let etcd = try EtcdClient(configuration: configuration)
        return AgentRegistry(client: etcd, options: AgentRegistryOptions(prefix: prefix, ownerIdentity: identity),
                             metrics: metrics, logger: logger.with(["component": "registry"]))
    }
}
