import Foundation

/// core/v1 Namespace.
///
/// Every field is modelled, so a read-modify-write through this type loses nothing.
public struct Namespace: Resource, PreservesUnknownFields, Hashable {
    /// `namespaces` in the core group, cluster-scoped.
    public static let resource = DynamicResource(group: "", version: "v1", plural: "namespaces", kind: "Namespace",
                                                 namespaced: false)

    /// `v1`.
    public var apiVersion: String?
    /// `Namespace`.
    public var kind: String?
    /// Standard object metadata.
    public var metadata: ObjectMeta
    /// The desired state.
    public var spec: NamespaceSpec?
    /// The observed state.
    public var status: NamespaceStatus?

    /// Fields of the server's object this model does not represent; sent back on update.
    public var unknownFields = UnknownFields()

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, spec, status }

    /// Creates a namespace.
    public init(metadata: ObjectMeta, spec: NamespaceSpec? = nil, status: NamespaceStatus? = nil) {
        apiVersion = Self.apiVersion
        kind = Self.kind
        self.metadata = metadata
        self.spec = spec
        self.status = status
    }

    /// A namespace called `name`.
    public init(name: String, labels: [String: String]? = nil) {
        self.init(metadata: ObjectMeta(name: name, labels: labels))
    }
}

/// core/v1 NamespaceSpec.
public struct NamespaceSpec: Codable, Hashable, Sendable {
    /// Finalizers that must finish before the namespace is removed (`kubernetes`).
    public var finalizers: [String]?

    /// Creates a spec.
    public init(finalizers: [String]? = nil) { self.finalizers = finalizers }
}

/// core/v1 NamespaceStatus.
public struct NamespaceStatus: Codable, Hashable, Sendable {
    /// `Active` or `Terminating`.
    public var phase: String?
    /// Namespace conditions (deletion progress).
    public var conditions: [NamespaceCondition]?

    /// Creates a status.
    public init(phase: String? = nil, conditions: [NamespaceCondition]? = nil) {
        self.phase = phase
        self.conditions = conditions
    }
}

/// core/v1 NamespaceCondition.
public struct NamespaceCondition: Codable, Hashable, Sendable {
    /// The condition type.
    public var type: String
    /// `True`, `False` or `Unknown`.
    public var status: String
    /// When `status` last changed.
    public var lastTransitionTime: Time?
    /// A CamelCase reason.
    public var reason: String?
    /// A human-readable message.
    public var message: String?

    /// Creates a condition.
    public init(type: String, status: String, lastTransitionTime: Time? = nil, reason: String? = nil,
                message: String? = nil) {
        self.type = type
        self.status = status
        self.lastTransitionTime = lastTransitionTime
        self.reason = reason
        self.message = message
    }
}
