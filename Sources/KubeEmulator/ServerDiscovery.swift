import Foundation
import RuntimeCore

/// The discovery documents kubectl reads before anything else: `/api`, `/apis`, `/api/v1`,
/// `/apis/<group>`, `/apis/<group>/<version>` and `/version`.
///
/// Only the legacy (unaggregated) format is served: kubectl asks for aggregated discovery first and falls
/// back to this when the answer is a plain `APIGroupList`, as it does against older apiservers.
enum ServerDiscovery {
    /// Kubernetes version reported at `/version`; kubectl 1.32 is installed on our machines.
    static let version: JSON = [
        "major": "1", "minor": "32", "gitVersion": "v1.32.0-kube-emulator", "gitCommit": "0000000",
        "gitTreeState": "clean", "buildDate": "2026-11-21T00:00:00Z", "goVersion": "n/a", "compiler": "swift",
        "platform": "linux/amd64",
    ]

    static func apiVersions(serverAddress: String) -> JSON {
        [
            "kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [["clientCIDR": "0.0.0.0/0", "serverAddress": .string(serverAddress)]],
        ]
    }

    static func group(_ g: APIGroupInfo) -> JSON {
        let versions: [JSON] = g.versions.map { ["groupVersion": .string("\(g.name)/\($0)"), "version": .string($0)] }
        return [
            "kind": "APIGroup", "apiVersion": "v1", "name": .string(g.name), "versions": .array(versions),
            "preferredVersion": ["groupVersion": .string("\(g.name)/\(g.preferredVersion)"), "version": .string(g.preferredVersion)],
        ]
    }

    static func groupList(_ registry: ResourceRegistry) -> JSON {
        let groups = registry.groups().filter { !$0.name.isEmpty }.map { g -> JSON in
            var j = group(g)
            j["kind"] = .null
            j["apiVersion"] = .null
            return j
        }
        return ["kind": "APIGroupList", "apiVersion": "v1", "groups": .array(groups)]
    }

    static func resourceList(_ registry: ResourceRegistry, group: String, version: String) -> JSON? {
        let infos = registry.resources(group: group, version: version)
        guard !infos.isEmpty else { return nil }
        var resources: [JSON] = []
        for r in infos {
            var entry: JSON = [
                "name": .string(r.plural), "singularName": .string(r.singular), "namespaced": .bool(r.namespaced),
                "kind": .string(r.kind), "verbs": .array(r.verbs.map { .string($0) }),
                "storageVersionHash": .string(String(r.groupResource.hashValue & 0xFFFFFF, radix: 36)),
            ]
            if !r.shortNames.isEmpty { entry["shortNames"] = .array(r.shortNames.map { .string($0) }) }
            if !r.categories.isEmpty { entry["categories"] = .array(r.categories.map { .string($0) }) }
            resources.append(entry)
            for (sub, verbs) in r.subresources.sorted(by: { $0.key < $1.key }) {
                resources.append([
                    "name": .string("\(r.plural)/\(sub)"), "singularName": "", "namespaced": .bool(r.namespaced),
                    "kind": .string(r.kind), "verbs": .array(verbs.map { .string($0) }),
                ])
            }
        }
        return [
            "kind": "APIResourceList", "apiVersion": "v1",
            "groupVersion": .string(group.isEmpty ? version : "\(group)/\(version)"),
            "resources": .array(resources),
        ]
    }
}

/// A request path resolved against the served resources.
struct ResourcePath: Equatable {
    var resource: ResourceInfo
    /// Namespace from the path; nil for cluster-scoped resources and all-namespace collections.
    var namespace: String?
    /// Object name; nil for collections.
    var name: String?
    /// `status`, `scale`, ... ; nil for the main resource.
    var subresource: String?

    static func == (l: ResourcePath, r: ResourcePath) -> Bool {
        l.resource.groupResource == r.resource.groupResource && l.resource.version == r.resource.version
            && l.namespace == r.namespace && l.name == r.name && l.subresource == r.subresource
    }

    /// What a path addresses, before resource lookup.
    enum Target: Equatable {
        case apiVersions, groupList, group(String), resourceList(group: String, version: String)
        case resource(group: String, version: String, rest: [String])
    }

    /// Splits `/api/v1/...` and `/apis/g/v/...` into a target.
    static func target(_ path: String) -> Target? {
        let parts = path.split(separator: "/").map(String.init)
        guard let first = parts.first else { return nil }
        if first == "api" {
            if parts.count == 1 { return .apiVersions }
            if parts.count == 2 { return .resourceList(group: "", version: parts[1]) }
            return .resource(group: "", version: parts[1], rest: Array(parts.dropFirst(2)))
        }
        if first == "apis" {
            switch parts.count {
            case 1: return .groupList
            case 2: return .group(parts[1])
            case 3: return .resourceList(group: parts[1], version: parts[2])
            default: return .resource(group: parts[1], version: parts[2], rest: Array(parts.dropFirst(3)))
            }
        }
        return nil
    }

    /// Resolves the segments after `/api/v1` or `/apis/g/v`; nil when no served resource matches.
    static func resolve(group: String, version: String, rest: [String], registry: ResourceRegistry) -> ResourcePath? {
        func info(_ plural: String) -> ResourceInfo? { registry.lookup(group: group, version: version, plural: plural) }
        // namespaces/<ns>/<plural>[/<name>[/<sub>]] for namespaced resources.
        if rest.count >= 3, rest[0] == "namespaces", let r = info(rest[2]), r.namespaced {
            guard rest.count <= 5 else { return nil }
            return ResourcePath(resource: r, namespace: rest[1], name: rest.count > 3 ? rest[3] : nil,
                                subresource: rest.count > 4 ? rest[4] : nil)
        }
        // <plural>[/<name>[/<sub>]]: cluster-scoped objects, or a namespaced collection across namespaces.
        guard let plural = rest.first, let r = info(plural), rest.count <= 3 else { return nil }
        if r.namespaced && rest.count > 1 { return nil }
        return ResourcePath(resource: r, namespace: nil, name: rest.count > 1 ? rest[1] : nil,
                            subresource: rest.count > 2 ? rest[2] : nil)
    }
}
