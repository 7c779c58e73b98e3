import Foundation
import KubeClient
import RuntimeCore

/// Builds the agent pod of a session exactly as CONTRACT.md §3 describes, deterministically (the same
/// inputs always give the same pod and the same ``SessionLabels/podSpecHash``).
///
/// - Name = the session's name; the contract's labels; a controller owner reference with
///   `blockOwnerDeletion`.
/// - An init container (`install-supervisor`, from the supervisor image) copies the supervisor bundle
///   (`cp -R <pod.supervisorSourcePath> /opt/agent-runtime/`) into the `agent-runtime` emptyDir; the
///   `agent` container runs the CLI image with
///   command `/opt/agent-runtime/agent-supervisor` and arguments
///   `--agent-type T --restart-policy P -- <cli command and args>`, port `supervisor` 8077, liveness
///   `/healthz`, readiness `/readyz`.
/// - Environment: `AGENT_ID`, `AGENT_NAME`, `AGENT_TYPE`, `AGENT_ROLE`, `AGENT_CAPABILITIES` (JSON array),
///   `MCP_SERVER_URL`, `MCP_API_KEY` (secretKeyRef), `RAVEN_WORKSPACE_ID`, `RAVEN_EXECUTION_ID`,
///   `SUPERVISOR_TOKEN` (secretKeyRef), then `spec.env`, then `HOME` (unless `spec.env` sets it).
/// - Hardened: no service account token, no service links, non-root, no privilege escalation, all
///   capabilities dropped, RuntimeDefault seccomp, resources always set, HOME on an emptyDir.
public enum PodBuilder {
    /// Where the supervisor binary is mounted.
    public static let runtimeMountPath = "/opt/agent-runtime"
    /// The supervisor's path inside the agent container.
    public static let supervisorPath = runtimeMountPath + "/agent-supervisor"
    /// The supervisor's port.
    public static let supervisorPort = 8077
    /// The supervisor port's name.
    public static let supervisorPortName = "supervisor"
    /// The agent container's name (the process kubelet looks for it).
    public static let agentContainer = "agent"
    /// The init container's name.
    public static let installContainer = "install-supervisor"

    /// Inputs that are the same for every session.
    public struct Settings: Sendable, Equatable {
        /// The image the init container copies the supervisor from.
        public var supervisorImage: String
        /// Pod-level settings from the config.
        public var pod: OperatorConfig.PodSettings

        /// Creates settings.
        public init(supervisorImage: String, pod: OperatorConfig.PodSettings) {
            self.supervisorImage = supervisorImage
            self.pod = pod
        }
    }

    /// The name of the claim the operator creates for `workspace.size`.
    public static func workspaceClaimName(for session: String) -> String { session + "-workspace" }

    /// The desired pod and the body its create sends, from one encoding of the spec: the spec hash and
    /// the body are both made from the same `JSON` (the reconciler builds this on every pass, and the
    /// encoding is most of what building a pod costs).
    public struct Desired: Sendable {
        /// The typed pod (with its spec-hash annotation), for comparisons.
        public var pod: Pod
        /// `pod` as the JSON a create sends.
        public var body: JSON
    }

    /// The desired pod, with its spec hash annotation. `credentialsUID` (the uid of the session's Secret)
    /// is part of the hash: a Secret deleted and recreated holds a new supervisor token, which only a new
    /// pod picks up (environment variables are resolved when the container starts).
    public static func build(session: AgentSession, effective s: EffectiveSession, settings: Settings,
                             credentialsUID: String = "") -> Pod {
        desired(session: session, effective: s, settings: settings, credentialsUID: credentialsUID).pod
    }

