import Foundation
import RuntimeCore

/// metav1.ObjectMeta: the metadata every persisted object carries.
///
/// Every field except `managedFields` is modelled, so a read-modify-write through this type loses
/// nothing the server cares about; `managedFields` is dropped on decode and never sent (the server
/// keeps its own copy when an update omits it).
public struct ObjectMeta: Codable, Hashable, Sendable {
    /// The object's name, unique within its namespace (or the cluster for cluster-scoped kinds).
    public var name: String?
    /// A prefix from which the server generates a unique name when `name` is empty.
    public var generateName: String?
    /// The namespace; nil for cluster-scoped objects.
    public var namespace: String?
    /// Deprecated read-only link; kept so it survives a round trip.
    public var selfLink: String?
    /// The server-assigned unique id.
    public var uid: String?
    /// The opaque version used for optimistic concurrency and watches.
    public var resourceVersion: String?
    /// Incremented by the server on every change of the desired state (spec).
    public var generation: Int64?
    /// When the object was created.
    public var creationTimestamp: Time?
    /// When graceful deletion was requested; set while finalizers or grace periods hold the object.
    public var deletionTimestamp: Time?
    /// The grace period of a pending deletion, in seconds.
    public var deletionGracePeriodSeconds: Int64?
    /// Identifying key/value pairs, used by selectors.
    public var labels: [String: String]?
    /// Non-identifying key/value pairs.
    public var annotations: [String: String]?
    /// The objects this one depends on (garbage collection).
    public var ownerReferences: [OwnerReference]?
    /// Keys that must be removed before the object is deleted.
    public var finalizers: [String]?

    /// Creates metadata; everything is optional.
    public init(
        name: String? = nil, generateName: String? = nil, namespace: String? = nil, uid: String? = nil,
        resourceVersion: String? = nil, generation: Int64? = nil, creationTimestamp: Time? = nil,
        deletionTimestamp: Time? = nil, deletionGracePeriodSeconds: Int64? = nil,
        labels: [String: String]? = nil, annotations: [String: String]? = nil,
        ownerReferences: [OwnerReference]? = nil, finalizers: [String]? = nil
    ) {
        self.name = name
        self.generateName = generateName
        self.namespace = namespace
        self.uid = uid
        self.resourceVersion = resourceVersion
        self.generation = generation
        self.creationTimestamp = creationTimestamp
        self.deletionTimestamp = deletionTimestamp
        self.deletionGracePeriodSeconds = deletionGracePeriodSeconds
        self.labels = labels
        self.annotations = annotations
        self.ownerReferences = ownerReferences
        self.finalizers = finalizers
    }

    /// True once deletion was requested (finalizers still pending).
    public var isDeleting: Bool { deletionTimestamp != nil }

    /// True when `finalizer` is present.
    public func hasFinalizer(_ finalizer: String) -> Bool { finalizers?.contains(finalizer) ?? false }

    /// Adds `finalizer` unless present; returns whether anything changed.
    @discardableResult
    public mutating func addFinalizer(_ finalizer: String) -> Bool {
        if hasFinalizer(finalizer) { return false }
        finalizers = (finalizers ?? []) + [finalizer]
        return true
    }

    /// Removes `finalizer`; returns whether anything changed.
    @discardableResult
    public mutating func removeFinalizer(_ finalizer: String) -> Bool {
        guard let f = finalizers, f.contains(finalizer) else { return false }
        let rest = f.filter { $0 != finalizer }
        finalizers = rest.isEmpty ? nil : rest
        return true
    }

    /// The owner reference marked `controller: true`, if any.
    public var controllerReference: OwnerReference? { ownerReferences?.first { $0.controller == true } }
}

/// metav1.TypeMeta: the `apiVersion` and `kind` of a serialised object.
public struct TypeMeta: Codable, Hashable, Sendable {
    /// `group/version`, or just `version` for the core group.
    public var apiVersion: String?
    /// The object's kind, such as `Pod`.
    public var kind: String?

