import Foundation
import RuntimeCore

/// The command line of `agent-operator local` (CONTRACT.md §1), parsed and checked.
public struct LocalOptions: Sendable {
    /// `--api-addr` (default `127.0.0.1:8090`: a developer machine's daemon is not for the network).
    public var apiAddress: String
    /// `--api-token-file` (required).
    public var apiTokenFile: String
    /// `--api-max-body-bytes`.
    public var apiMaxBodyBytes: Int
    /// `--workdir-root` (required).
    public var workdirRoot: String
    /// `--supervisor-binary` (default: `agent-supervisor` next to this binary).
    public var supervisorBinary: String
    /// `--max-agents`.
    public var maxAgents: Int
    /// `--agent-cpu-seconds`, `--agent-memory`, `--agent-max-processes`, `--cgroup-root`.
    public var limits: AgentLimits
    /// `--etcd-*` (no endpoints: no registry) and `--registry-prefix`.
    public var registry: RegistryFlags
    /// `--registry-ttl`.
    public var registryTTL: Int
    /// `--namespace`: the registry metadata namespace of agents that name none.
    public var namespace: String
    /// `--config`: policy (allowed types, commands per type, per-workspace quota).
    public var configFile: String?
    /// `--keep-agents`: leave agents running on shutdown (the next daemon adopts them).
    public var keepAgents: Bool
    /// `--remove-workspaces`: delete an agent's workspace when it stops.
    public var removeWorkspaces: Bool
    /// `--grace-period`.
    public var gracePeriod: Duration
    /// `--metrics-addr`, `--health-addr` (0: off; `/metrics` is also on the API port, behind the token).
    public var metricsAddress: String?, healthAddress: String?

    /// The command line.
    public static let spec = CommandLineSpec(
        program: "agent-operator local",
        usage: "--api-token-file FILE --workdir-root DIR [--etcd-endpoints URL] [FLAGS]",
        summary: """
            The agent runtime without Kubernetes: serves the runtime API and runs every agent as an agent-supervisor \
            child process on a loopback port, with its own working directory under --workdir-root, registered in \
            the Parallax registry (etcd) like the operator registers pods. State is kept under --workdir-root: a \
            restarted daemon adopts the agents that still run. See docs/local-mode.md.
            """,
        flags: [
            .value("api-addr", "ADDR:PORT", help: "runtime API listen address", default: "127.0.0.1:8090", env: "AGENT_API_ADDR"),
            .value("api-token-file", "FILE", help: "bearer tokens of the runtime API, one per line (required)", env: "AGENT_API_TOKEN_FILE"),
            .value("api-max-body-bytes", "N", help: "largest request body (413 above)", default: "1048576"),
            .value("workdir-root", "DIR", help: "agent state and workspaces (required)", env: "AGENT_WORKDIR_ROOT"),
            .value("supervisor-binary", "PATH", help: "agent-supervisor (default: next to this program)", env: "AGENT_SUPERVISOR_BINARY"),
            .value("max-agents", "N", help: "most agents at once (429 above; 0: no limit)", default: "16", env: "AGENT_MAX_AGENTS"),
            .value("agent-cpu-seconds", "N", help: "RLIMIT_CPU of each agent CLI process (0: none)", default: "0"),
            .value("agent-memory", "BYTES", help: "memory of each agent: cgroup memory.max, else RLIMIT_AS (512Mi, 4Gi; 0: none)", default: "0"),
            .value("agent-max-processes", "N", help: "processes of each agent: cgroup pids.max, else RLIMIT_NPROC (0: none)", default: "0"),
            .value("cgroup-root", "DIR", help: "delegated cgroup v2 directory (memory and pids enabled) for per-agent cgroups"),
            .value("registry-ttl", "SECONDS", help: "registry lease TTL", default: "30", env: "AGENT_REGISTRY_TTL"),
            .value("namespace", "NS", help: "registry metadata namespace of agents that name none", default: "local"),
            .value("config", "FILE", help: "policy: allowed agent types, commands per type, per-workspace quota (YAML)", env: "AGENT_CONFIG"),
            .value("grace-period", "DURATION", help: "stop: SIGTERM to the agent, SIGKILL after this", default: "5s"),
            .bool("keep-agents", help: "on shutdown leave agents running for the next daemon to adopt (default: stop them)"),
            .bool("remove-workspaces", help: "delete an agent's workspace directory when it stops (default: keep it)"),
            .value("metrics-addr", "ADDR", help: "extra /metrics listener without a token; 0 disables", default: "0"),
            .value("health-addr", "ADDR", help: "/healthz and /readyz listener; 0 disables", default: "0"),
        ] + RegistryFlags.specs)

    /// Checks parsed flags.
    public init(flags f: ParsedFlags, executable: String = CommandLine.arguments[0]) throws(UsageError) {
        guard let api = try ControllerOptions.address(f.string("api-addr") ?? "127.0.0.1:8090", flag: "api-addr") else {
            throw UsageError("--api-addr 0: local mode exists to serve the runtime API")
        }
        apiAddress = api
        apiTokenFile = try f.require("api-token-file")
        guard let body = try f.int("api-max-body-bytes"), body >= 1024 else { throw UsageError("--api-max-body-bytes must be at least 1024") }
        apiMaxBodyBytes = body
        workdirRoot = try f.require("workdir-root")
        guard workdirRoot.hasPrefix("/") else { throw UsageError("--workdir-root must be an absolute path") }
        let exeDir = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? executable)
            .deletingLastPathComponent().path
        supervisorBinary = f.string("supervisor-binary") ?? exeDir + "/agent-supervisor"
        guard FileManager.default.isExecutableFile(atPath: supervisorBinary) else {
            throw UsageError("--supervisor-binary \(supervisorBinary) is not an executable file")
        }
        guard let max = try f.int("max-agents"), max >= 0 else { throw UsageError("--max-agents must be 0 or more") }
        maxAgents = max
        guard let cpu = try f.int("agent-cpu-seconds"), cpu >= 0 else { throw UsageError("--agent-cpu-seconds must be 0 or more") }
        guard let mem = AgentLimits.parseBytes(f.string("agent-memory") ?? "0") else {
            throw UsageError("--agent-memory must be a byte count such as 512Mi or 4Gi")
        }
        guard let procs = try f.int("agent-max-processes"), procs >= 0 else { throw UsageError("--agent-max-processes must be 0 or more") }
        let cgroupRoot = f.string("cgroup-root")
        if let c = cgroupRoot, !FileManager.default.fileExists(atPath: c + "/cgroup.procs") {
            throw UsageError("--cgroup-root \(c) is not a cgroup v2 directory")
        }
        limits = AgentLimits(cpuSeconds: cpu, memoryBytes: mem, maxProcesses: procs, cgroupRoot: cgroupRoot)
        registry = try RegistryFlags(flags: f)
        guard let ttl = try f.int("registry-ttl"), (5...3600).contains(ttl) else { throw UsageError("--registry-ttl must be between 5 and 3600") }
        registryTTL = ttl
        namespace = f.string("namespace") ?? "local"
        guard AgentNames.isDNSLabel(namespace) else { throw UsageError("--namespace must be a DNS label (lower-case letters, digits, '-')") }
        configFile = f.string("config")
        keepAgents = f.bool("keep-agents")
        removeWorkspaces = f.bool("remove-workspaces")
        gracePeriod = try f.duration("grace-period") ?? .seconds(5)
        metricsAddress = try ControllerOptions.address(f.string("metrics-addr") ?? "0", flag: "metrics-addr")
        healthAddress = try ControllerOptions.address(f.string("health-addr") ?? "0", flag: "health-addr")
    }
}
