import Foundation
import RuntimeCore

/// A printer column of a resource (a CRD's `additionalPrinterColumns` entry).
public struct PrinterColumn: Sendable, Equatable {
    /// Column header, e.g. `Phase`.
    public var name: String
    /// `string`, `integer`, `number`, `boolean` or `date`.
    public var type: String
    /// Optional OpenAPI format.
    public var format: String
    /// Description shown by `kubectl explain`-like tools.
    public var description: String
    /// 0 = shown by default, >0 = only with `-o wide`.
    public var priority: Int
    /// Simple JSONPath such as `.status.phase`.
    public var jsonPath: String

    /// Creates a column.
    public init(name: String, type: String, jsonPath: String, format: String = "", description: String = "",
                priority: Int = 0) {
        self.name = name
        self.type = type
        self.format = format
        self.description = description
        self.priority = priority
        self.jsonPath = jsonPath
    }
}

/// Everything the emulator knows about one served resource at one version.
public struct ResourceInfo: Sendable {
    /// API group; "" for the core group.
    public var group: String
    /// Version, e.g. `v1`.
    public var version: String
    /// Kind, e.g. `Pod`.
    public var kind: String
    /// List kind, e.g. `PodList`.
    public var listKind: String
    /// Plural resource name used in URLs, e.g. `pods`.
    public var plural: String
    /// Singular name, e.g. `pod`.
    public var singular: String
    /// True for namespaced resources.
    public var namespaced: Bool
    /// Short names, e.g. `["po"]`.
    public var shortNames: [String]
    /// Categories, e.g. `["all"]`.
    public var categories: [String]
    /// Verbs served on the main resource.
    public var verbs: [String]
    /// Subresources and their verbs (`status` when ``hasStatus``).
    public var subresources: [String: [String]]
    /// Printer columns (custom resources; built-ins use the printers in `BuiltinPrinters`).
    public var printerColumns: [PrinterColumn]
    /// Compiled `openAPIV3Schema` (custom resources only).
    public var schema: StructuralSchema?
    /// Fields usable in field selectors besides metadata.name/namespace (CRD `selectableFields`).
    public var selectableFields: [String]
    /// True when served from a CustomResourceDefinition.
    public var isCustom: Bool
    /// The version objects are stored in; all served versions share one storage.
    public var storageVersion: String
    /// True when DELETE answers with the object rather than a `Status` (pods, services, namespaces, CRs...).
    public var returnsDeletedObject: Bool

    /// Creates a resource description.
    public init(group: String, version: String, kind: String, plural: String, singular: String? = nil,
                namespaced: Bool, shortNames: [String] = [], categories: [String] = [],
                verbs: [String] = ResourceInfo.standardVerbs, hasStatus: Bool = false,
                subresources: [String: [String]] = [:], printerColumns: [PrinterColumn] = [],
                schema: StructuralSchema? = nil, selectableFields: [String] = [], isCustom: Bool = false,
                storageVersion: String? = nil, returnsDeletedObject: Bool = false) {
        self.group = group
        self.version = version
        self.kind = kind
        self.listKind = kind + "List"
        self.plural = plural
        self.singular = singular ?? kind.lowercased()
        self.namespaced = namespaced
        self.shortNames = shortNames
        self.categories = categories
        self.verbs = verbs
        var subs = subresources
        if hasStatus { subs["status"] = ["get", "patch", "update"] }
        self.subresources = subs
        self.printerColumns = printerColumns
        self.schema = schema
        self.selectableFields = selectableFields
        self.isCustom = isCustom
        self.storageVersion = storageVersion ?? version
        self.returnsDeletedObject = returnsDeletedObject
    }

    /// The verbs every ordinary resource serves.
    public static let standardVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

    /// True when the resource has a `status` subresource.
    public var hasStatus: Bool { subresources["status"] != nil }
    /// `group/version`, or `version` for the core group.
    public var apiVersion: String { group.isEmpty ? version : "\(group)/\(version)" }
    /// `pods` or `agentsessions.parallax.ai`, as in error messages.
    public var groupResource: String { group.isEmpty ? plural : "\(plural).\(group)" }
    /// The same resource at another served version.
    func at(version v: String) -> ResourceInfo {
        var copy = self
        copy.version = v
        return copy
    }
    /// The storage identity: all versions of a resource share it.
    var storageKey: StorageKey { StorageKey(group: group, plural: plural) }
}

/// Identity of a resource's storage, independent of version.
struct StorageKey: Hashable, Sendable {
    var group: String
    var plural: String
}

/// A served API group for discovery.
public struct APIGroupInfo: Sendable, Equatable {
    /// Group name ("" for core).
    public var name: String
    /// Served versions, most preferred first.
    public var versions: [String]
    /// The preferred version (the first of ``versions``).
    public var preferredVersion: String { versions.first ?? "" }
}

/// The set of served resources: built-ins plus those added by CustomResourceDefinitions.
///
/// Thread-safe; CRDs add and remove resources while requests are being served.
public final class ResourceRegistry: @unchecked Sendable {
    private struct GVR: Hashable {
        var group: String
        var version: String
        var plural: String
    }

