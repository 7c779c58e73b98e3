import Foundation

/// core/v1 Container: one container of a pod.
public struct Container: Codable, Hashable, Sendable {
    /// The container name, unique within the pod.
    public var name: String
    /// The image reference.
    public var image: String?
    /// `Always`, `IfNotPresent` or `Never`.
    public var imagePullPolicy: String?
    /// The entrypoint (replaces the image's ENTRYPOINT).
    public var command: [String]?
    /// Arguments (replace the image's CMD).
    public var args: [String]?
    /// The working directory.
    public var workingDir: String?
    /// Environment variables.
    public var env: [EnvVar]?
    /// Sources of whole sets of environment variables.
    public var envFrom: [EnvFromSource]?
    /// Ports the container exposes.
    public var ports: [ContainerPort]?
    /// Compute resources.
    public var resources: ResourceRequirements?
    /// Volumes mounted into the container.
    public var volumeMounts: [VolumeMount]?
    /// Restart the container when this probe fails.
    public var livenessProbe: Probe?
    /// Remove the pod from service endpoints while this probe fails.
    public var readinessProbe: Probe?
    /// Hold the other probes until this one succeeds.
    public var startupProbe: Probe?
    /// Container-level security settings.
    public var securityContext: SecurityContext?
    /// Allocate a stdin buffer.
    public var stdin: Bool?
    /// Allocate a TTY.
    public var tty: Bool?
    /// Where the termination message is read from.
    public var terminationMessagePath: String?
    /// `File` or `FallbackToLogsOnError`.
    public var terminationMessagePolicy: String?
    /// Sidecar semantics for init containers (`Always`).
    public var restartPolicy: String?

    /// Creates a container.
    public init(name: String, image: String? = nil, imagePullPolicy: String? = nil, command: [String]? = nil,
                args: [String]? = nil, workingDir: String? = nil, env: [EnvVar]? = nil,
                envFrom: [EnvFromSource]? = nil, ports: [ContainerPort]? = nil,
                resources: ResourceRequirements? = nil, volumeMounts: [VolumeMount]? = nil,
                livenessProbe: Probe? = nil, readinessProbe: Probe? = nil, startupProbe: Probe? = nil,
                securityContext: SecurityContext? = nil, stdin: Bool? = nil, tty: Bool? = nil) {
        self.name = name
        self.image = image
        self.imagePullPolicy = imagePullPolicy
        self.command = command
        self.args = args
        self.workingDir = workingDir
        self.env = env
        self.envFrom = envFrom
        self.ports = ports
        self.resources = resources
        self.volumeMounts = volumeMounts
        self.livenessProbe = livenessProbe
        self.readinessProbe = readinessProbe
        self.startupProbe = startupProbe
        self.securityContext = securityContext
        self.stdin = stdin
        self.tty = tty
    }
}

/// core/v1 ContainerPort.
public struct ContainerPort: Codable, Hashable, Sendable {
    /// An IANA_SVC_NAME, referable from services and probes.
    public var name: String?
    /// The port number.
    public var containerPort: Int
    /// `TCP`, `UDP` or `SCTP`.
    public var `protocol`: String?
    /// The host port to expose (rarely used).
    public var hostPort: Int?

    /// Creates a port.
    public init(name: String? = nil, containerPort: Int, protocol: String? = nil, hostPort: Int? = nil) {
        self.name = name
        self.containerPort = containerPort
        self.protocol = `protocol`
        self.hostPort = hostPort
    }
}

/// core/v1 EnvVar: a literal value or a reference.
public struct EnvVar: Codable, Hashable, Sendable {
    /// The variable name.
    public var name: String
    /// A literal value.
    public var value: String?
    /// A reference to a secret, config map, field or resource.
    public var valueFrom: EnvVarSource?

    /// Creates a variable.
    public init(name: String, value: String? = nil, valueFrom: EnvVarSource? = nil) {
        self.name = name
        self.value = value
        self.valueFrom = valueFrom
    }

    /// A variable that reads `key` of Secret `secret`.
    public static func secret(_ name: String, secret: String, key: String, optional: Bool? = nil) -> EnvVar {
        EnvVar(name: name, valueFrom: EnvVarSource(secretKeyRef: KeySelector(name: secret, key: key, optional: optional)))
    }

    /// A variable that reads a field of the pod (downward API), such as `status.podIP`.
    public static func field(_ name: String, path: String) -> EnvVar {
        EnvVar(name: name, valueFrom: EnvVarSource(fieldRef: ObjectFieldSelector(fieldPath: path)))
    }
}

