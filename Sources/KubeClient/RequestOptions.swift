import Foundation
import RuntimeCore

/// Options of list calls.
public struct ListOptions: Sendable, Hashable {
    /// Only objects whose labels match, such as `app=web,tier in (a,b)`.
    public var labelSelector: String?
    /// Only objects whose fields match, such as `metadata.name=x,status.phase!=Running`.
    public var fieldSelector: String?
    /// Page size; nil asks for everything in one response. ``KubeClient/list(_:namespace:options:)``
    /// defaults to 500.
    public var limit: Int?
    /// The continue token of the previous page.
    public var continueToken: String?
    /// Serve the list at (or not older than) this version; `"0"` allows the watch cache.
    public var resourceVersion: String?
    /// `Exact` or `NotOlderThan` (how `resourceVersion` is interpreted).
    public var resourceVersionMatch: String?

    /// The default page size of paged lists (client-go's pager).
    public static let defaultPageSize = 500

    /// Creates list options.
    public init(labelSelector: String? = nil, fieldSelector: String? = nil, limit: Int? = ListOptions.defaultPageSize,
                continueToken: String? = nil, resourceVersion: String? = nil, resourceVersionMatch: String? = nil) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.limit = limit
        self.continueToken = continueToken
        self.resourceVersion = resourceVersion
        self.resourceVersionMatch = resourceVersionMatch
    }

    /// The query parameters.
    public var queryItems: [(String, String)] {
        var q: [(String, String)] = []
        if let s = labelSelector, !s.isEmpty { q.append(("labelSelector", s)) }
        if let s = fieldSelector, !s.isEmpty { q.append(("fieldSelector", s)) }
        if let l = limit, l > 0 { q.append(("limit", String(l))) }
        if let c = continueToken, !c.isEmpty { q.append(("continue", c)) }
        if let v = resourceVersion { q.append(("resourceVersion", v)) }
        if let m = resourceVersionMatch, !m.isEmpty { q.append(("resourceVersionMatch", m)) }
        return q
    }
}

/// Options of watch calls.
public struct WatchOptions: Sendable, Hashable {
    /// Only objects whose labels match.
    public var labelSelector: String?
    /// Only objects whose fields match.
    public var fieldSelector: String?
    /// Start after this version (from a list); nil or `""` starts with synthetic ADDED events for all objects.
    public var resourceVersion: String?
    /// Ask for BOOKMARK events carrying progress, so a reconnect resumes close to now.
    public var allowWatchBookmarks: Bool
    /// Ask the server to end the watch after this many seconds.
    public var timeoutSeconds: Int?

    /// Creates watch options.
    public init(labelSelector: String? = nil, fieldSelector: String? = nil, resourceVersion: String? = nil,
                allowWatchBookmarks: Bool = true, timeoutSeconds: Int? = nil) {
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.resourceVersion = resourceVersion
        self.allowWatchBookmarks = allowWatchBookmarks
        self.timeoutSeconds = timeoutSeconds
    }

    /// The query parameters (including `watch=1`).
    public var queryItems: [(String, String)] {
        var q: [(String, String)] = [("watch", "1")]
        if let s = labelSelector, !s.isEmpty { q.append(("labelSelector", s)) }
        if let s = fieldSelector, !s.isEmpty { q.append(("fieldSelector", s)) }
        if let v = resourceVersion, !v.isEmpty { q.append(("resourceVersion", v)) }
        if allowWatchBookmarks { q.append(("allowWatchBookmarks", "true")) }
        if let t = timeoutSeconds { q.append(("timeoutSeconds", String(t))) }
        return q
    }
}

/// Options of create, update and status writes.
public struct WriteOptions: Sendable, Hashable {
    /// Validate and admit, but do not persist (`dryRun=All`).
    public var dryRun: Bool
    /// The field manager recorded in managedFields.
    public var fieldManager: String?
    /// `Strict`, `Warn` or `Ignore` handling of unknown or duplicate fields.
    public var fieldValidation: String?

    /// Creates write options.
    public init(dryRun: Bool = false, fieldManager: String? = nil, fieldValidation: String? = nil) {
        self.dryRun = dryRun
        self.fieldManager = fieldManager
        self.fieldValidation = fieldValidation
    }

    /// The query parameters.
    public var queryItems: [(String, String)] {
        var q: [(String, String)] = []
        if dryRun { q.append(("dryRun", "All")) }
        if let m = fieldManager, !m.isEmpty { q.append(("fieldManager", m)) }
        if let v = fieldValidation, !v.isEmpty { q.append(("fieldValidation", v)) }
        return q
    }
}

/// How dependents are handled when an owner is deleted.
public enum PropagationPolicy: String, Sendable, Hashable, Codable {
    /// Dependents stay (their ownerReferences are removed).
    case orphan = "Orphan"
    /// The owner goes at once; the garbage collector removes dependents afterwards.
    case background = "Background"
    /// The owner stays (with `foregroundDeletion`) until blocking dependents are gone.
    case foreground = "Foreground"
}

/// Options of delete calls (sent as a `DeleteOptions` body).
public struct DeleteOptions: Sendable, Hashable {
    /// How dependents are handled; nil uses the resource's default.
    public var propagationPolicy: PropagationPolicy?
    /// Seconds before the object is removed; 0 deletes immediately.
    public var gracePeriodSeconds: Int?
    /// Only delete if the object still has this uid.
    public var preconditionUID: String?
    /// Only delete if the object is still at this version.
    public var preconditionResourceVersion: String?
    /// Validate but do not delete (`dryRun: [All]`).
    public var dryRun: Bool