    /// Creates type metadata.
    public init(apiVersion: String? = nil, kind: String? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
    }
}

/// metav1.ListMeta: the metadata of a list response.
public struct ListMeta: Codable, Hashable, Sendable {
    /// The resourceVersion the list was served at; a watch continues from here.
    public var resourceVersion: String?
    /// The token for the next page, when the list was limited and more items remain.
    public var `continue`: String?
    /// An estimate of the items not yet returned.
    public var remainingItemCount: Int64?
    /// Deprecated read-only link.
    public var selfLink: String?

    /// Creates list metadata.
    public init(resourceVersion: String? = nil, continue: String? = nil, remainingItemCount: Int64? = nil) {
        self.resourceVersion = resourceVersion
        self.continue = `continue`
        self.remainingItemCount = remainingItemCount
    }
}

/// metav1.OwnerReference: points at an object this one belongs to.
public struct OwnerReference: Codable, Hashable, Sendable {
    /// The owner's `apiVersion`.
    public var apiVersion: String
    /// The owner's kind.
    public var kind: String
    /// The owner's name.
    public var name: String
    /// The owner's uid; garbage collection matches on it.
    public var uid: String
    /// True for the managing controller (at most one per object).
    public var controller: Bool?
    /// With foreground deletion, the owner is not removed before this object.
    public var blockOwnerDeletion: Bool?

    /// Creates an owner reference.
    public init(apiVersion: String, kind: String, name: String, uid: String, controller: Bool? = nil,
                blockOwnerDeletion: Bool? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
        self.blockOwnerDeletion = blockOwnerDeletion
    }
}

/// core/v1 ObjectReference: a loose reference to another object (events, bindings).
public struct ObjectReference: Codable, Hashable, Sendable {
    /// The referent's `apiVersion`.
    public var apiVersion: String?
    /// The referent's kind.
    public var kind: String?
    /// The referent's namespace.
    public var namespace: String?
    /// The referent's name.
    public var name: String?
    /// The referent's uid.
    public var uid: String?
    /// The referent's resourceVersion when the reference was made.
    public var resourceVersion: String?
    /// A field path inside the referent, such as `spec.containers{agent}`.
    public var fieldPath: String?

    /// Creates an object reference.
    public init(apiVersion: String? = nil, kind: String? = nil, namespace: String? = nil, name: String? = nil,
                uid: String? = nil, resourceVersion: String? = nil, fieldPath: String? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.uid = uid
        self.resourceVersion = resourceVersion
        self.fieldPath = fieldPath
    }
}

/// core/v1 LocalObjectReference: the name of an object in the same namespace.
public struct LocalObjectReference: Codable, Hashable, Sendable {
    /// The referent's name.
    public var name: String?

    /// Creates a local reference.
    public init(name: String? = nil) { self.name = name }
}

/// A list response (`PodList`, `SecretList`, ...) of typed items.
public struct ObjectList<Item: Codable & Sendable>: Codable, Sendable {
    /// `apiVersion` of the list.
    public var apiVersion: String?
    /// Kind of the list, such as `PodList`.
    public var kind: String?
    /// Paging and version information.
    public var metadata: ListMeta
    /// The items.
    public var items: [Item]

    /// Creates a list.
    public init(apiVersion: String? = nil, kind: String? = nil, metadata: ListMeta = ListMeta(), items: [Item]) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.metadata = metadata
        self.items = items
    }

    enum CodingKeys: String, CodingKey { case apiVersion, kind, metadata, items }

    // `items` is null in some server answers for empty lists, and `metadata` may be absent.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        apiVersion = try c.decodeIfPresent(String.self, forKey: .apiVersion)
        kind = try c.decodeIfPresent(String.self, forKey: .kind)
        metadata = try c.decodeIfPresent(ListMeta.self, forKey: .metadata) ?? ListMeta()
        items = try c.decodeIfPresent([Item].self, forKey: .items) ?? []
    }
}