/// core/v1 EnvVarSource.
public struct EnvVarSource: Codable, Hashable, Sendable {
    /// A key of a Secret.
    public var secretKeyRef: KeySelector?
    /// A key of a ConfigMap.
    public var configMapKeyRef: KeySelector?
    /// A field of the pod.
    public var fieldRef: ObjectFieldSelector?
    /// A resource request or limit of a container.
    public var resourceFieldRef: ResourceFieldSelector?

    /// Creates a source.
    public init(secretKeyRef: KeySelector? = nil, configMapKeyRef: KeySelector? = nil,
                fieldRef: ObjectFieldSelector? = nil, resourceFieldRef: ResourceFieldSelector? = nil) {
        self.secretKeyRef = secretKeyRef
        self.configMapKeyRef = configMapKeyRef
        self.fieldRef = fieldRef
        self.resourceFieldRef = resourceFieldRef
    }
}

/// core/v1 SecretKeySelector and ConfigMapKeySelector (same shape).
public struct KeySelector: Codable, Hashable, Sendable {
    /// The object name.
    public var name: String?
    /// The key inside it.
    public var key: String
    /// Do not fail when the object or key is missing.
    public var optional: Bool?

    /// Creates a selector.
    public init(name: String?, key: String, optional: Bool? = nil) {
        self.name = name
        self.key = key
        self.optional = optional
    }
}

/// core/v1 ObjectFieldSelector (downward API).
public struct ObjectFieldSelector: Codable, Hashable, Sendable {
    /// Schema version of `fieldPath`, default `v1`.
    public var apiVersion: String?
    /// The path, such as `metadata.name`.
    public var fieldPath: String

    /// Creates a selector.
    public init(apiVersion: String? = nil, fieldPath: String) {
        self.apiVersion = apiVersion
        self.fieldPath = fieldPath
    }
}

/// core/v1 ResourceFieldSelector.
public struct ResourceFieldSelector: Codable, Hashable, Sendable {
    /// The container whose resources are read.
    public var containerName: String?
    /// `limits.cpu`, `requests.memory`, ...
    public var resource: String
    /// The unit the value is expressed in.
    public var divisor: Quantity?

    /// Creates a selector.
    public init(containerName: String? = nil, resource: String, divisor: Quantity? = nil) {
        self.containerName = containerName
        self.resource = resource
        self.divisor = divisor
    }
}

/// core/v1 EnvFromSource.
public struct EnvFromSource: Codable, Hashable, Sendable {
    /// Prefix added to every key.
    public var prefix: String?
    /// Every key of a ConfigMap.
    public var configMapRef: LocalObjectReference?
    /// Every key of a Secret.
    public var secretRef: LocalObjectReference?

    /// Creates a source.
    public init(prefix: String? = nil, configMapRef: LocalObjectReference? = nil, secretRef: LocalObjectReference? = nil) {
        self.prefix = prefix
        self.configMapRef = configMapRef
        self.secretRef = secretRef
    }
}

/// core/v1 VolumeMount.
public struct VolumeMount: Codable, Hashable, Sendable {
    /// The volume's name in the pod.
    public var name: String
    /// Where it is mounted.
    public var mountPath: String
    /// Mount a sub-path of the volume.
    public var subPath: String?
    /// Mount read-only.
    public var readOnly: Bool?

    /// Creates a mount.
    public init(name: String, mountPath: String, subPath: String? = nil, readOnly: Bool? = nil) {
        self.name = name
        self.mountPath = mountPath
        self.subPath = subPath
        self.readOnly = readOnly
    }
}

/// core/v1 Probe (with its handler inlined, as on the wire).
public struct Probe: Codable, Hashable, Sendable {
    /// An HTTP GET check.
    public var httpGet: HTTPGetAction?
    /// A TCP connect check.
    public var tcpSocket: TCPSocketAction?
    /// A command run in the container.
    public var exec: ExecAction?
    /// Seconds before the first probe.
    public var initialDelaySeconds: Int?
    /// Seconds between probes.
    public var periodSeconds: Int?
    /// Seconds before a probe times out.
    public var timeoutSeconds: Int?
    /// Consecutive successes to count as healthy.
    public var successThreshold: Int?
    /// Consecutive failures to count as unhealthy.
    public var failureThreshold: Int?

