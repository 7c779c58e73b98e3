import Foundation
import KubeClient
import RuntimeCore

/// `parallax.ai/v1alpha1` AgentSession (CONTRACT.md §2): one interactive CLI coding agent in its own pod.
///
/// Decoding never fails on a readable object: a `spec` this model cannot read (a value of the wrong
/// type that the CRD schema let through, an unparsable quantity) is kept as ``specError`` and the
/// reconciler turns it into a `PolicyViolation`, so one bad object can never stop the informer's list.
public struct AgentSession: Resource, Hashable {
    /// `agentsessions` in `parallax.ai/v1alpha1`, namespaced.
    public static let resource = DynamicResource(group: "parallax.ai", version: "v1alpha1", plural: "agentsessions",
                                                 kind: "AgentSession")

    /// `parallax.ai/v1alpha1`.
    public var apiVersion: String?
    /// `AgentSession`.
    public var kind: String?
    /// Standard object metadata.
    public var metadata: ObjectMeta
    /// The desired state.
    public var spec: AgentSessionSpec {
        get { specBox.value }
        set {
            if isKnownUniquelyReferenced(&specBox) { specBox.value = newValue } else { specBox = CoWBox(newValue) }
        }
    }
    /// The observed state, written by the operator only.
    public var status: AgentSessionStatus? {
        get { statusBox?.value }
        set {
            guard let newValue else { statusBox = nil; return }
            if statusBox != nil, isKnownUniquelyReferenced(&statusBox!) { statusBox!.value = newValue } else { statusBox = CoWBox(newValue) }
        }
    }
    /// Why `spec` could not be decoded, when it could not (never encoded).
    public var specError: String?

    // Spec and status live out of line: the cache's dictionary slots stay small (see CoWBox).
    private var specBox: CoWBox<AgentSessionSpec>
    private var statusBox: CoWBox<AgentSessionStatus>?

    public static func == (a: AgentSession, b: AgentSession) -> Bool {
        a.apiVersion == b.apiVersion && a.kind == b.kind && a.metadata == b.metadata && a.specError == b.specError
            && (a.specBox === b.specBox || a.spec == b.spec) && a.status == b.status
    }

    public func hash(into h: inout Hasher) {
        h.combine(metadata)
        h.combine(spec)
        h.combine(status)
    }

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, spec, status }

    /// `kubectl.kubernetes.io/last-applied-configuration`, dropped when decoding.
    public static let lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

    /// Creates a session.
    public init(metadata: ObjectMeta, spec: AgentSessionSpec, status: AgentSessionStatus? = nil) {
        apiVersion = Self.apiVersion
        kind = Self.kind
        self.metadata = metadata
        specBox = CoWBox(spec)
        statusBox = status.map { CoWBox($0) }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try? c.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try? c.decodeIfPresent(String.self, forKey: .kind)
        metadata = try c.decode(ObjectMeta.self, forKey: .metadata)
        // kubectl's copy of the whole applied object: the operator never reads it, and at a thousand sessions
        // it would be a megabyte of cache (the operator only merge-patches sessions, so it is never written back).
        if metadata.annotations?.removeValue(forKey: AgentSession.lastAppliedAnnotation) != nil, metadata.annotations?.isEmpty == true {
            metadata.annotations = nil
        }
        do {
            specBox = CoWBox(try c.decodeIfPresent(AgentSessionSpec.self, forKey: .spec) ?? AgentSessionSpec(agentType: ""))
        } catch {
            // Keep what identifies the session so status and events still make sense.
            let raw = try? c.decodeIfPresent(JSON.self, forKey: .spec)
            var spec = AgentSessionSpec(agentType: raw?["agentType"].stringValue ?? "")
            spec.workspaceId = raw?["workspaceId"].stringValue ?? ""
            specBox = CoWBox(spec)
            specError = AgentSession.describe(error)
        }
        // A status we cannot read is recomputed from scratch rather than failing the object.
        statusBox = ((try? c.decodeIfPresent(AgentSessionStatus.self, forKey: .status)) ?? nil).map { CoWBox($0.compacted()) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(apiVersion, forKey: .apiVersion)
        try c.encodeIfPresent(kind, forKey: .kind)
        try c.encode(metadata, forKey: .metadata)
        try c.encode(spec, forKey: .spec)
        try c.encodeIfPresent(status, forKey: .status)
    }

    /// One line for a decoding failure: `spec.resources.limits.cpu: ...`.
    static func describe(_ error: any Error) -> String {
        guard let e = error as? DecodingError else { return "\(error)" }
        func path(_ ctx: DecodingError.Context) -> String {
            let p = ctx.codingPath.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined()
            return "spec" + p
        }
        switch e {
        case .typeMismatch(let t, let ctx): return "\(path(ctx)): expected \(t)"
        case .valueNotFound(let t, let ctx): return "\(path(ctx)): missing \(t)"
        case .keyNotFound(let k, let ctx): return "\(path(ctx)): missing key \"\(k.stringValue)\""
        case .dataCorrupted(let ctx): return "\(path(ctx)): \(ctx.debugDescription)"
        @unknown default: return "\(e)"
        }
    }
}

