import Foundation
import RuntimeCore

/// How unknown fields in a write are treated (`fieldValidation` query parameter). Only custom resources
/// know their full schema, so only they report unknown fields.
public enum FieldValidation: String, Sendable {
    /// Drop unknown fields silently.
    case ignore = "Ignore"
    /// Drop them and return warnings (the apiserver's default).
    case warn = "Warn"
    /// Reject the request with 400 (kubectl's default).
    case strict = "Strict"
}

/// Options of create, update and patch.
public struct WriteOptions: Sendable {
    /// `dryRun=All`: validate and default, persist nothing.
    public var dryRun: Bool
    /// `fieldManager`: who makes the change (recorded for server-side apply conflicts). The apiserver's
    /// default is the client's User-Agent up to the first '/'; pass that when the parameter is missing.
    public var fieldManager: String?
    /// `fieldValidation`.
    public var fieldValidation: FieldValidation

    /// Creates options.
    public init(dryRun: Bool = false, fieldManager: String? = nil, fieldValidation: FieldValidation = .warn) {
        self.dryRun = dryRun
        self.fieldManager = fieldManager
        self.fieldValidation = fieldValidation
    }

    /// Reads `dryRun`, `fieldManager` and `fieldValidation` from query parameters (400 on bad values).
    public init(query: [String: String]) throws(APIError) {
        self.init(dryRun: try Self.dryRun(query), fieldManager: query["fieldManager"])
        if let v = query["fieldValidation"], !v.isEmpty {
            guard let fv = FieldValidation(rawValue: v) else {
                throw .badRequest("fieldValidation must be one of \"Ignore\", \"Warn\", or \"Strict\"; got \(GoFormat.quote(v))")
            }
            fieldValidation = fv
        }
    }

    static func dryRun(_ query: [String: String]) throws(APIError) -> Bool {
        guard let v = query["dryRun"], !v.isEmpty else { return false }
        guard v == "All" else { throw .badRequest("Invalid dryRun value: \(v). Supported values: All") }
        return true
    }
}

/// What a write returns.
public struct WriteResult: Sendable {
    /// The object as stored (or as it would be, for dry runs), in the requested version.
    public var object: JSON
    /// True when the write created the object (HTTP 201), false for an update (200).
    public var created: Bool
    /// Warnings for `Warning: 299 - "..."` headers (unknown fields under fieldValidation=Warn).
    public var warnings: [String]
}

/// How a patch body is interpreted (from the request's Content-Type).
public enum PatchType: Sendable, Equatable {
    /// `application/merge-patch+json`.
    case merge
    /// `application/json-patch+json`.
    case jsonPatch
    /// `application/strategic-merge-patch+json` (built-in types only; 415 for custom resources).
    case strategicMerge
    /// `application/apply-patch+yaml` (server-side apply; the body is already parsed to JSON).
    case apply(fieldManager: String?, force: Bool)

    /// Maps a Content-Type (parameters ignored) to a patch type; nil for unsupported types (answer 415).
    public init?(contentType: String, fieldManager: String? = nil, force: Bool = false) {
        let base = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        switch base {
        case "application/merge-patch+json": self = .merge
        case "application/json-patch+json": self = .jsonPatch
        case "application/strategic-merge-patch+json": self = .strategicMerge
        case "application/apply-patch+yaml", "application/apply-patch+json", "application/apply-patch+cbor":
            self = .apply(fieldManager: fieldManager, force: force)
        default: return nil
        }
    }
}

/// Options of list and deletecollection.
public struct ListOptions: Sendable {
    /// `labelSelector` text.
    public var labelSelector: String
    /// `fieldSelector` text.
    public var fieldSelector: String
    /// `limit` (nil or <= 0: everything).
    public var limit: Int?
    /// `continue` token from a previous page.
    public var continueToken: String?

    /// Creates options.
    public init(labelSelector: String = "", fieldSelector: String = "", limit: Int? = nil, continueToken: String? = nil) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.limit = limit
        self.continueToken = continueToken
    }

    /// Reads `labelSelector`, `fieldSelector`, `limit` and `continue` (`resourceVersion` and
    /// `resourceVersionMatch` are accepted and ignored: lists are always served from the latest state).
    public init(query: [String: String]) throws(APIError) {
        self.init(labelSelector: query["labelSelector"] ?? "", fieldSelector: query["fieldSelector"] ?? "")
        if let l = query["limit"], !l.isEmpty {
            guard let n = Int(l) else { throw .badRequest("limit: Invalid value: \(GoFormat.quote(l)): must be an integer") }
            limit = n
        }
        if let c = query["continue"], !c.isEmpty {
            if let rv = query["resourceVersion"], !rv.isEmpty, rv != "0" {
                throw .badRequest("specifying resource version is not allowed when using continue")
            }
            continueToken = c
        }
    }
}

/// One page of a list.
public struct ListResult: Sendable {
    /// The items, in the requested version, sorted by namespace and name.
    public var items: [JSON]
    /// The list's resourceVersion (the store's at the time of the first page).
    public var resourceVersion: String
    /// Token for the next page, or nil on the last page.
    public var continueToken: String?
    /// Items after this page (only when there is a next page and no selector was used, as the apiserver does).
    public var remainingItemCount: Int?

    /// The `<Kind>List` object, e.g. `{"kind": "PodList", "apiVersion": "v1", "metadata": {...}, "items": [...]}`.
    public func json(for resource: ResourceInfo) -> JSON {
        var meta: JSON = ["resourceVersion": .string(resourceVersion)]
        if let continueToken { meta["continue"] = .string(continueToken) }
        if let remainingItemCount { meta["remainingItemCount"] = .int(Int64(remainingItemCount)) }
        return ["kind": .string(resource.listKind), "apiVersion": .string(resource.apiVersion), "metadata": meta,
                "items": .array(items)]
    }
}

