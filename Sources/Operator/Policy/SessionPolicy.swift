import Foundation
import KubeClient
import RuntimeCore

/// A session with every default applied and every policy check passed: what the pod builder,
/// the registry and the metrics work from.
public struct EffectiveSession: Sendable, Equatable {
    /// Namespace of the session.
    public var namespace: String
    /// Name of the session (and of its pod).
    public var name: String
    /// `claude`, `codex`, `gemini`, `aider` or `custom`.
    public var agentType: String
    /// The Parallax id (`<namespace>.<name>` unless given).
    public var agentId: String
    /// The display name (`metadata.name` unless given).
    public var displayName: String
    /// `AGENT_ROLE`.
    public var role: String
    /// `AGENT_CAPABILITIES`.
    public var capabilities: [String]
    /// The workspace (quota and billing key).
    public var workspaceId: String
    /// The CLI image.
    public var image: String
    /// The CLI command and arguments, as the supervisor runs them after `--`.
    public var cliCommand: [String]
    /// `spec.env`, appended after the contract's variables.
    public var env: [EnvVar]
    /// The CLI's working directory (the workspace mount).
    public var workdir: String
    /// The workspace volume.
    public var workspace: AgentSessionSpec.Workspace
    /// `MCP_SERVER_URL`.
    public var mcpServerURL: String
    /// The Secret key copied into `mcp-api-key`, if any.
    public var mcpKeyRef: AgentSessionSpec.SecretKeyRef?
    /// `RAVEN_EXECUTION_ID`.
    public var executionId: String
    /// Requests and limits after defaults.
    public var resources: ResourceRequirements
    /// RuntimeClass, empty for none.
    public var runtimeClassName: String
    /// Node selector.
    public var nodeSelector: [String: String]
    /// Tolerations.
    public var tolerations: [Toleration]
    /// `spec.suspend`.
    public var suspend: Bool
    /// The supervisor's restart policy of the CLI.
    public var restartPolicy: String
    /// Time limits.
    public var lifetime: AgentSessionSpec.Lifetime
    /// Register in etcd once running.
    public var registryEnabled: Bool
    /// The registry lease TTL.
    public var registryTTLSeconds: Int
    /// The login callback URL, empty for none.
    public var loginCallbackURL: String
}

/// Defaulting and validation beyond the CRD schema: allowed agent types, images and commands per type,
/// resource defaults and caps, names that fit everything derived from them, reserved variables.
///
/// Pure and deterministic; quotas are separate (``QuotaLedger``) because they depend on other sessions.
public struct SessionPolicy: Sendable {
    /// The configuration in force.
    public let config: OperatorConfig

    /// The longest session name whose derived names (`<name>-credentials`) still fit 253 characters.
    public static let maxNameLength = 253 - CredentialsSecret.suffix.count

    /// The default workdir (CONTRACT.md §2).
    public static let defaultWorkdir = "/workspace"
    /// The default registry TTL (CONTRACT.md §5).
    public static let defaultRegistryTTL = 30

    /// Creates a policy.
    public init(config: OperatorConfig) { self.config = config }