/// The desired state of an ``AgentSession``. Empty strings and empty lists mean "use the default".
public struct AgentSessionSpec: Codable, Hashable, Sendable {
    /// `claude`, `codex`, `gemini`, `aider` or `custom` (kept as text: unknown values are a policy matter).
    public var agentType: String
    /// The Parallax id; default `<namespace>.<name>`.
    public var agentId: String = ""
    /// The display name; default `metadata.name`.
    public var displayName: String = ""
    /// Exported as `AGENT_ROLE`.
    public var role: String = ""
    /// Exported as `AGENT_CAPABILITIES` and written to the registry.
    public var capabilities: [String] = []
    /// The Raven/Parallax workspace: the quota and billing key.
    public var workspaceId: String = ""
    /// The CLI image; default from the operator config per agent type.
    public var image: String = ""
    /// The CLI command; default from the operator config per agent type.
    public var command: [String] = []
    /// Extra CLI arguments.
    public var args: [String] = []
    /// Extra environment, appended after the contract's variables.
    public var env: [EnvVar] = []
    /// The CLI's working directory, where the workspace volume is mounted.
    public var workdir: String = ""
    /// The workspace volume.
    public var workspace: Workspace?
    /// The MCP server the agent talks to.
    public var mcp: MCP?
    /// Container resources; defaults and caps come from policy.
    public var resources: ResourceRequirements?
    /// The pod's RuntimeClass (for example `gvisor`).
    public var runtimeClassName: String = ""
    /// Node labels the pod must run on.
    public var nodeSelector: [String: String] = [:]
    /// Taints the pod tolerates.
    public var tolerations: [Toleration] = []
    /// True: pod removed, agent deregistered, session kept.
    public var suspend: Bool = false
    /// What the supervisor does when the CLI exits: `Always`, `OnFailure` or `Never`.
    public var restartPolicy: String = ""
    /// Time limits.
    public var lifetime: Lifetime?
    /// Registry settings.
    public var registry: RegistrySettings?
    /// Login notifications.
    public var login: Login?

    /// The workspace volume: an existing claim, a claim the operator creates, or an emptyDir.
    public struct Workspace: Codable, Hashable, Sendable {
        /// Size of a claim the operator creates (`10Gi`); empty: no claim.
        public var size: String = ""
        /// Storage class of that claim.
        public var storageClassName: String = ""
        /// An existing claim to mount instead.
        public var existingClaim: String = ""

        /// Creates a workspace setting.
        public init(size: String = "", storageClassName: String = "", existingClaim: String = "") {
            self.size = size
            self.storageClassName = storageClassName
            self.existingClaim = existingClaim
        }
    }

    /// Where the MCP server is and which Secret holds its key.
    public struct MCP: Codable, Hashable, Sendable {
        /// `MCP_SERVER_URL`.
        public var serverUrl: String = ""
        /// The Secret key copied into the session's own Secret as `mcp-api-key`.
        public var keySecretRef: SecretKeyRef?
        /// `RAVEN_EXECUTION_ID`.
        public var executionId: String = ""

        /// Creates an MCP setting.
        public init(serverUrl: String = "", keySecretRef: SecretKeyRef? = nil, executionId: String = "") {
            self.serverUrl = serverUrl
            self.keySecretRef = keySecretRef
            self.executionId = executionId
        }
    }

    /// A key of a Secret in the session's namespace.
    public struct SecretKeyRef: Codable, Hashable, Sendable {
        /// The Secret's name.
        public var name: String
        /// The key; default `api-key`.
        public var key: String = ""

        /// Creates a reference.
        public init(name: String, key: String = "") {
            self.name = name
            self.key = key
        }
    }

    /// Time limits; 0 means none.
    public struct Lifetime: Codable, Hashable, Sendable {
        /// Stop the session this long after its pod started.
        public var maxDurationSeconds: Int64 = 0
        /// Stop the session after this long without terminal input or output.
        public var idleTimeoutSeconds: Int64 = 0
        /// Delete the session this long after it finished (0: keep it).
        public var ttlSecondsAfterFinished: Int64 = 0