    private let lock = NSLock()
    private var resources: [GVR: ResourceInfo] = [:]
    /// Which CRD registered which entries, so deleting or changing a CRD removes exactly those.
    private var owners: [String: [GVR]] = [:]
    /// Groups in registration order (built-ins first), as the apiserver lists them.
    private var groupOrder: [String] = []

    /// Creates a registry with the built-in resources (see `BuiltinResources`).
    public init() {
        for info in BuiltinResources.all { add(info) }
    }

    private func add(_ info: ResourceInfo) {
        resources[GVR(group: info.group, version: info.version, plural: info.plural)] = info
        if !groupOrder.contains(info.group) { groupOrder.append(info.group) }
    }

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    /// The resource served at `/apis/group/version/plural` (or `/api/v1/plural` for group "").
    public func lookup(group: String, version: String, plural: String) -> ResourceInfo? {
        locked { resources[GVR(group: group, version: version, plural: plural)] }
    }

    /// The resource for a kind in a group; with `version` nil, the preferred version's.
    public func lookup(group: String, version: String? = nil, kind: String) -> ResourceInfo? {
        locked {
            let candidates = resources.values.filter { $0.group == group && $0.kind == kind }
            if let version { return candidates.first { $0.version == version } }
            return candidates.sorted { APIVersions.compare($0.version, $1.version) }.first
        }
    }

    /// The resource for an object's `apiVersion` and `kind` (as in an ownerReference).
    public func lookup(apiVersion: String, kind: String) -> ResourceInfo? {
        let (group, version) = APIVersions.split(apiVersion)
        return lookup(group: group, version: version, kind: kind)
    }

    /// Every served (group, version, resource), unordered.
    public func all() -> [ResourceInfo] { locked { Array(resources.values) } }

    /// Resources of one group/version, sorted by plural.
    public func resources(group: String, version: String) -> [ResourceInfo] {
        locked {
            resources.values.filter { $0.group == group && $0.version == version }.sorted { $0.plural < $1.plural }
        }
    }

    /// Served groups with their versions in priority order (built-in groups first, then CRD groups).
    public func groups() -> [APIGroupInfo] {
        locked {
            groupOrder.compactMap { g in
                let versions = Set(resources.keys.filter { $0.group == g }.map(\.version))
                guard !versions.isEmpty else { return nil }
                return APIGroupInfo(name: g, versions: versions.sorted(by: APIVersions.compare))
            }
        }
    }

    /// Registers the resources served by a CRD, replacing whatever that CRD registered before.
    func register(_ infos: [ResourceInfo], owner: String) {
        locked {
            for gvr in owners[owner] ?? [] { resources.removeValue(forKey: gvr) }
            var keys: [GVR] = []
            for info in infos {
                add(info)
                keys.append(GVR(group: info.group, version: info.version, plural: info.plural))
            }
            owners[owner] = keys
        }
    }

    /// Removes the resources a CRD registered.
    func unregister(owner: String) {
        locked {
            for gvr in owners.removeValue(forKey: owner) ?? [] { resources.removeValue(forKey: gvr) }
        }
    }

    /// True when some resource other than those owned by `owner` uses this group and plural, kind or short name.
    func conflicts(group: String, plural: String, kind: String, owner: String) -> String? {
        locked {
            let mine = Set(owners[owner] ?? [])
            for (gvr, info) in resources where gvr.group == group && !mine.contains(gvr) {
                if info.plural == plural { return "\"\(plural)\" is already in use" }
                if info.kind == kind { return "\"\(kind)\" is already in use" }
            }
            return nil
        }
    }
}

/// Kubernetes version strings: `v1` > `v1beta2` > `v1beta1` > `v1alpha1` > anything else (alphabetical).
enum APIVersions {
    /// Splits `group/version` (or `v1`) into group and version.
    static func split(_ apiVersion: String) -> (group: String, version: String) {
        if let slash = apiVersion.lastIndex(of: "/") {
            return (String(apiVersion[..<slash]), String(apiVersion[apiVersion.index(after: slash)...]))
        }
        return ("", apiVersion)
    }

    private static func parse(_ v: String) -> (major: Int, stage: Int, minor: Int)? {
        guard v.hasPrefix("v") else { return nil }
        let rest = v.dropFirst()
        let digits = rest.prefix { $0.isNumber }
        guard let major = Int(digits) else { return nil }
        let tail = rest.dropFirst(digits.count)
        if tail.isEmpty { return (major, 2, 0) }
        for (stage, word) in [(1, "beta"), (0, "alpha")] where tail.hasPrefix(word) {
            if let minor = Int(tail.dropFirst(word.count)) { return (major, stage, minor) }
        }
        return nil
    }

    /// True when `a` has higher priority than `b`.
    static func compare(_ a: String, _ b: String) -> Bool {
        switch (parse(a), parse(b)) {
        case let (x?, y?):
            if x.stage != y.stage { return x.stage > y.stage }
            if x.major != y.major { return x.major > y.major }
            return x.minor > y.minor
        case (.some, nil): return true
        case (nil, .some): return false
        case (nil, nil): return a < b
        }
    }
}
