import Foundation
import RuntimeCore

/// The part of OpenAPI v3 discovery that kubectl needs before it writes anything.
///
/// kubectl (1.27+) validates manifests on the server when the server's OpenAPI v3 document says that the
/// PATCH operation of the kind accepts the `fieldValidation` query parameter; otherwise it downloads the
/// OpenAPI v2 schema to validate client-side and fails when there is none. So per group/version we publish
/// one path item per resource whose PATCH operation declares `fieldValidation` and carries
/// `x-kubernetes-group-version-kind`. No component schemas are published, so kubectl apply falls back to its
/// compiled-in strategic-merge metadata for built-in kinds and JSON merge patch for custom resources, as it
/// does against an apiserver without schemas for a kind.
enum ServerOpenAPI {
    /// `GET /openapi/v3`: the index of per-group-version documents.
    static func root(_ registry: ResourceRegistry) -> JSON {
        var paths: [String: JSON] = [:]
        for g in registry.groups() {
            for v in g.versions {
                let key = g.name.isEmpty ? "api/\(v)" : "apis/\(g.name)/\(v)"
                let hash = documentHash(registry, group: g.name, version: v)
                paths[key] = ["serverRelativeURL": .string("/openapi/v3/\(key)?hash=\(hash)")]
            }
        }
        return ["paths": .object(paths)]
    }

    /// `GET /openapi/v3/api/v1` or `/openapi/v3/apis/<group>/<version>`.
    static func document(_ registry: ResourceRegistry, path: String) -> JSON? {
        let parts = path.split(separator: "/").map(String.init)  // openapi, v3, api|apis, ...
        guard parts.count >= 4, parts[0] == "openapi", parts[1] == "v3" else { return nil }
        let (group, version): (String, String)
        if parts[2] == "api", parts.count == 4 {
            (group, version) = ("", parts[3])
        } else if parts[2] == "apis", parts.count == 5 {
            (group, version) = (parts[3], parts[4])
        } else {
            return nil
        }
        let resources = registry.resources(group: group, version: version)
        guard !resources.isEmpty else { return nil }
        var paths: [String: JSON] = [:]
        let prefix = group.isEmpty ? "/api/\(version)" : "/apis/\(group)/\(version)"
        for r in resources {
            let gvk: JSON = ["group": .string(group), "version": .string(version), "kind": .string(r.kind)]
            let item = r.namespaced ? "\(prefix)/namespaces/{namespace}/\(r.plural)/{name}" : "\(prefix)/\(r.plural)/{name}"
            let parameters: [JSON] = ["dryRun", "fieldManager", "fieldValidation", "force"].map {
                ["name": .string($0), "in": "query", "schema": ["type": "string"], "uniqueItems": true]
            }
            paths[item] = [
                "patch": [
                    "operationId": .string("patch\(r.kind)"),
                    "parameters": .array(parameters),
                    "x-kubernetes-action": "patch",
                    "x-kubernetes-group-version-kind": gvk,
                    "responses": ["200": ["description": "OK"]],
                ],
            ]
        }
        return [
            "openapi": "3.0.0",
            "info": ["title": "Kubernetes (kube-emulator)", "version": .string(ServerDiscovery.version["gitVersion"].stringValue ?? "")],
            "paths": .object(paths),
        ]
    }

    /// Changes whenever the resource set of the group/version changes, so kubectl's cache stays correct.
    private static func documentHash(_ registry: ResourceRegistry, group: String, version: String) -> String {
        let names = registry.resources(group: group, version: version).map { "\($0.plural):\($0.kind)" }.joined(separator: ",")
        var h: UInt64 = 1469598103934665603
        for b in names.utf8 { h = (h ^ UInt64(b)) &* 1099511628211 }
        return String(h, radix: 16, uppercase: true)
    }
}