        /// Creates limits.
        public init(maxDurationSeconds: Int64 = 0, idleTimeoutSeconds: Int64 = 0, ttlSecondsAfterFinished: Int64 = 0) {
            self.maxDurationSeconds = maxDurationSeconds
            self.idleTimeoutSeconds = idleTimeoutSeconds
            self.ttlSecondsAfterFinished = ttlSecondsAfterFinished
        }
    }

    /// Registry settings.
    public struct RegistrySettings: Codable, Hashable, Sendable {
        /// Register the agent in etcd once it runs (default true).
        public var enabled: Bool?
        /// The lease TTL (default 30).
        public var ttlSeconds: Int64?

        /// Creates settings.
        public init(enabled: Bool? = nil, ttlSeconds: Int64? = nil) {
            self.enabled = enabled
            self.ttlSeconds = ttlSeconds
        }
    }

    /// Login notifications.
    public struct Login: Codable, Hashable, Sendable {
        /// POSTed on login required and on login completed.
        public var callbackUrl: String = ""

        /// Creates a login setting.
        public init(callbackUrl: String = "") { self.callbackUrl = callbackUrl }
    }

    /// Creates a spec.
    public init(agentType: String) { self.agentType = agentType }
}

/// The observed state of an ``AgentSession``. Never holds a secret.
public struct AgentSessionStatus: Codable, Hashable, Sendable {
    /// `Pending`, `Starting`, `Authenticating`, `Ready`, `Stopping`, `Stopped` or `Error`.
    public var phase: String?
    /// The `metadata.generation` this status was computed from.
    public var observedGeneration: Int64?
    /// `Admitted`, `PodReady`, `LoginRequired`, `Registered`, `Ready`.
    public var conditions: [Condition]?
    /// The effective Parallax id.
    public var agentId: String?
    /// The pod's name.
    public var podName: String?
    /// The pod's IP.
    public var podIP: String?
    /// The supervisor's URL, `http://<podIP>:8077`.
    public var endpoint: String?
    /// The etcd key, while registered.
    public var registryKey: String?
    /// When the agent's pod first started.
    public var startTime: String?
    /// When the health check that last changed this status ran.
    public var lastHealthCheck: String?
    /// CLI restarts reported by the supervisor.
    public var restarts: Int?
    /// The login prompt, while one is shown.
    public var login: LoginStatus?
    /// A one-line summary for people.
    public var message: String?
    /// When the session finished for good (max duration, idle timeout, CLI ended); drives
    /// `ttlSecondsAfterFinished`.
    public var finishedAt: String?

    /// The login prompt as the status shows it.
    public struct LoginStatus: Codable, Hashable, Sendable {
        /// The login URL.
        public var url: String?
        /// The one-time code shown next to it.
        public var code: String?
        /// The prompt text.
        public var message: String?
        /// When the prompt appeared.
        public var since: String?

        /// Creates login details.
        public init(url: String? = nil, code: String? = nil, message: String? = nil, since: String? = nil) {
            self.url = url
            self.code = code
            self.message = message
            self.since = since
        }
    }

    /// An empty status.
    public init() {}
}

extension AgentSessionSpec {
    enum CodingKeys: String, CodingKey {
        case agentType, agentId, displayName, role, capabilities, workspaceId, image, command, args, env, workdir
        case workspace, mcp, resources, runtimeClassName, nodeSelector, tolerations, suspend, restartPolicy
        case lifetime, registry, login
    }

