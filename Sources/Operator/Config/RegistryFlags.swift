import Registry
import RuntimeCore

/// The registry flags that `controller` and `local` share (CONTRACT §8): the etcd connection (``EtcdFlags``,
/// optional here: without endpoints the runtime runs unregistered) and the key prefix. One parser for both,
/// so the two subcommands accept and refuse the same command lines.
public struct RegistryFlags: Sendable {
    /// `--etcd-*`: where etcd is and how to reach it.
    public var etcd: EtcdFlags
    /// `--registry-prefix` (`/parallax`).
    public var prefix: String

    /// The flags, appended to each subcommand's own.
    static let specs: [FlagSpec] = EtcdFlags.specs() + [
        .value("registry-prefix", "PREFIX", help: "registry key prefix", default: RegistryKeys.defaultPrefix,
               env: "AGENT_REGISTRY_PREFIX"),
    ]

    /// Checks parsed flags.
    public init(flags f: ParsedFlags) throws(UsageError) {
        etcd = try EtcdFlags(flags: f)
        prefix = f.string("registry-prefix") ?? RegistryKeys.defaultPrefix
    }

    /// The agent registry these flags describe, owned by `identity`; nil without `--etcd-endpoints`.
    func makeRegistry(identity: String, metrics: MetricsRegistry, logger: Logger) throws(EtcdError) -> AgentRegistry? {
        guard let configuration = try etcd.configuration() else { return nil }
        let client = try EtcdClient(configuration: configuration)
        return AgentRegistry(client: client, options: AgentRegistryOptions(prefix: prefix, ownerIdentity: identity),
                             metrics: metrics, logger: logger.with(["component": "registry"]))
    }
}
