import Foundation

/// core/v1 Service.
///
/// Typed for what the operator builds and reads, including the fields the server allocates
/// (`clusterIP`, `clusterIPs`, `ipFamilies`, node ports); the rest survives in ``unknownFields``.
public struct Service: Resource, PreservesUnknownFields, Hashable {
    /// `services` in the core group, namespaced.
    public static let resource = DynamicResource(group: "", version: "v1", plural: "services", kind: "Service")

    /// `v1`.
    public var apiVersion: String?
    /// `Service`.
    public var kind: String?
    /// Standard object metadata.
    public var metadata: ObjectMeta
    /// The desired state.
    public var spec: ServiceSpec?
    /// The observed state (load balancer ingress).
    public var status: ServiceStatus?

    /// Fields of the server's object this model does not represent; sent back on update.
    public var unknownFields = UnknownFields()

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, spec, status }

    /// Creates a service.
    public init(metadata: ObjectMeta, spec: ServiceSpec? = nil, status: ServiceStatus? = nil) {
        apiVersion = Self.apiVersion
        kind = Self.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }
}

/// core/v1 ServiceSpec.
public struct ServiceSpec: Codable, Hashable, Sendable {
    /// `ClusterIP`, `NodePort`, `LoadBalancer` or `ExternalName`.
    public var type: String?
    /// Pods with these labels receive the traffic.
    public var selector: [String: String]?
    /// The exposed ports.
    public var ports: [ServicePort]?
    /// The allocated virtual IP (`None` for headless services).
    public var clusterIP: String?
    /// All allocated virtual IPs.
    public var clusterIPs: [String]?
    /// `IPv4` and/or `IPv6`.
    public var ipFamilies: [String]?
    /// `SingleStack`, `PreferDualStack` or `RequireDualStack`.
    public var ipFamilyPolicy: String?
    /// `None` or `ClientIP`.
    public var sessionAffinity: String?
    /// The DNS name for `ExternalName` services.
    public var externalName: String?
    /// `Cluster` or `Local`.
    public var externalTrafficPolicy: String?
    /// `Cluster` or `Local`.
    public var internalTrafficPolicy: String?
    /// Publish endpoints of pods that are not ready.
    public var publishNotReadyAddresses: Bool?
    /// Requested load balancer IP (deprecated).
    public var loadBalancerIP: String?

    /// Creates a service spec.
    public init(type: String? = nil, selector: [String: String]? = nil, ports: [ServicePort]? = nil,
                clusterIP: String? = nil, publishNotReadyAddresses: Bool? = nil) {
        self.type = type
        self.selector = selector
        self.ports = ports
        self.clusterIP = clusterIP
        self.publishNotReadyAddresses = publishNotReadyAddresses
    }
}

/// core/v1 ServicePort.
public struct ServicePort: Codable, Hashable, Sendable {
    /// The port name (required with several ports).
    public var name: String?
    /// `TCP`, `UDP` or `SCTP`.
    public var `protocol`: String?
    /// The service port.
    public var port: Int
    /// The pod port number or name.
    public var targetPort: IntOrString?
    /// The node port for `NodePort` and `LoadBalancer` services.
    public var nodePort: Int?
    /// The application protocol, such as `http`.
    public var appProtocol: String?

    /// Creates a service port.
    public init(name: String? = nil, protocol: String? = nil, port: Int, targetPort: IntOrString? = nil,
                nodePort: Int? = nil, appProtocol: String? = nil) {
        self.name = name
        self.protocol = `protocol`
        self.port = port
        self.targetPort = targetPort
        self.nodePort = nodePort
        self.appProtocol = appProtocol
    }
}

/// core/v1 ServiceStatus.
public struct ServiceStatus: Codable, Hashable, Sendable {
    /// The load balancer's state.
    public var loadBalancer: LoadBalancerStatus?

    /// Creates a service status.
    public init(loadBalancer: LoadBalancerStatus? = nil) { self.loadBalancer = loadBalancer }
}

/// core/v1 LoadBalancerStatus.
public struct LoadBalancerStatus: Codable, Hashable, Sendable {
    /// Ingress points.
    public var ingress: [LoadBalancerIngress]?

    /// Creates a load balancer status.
    public init(ingress: [LoadBalancerIngress]? = nil) { self.ingress = ingress }
}

/// core/v1 LoadBalancerIngress.
public struct LoadBalancerIngress: Codable, Hashable, Sendable {
    /// An IP address.
    public var ip: String?
    /// A DNS name.
    public var hostname: String?

    /// Creates an ingress point.
    public init(ip: String? = nil, hostname: String? = nil) {
        self.ip = ip
        self.hostname = hostname
    }
}
