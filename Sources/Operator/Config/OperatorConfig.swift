import Foundation
import KubeClient
import RuntimeCore

/// The operator's policy and defaults, read from `--config FILE` (YAML, CONTRACT.md §8).
///
/// Every field has a default that says where it comes from; a file only overrides what it names.
/// Unknown keys are errors, so a typo in a quota never silently means "no quota". See
/// `manifests/config/operator-config.yaml` for an annotated example.
public struct OperatorConfig: Sendable, Equatable {
    /// Image and command of one agent type.
    public struct AgentTypeDefaults: Sendable, Equatable {
        /// The CLI image used when `spec.image` is empty.
        public var image: String
        /// The CLI command used when `spec.command` is empty.
        public var command: [String]
        /// Arguments put before `spec.args`.
        public var args: [String]

        /// Creates defaults for one type.
        public init(image: String, command: [String], args: [String] = []) {
            self.image = image
            self.command = command
            self.args = args
        }
    }

    /// Resource defaults (filled into what a session leaves out) and caps (a session asking more is rejected).
    public struct ResourcePolicy: Sendable, Equatable {
        /// Requests and limits used when the session names none for a resource.
        public var defaults: ResourceRequirements
        /// The most any request or limit may ask for, per resource (`cpu`, `memory`, ...).
        public var max: [String: Quantity]

        /// Creates a resource policy.
        public init(defaults: ResourceRequirements, max: [String: Quantity]) {
            self.defaults = defaults
            self.max = max
        }
    }

    /// Session quotas, counted over admitted sessions that are not stopped. 0 means unlimited.
    public struct Quotas: Sendable, Equatable {
        /// Most sessions per namespace.
        public var maxSessionsPerNamespace: Int
        /// Most sessions per `spec.workspaceId` (across namespaces).
        public var maxSessionsPerWorkspace: Int
        /// Per-namespace overrides of ``maxSessionsPerNamespace``.
        public var namespaces: [String: Int]

        /// Creates quotas.
        public init(maxSessionsPerNamespace: Int = 0, maxSessionsPerWorkspace: Int = 0, namespaces: [String: Int] = [:]) {
            self.maxSessionsPerNamespace = maxSessionsPerNamespace
            self.maxSessionsPerWorkspace = maxSessionsPerWorkspace
            self.namespaces = namespaces
        }

        /// The namespace limit that applies to `namespace` (0: unlimited).
        public func limit(namespace: String) -> Int { namespaces[namespace] ?? maxSessionsPerNamespace }
    }

    /// Pod-level settings of every agent pod.
    public struct PodSettings: Sendable, Equatable {
        /// uid of the agent (runAsNonRoot needs a numeric non-zero uid when the image's user is root).
        public var runAsUser: Int64 = 1000
        /// gid of the agent.
        public var runAsGroup: Int64 = 1000
        /// Group owning the workspace volume.
        public var fsGroup: Int64 = 1000
        /// Seconds between SIGTERM and SIGKILL; the supervisor forwards SIGTERM to the CLI.
        public var terminationGracePeriodSeconds: Int64 = 30
        /// Where the writable HOME emptyDir is mounted.
        public var homePath = "/home/agent"
        /// Image pull policy of both containers.
        public var imagePullPolicy = "IfNotPresent"
        /// Service account of agent pods (empty: the namespace's default); its token is never mounted.
        public var serviceAccountName = ""
        /// What the init container copies from the supervisor image into `/opt/agent-runtime/` (`cp -R`):
        /// the release bundle directory's contents (`agent-supervisor` and the `lib/` it finds through its
        /// RUNPATH, see scripts/build-release.sh), or a single self-contained file named `agent-supervisor`.
        public var supervisorSourcePath = "/usr/local/lib/agent-runtime/."
        /// Mount the root filesystem read-only (HOME, /tmp and the workspace stay writable).
        public var readOnlyRootFilesystem = false
        /// Creates pod settings with the defaults.
        public init() {}
    }

    /// Supervisor health checks (CONTRACT.md §5: every 10 s, unhealthy after 3 failures).
    public struct HealthChecks: Sendable, Equatable {
        /// Time between two `/status` checks of a running agent.
        public var interval: Duration = .seconds(10)
        /// Limit of one check.
        public var timeout: Duration = .seconds(2)
        /// Failures in a row that make an agent unhealthy.
        public var failureThreshold = 3
        /// Creates the contract's defaults.
        public init() {}
    }

    /// Per-type images and commands; defaults: `ghcr.io/parallax-ai/agent-<type>:<version>` running
    /// `claude`, `codex`, `gemini`, `aider`; `custom` has neither (the session must name both).
    public var agentTypes: [String: AgentTypeDefaults]
    /// Types a session may use (default: all five the CRD knows).
    public var allowedAgentTypes: [String]
    /// May a session name its own image (default true)?
    public var allowImageOverride: Bool
    /// The image the init container copies `agent-supervisor` from; nil: `--supervisor-image`, else the
    /// operator's own image (`AGENT_OPERATOR_IMAGE`, set by the chart).
    public var supervisorImage: String?
    /// Resource defaults and caps (default: requests 250m/512Mi, limits 2/4Gi, caps 8 CPUs and 32Gi).
    public var resources: ResourcePolicy
    /// Quotas (default: none).
    public var quotas: Quotas
    /// Pod settings.
    public var pod: PodSettings
    /// Health checks.
    public var healthChecks: HealthChecks
    /// Identity carried in registry lease ids: every replica of one operator must share it, so a new
    /// leader adopts the keys of the old one (see Registry's `LeaseOwnership`). Default `agent-runtime`.
    public var registryIdentity: String