    /// Creates a probe.
    public init(httpGet: HTTPGetAction? = nil, tcpSocket: TCPSocketAction? = nil, exec: ExecAction? = nil,
                initialDelaySeconds: Int? = nil, periodSeconds: Int? = nil, timeoutSeconds: Int? = nil,
                successThreshold: Int? = nil, failureThreshold: Int? = nil) {
        self.httpGet = httpGet
        self.tcpSocket = tcpSocket
        self.exec = exec
        self.initialDelaySeconds = initialDelaySeconds
        self.periodSeconds = periodSeconds
        self.timeoutSeconds = timeoutSeconds
        self.successThreshold = successThreshold
        self.failureThreshold = failureThreshold
    }
}

/// core/v1 HTTPGetAction.
public struct HTTPGetAction: Codable, Hashable, Sendable {
    /// The request path.
    public var path: String?
    /// The port number or name.
    public var port: IntOrString
    /// The host (default: the pod IP).
    public var host: String?
    /// `HTTP` or `HTTPS`.
    public var scheme: String?
    /// Extra request headers.
    public var httpHeaders: [HTTPHeader]?

    /// Creates an action.
    public init(path: String? = nil, port: IntOrString, host: String? = nil, scheme: String? = nil,
                httpHeaders: [HTTPHeader]? = nil) {
        self.path = path
        self.port = port
        self.host = host
        self.scheme = scheme
        self.httpHeaders = httpHeaders
    }
}

/// core/v1 HTTPHeader.
public struct HTTPHeader: Codable, Hashable, Sendable {
    /// Header name.
    public var name: String
    /// Header value.
    public var value: String

    /// Creates a header.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// core/v1 TCPSocketAction.
public struct TCPSocketAction: Codable, Hashable, Sendable {
    /// The port number or name.
    public var port: IntOrString
    /// The host (default: the pod IP).
    public var host: String?

    /// Creates an action.
    public init(port: IntOrString, host: String? = nil) {
        self.port = port
        self.host = host
    }
}

/// core/v1 ExecAction.
public struct ExecAction: Codable, Hashable, Sendable {
    /// The command and its arguments.
    public var command: [String]?

    /// Creates an action.
    public init(command: [String]? = nil) { self.command = command }
}

/// core/v1 SecurityContext (container level).
public struct SecurityContext: Codable, Hashable, Sendable {
    /// Run as this uid.
    public var runAsUser: Int64?
    /// Run as this gid.
    public var runAsGroup: Int64?
    /// Refuse to start as root.
    public var runAsNonRoot: Bool?
    /// Allow setuid and similar escalation.
    public var allowPrivilegeEscalation: Bool?
    /// Privileged mode.
    public var privileged: Bool?
    /// Mount the root filesystem read-only.
    public var readOnlyRootFilesystem: Bool?
    /// Linux capabilities to add and drop.
    public var capabilities: Capabilities?
    /// The seccomp profile.
    public var seccompProfile: SeccompProfile?

    /// Creates a security context.
    public init(runAsUser: Int64? = nil, runAsGroup: Int64? = nil, runAsNonRoot: Bool? = nil,
                allowPrivilegeEscalation: Bool? = nil, privileged: Bool? = nil, readOnlyRootFilesystem: Bool? = nil,
                capabilities: Capabilities? = nil, seccompProfile: SeccompProfile? = nil) {
        self.runAsUser = runAsUser
        self.runAsGroup = runAsGroup
        self.runAsNonRoot = runAsNonRoot
        self.allowPrivilegeEscalation = allowPrivilegeEscalation
        self.privileged = privileged
        self.readOnlyRootFilesystem = readOnlyRootFilesystem
        self.capabilities = capabilities
        self.seccompProfile = seccompProfile
    }
}

/// core/v1 Capabilities.
public struct Capabilities: Codable, Hashable, Sendable {
    /// Capabilities to add.
    public var add: [String]?
    /// Capabilities to drop (`ALL` drops everything).
    public var drop: [String]?

    /// Creates a capability set.
    public init(add: [String]? = nil, drop: [String]? = nil) {
        self.add = add
        self.drop = drop
    }
}

/// core/v1 SeccompProfile.
public struct SeccompProfile: Codable, Hashable, Sendable {
    /// `RuntimeDefault`, `Localhost` or `Unconfined`.
    public var type: String
    /// The profile file for `Localhost`.
    public var localhostProfile: String?

    /// Creates a profile.
    public init(type: String, localhostProfile: String? = nil) {
        self.type = type
        self.localhostProfile = localhostProfile
    }

    /// The container runtime's default profile.
    public static let runtimeDefault = SeccompProfile(type: "RuntimeDefault")
}
