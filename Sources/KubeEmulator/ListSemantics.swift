import Foundation
import RuntimeCore

/// How a list field merges in strategic merge patch and server-side apply.
enum ListStrategy: Equatable {
    /// Replaced as a whole.
    case atomic
    /// Merged element by element, elements identified by these keys.
    case map([String])
    /// A set of scalars: merged as a union.
    case set
}

/// Where list strategies come from: the built-in types' patch merge keys (a fixed table mirroring the Go
/// struct tags of the fields the emulator's users touch), or a CRD's `x-kubernetes-list-type` /
/// `x-kubernetes-list-map-keys`.
struct MergeSchema {
    let resource: ResourceInfo

    /// The strategy of the list at `path` (field names only, no indices), e.g. `["spec", "containers"]`.
    func strategy(for path: [String]) -> ListStrategy {
        if path == ["metadata", "finalizers"] { return .set }
        if path == ["metadata", "ownerReferences"] { return .map(["uid"]) }
        if path.first == "metadata" { return .atomic }
        if resource.isCustom { return customStrategy(path) }
        return Self.builtinStrategy(path)
    }

    private func customStrategy(_ path: [String]) -> ListStrategy {
        guard var cur = resource.schema else { return .atomic }
        for key in path {
            if cur.type == "array", let items = cur.items { cur = items }
            guard let next = cur.child(key) else { return .atomic }
            cur = next
        }
        switch cur.listType {
        case "map" where !cur.listMapKeys.isEmpty: return .map(cur.listMapKeys)
        case "set": return .set
        default: return .atomic
        }
    }

    private static let containerLists: Set<String> = ["containers", "initContainers", "ephemeralContainers"]

    /// Patch merge keys of built-in types (`patchStrategy:"merge" patchMergeKey:...`).
    static func builtinStrategy(_ path: [String]) -> ListStrategy {
        guard let last = path.last else { return .atomic }
        let parent = path.dropLast()
        switch last {
        case "containers", "initContainers", "ephemeralContainers", "volumes", "imagePullSecrets", "resourceClaims":
            return .map(["name"])
        case "env":
            return parent.last.map(containerLists.contains) == true ? .map(["name"]) : .atomic
        case "ports":
            if parent.last.map(containerLists.contains) == true { return .map(["containerPort"]) }
            if Array(parent) == ["spec"] { return .map(["port"]) }
            return .atomic
        case "volumeMounts": return .map(["mountPath"])
        case "volumeDevices": return .map(["devicePath"])
        case "conditions": return .map(["type"])
        case "hostAliases": return .map(["ip"])
        case "topologySpreadConstraints": return .map(["topologyKey"])
        default: return .atomic
        }
    }
}