    /// Creates delete options.
    public init(propagationPolicy: PropagationPolicy? = nil, gracePeriodSeconds: Int? = nil,
                preconditionUID: String? = nil, preconditionResourceVersion: String? = nil, dryRun: Bool = false) {
        self.propagationPolicy = propagationPolicy
        self.gracePeriodSeconds = gracePeriodSeconds
        self.preconditionUID = preconditionUID
        self.preconditionResourceVersion = preconditionResourceVersion
        self.dryRun = dryRun
    }

    /// The `DeleteOptions` body.
    public var body: JSON {
        var j: JSON = ["apiVersion": "v1", "kind": "DeleteOptions"]
        if let p = propagationPolicy { j["propagationPolicy"] = .string(p.rawValue) }
        if let g = gracePeriodSeconds { j["gracePeriodSeconds"] = .int(Int64(g)) }
        if preconditionUID != nil || preconditionResourceVersion != nil {
            var pre: JSON = [:]
            if let u = preconditionUID { pre["uid"] = .string(u) }
            if let v = preconditionResourceVersion { pre["resourceVersion"] = .string(v) }
            j["preconditions"] = pre
        }
        if dryRun { j["dryRun"] = ["All"] }
        return j
    }
}

/// A patch body and its type.
public enum Patch: Sendable, Hashable {
    /// RFC 7386 JSON merge patch (`application/merge-patch+json`): objects merge, `null` deletes,
    /// lists are replaced.
    case merge(JSON)
    /// RFC 6902 JSON patch (`application/json-patch+json`): a list of operations.
    case json([JSONPatchOperation])
    /// Kubernetes strategic merge patch (`application/strategic-merge-patch+json`): lists of
    /// containers, env, ports... merge by key. Built-in types only; CRDs reject it.
    case strategic(JSON)
    /// Server-side apply (`application/apply-patch+yaml`; JSON is valid YAML): the fields this
    /// manager owns. Needs ``PatchOptions/fieldManager``.
    case apply(JSON)

    /// The `Content-Type` of the patch.
    public var contentType: String {
        switch self {
        case .merge: return "application/merge-patch+json"
        case .json: return "application/json-patch+json"
        case .strategic: return "application/strategic-merge-patch+json"
        case .apply: return "application/apply-patch+yaml"
        }
    }

    /// The serialised body.
    public var body: Data {
        switch self {
        case .merge(let j), .strategic(let j), .apply(let j): return j.data()
        case .json(let ops): return JSON.array(ops.map(\.json)).data()
        }
    }
}

/// One RFC 6902 operation.
public struct JSONPatchOperation: Sendable, Hashable {
    /// `add`, `remove`, `replace`, `move`, `copy` or `test`.
    public var op: String
    /// A JSON pointer, such as `/metadata/labels/app`.
    public var path: String
    /// The value for add, replace and test.
    public var value: JSON?
    /// The source pointer for move and copy.
    public var from: String?

    /// Creates an operation.
    public init(op: String, path: String, value: JSON? = nil, from: String? = nil) {
        self.op = op
        self.path = path
        self.value = value
        self.from = from
    }

    /// `{"op": "add", ...}`.
    public static func add(_ path: String, _ value: JSON) -> JSONPatchOperation { .init(op: "add", path: path, value: value) }
    /// `{"op": "replace", ...}`.
    public static func replace(_ path: String, _ value: JSON) -> JSONPatchOperation { .init(op: "replace", path: path, value: value) }
    /// `{"op": "remove", ...}`.
    public static func remove(_ path: String) -> JSONPatchOperation { .init(op: "remove", path: path) }
    /// `{"op": "test", ...}`: the patch fails unless the value matches (optimistic locking).
    public static func test(_ path: String, _ value: JSON) -> JSONPatchOperation { .init(op: "test", path: path, value: value) }

    /// Escapes a key for use in a JSON pointer (`~` -> `~0`, `/` -> `~1`).
    public static func escape(_ key: String) -> String {
        key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    /// The operation as JSON.
    public var json: JSON {
        var o: [String: JSON] = ["op": .string(op), "path": .string(path)]
        if let v = value {
            o.updateValue(v, forKey: "value")
        } else if ["add", "replace", "test"].contains(op) {
            o.updateValue(JSON.null, forKey: "value")
        }
        if let f = from { o["from"] = .string(f) }
        return .object(o)
    }
}

/// Options of patch calls.
public struct PatchOptions: Sendable, Hashable {
    /// The field manager; required for server-side apply.
    public var fieldManager: String?
    /// Server-side apply: take ownership of fields other managers own instead of failing with a conflict.
    public var force: Bool
    /// Validate but do not persist.
    public var dryRun: Bool
    /// `Strict`, `Warn` or `Ignore` handling of unknown fields.
    public var fieldValidation: String?

    /// Creates patch options.
    public init(fieldManager: String? = nil, force: Bool = false, dryRun: Bool = false, fieldValidation: String? = nil) {
        self.fieldManager = fieldManager
        self.force = force
        self.dryRun = dryRun
        self.fieldValidation = fieldValidation
    }

    /// The query parameters.
    public var queryItems: [(String, String)] {
        var q: [(String, String)] = []
        if dryRun { q.append(("dryRun", "All")) }
        if let m = fieldManager, !m.isEmpty { q.append(("fieldManager", m)) }
        if force { q.append(("force", "true")) }
        if let v = fieldValidation, !v.isEmpty { q.append(("fieldValidation", v)) }
        return q
    }
}
