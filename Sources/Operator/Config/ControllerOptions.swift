import Foundation
import RuntimeCore

/// The command line of `agent-operator [controller]` (CONTRACT.md §8), parsed and checked.
public struct ControllerOptions: Sendable {
    /// `--kubeconfig` (then `KUBECONFIG`, in-cluster, `~/.kube/config`).
    public var kubeconfig: String?
    /// `--namespace`: watch one namespace; nil watches all.
    public var namespace: String?
    /// `--leader-elect`.
    public var leaderElect: Bool
    /// `--leader-election-namespace` (default: `POD_NAMESPACE`, else `default`).
    public var leaderElectionNamespace: String
    /// `--leader-election-id`: the Lease name.
    public var leaderElectionID: String
    /// `--leader-election-lease-duration`, `--leader-election-renew-deadline`, `--leader-election-retry-period`
    /// (client-go's 15 s / 10 s / 2 s).
    public var leaseDuration: Duration, renewDeadline: Duration, retryPeriod: Duration
    /// `--metrics-addr` (`:8080`); nil when `0`.
    public var metricsAddress: String?
    /// `--health-addr` (`:8081`); nil when `0`.
    public var healthAddress: String?
    /// `--api-addr` (`:8090`): the runtime API (served when `--api-token-file` is given); nil when `0`.
    public var apiAddress: String?
    /// `--api-token-file`.
    public var apiTokenFile: String?
    /// `--etcd-*` and `--registry-prefix`.
    public var registry: RegistryFlags
    /// `--max-concurrent-reconciles`.
    public var maxConcurrentReconciles: Int
    /// `--supervisor-image`: the image the init container copies `agent-supervisor` from.
    public var supervisorImage: String?
    /// `--config`: the policy file.
    public var configFile: String?
    /// `--kube-api-qps` / `--kube-api-burst`: client-side rate limit (off by default).
    public var kubeQPS: Double?, kubeBurst: Int

    /// The command line (flags, help, `AGENT_*` environment fallbacks).
    public static let spec = CommandLineSpec(
        program: "agent-operator",
        usage: "[controller] [FLAGS]   (agent-operator local --help: the runtime without Kubernetes)",
        summary: """
            Reconciles AgentSessions (parallax.ai/v1alpha1): one pod per interactive CLI coding agent, its credentials, \
            its registration in the Parallax registry (etcd), status, Events and metrics.
            """,
        flags: [
            .value("kubeconfig", "FILE", help: "kubeconfig (else KUBECONFIG, in-cluster, ~/.kube/config)", env: "AGENT_KUBECONFIG"),
            .value("namespace", "NS", help: "watch only this namespace (default: all)", env: "AGENT_WATCH_NAMESPACE"),
            .bool("leader-elect", help: "elect a leader with a coordination.k8s.io/v1 Lease (15s/10s/2s)", env: "AGENT_LEADER_ELECT"),
            .value("leader-election-namespace", "NS", help: "namespace of the leader Lease (default: $POD_NAMESPACE, else default)",
                   env: "AGENT_LEADER_ELECTION_NAMESPACE"),
            .value("leader-election-id", "NAME", help: "name of the leader Lease", default: "agent-operator-leader",
                   env: "AGENT_LEADER_ELECTION_ID"),
            .value("leader-election-lease-duration", "DURATION", help: "how long followers wait after the last renewal",
                   default: "15s", env: "AGENT_LEADER_ELECTION_LEASE_DURATION"),
            .value("leader-election-renew-deadline", "DURATION", help: "how long the leader retries renewing before it gives up",
                   default: "10s", env: "AGENT_LEADER_ELECTION_RENEW_DEADLINE"),
            .value("leader-election-retry-period", "DURATION", help: "time between leader election attempts", default: "2s",
                   env: "AGENT_LEADER_ELECTION_RETRY_PERIOD"),
            .value("metrics-addr", "ADDR", help: "Prometheus /metrics listen address; 0 disables", default: ":8080", env: "AGENT_METRICS_ADDR"),
            .value("health-addr", "ADDR", help: "/healthz and /readyz listen address; 0 disables", default: ":8081", env: "AGENT_HEALTH_ADDR"),
            .value("api-addr", "ADDR", help: "runtime API listen address (needs --api-token-file); 0 disables", default: ":8090", env: "AGENT_API_ADDR"),
            .value("api-token-file", "FILE", help: "bearer tokens of the runtime API, one per line", env: "AGENT_API_TOKEN_FILE"),
            .value("max-concurrent-reconciles", "N", help: "sessions reconciled at once", default: "16",
                   env: "AGENT_MAX_CONCURRENT_RECONCILES"),
            .value("supervisor-image", "IMAGE", help: "image the init container copies agent-supervisor from (default: the operator's own, $AGENT_OPERATOR_IMAGE)",
                   env: "AGENT_SUPERVISOR_IMAGE"),
            .value("config", "FILE", help: "policy and defaults (YAML; see manifests/config/operator-config.yaml)", env: "AGENT_CONFIG"),
            .value("kube-api-qps", "QPS", help: "client-side limit of Kubernetes API requests per second (default: none)",
                   env: "AGENT_KUBE_API_QPS"),
            .value("kube-api-burst", "N", help: "burst of --kube-api-qps", default: "100", env: "AGENT_KUBE_API_BURST"),
        ] + RegistryFlags.specs)

