import Foundation
import RuntimeCore

/// core/v1 Pod.
///
/// Typed for what the operator builds and reads; rarely used spec fields are carried as raw JSON, and
/// whatever else the server sends is kept in ``unknownFields`` and sent back on update.
public struct Pod: Resource, PreservesUnknownFields, Hashable {
    /// `pods` in the core group, namespaced.
    public static let resource = DynamicResource(group: "", version: "v1", plural: "pods", kind: "Pod")

    /// `v1`.
    public var apiVersion: String?
    /// `Pod`.
    public var kind: String?
    /// Standard object metadata.
    public var metadata: ObjectMeta
    /// The desired state.
    public var spec: PodSpec?
    /// The observed state, written by the kubelet.
    public var status: PodStatus?

    /// Fields of the server's object this model does not represent; sent back on update.
    public var unknownFields = UnknownFields()

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, spec, status }

    /// Creates a pod.
    public init(metadata: ObjectMeta, spec: PodSpec? = nil, status: PodStatus? = nil) {
        apiVersion = Self.apiVersion
        kind = Self.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

/// core/v1 PodSpec.
public struct PodSpec: Codable, Hashable, Sendable {
    /// The main containers.
    public var containers: [Container]
    /// Containers run to completion, in order, before the main ones start.
    public var initContainers: [Container]?
    /// Volumes the containers may mount.
    public var volumes: [Volume]?
    /// `Always`, `OnFailure` or `Never`.
    public var restartPolicy: String?
    /// The service account the pod runs as.
    public var serviceAccountName: String?
    /// Mount the service account token.
    public var automountServiceAccountToken: Bool?
    /// Inject service environment variables.
    public var enableServiceLinks: Bool?
    /// Pod-level security settings.
    public var securityContext: PodSecurityContext?
    /// Node labels the pod must be scheduled on.
    public var nodeSelector: [String: String]?
    /// Taints the pod tolerates.
    public var tolerations: [Toleration]?
    /// The RuntimeClass (for example gVisor).
    public var runtimeClassName: String?
    /// Seconds between SIGTERM and SIGKILL on deletion.
    public var terminationGracePeriodSeconds: Int64?
    /// The node the pod is bound to.
    public var nodeName: String?
    /// The pod's hostname.
    public var hostname: String?
    /// The pod's subdomain.
    public var subdomain: String?
    /// Secrets for pulling images.
    public var imagePullSecrets: [LocalObjectReference]?
    /// Scheduling affinity, untyped.
    public var affinity: JSON?
    /// The scheduler to use.
    public var schedulerName: String?
    /// The priority class.
    public var priorityClassName: String?
    /// Seconds the pod may run (jobs).
    public var activeDeadlineSeconds: Int64?
    /// `ClusterFirst`, `Default`, ...
    public var dnsPolicy: String?
    /// Share one process namespace between containers.
    public var shareProcessNamespace: Bool?

    /// Creates a pod spec.
    public init(containers: [Container], initContainers: [Container]? = nil, volumes: [Volume]? = nil,
                restartPolicy: String? = nil, serviceAccountName: String? = nil,
                automountServiceAccountToken: Bool? = nil, enableServiceLinks: Bool? = nil,
                securityContext: PodSecurityContext? = nil, nodeSelector: [String: String]? = nil,
                tolerations: [Toleration]? = nil, runtimeClassName: String? = nil,
                terminationGracePeriodSeconds: Int64? = nil) {
        self.containers = containers
        self.initContainers = initContainers
        self.volumes = volumes
        self.restartPolicy = restartPolicy
        self.serviceAccountName = serviceAccountName
        self.automountServiceAccountToken = automountServiceAccountToken
        self.enableServiceLinks = enableServiceLinks
        self.securityContext = securityContext
        self.nodeSelector = nodeSelector
        self.tolerations = tolerations
        self.runtimeClassName = runtimeClassName
        self.terminationGracePeriodSeconds = terminationGracePeriodSeconds
    }
}

/// core/v1 PodSecurityContext.
public struct PodSecurityContext: Codable, Hashable, Sendable {
    /// Default uid of all containers.
    public var runAsUser: Int64?
    /// Default gid of all containers.
    public var runAsGroup: Int64?
    /// Refuse to start containers as root.
    public var runAsNonRoot: Bool?
    /// Group owning mounted volumes.
    public var fsGroup: Int64?
    /// Extra groups of the first process.
    public var supplementalGroups: [Int64]?
    /// `OnRootMismatch` or `Always`.
    public var fsGroupChangePolicy: String?
    /// The default seccomp profile.
    public var seccompProfile: SeccompProfile?

    /// Creates a pod security context.
    public init(runAsUser: Int64? = nil, runAsGroup: Int64? = nil, runAsNonRoot: Bool? = nil, fsGroup: Int64? = nil,
                supplementalGroups: [Int64]? = nil, fsGroupChangePolicy: String? = nil,
                seccompProfile: SeccompProfile? = nil) {
        self.runAsUser = runAsUser
        self.runAsGroup = runAsGroup
        self.runAsNonRoot = runAsNonRoot
        self.fsGroup = fsGroup
        self.supplementalGroups = supplementalGroups
        self.fsGroupChangePolicy = fsGroupChangePolicy
        self.seccompProfile = seccompProfile
    }
}

/// core/v1 Toleration.
public struct Toleration: Codable, Hashable, Sendable {
    /// The taint key (empty with `Exists` matches all).
    public var key: String?
    /// `Exists` or `Equal`.
    public var `operator`: String?
    /// The taint value for `Equal`.
    public var value: String?
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`.
    public var effect: String?
    /// How long a `NoExecute` taint is tolerated.
    public var tolerationSeconds: Int64?

    /// Creates a toleration.
    public init(key: String? = nil, operator: String? = nil, value: String? = nil, effect: String? = nil,
                tolerationSeconds: Int64? = nil) {
        self.key = key
        self.operator = `operator`
        self.value = value
        self.effect = effect
        self.tolerationSeconds = tolerationSeconds
    }
}

/// core/v1 PodStatus.
public struct PodStatus: Codable, Hashable, Sendable {
    /// `Pending`, `Running`, `Succeeded`, `Failed` or `Unknown`.
    public var phase: String?
    /// `PodScheduled`, `Initialized`, `ContainersReady`, `Ready`, ...
    public var conditions: [PodCondition]?
    /// A human-readable message about the pod's state.
    public var message: String?
    /// A CamelCase reason, such as `Evicted`.
    public var reason: String?
    /// The node's IP.
    public var hostIP: String?
    /// The pod's primary IP.
    public var podIP: String?
    /// All pod IPs (dual stack).
    public var podIPs: [PodIP]?
    /// When the kubelet accepted the pod.
    public var startTime: Time?
    /// Init container states.
    public var initContainerStatuses: [ContainerStatus]?
    /// Main container states.
    public var containerStatuses: [ContainerStatus]?
    /// `Guaranteed`, `Burstable` or `BestEffort`.
    public var qosClass: String?

    /// Creates a pod status.
    public init(phase: String? = nil, conditions: [PodCondition]? = nil, message: String? = nil,
                reason: String? = nil, hostIP: String? = nil, podIP: String? = nil, podIPs: [PodIP]? = nil,
                startTime: Time? = nil, initContainerStatuses: [ContainerStatus]? = nil,
                containerStatuses: [ContainerStatus]? = nil, qosClass: String? = nil) {
        self.phase = phase
        self.conditions = conditions
        self.message = message
        self.reason = reason
        self.hostIP = hostIP
        self.podIP = podIP
        self.podIPs = podIPs
        self.startTime = startTime
        self.initContainerStatuses = initContainerStatuses
        self.containerStatuses = containerStatuses
        self.qosClass = qosClass
    }

    /// True when the `Ready` condition is `True`.
    public var isReady: Bool { conditions?.first { $0.type == "Ready" }?.status == "True" }
}

/// core/v1 PodCondition.
public struct PodCondition: Codable, Hashable, Sendable {
    /// The condition type.
    public var type: String
    /// `True`, `False` or `Unknown`.
    public var status: String
    /// When the condition was last probed.
    public var lastProbeTime: Time?
    /// When `status` last changed.
    public var lastTransitionTime: Time?
    /// A CamelCase reason.
    public var reason: String?
    /// A human-readable message.
    public var message: String?

    /// Creates a pod condition.
    public init(type: String, status: String, lastProbeTime: Time? = nil, lastTransitionTime: Time? = nil,
                reason: String? = nil, message: String? = nil) {
        self.type = type
        self.status = status
        self.lastProbeTime = lastProbeTime
        self.lastTransitionTime = lastTransitionTime
        self.reason = reason
        self.message = message
    }
}

/// core/v1 PodIP.
public struct PodIP: Codable, Hashable, Sendable {
    /// The address.
    public var ip: String

    /// Creates a pod IP.
    public init(ip: String) { self.ip = ip }
}

/// core/v1 ContainerStatus.
public struct ContainerStatus: Codable, Hashable, Sendable {
    /// The container name.
    public var name: String
    /// Whether the readiness probe passes.
    public var ready: Bool
    /// How often the container restarted.
    public var restartCount: Int
    /// The current state.
    public var state: ContainerState?
    /// The previous state (after a restart).
    public var lastState: ContainerState?
    /// The image running.
    public var image: String?
    /// The image digest.
    public var imageID: String?
    /// The runtime's container id.
    public var containerID: String?
    /// Whether the startup probe passed.
    public var started: Bool?

    /// Creates a container status.
    public init(name: String, ready: Bool = false, restartCount: Int = 0, state: ContainerState? = nil,
                lastState: ContainerState? = nil, image: String? = nil, imageID: String? = nil,
                containerID: String? = nil, started: Bool? = nil) {
        self.name = name
        self.ready = ready
        self.restartCount = restartCount
        self.state = state
        self.lastState = lastState
        self.image = image
        self.imageID = imageID
        self.containerID = containerID
        self.started = started
    }

    enum CodingKeys: String, CodingKey {
        case name, ready, restartCount, state, lastState, image, imageID, containerID, started
    }

    // `ready` and `restartCount` are required by the API, but a lenient reader costs nothing.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        ready = try c.decodeIfPresent(Bool.self, forKey: .ready) ?? false
        restartCount = try c.decodeIfPresent(Int.self, forKey: .restartCount) ?? 0
        state = try c.decodeIfPresent(ContainerState.self, forKey: .state)
        lastState = try c.decodeIfPresent(ContainerState.self, forKey: .lastState)
        image = try c.decodeIfPresent(String.self, forKey: .image)
        imageID = try c.decodeIfPresent(String.self, forKey: .imageID)
        containerID = try c.decodeIfPresent(String.self, forKey: .containerID)
        started = try c.decodeIfPresent(Bool.self, forKey: .started)
    }
}

/// core/v1 ContainerState: exactly one member is set.
public struct ContainerState: Codable, Hashable, Sendable {
    /// Not yet running.
    public var waiting: Waiting?
    /// Running.
    public var running: Running?
    /// Finished.
    public var terminated: Terminated?

    /// Creates a state.
    public init(waiting: Waiting? = nil, running: Running? = nil, terminated: Terminated? = nil) {
        self.waiting = waiting
        self.running = running
        self.terminated = terminated
    }

    /// core/v1 ContainerStateWaiting.
    public struct Waiting: Codable, Hashable, Sendable {
        /// Why, such as `ImagePullBackOff` or `CrashLoopBackOff`.
        public var reason: String?
        /// Details.
        public var message: String?

        /// Creates a waiting state.
        public init(reason: String? = nil, message: String? = nil) {
            self.reason = reason
            self.message = message
        }
    }

    /// core/v1 ContainerStateRunning.
    public struct Running: Codable, Hashable, Sendable {
        /// When the container started.
        public var startedAt: Time?

        /// Creates a running state.
        public init(startedAt: Time? = nil) { self.startedAt = startedAt }
    }

    /// core/v1 ContainerStateTerminated.
    public struct Terminated: Codable, Hashable, Sendable {
        /// The exit code.
        public var exitCode: Int
        /// The signal that ended it, if any.
        public var signal: Int?
        /// Why, such as `Completed`, `Error` or `OOMKilled`.
        public var reason: String?
        /// Details.
        public var message: String?
        /// When it started.
        public var startedAt: Time?
        /// When it finished.
        public var finishedAt: Time?
        /// The runtime's container id.
        public var containerID: String?

        /// Creates a terminated state.
        public init(exitCode: Int, signal: Int? = nil, reason: String? = nil, message: String? = nil,
                    startedAt: Time? = nil, finishedAt: Time? = nil, containerID: String? = nil) {
            self.exitCode = exitCode
            self.signal = signal
            self.reason = reason
            self.message = message
            self.startedAt = startedAt
            self.finishedAt = finishedAt
            self.containerID = containerID
        }
    }
}