    // Every member is optional on the wire; absent and null read as the default.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        agentType = try c.decodeIfPresent(String.self, forKey: .agentType) ?? ""
        agentId = try c.decodeIfPresent(String.self, forKey: .agentId) ?? ""
        displayName = try c.decodeIfPresent(String.self, forKey: .displayName) ?? ""
        role = try c.decodeIfPresent(String.self, forKey: .role) ?? ""
        capabilities = try c.decodeIfPresent([String].self, forKey: .capabilities) ?? []
        workspaceId = try c.decodeIfPresent(String.self, forKey: .workspaceId) ?? ""
        image = try c.decodeIfPresent(String.self, forKey: .image) ?? ""
        command = try c.decodeIfPresent([String].self, forKey: .command) ?? []
        args = try c.decodeIfPresent([String].self, forKey: .args) ?? []
        env = try c.decodeIfPresent([EnvVar].self, forKey: .env) ?? []
        workdir = try c.decodeIfPresent(String.self, forKey: .workdir) ?? ""
        workspace = try c.decodeIfPresent(Workspace.self, forKey: .workspace)
        mcp = try c.decodeIfPresent(MCP.self, forKey: .mcp)
        resources = try c.decodeIfPresent(ResourceRequirements.self, forKey: .resources)
        runtimeClassName = try c.decodeIfPresent(String.self, forKey: .runtimeClassName) ?? ""
        nodeSelector = try c.decodeIfPresent([String: String].self, forKey: .nodeSelector) ?? [:]
        tolerations = try c.decodeIfPresent([Toleration].self, forKey: .tolerations) ?? []
        suspend = try c.decodeIfPresent(Bool.self, forKey: .suspend) ?? false
        restartPolicy = try c.decodeIfPresent(String.self, forKey: .restartPolicy) ?? ""
        lifetime = try c.decodeIfPresent(Lifetime.self, forKey: .lifetime)
        registry = try c.decodeIfPresent(RegistrySettings.self, forKey: .registry)
        login = try c.decodeIfPresent(Login.self, forKey: .login)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(agentType, forKey: .agentType)
        if !agentId.isEmpty { try c.encode(agentId, forKey: .agentId) }
        if !displayName.isEmpty { try c.encode(displayName, forKey: .displayName) }
        if !role.isEmpty { try c.encode(role, forKey: .role) }
        if !capabilities.isEmpty { try c.encode(capabilities, forKey: .capabilities) }
        if !workspaceId.isEmpty { try c.encode(workspaceId, forKey: .workspaceId) }
        if !image.isEmpty { try c.encode(image, forKey: .image) }
        if !command.isEmpty { try c.encode(command, forKey: .command) }
        if !args.isEmpty { try c.encode(args, forKey: .args) }
        if !env.isEmpty { try c.encode(env, forKey: .env) }
        if !workdir.isEmpty { try c.encode(workdir, forKey: .workdir) }
        try c.encodeIfPresent(workspace, forKey: .workspace)
        try c.encodeIfPresent(mcp, forKey: .mcp)
        try c.encodeIfPresent(resources, forKey: .resources)
        if !runtimeClassName.isEmpty { try c.encode(runtimeClassName, forKey: .runtimeClassName) }
        if !nodeSelector.isEmpty { try c.encode(nodeSelector, forKey: .nodeSelector) }
        if !tolerations.isEmpty { try c.encode(tolerations, forKey: .tolerations) }
        if suspend { try c.encode(suspend, forKey: .suspend) }
        if !restartPolicy.isEmpty { try c.encode(restartPolicy, forKey: .restartPolicy) }
        try c.encodeIfPresent(lifetime, forKey: .lifetime)
        try c.encodeIfPresent(registry, forKey: .registry)
        try c.encodeIfPresent(login, forKey: .login)
    }
}

extension AgentSessionSpec.Workspace {
    enum CodingKeys: String, CodingKey { case size, storageClassName, existingClaim }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        size = try c.decodeIfPresent(String.self, forKey: .size) ?? ""
        storageClassName = try c.decodeIfPresent(String.self, forKey: .storageClassName) ?? ""
        existingClaim = try c.decodeIfPresent(String.self, forKey: .existingClaim) ?? ""
    }
}

extension AgentSessionSpec.MCP {
    enum CodingKeys: String, CodingKey { case serverUrl, keySecretRef, executionId }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        serverUrl = try c.decodeIfPresent(String.self, forKey: .serverUrl) ?? ""
        keySecretRef = try c.decodeIfPresent(AgentSessionSpec.SecretKeyRef.self, forKey: .keySecretRef)
        executionId = try c.decodeIfPresent(String.self, forKey: .executionId) ?? ""
    }
}

extension AgentSessionSpec.SecretKeyRef {
    enum CodingKeys: String, CodingKey { case name, key }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        key = try c.decodeIfPresent(String.self, forKey: .key) ?? ""
    }
}

extension AgentSessionSpec.Lifetime {
    enum CodingKeys: String, CodingKey { case maxDurationSeconds, idleTimeoutSeconds, ttlSecondsAfterFinished }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        maxDurationSeconds = try c.decodeIfPresent(Int64.self, forKey: .maxDurationSeconds) ?? 0
        idleTimeoutSeconds = try c.decodeIfPresent(Int64.self, forKey: .idleTimeoutSeconds) ?? 0
        ttlSecondsAfterFinished = try c.decodeIfPresent(Int64.self, forKey: .ttlSecondsAfterFinished) ?? 0
    }
}

extension AgentSessionSpec.Login {
    enum CodingKeys: String, CodingKey { case callbackUrl }
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        callbackUrl = try c.decodeIfPresent(String.self, forKey: .callbackUrl) ?? ""
    }
}

extension AgentSessionStatus {
    /// The same status with its repeated sentences shared (see ``StringInterner``).
    func compacted() -> AgentSessionStatus {
        var s = self
        let pool = StringInterner.shared
        s.conditions = conditions?.map { c in
            var c = c
            c.reason = pool.intern(c.reason)
            c.message = pool.intern(c.message)
            return c
        }
        s.message = message.map(pool.intern)
        return s
    }
}