    /// Checks parsed flags.
    public init(flags f: ParsedFlags, environment: [String: String] = ProcessInfo.processInfo.environment) throws(UsageError) {
        kubeconfig = f.string("kubeconfig").flatMap { $0.isEmpty ? nil : $0 }
        namespace = f.string("namespace").flatMap { $0.isEmpty ? nil : $0 }
        leaderElect = f.bool("leader-elect")
        leaderElectionNamespace = f.string("leader-election-namespace") ?? environment["POD_NAMESPACE"] ?? "default"
        leaderElectionID = f.string("leader-election-id") ?? "agent-operator-leader"
        leaseDuration = try f.duration("leader-election-lease-duration") ?? .seconds(15)
        renewDeadline = try f.duration("leader-election-renew-deadline") ?? .seconds(10)
        retryPeriod = try f.duration("leader-election-retry-period") ?? .seconds(2)
        guard leaseDuration > renewDeadline, renewDeadline > retryPeriod, retryPeriod > .zero else {
            throw UsageError("leader election needs lease duration > renew deadline > retry period > 0")
        }
        guard leaseDuration >= .seconds(1) else { throw UsageError("--leader-election-lease-duration must be at least 1s") }
        metricsAddress = try Self.address(f.string("metrics-addr") ?? ":8080", flag: "metrics-addr")
        healthAddress = try Self.address(f.string("health-addr") ?? ":8081", flag: "health-addr")
        apiAddress = try Self.address(f.string("api-addr") ?? ":8090", flag: "api-addr")
        apiTokenFile = f.string("api-token-file")
        registry = try RegistryFlags(flags: f)
        guard let n = try f.int("max-concurrent-reconciles"), (1...1024).contains(n) else {
            throw UsageError("--max-concurrent-reconciles must be between 1 and 1024")
        }
        maxConcurrentReconciles = n
        supervisorImage = f.string("supervisor-image") ?? environment["AGENT_OPERATOR_IMAGE"]
        configFile = f.string("config")
        kubeQPS = try f.double("kube-api-qps")
        if let q = kubeQPS, q <= 0 { throw UsageError("--kube-api-qps must be positive") }
        kubeBurst = try f.int("kube-api-burst") ?? 100
    }

    /// `:8080` → `0.0.0.0:8080`; `0` → nil (disabled); `host:port` as is.
    static func address(_ text: String, flag: String) throws(UsageError) -> String? {
        if text == "0" { return nil }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw UsageError("--\(flag) must be [HOST]:PORT or 0, got '\(text)'")
        }
        let host = text[..<colon]
        return (host.isEmpty ? "0.0.0.0" : String(host)) + ":" + String(port)
    }
}