    /// ``build(session:effective:settings:credentialsUID:)`` with the create body.
    public static func desired(session: AgentSession, effective s: EffectiveSession, settings: Settings,
                               credentialsUID: String = "") -> Desired {
        let secret = CredentialsSecret.name(for: s.name)
        let hardened = SecurityContext(runAsNonRoot: true, allowPrivilegeEscalation: false, privileged: false,
                                       readOnlyRootFilesystem: settings.pod.readOnlyRootFilesystem ? true : nil,
                                       capabilities: Capabilities(drop: ["ALL"]), seccompProfile: .runtimeDefault)

        var env: [EnvVar] = [
            EnvVar(name: "AGENT_ID", value: s.agentId),
            EnvVar(name: "AGENT_NAME", value: s.displayName),
            EnvVar(name: "AGENT_TYPE", value: s.agentType),
            EnvVar(name: "AGENT_ROLE", value: s.role),
            EnvVar(name: "AGENT_CAPABILITIES", value: JSON.array(s.capabilities.map(JSON.string)).serialized()),
            EnvVar(name: "MCP_SERVER_URL", value: s.mcpServerURL),
            .secret("MCP_API_KEY", secret: secret, key: CredentialsSecret.mcpKey),
            EnvVar(name: "RAVEN_WORKSPACE_ID", value: s.workspaceId),
            EnvVar(name: "RAVEN_EXECUTION_ID", value: s.executionId),
            .secret("SUPERVISOR_TOKEN", secret: secret, key: CredentialsSecret.tokenKey),
        ]
        env += s.env
        if !s.env.contains(where: { $0.name == "HOME" }) { env.append(EnvVar(name: "HOME", value: settings.pod.homePath)) }

        var mounts = [
            VolumeMount(name: "agent-runtime", mountPath: runtimeMountPath, readOnly: true),
            VolumeMount(name: "home", mountPath: settings.pod.homePath),
            VolumeMount(name: "workspace", mountPath: s.workdir),
        ]
        var volumes = [
            Volume(name: "agent-runtime", emptyDir: EmptyDirVolumeSource()),
            Volume(name: "home", emptyDir: EmptyDirVolumeSource()),
        ]
        if !s.workspace.existingClaim.isEmpty {
            volumes.append(Volume(name: "workspace", persistentVolumeClaim: .init(claimName: s.workspace.existingClaim)))
        } else if !s.workspace.size.isEmpty {
            volumes.append(Volume(name: "workspace", persistentVolumeClaim: .init(claimName: workspaceClaimName(for: s.name))))
        } else {
            volumes.append(Volume(name: "workspace", emptyDir: EmptyDirVolumeSource()))
        }
        if settings.pod.readOnlyRootFilesystem {
            mounts.append(VolumeMount(name: "tmp", mountPath: "/tmp"))
            volumes.append(Volume(name: "tmp", emptyDir: EmptyDirVolumeSource()))
        }

        let install = Container(
            name: installContainer, image: settings.supervisorImage, imagePullPolicy: settings.pod.imagePullPolicy,
            command: ["cp", "-R", settings.pod.supervisorSourcePath, runtimeMountPath + "/"],
            resources: ResourceRequirements(limits: ["cpu": "100m", "memory": "64Mi"], requests: ["cpu": "10m", "memory": "16Mi"]),
            volumeMounts: [VolumeMount(name: "agent-runtime", mountPath: runtimeMountPath)],
            securityContext: hardened)

        let port = IntOrString.string(supervisorPortName)
        let agent = Container(
            name: agentContainer, image: s.image, imagePullPolicy: settings.pod.imagePullPolicy,
            command: [supervisorPath],
            args: ["--agent-type", s.agentType, "--restart-policy", s.restartPolicy, "--"] + s.cliCommand,
            workingDir: s.workdir, env: env,
            ports: [ContainerPort(name: supervisorPortName, containerPort: supervisorPort, protocol: "TCP")],
            resources: s.resources, volumeMounts: mounts,
            livenessProbe: Probe(httpGet: HTTPGetAction(path: "/healthz", port: port), initialDelaySeconds: 5,
                                 periodSeconds: 10, timeoutSeconds: 2, failureThreshold: 3),
            readinessProbe: Probe(httpGet: HTTPGetAction(path: "/readyz", port: port), periodSeconds: 2,
                                  timeoutSeconds: 2, successThreshold: 1, failureThreshold: 1),
            securityContext: hardened)

        var spec = PodSpec(
            containers: [agent], initContainers: [install], volumes: volumes, restartPolicy: "Always",
            serviceAccountName: settings.pod.serviceAccountName.isEmpty ? nil : settings.pod.serviceAccountName,
            automountServiceAccountToken: false, enableServiceLinks: false,
            securityContext: PodSecurityContext(runAsUser: settings.pod.runAsUser, runAsGroup: settings.pod.runAsGroup,
                                                runAsNonRoot: true, fsGroup: settings.pod.fsGroup,
                                                seccompProfile: .runtimeDefault),
            nodeSelector: s.nodeSelector.isEmpty ? nil : s.nodeSelector,
            tolerations: s.tolerations.isEmpty ? nil : s.tolerations,
            runtimeClassName: s.runtimeClassName.isEmpty ? nil : s.runtimeClassName,
            terminationGracePeriodSeconds: settings.pod.terminationGracePeriodSeconds)
        spec.hostname = nil

        let labels = SessionLabels.labels(for: s)
        let specJSON = (try? JSON(encoding: spec)) ?? .null
        let hash = specHash(encodedSpec: specJSON, labels: labels, credentialsUID: credentialsUID)
        let pod = Pod(metadata: ObjectMeta(name: s.name, namespace: s.namespace, labels: labels,
                                           annotations: [SessionLabels.podSpecHash: hash, SessionLabels.agentId: s.agentId],
                                           ownerReferences: [SessionLabels.ownerReference(to: session)]),
                      spec: spec)
        let body: JSON = ["apiVersion": .string(Pod.apiVersion), "kind": .string(Pod.kind),
                          "metadata": (try? JSON(encoding: pod.metadata)) ?? .null, "spec": specJSON]
        return Desired(pod: pod, body: body)
    }

    /// A fingerprint of everything the operator decides about a pod: its spec and labels (as canonical,
    /// key-sorted JSON) and the credentials it reads, 16 hex digits.
    public static func specHash(_ spec: PodSpec, labels: [String: String], credentialsUID: String = "") -> String {
        specHash(encodedSpec: (try? JSON(encoding: spec)) ?? .null, labels: labels, credentialsUID: credentialsUID)
    }

    /// ``specHash(_:labels:credentialsUID:)`` of a spec already encoded (the create body's).
    static func specHash(encodedSpec: JSON, labels: [String: String], credentialsUID: String) -> String {
        var json: JSON = ["spec": encodedSpec, "labels": .object(labels.mapValues(JSON.string))]
        if !credentialsUID.isEmpty { json["credentials"] = .string(credentialsUID) }
        let h = fnv1a64(Data(json.utf8Bytes()))
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Whether an existing pod was built from the same desired state.
    public static func matches(_ existing: PodView, _ desired: Pod) -> Bool {
        let a = existing.metadata.annotations?[SessionLabels.podSpecHash]
        return a != nil && a == desired.metadata.annotations?[SessionLabels.podSpecHash]
    }
}
