import Foundation

/// networking.k8s.io/v1 NetworkPolicy.
///
/// Every field is modelled, so a read-modify-write through this type loses nothing.
public struct NetworkPolicy: Resource, PreservesUnknownFields, Hashable {
    /// `networkpolicies` in `networking.k8s.io/v1`, namespaced.
    public static let resource = DynamicResource(group: "networking.k8s.io", version: "v1",
                                                 plural: "networkpolicies", kind: "NetworkPolicy")

    /// `networking.k8s.io/v1`.
    public var apiVersion: String?
    /// `NetworkPolicy`.
    public var kind: String?
    /// Standard object metadata.
    public var metadata: ObjectMeta
    /// The policy.
    public var spec: NetworkPolicySpec?

    /// Fields of the server's object this model does not represent; sent back on update.
    public var unknownFields = UnknownFields()

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, spec }

    /// Creates a network policy.
    public init(metadata: ObjectMeta, spec: NetworkPolicySpec? = nil) {
        apiVersion = Self.apiVersion
        kind = Self.kind
        self.metadata = metadata
        self.spec = spec
    }
}

/// networking.k8s.io/v1 NetworkPolicySpec.
public struct NetworkPolicySpec: Codable, Hashable, Sendable {
    /// The pods the policy applies to (empty selects all pods of the namespace).
    public var podSelector: LabelSelector
    /// `Ingress`, `Egress` or both.
    public var policyTypes: [String]?
    /// Allowed incoming traffic.
    public var ingress: [NetworkPolicyIngressRule]?
    /// Allowed outgoing traffic.
    public var egress: [NetworkPolicyEgressRule]?

    /// Creates a policy spec.
    public init(podSelector: LabelSelector = LabelSelector(), policyTypes: [String]? = nil,
                ingress: [NetworkPolicyIngressRule]? = nil, egress: [NetworkPolicyEgressRule]? = nil) {
        self.podSelector = podSelector
        self.policyTypes = policyTypes
        self.ingress = ingress
        self.egress = egress
    }
}

/// networking.k8s.io/v1 NetworkPolicyIngressRule.
public struct NetworkPolicyIngressRule: Codable, Hashable, Sendable {
    /// Allowed sources (empty or nil: any).
    public var from: [NetworkPolicyPeer]?
    /// Allowed ports (empty or nil: all).
    public var ports: [NetworkPolicyPort]?

    /// Creates a rule.
    public init(from: [NetworkPolicyPeer]? = nil, ports: [NetworkPolicyPort]? = nil) {
        self.from = from
        self.ports = ports
    }
}

/// networking.k8s.io/v1 NetworkPolicyEgressRule.
public struct NetworkPolicyEgressRule: Codable, Hashable, Sendable {
    /// Allowed destinations (empty or nil: any).
    public var to: [NetworkPolicyPeer]?
    /// Allowed ports (empty or nil: all).
    public var ports: [NetworkPolicyPort]?

    /// Creates a rule.
    public init(to: [NetworkPolicyPeer]? = nil, ports: [NetworkPolicyPort]? = nil) {
        self.to = to
        self.ports = ports
    }
}

/// networking.k8s.io/v1 NetworkPolicyPeer.
public struct NetworkPolicyPeer: Codable, Hashable, Sendable {
    /// Pods (in the policy's namespace, or in the namespaces selected below).
    public var podSelector: LabelSelector?
    /// Namespaces.
    public var namespaceSelector: LabelSelector?
    /// An address block.
    public var ipBlock: IPBlock?

    /// Creates a peer.
    public init(podSelector: LabelSelector? = nil, namespaceSelector: LabelSelector? = nil, ipBlock: IPBlock? = nil) {
        self.podSelector = podSelector
        self.namespaceSelector = namespaceSelector
        self.ipBlock = ipBlock
    }
}

/// networking.k8s.io/v1 IPBlock.
public struct IPBlock: Codable, Hashable, Sendable {
    /// The CIDR, such as `10.0.0.0/8`.
    public var cidr: String
    /// CIDRs excluded from it.
    public var except: [String]?

    /// Creates a block.
    public init(cidr: String, except: [String]? = nil) {
        self.cidr = cidr
        self.except = except
    }
}

/// networking.k8s.io/v1 NetworkPolicyPort.
public struct NetworkPolicyPort: Codable, Hashable, Sendable {
    /// `TCP` (default), `UDP` or `SCTP`.
    public var `protocol`: String?
    /// The port number or name.
    public var port: IntOrString?
    /// The end of a port range starting at `port`.
    public var endPort: Int?

    /// Creates a port.
    public init(protocol: String? = nil, port: IntOrString? = nil, endPort: Int? = nil) {
        self.protocol = `protocol`
        self.port = port
        self.endPort = endPort
    }
}
