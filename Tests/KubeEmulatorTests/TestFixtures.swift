import Foundation
import XCTest
import RuntimeCore
@testable import KubeEmulator

/// Shared fixtures: a store with a fixed clock, resource shortcuts and the AgentSession CRD.
enum Fixtures {
    static let epoch = Date(timeIntervalSince1970: 1_700_000_000)

    static func store(historySize: Int = 1000, bufferSize: Int = 1000) -> APIStore {
        APIStore(configuration: .init(watchHistorySize: historySize, watchBufferSize: bufferSize, clock: { epoch }))
    }

    static let namespaces = BuiltinResources.core[0]
    static let pods = BuiltinResources.core[1]
    static let secrets = BuiltinResources.core[2]
    static let configmaps = BuiltinResources.core[3]
    static let services = BuiltinResources.core[4]
    static let events = BuiltinResources.core[5]
    static let serviceaccounts = BuiltinResources.core[6]
    static let crds = BuiltinResources.grouped[0]
    static let leases = BuiltinResources.grouped[1]

    static func configMap(_ name: String, ns: String = "default", labels: [String: String] = [:], data: JSON = [:]) -> JSON {
        var meta: JSON = ["name": .string(name), "namespace": .string(ns)]
        if !labels.isEmpty { meta["labels"] = .object(labels.mapValues(JSON.string)) }
        return ["apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data]
    }

    static func pod(_ name: String, ns: String = "default", image: String = "busybox:1.36", nodeName: String? = nil) -> JSON {
        var spec: JSON = ["containers": [["name": "main", "image": .string(image)]]]
        if let nodeName { spec["nodeName"] = .string(nodeName) }
        return ["apiVersion": "v1", "kind": "Pod", "metadata": ["name": .string(name), "namespace": .string(ns)], "spec": spec]
    }

    static func namespace(_ name: String) -> JSON {
        ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name)]]
    }

    static func ownerRef(_ owner: JSON, block: Bool = false, controller: Bool = false) -> JSON {
        var r: JSON = ["apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": .string(owner.name), "uid": .string(owner.uid)]
        if block { r["blockOwnerDeletion"] = true }
        if controller { r["controller"] = true }
        return r
    }

    /// A cut-down AgentSession CRD (contract section 2).
    static let agentSessionCRD: JSON = [
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": ["name": "agentsessions.parallax.ai"],
        "spec": [
            "group": "parallax.ai", "scope": "Namespaced",
            "names": ["plural": "agentsessions", "singular": "agentsession", "kind": "AgentSession", "shortNames": ["ags"]],
            "versions": [[
                "name": "v1alpha1", "served": true, "storage": true,
                "subresources": ["status": [:]],
                "additionalPrinterColumns": [
                    ["name": "Type", "type": "string", "jsonPath": ".spec.agentType"],
                    ["name": "Phase", "type": "string", "jsonPath": ".status.phase"],
                    ["name": "Ready", "type": "string", "jsonPath": ".status.conditions[?(@.type==\"Ready\")].status"],
                    ["name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"],
                ],
                "schema": ["openAPIV3Schema": [
                    "type": "object",
                    "properties": [
                        "spec": [
                            "type": "object", "required": ["agentType"],
                            "properties": [
                                "agentType": ["type": "string", "enum": ["claude", "codex", "gemini", "aider", "custom"]],
                                "workdir": ["type": "string", "default": "/workspace"],
                                "capabilities": ["type": "array", "items": ["type": "string"]],
                                "suspend": ["type": "boolean", "default": false],
                                "restartPolicy": ["type": "string", "default": "OnFailure", "enum": ["Always", "OnFailure", "Never"]],
                                "registry": ["type": "object", "default": [:], "properties": [
                                    "enabled": ["type": "boolean", "default": true],
                                    "ttlSeconds": ["type": "integer", "default": 30, "minimum": 5, "maximum": 3600],
                                ]],
                                "env": ["type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                                        "items": ["type": "object", "required": ["name"], "properties": [
                                            "name": ["type": "string"], "value": ["type": "string"]]]],
                                "displayName": ["type": "string", "maxLength": 20, "pattern": "^[a-z][a-z0-9-]*$"],
                                "resources": ["type": "object", "x-kubernetes-preserve-unknown-fields": true],
                                "port": ["x-kubernetes-int-or-string": true],
                                "nodeSelector": ["type": "object", "additionalProperties": ["type": "string"]],
                            ],
                        ],
                        "status": [
                            "type": "object",
                            "properties": [
                                "phase": ["type": "string"],
                                "observedGeneration": ["type": "integer"],
                                "conditions": ["type": "array", "items": ["type": "object", "x-kubernetes-preserve-unknown-fields": true]],
                            ],
                        ],
                    ],
                ]],
            ]],
        ],
    ]

    /// A store with the AgentSession CRD installed; returns the resource description too.
    static func storeWithCRD(historySize: Int = 1000) throws -> (APIStore, ResourceInfo) {
        let s = store(historySize: historySize)
        _ = try s.create(crds, namespace: nil, object: agentSessionCRD)
        let info = try XCTUnwrap(s.registry.lookup(group: "parallax.ai", version: "v1alpha1", plural: "agentsessions"))
        return (s, info)
    }

    static func session(_ name: String, ns: String = "default", agentType: String = "codex", extra: JSON = [:]) -> JSON {
        var spec: JSON = ["agentType": .string(agentType)]
        for (k, v) in extra.objectValue ?? [:] { spec[k] = v }
        return ["apiVersion": "parallax.ai/v1alpha1", "kind": "AgentSession",
                "metadata": ["name": .string(name), "namespace": .string(ns)], "spec": spec]
    }
}

/// Asserts that `body` throws an APIError with this code (and reason, when given); returns it.
@discardableResult
func assertAPIError<T>(_ code: Int, _ reason: String? = nil, file: StaticString = #filePath, line: UInt = #line,
                       _ body: () throws -> T) -> APIError? {
    do {
        _ = try body()
        XCTFail("expected APIError \(code), got success", file: file, line: line)
        return nil
    } catch let e as APIError {
        XCTAssertEqual(e.code, code, "\(e)", file: file, line: line)
        if let reason { XCTAssertEqual(e.reason, reason, "\(e)", file: file, line: line) }
        return e
    } catch {
        XCTFail("unexpected error \(error)", file: file, line: line)
        return nil
    }
}