/// Options of a watch.
public struct WatchOptions: Sendable {
    /// `labelSelector` text.
    public var labelSelector: String
    /// `fieldSelector` text.
    public var fieldSelector: String
    /// `resourceVersion`: nil/"" or "0" start with the current state as ADDED events; N replays after N.
    public var resourceVersion: String?
    /// `sendInitialEvents`: true forces the initial ADDED events (then a bookmark marking their end when
    /// bookmarks are allowed); false suppresses them.
    public var sendInitialEvents: Bool?
    /// `allowWatchBookmarks`.
    public var allowBookmarks: Bool

    /// Creates options.
    public init(labelSelector: String = "", fieldSelector: String = "", resourceVersion: String? = nil,
                sendInitialEvents: Bool? = nil, allowBookmarks: Bool = false) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.resourceVersion = resourceVersion
        self.sendInitialEvents = sendInitialEvents
        self.allowBookmarks = allowBookmarks
    }

    /// Reads the watch parameters from a query (`timeoutSeconds` is the HTTP layer's business).
    public init(query: [String: String]) {
        self.init(labelSelector: query["labelSelector"] ?? "", fieldSelector: query["fieldSelector"] ?? "",
                  resourceVersion: query["resourceVersion"],
                  sendInitialEvents: query["sendInitialEvents"].map { $0 == "true" },
                  allowBookmarks: query["allowWatchBookmarks"] == "true")
    }
}

/// `DeleteOptions.propagationPolicy`.
public enum PropagationPolicy: String, Sendable {
    /// Remove the owner reference from dependents and keep them.
    case orphan = "Orphan"
    /// Delete the object now; dependents are garbage-collected afterwards.
    case background = "Background"
    /// Delete dependents first (those with blockOwnerDeletion are waited for), then the object.
    case foreground = "Foreground"
}

/// Options of delete and deletecollection.
public struct DeleteOptions: Sendable {
    /// Propagation policy; nil means the default (Background).
    public var propagationPolicy: PropagationPolicy?
    /// Grace period override (pods).
    public var gracePeriodSeconds: Int?
    /// `preconditions.uid`.
    public var preconditionUID: String?
    /// `preconditions.resourceVersion`.
    public var preconditionResourceVersion: String?
    /// `dryRun=All`.
    public var dryRun: Bool

    /// Creates options.
    public init(propagationPolicy: PropagationPolicy? = nil, gracePeriodSeconds: Int? = nil,
                preconditionUID: String? = nil, preconditionResourceVersion: String? = nil, dryRun: Bool = false) {
        self.propagationPolicy = propagationPolicy
        self.gracePeriodSeconds = gracePeriodSeconds
        self.preconditionUID = preconditionUID
        self.preconditionResourceVersion = preconditionResourceVersion
        self.dryRun = dryRun
    }

    /// Reads options from query parameters and an optional `DeleteOptions` body (the body wins).
    public init(query: [String: String], body: JSON?) throws(APIError) {
        self.init(dryRun: try WriteOptions.dryRun(query))
        if let p = query["propagationPolicy"], !p.isEmpty { propagationPolicy = try Self.policy(p) }
        if query["orphanDependents"] == "true", propagationPolicy == nil { propagationPolicy = .orphan }
        if let g = query["gracePeriodSeconds"], !g.isEmpty {
            guard let n = Int(g) else { throw .badRequest("gracePeriodSeconds must be an integer") }
            gracePeriodSeconds = n
        }
        guard let body, case .object = body else { return }
        if let p = body["propagationPolicy"].stringValue { propagationPolicy = try Self.policy(p) }
        if body["orphanDependents"].boolValue == true, propagationPolicy == nil { propagationPolicy = .orphan }
        if let g = body["gracePeriodSeconds"].intValue { gracePeriodSeconds = Int(g) }
        if let u = body["preconditions"]["uid"].stringValue { preconditionUID = u }
        if let r = body["preconditions"]["resourceVersion"].stringValue { preconditionResourceVersion = r }
        if let d = body["dryRun"].arrayValue, d.contains("All") { dryRun = true }
    }

    private static func policy(_ p: String) throws(APIError) -> PropagationPolicy {
        guard let v = PropagationPolicy(rawValue: p) else {
            throw APIError(code: 422, reason: "Invalid", message: "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \(GoFormat.quote(p)): supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"",
                           causes: [.init(reason: "FieldValueNotSupported", message: "Unsupported value: \(GoFormat.quote(p)): supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\"", field: "propagationPolicy")])
        }
        return v
    }
}

/// What a delete returns.
public struct DeleteResult: Sendable {
    /// The object: still present with deletionTimestamp set (finalizers, foreground, graceful pod
    /// termination), or its last state when it is gone.
    public var object: JSON
    /// True when the object no longer exists.
    public var completed: Bool
    /// The response body: the object, or a `Status` with `status: Success` for resources that do not return
    /// deleted objects (secrets, configmaps...), as the apiserver answers. Send it with HTTP 200.
    public var body: JSON
}

/// A pod deletion handed to the process kubelet (see ``APIStore/podDeletionHandler``).
public struct PodTermination: Sendable, Equatable {
    /// Namespace of the pod.
    public var namespace: String
    /// Name of the pod.
    public var name: String
    /// UID of the pod.
    public var uid: String
    /// Seconds the kubelet may take before killing the processes.
    public var gracePeriodSeconds: Int
}