    /// The agent types the CRD accepts.
    public static let knownAgentTypes = ["claude", "codex", "gemini", "aider", "custom"]

    /// The built-in defaults.
    public init() {
        func image(_ t: String) -> String { "ghcr.io/parallax-ai/agent-\(t):\(agentRuntimeVersion)" }
        agentTypes = [
            "claude": AgentTypeDefaults(image: image("claude"), command: ["claude"]),
            "codex": AgentTypeDefaults(image: image("codex"), command: ["codex"]),
            "gemini": AgentTypeDefaults(image: image("gemini"), command: ["gemini"]),
            "aider": AgentTypeDefaults(image: image("aider"), command: ["aider"]),
            "custom": AgentTypeDefaults(image: "", command: []),
        ]
        allowedAgentTypes = Self.knownAgentTypes
        allowImageOverride = true
        supervisorImage = nil
        resources = ResourcePolicy(
            defaults: ResourceRequirements(limits: ["cpu": "2", "memory": "4Gi"], requests: ["cpu": "250m", "memory": "512Mi"]),
            max: ["cpu": "8", "memory": "32Gi"])
        quotas = Quotas()
        pod = PodSettings()
        healthChecks = HealthChecks()
        registryIdentity = "agent-runtime"
    }

    /// Reads a config file (on the calling thread: call at startup).
    public static func load(file path: String) throws(OperatorError) -> OperatorConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .config("cannot read config file \(path)")
        }
        return try parse(String(decoding: data, as: UTF8.self), source: path)
    }

    /// Parses YAML config text over the built-in defaults.
    public static func parse(_ text: String, source: String = "<config>") throws(OperatorError) -> OperatorConfig {
        let root: JSON
        do { root = try YAML.parse(text, source: source) } catch { throw .config("\(error)") }
        if root.isNull { return OperatorConfig() }
        var r = ConfigReader(source: source)
        return try r.read(root)
    }
}

/// Reads the YAML tree into an ``OperatorConfig``, naming the offending path on every error.
private struct ConfigReader {
    let source: String

    func fail(_ path: String, _ message: String) -> OperatorError { .config("\(source): \(path): \(message)") }

    func object(_ v: JSON, _ path: String, keys: Set<String>) throws(OperatorError) -> [String: JSON] {
        guard let o = v.objectValue else { throw fail(path, "expected a mapping, got \(v.typeName)") }
        for k in o.keys where !keys.contains(k) {
            throw fail(path.isEmpty ? k : "\(path).\(k)", "unknown field (known: \(keys.sorted().joined(separator: ", ")))")
        }
        return o
    }

    func string(_ v: JSON, _ path: String) throws(OperatorError) -> String {
        guard let s = v.stringValue else { throw fail(path, "expected a string, got \(v.typeName)") }
        return s
    }

    func strings(_ v: JSON, _ path: String) throws(OperatorError) -> [String] {
        guard let a = v.arrayValue else { throw fail(path, "expected a list of strings") }
        var out: [String] = []
        for (i, e) in a.enumerated() { out.append(try string(e, "\(path)[\(i)]")) }
        return out
    }

    func int(_ v: JSON, _ path: String, min: Int64 = 0) throws(OperatorError) -> Int64 {
        guard let i = v.intValue else { throw fail(path, "expected a whole number, got \(v.typeName)") }
        guard i >= min else { throw fail(path, "must be at least \(min)") }
        return i
    }

    func bool(_ v: JSON, _ path: String) throws(OperatorError) -> Bool {
        guard let b = v.boolValue else { throw fail(path, "expected true or false") }
        return b
    }

    func duration(_ v: JSON, _ path: String) throws(OperatorError) -> Duration {
        if let i = v.intValue, i > 0 { return .seconds(i) }
        guard let s = v.stringValue, let d = parseDuration(s), d > .zero else {
            throw fail(path, "expected a duration such as 10s or 500ms")
        }
        return d
    }

    func quantities(_ v: JSON, _ path: String) throws(OperatorError) -> [String: Quantity] {
        guard let o = v.objectValue else { throw fail(path, "expected a mapping of resource to quantity") }
        var out: [String: Quantity] = [:]
        for (k, q) in o {
            let text = q.stringValue ?? q.intValue.map { String($0) } ?? q.doubleValue.map { String($0) }
            guard let text, let parsed = try? Quantity(parsing: text) else { throw fail("\(path).\(k)", "not a quantity") }
            out[k] = parsed
        }
        return out
    }