    /// Applies defaults and checks policy. Violations are sentences for the `Admitted` condition; those that
    /// are field errors (``SpecRules``: the ones `POST /spawn` answers with 422) are also in ``PolicyViolation/invalid``.
    public func evaluate(_ session: AgentSession) -> Result<EffectiveSession, PolicyViolation> {
        var problems: [String] = []
        var invalid: [String] = []
        func invalidField(_ problem: String?) {
            guard let problem else { return }
            problems.append(problem)
            invalid.append(problem)
        }
        let spec = session.spec
        let ns = session.metadata.namespace ?? ""
        let name = session.metadata.name ?? ""
        if let e = session.specError { problems.append("spec cannot be read: \(e)") }
        if name.count > Self.maxNameLength {
            problems.append("name is \(name.count) characters; at most \(Self.maxNameLength) fit its Secret name \"<name>\(CredentialsSecret.suffix)\"")
        }

        let type = spec.agentType
        if !OperatorConfig.knownAgentTypes.contains(type) {
            problems.append("agentType \"\(type)\" is unknown (known: \(OperatorConfig.knownAgentTypes.joined(separator: ", ")))")
        } else if !config.allowedAgentTypes.contains(type) {
            problems.append("agentType \"\(type)\" is not allowed by the operator policy (allowed: \(config.allowedAgentTypes.joined(separator: ", ")))")
        }
        let typeDefaults = config.agentTypes[type] ?? .init(image: "", command: [])

        var image = typeDefaults.image
        if !spec.image.isEmpty {
            if config.allowImageOverride { image = spec.image } else { problems.append("spec.image is not allowed by the operator policy") }
        }
        if image.isEmpty && problems.isEmpty { problems.append("no image: set spec.image (agentType \(type) has no default image)") }
        if !image.isEmpty { invalidField(SpecRules.imageProblem(image)) }
        let command = spec.command.isEmpty ? typeDefaults.command : spec.command
        if command.isEmpty && problems.isEmpty { problems.append("no command: set spec.command (agentType \(type) has no default command)") }

        let agentId = spec.agentId.isEmpty ? "\(ns).\(name)" : spec.agentId
        if agentId.contains("/") { problems.append("agentId \"\(agentId)\" must not contain '/'") }
        if agentId.contains(where: { $0.isWhitespace || $0.isNewline }) { problems.append("agentId must not contain whitespace") }

        let restartPolicy = spec.restartPolicy.isEmpty ? "OnFailure" : spec.restartPolicy
        if !["Always", "OnFailure", "Never"].contains(restartPolicy) {
            problems.append("restartPolicy \"\(restartPolicy)\" must be Always, OnFailure or Never")
        }

        let workdir = spec.workdir.isEmpty ? Self.defaultWorkdir : spec.workdir
        invalidField(SpecRules.workdirProblem(workdir, absolute: true))
        for reserved in [PodBuilder.runtimeMountPath, config.pod.homePath] where workdir == reserved || workdir.hasPrefix(reserved + "/") {
            invalidField("workdir \"\(workdir)\" collides with the operator's mount at \(reserved)")
        }

        for problem in SpecRules.envProblems(spec.env.map { ($0.name, $0.value) }, setter: "the operator") { invalidField(problem) }

        var workspace = spec.workspace ?? .init()
        if !workspace.existingClaim.isEmpty && !workspace.size.isEmpty {
            problems.append("workspace: set either existingClaim or size, not both")
        }
        if !workspace.size.isEmpty, (try? Quantity(parsing: workspace.size)) == nil {
            problems.append("workspace.size \"\(workspace.size)\" is not a quantity")
        }
        workspace.size = workspace.size.trimmingCharacters(in: .whitespaces)

        var keyRef = spec.mcp?.keySecretRef
        if var ref = keyRef {
            if ref.name.isEmpty { problems.append("mcp.keySecretRef.name must not be empty") }
            if ref.key.isEmpty { ref.key = "api-key" }
            keyRef = ref
        }

        let ttl = Int(spec.registry?.ttlSeconds ?? Int64(Self.defaultRegistryTTL))
        if !(5...3600).contains(ttl) { problems.append("registry.ttlSeconds \(ttl) must be between 5 and 3600") }
        let lifetime = spec.lifetime ?? .init()
        if lifetime.maxDurationSeconds < 0 || lifetime.idleTimeoutSeconds < 0 || lifetime.ttlSecondsAfterFinished < 0 {
            problems.append("lifetime values must not be negative")
        }
        let callback = spec.login?.callbackUrl ?? ""
        if !callback.isEmpty, !(callback.hasPrefix("http://") || callback.hasPrefix("https://")) {
            problems.append("login.callbackUrl must be an http(s) URL")
        }

        let resources: ResourceRequirements
        switch effectiveResources(spec.resources) {
        case .success(let r): resources = r
        case .failure(let v):
            problems += v.problems
            resources = config.resources.defaults
        }

        if !problems.isEmpty { return .failure(PolicyViolation(problems: problems, invalid: invalid)) }
        return .success(EffectiveSession(
            namespace: ns, name: name, agentType: type, agentId: agentId,
            displayName: spec.displayName.isEmpty ? name : spec.displayName, role: spec.role,
            capabilities: spec.capabilities, workspaceId: spec.workspaceId, image: image,
            cliCommand: command + typeDefaults.args + spec.args, env: spec.env, workdir: workdir, workspace: workspace,
            mcpServerURL: spec.mcp?.serverUrl ?? "", mcpKeyRef: keyRef, executionId: spec.mcp?.executionId ?? "",
            resources: resources, runtimeClassName: spec.runtimeClassName, nodeSelector: spec.nodeSelector,
            tolerations: spec.tolerations, suspend: spec.suspend, restartPolicy: restartPolicy, lifetime: lifetime,
            registryEnabled: spec.registry?.enabled ?? true, registryTTLSeconds: ttl, loginCallbackURL: callback))
    }

    /// Requests and limits with the policy's defaults filled in per resource, checked against the caps.
    public func effectiveResources(_ asked: ResourceRequirements?) -> Result<ResourceRequirements, PolicyViolation> {
        var requests = asked?.requests ?? [:]
        var limits = asked?.limits ?? [:]
        for (k, v) in config.resources.defaults.requests ?? [:] where requests[k] == nil {
            // A default request above an explicit limit would make the pod invalid: take the limit.
            if let l = limits[k], l < v { requests[k] = l } else { requests[k] = v }
        }
        for (k, v) in config.resources.defaults.limits ?? [:] where limits[k] == nil {
            if let r = requests[k], r > v { limits[k] = r } else { limits[k] = v }
        }
        var problems: [String] = []
        for (kind, values) in [("requests", requests), ("limits", limits)] {
            for (k, v) in values.sorted(by: { $0.key < $1.key }) {
                if v.value < 0 { problems.append("resources.\(kind).\(k) \(v) must not be negative") }
                if let cap = config.resources.max[k], v > cap {
                    problems.append("resources.\(kind).\(k) \(v) exceeds the policy maximum \(cap)")
                }
            }
        }
        for (k, r) in requests.sorted(by: { $0.key < $1.key }) {
            if let l = limits[k], r > l { problems.append("resources.requests.\(k) \(r) is above its limit \(l)") }
        }
        if !problems.isEmpty { return .failure(PolicyViolation(problems: problems)) }
        return .success(ResourceRequirements(limits: limits.isEmpty ? nil : limits, requests: requests.isEmpty ? nil : requests))
    }
}

/// Why a session was rejected by policy.
public struct PolicyViolation: Error, Sendable, Equatable, CustomStringConvertible {
    /// One sentence per problem.
    public var problems: [String]
    /// The problems that are invalid fields rather than choices the policy forbids (a subset of ``problems``).
    public var invalid: [String] = []
    /// All problems, joined.
    public var description: String { problems.joined(separator: "; ") }
}