    mutating func read(_ root: JSON) throws(OperatorError) -> OperatorConfig {
        var c = OperatorConfig()
        let top = try object(root, "", keys: ["agentTypes", "allowedAgentTypes", "allowImageOverride", "supervisorImage",
                                              "resources", "quotas", "pod", "healthChecks", "registryIdentity"])
        if let types = top["agentTypes"] {
            for (name, v) in try object(types, "agentTypes", keys: Set(OperatorConfig.knownAgentTypes)) {
                let p = "agentTypes.\(name)"
                let o = try object(v, p, keys: ["image", "command", "args"])
                var d = c.agentTypes[name] ?? .init(image: "", command: [])
                if let i = o["image"] { d.image = try string(i, p + ".image") }
                if let cmd = o["command"] { d.command = try strings(cmd, p + ".command") }
                if let a = o["args"] { d.args = try strings(a, p + ".args") }
                c.agentTypes[name] = d
            }
        }
        if let a = top["allowedAgentTypes"] {
            let list = try strings(a, "allowedAgentTypes")
            for t in list where !OperatorConfig.knownAgentTypes.contains(t) {
                throw fail("allowedAgentTypes", "unknown agent type \(t)")
            }
            c.allowedAgentTypes = list
        }
        if let v = top["allowImageOverride"] { c.allowImageOverride = try bool(v, "allowImageOverride") }
        if let v = top["supervisorImage"] { c.supervisorImage = try string(v, "supervisorImage") }
        if let v = top["registryIdentity"] {
            c.registryIdentity = try string(v, "registryIdentity")
            if c.registryIdentity.isEmpty { throw fail("registryIdentity", "must not be empty") }
        }
        if let r = top["resources"] {
            let o = try object(r, "resources", keys: ["defaults", "max"])
            if let d = o["defaults"] {
                let dd = try object(d, "resources.defaults", keys: ["requests", "limits"])
                if let q = dd["requests"] { c.resources.defaults.requests = try quantities(q, "resources.defaults.requests") }
                if let q = dd["limits"] { c.resources.defaults.limits = try quantities(q, "resources.defaults.limits") }
            }
            if let m = o["max"] { c.resources.max = try quantities(m, "resources.max") }
        }
        if let q = top["quotas"] {
            let o = try object(q, "quotas", keys: ["maxSessionsPerNamespace", "maxSessionsPerWorkspace", "namespaces"])
            if let v = o["maxSessionsPerNamespace"] { c.quotas.maxSessionsPerNamespace = Int(try int(v, "quotas.maxSessionsPerNamespace")) }
            if let v = o["maxSessionsPerWorkspace"] { c.quotas.maxSessionsPerWorkspace = Int(try int(v, "quotas.maxSessionsPerWorkspace")) }
            if let v = o["namespaces"] {
                guard let m = v.objectValue else { throw fail("quotas.namespaces", "expected a mapping of namespace to number") }
                for (ns, n) in m { c.quotas.namespaces[ns] = Int(try int(n, "quotas.namespaces.\(ns)")) }
            }
        }
        if let p = top["pod"] {
            let o = try object(p, "pod", keys: ["runAsUser", "runAsGroup", "fsGroup", "terminationGracePeriodSeconds", "homePath",
                                               "imagePullPolicy", "serviceAccountName", "supervisorSourcePath",
                                               "readOnlyRootFilesystem"])
            if let v = o["runAsUser"] { c.pod.runAsUser = try int(v, "pod.runAsUser", min: 1) }
            if let v = o["runAsGroup"] { c.pod.runAsGroup = try int(v, "pod.runAsGroup", min: 0) }
            if let v = o["fsGroup"] { c.pod.fsGroup = try int(v, "pod.fsGroup", min: 0) }
            if let v = o["terminationGracePeriodSeconds"] {
                c.pod.terminationGracePeriodSeconds = try int(v, "pod.terminationGracePeriodSeconds")
            }
            if let v = o["homePath"] { c.pod.homePath = try string(v, "pod.homePath") }
            if let v = o["imagePullPolicy"] {
                c.pod.imagePullPolicy = try string(v, "pod.imagePullPolicy")
                guard ["Always", "IfNotPresent", "Never"].contains(c.pod.imagePullPolicy) else {
                    throw fail("pod.imagePullPolicy", "must be Always, IfNotPresent or Never")
                }
            }
            if let v = o["serviceAccountName"] { c.pod.serviceAccountName = try string(v, "pod.serviceAccountName") }
            if let v = o["supervisorSourcePath"] { c.pod.supervisorSourcePath = try string(v, "pod.supervisorSourcePath") }
            if let v = o["readOnlyRootFilesystem"] { c.pod.readOnlyRootFilesystem = try bool(v, "pod.readOnlyRootFilesystem") }
        }
        if let h = top["healthChecks"] {
            let o = try object(h, "healthChecks", keys: ["interval", "timeout", "failureThreshold"])
            if let v = o["interval"] { c.healthChecks.interval = try duration(v, "healthChecks.interval") }
            if let v = o["timeout"] { c.healthChecks.timeout = try duration(v, "healthChecks.timeout") }
            if let v = o["failureThreshold"] { c.healthChecks.failureThreshold = Int(try int(v, "healthChecks.failureThreshold", min: 1)) }
        }
        return c
    }
}
