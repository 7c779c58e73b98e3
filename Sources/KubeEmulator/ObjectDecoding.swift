import Foundation
import RuntimeCore

/// Checks a request body the way the apiserver's decoder does before anything else looks at it: it must be an
/// object of the URL's apiVersion and kind, and the well-known fields must have the right JSON types.
///
/// Built-in types are Go structs in the real apiserver, so a wrong type is a 400 decode error there; here the
/// commonly used fields are described by ``Shape`` tables and checked the same way. Custom resources get their
/// type errors from the CRD schema instead (422), as on a real cluster.
enum ObjectDecoding {
    /// The JSON shape of a field of a built-in type.
    indirect enum Shape: Sendable {
        case string, integer, boolean, any
        case map(Shape)
        case list(Shape)
        case object([String: Shape])

        var goType: String {
            switch self {
            case .string: return "string"
            case .integer: return "int64"
            case .boolean: return "bool"
            case .any: return "interface {}"
            case .map(let s): return "map[string]\(s.goType)"
            case .list(let s): return "[]\(s.goType)"
            case .object: return "struct"
            }
        }
    }

    /// Normalises and checks a body for `resource`: fills in missing apiVersion/kind, rejects mismatches
    /// (400) and wrongly typed well-known fields (400).
    static func decode(_ body: JSON, as resource: ResourceInfo) throws(APIError) -> JSON {
        guard var o = body.objectValue else {
            throw .undecodable(resource, "json: cannot unmarshal \(goName(body)) into Go value of type struct")
        }
        if let av = o["apiVersion"], !av.isNull {
            guard let s = av.stringValue else { throw .undecodable(resource, mismatch("apiVersion", av, "string")) }
            if !s.isEmpty && s != resource.apiVersion {
                throw .badRequest("the API version in the data (\(s)) does not match the expected API version (\(resource.apiVersion))")
            }
        }
        if let k = o["kind"], !k.isNull {
            guard let s = k.stringValue else { throw .undecodable(resource, mismatch("kind", k, "string")) }
            if !s.isEmpty && s != resource.kind {
                throw .badRequest("the object provided is unrecognized (must be of type \(resource.kind)): kind \(s)")
            }
        }
        o["apiVersion"] = .string(resource.apiVersion)
        o["kind"] = .string(resource.kind)
        let object = JSON.object(o)
        if let m = o["metadata"], !m.isNull {
            try check(m, against: metadataShape, path: "metadata", owner: "ObjectMeta", resource: resource)
        }
        if !resource.isCustom, let shape = builtinShapes[resource.storageKey] {
            for (key, s) in shape {
                guard let v = o[key], !v.isNull else { continue }
                try check(v, against: s, path: key, owner: resource.kind, resource: resource)
            }
        }
        return object
    }

    private static func check(_ value: JSON, against shape: Shape, path: String, owner: String,
                              resource: ResourceInfo) throws(APIError) {
        if value.isNull { return }
        switch shape {
        case .any: return
        case .string:
            if value.stringValue == nil { throw .undecodable(resource, field(owner, path, value, shape)) }
        case .boolean:
            if value.boolValue == nil { throw .undecodable(resource, field(owner, path, value, shape)) }
        case .integer:
            if value.intValue == nil { throw .undecodable(resource, field(owner, path, value, shape)) }
        case .map(let inner):
            guard let o = value.objectValue else { throw .undecodable(resource, field(owner, path, value, shape)) }
            for (k, v) in o { try check(v, against: inner, path: "\(path).\(k)", owner: owner, resource: resource) }
        case .list(let inner):
            guard let a = value.arrayValue else { throw .undecodable(resource, field(owner, path, value, shape)) }
            for v in a { try check(v, against: inner, path: path, owner: owner, resource: resource) }
        case .object(let fields):
            guard let o = value.objectValue else { throw .undecodable(resource, field(owner, path, value, shape)) }
            for (k, s) in fields {
                guard let v = o[k] else { continue }
                try check(v, against: s, path: "\(path).\(k)", owner: owner, resource: resource)
            }
        }
    }

    private static func goName(_ v: JSON) -> String {
        switch v {
        case .string: return "string"
        case .int, .double: return "number"
        case .bool: return "bool"
        case .array: return "array"
        case .object: return "object"
        case .null: return "null"
        }
    }

    private static func mismatch(_ path: String, _ v: JSON, _ type: String) -> String {
        "json: cannot unmarshal \(goName(v)) into Go struct field .\(path) of type \(type)"
    }

    private static func field(_ owner: String, _ path: String, _ v: JSON, _ shape: Shape) -> String {
        "json: cannot unmarshal \(goName(v)) into Go struct field \(owner).\(path) of type \(shape.goType)"
    }

    static let metadataShape: Shape = .object([
        "name": .string, "generateName": .string, "namespace": .string, "uid": .string, "resourceVersion": .string,
        "generation": .integer, "creationTimestamp": .string, "deletionTimestamp": .string,
        "deletionGracePeriodSeconds": .integer, "labels": .map(.string), "annotations": .map(.string),
        "finalizers": .list(.string),
        "ownerReferences": .list(.object(["apiVersion": .string, "kind": .string, "name": .string, "uid": .string,
                                          "controller": .boolean, "blockOwnerDeletion": .boolean])),
        "managedFields": .list(.any),
    ])

    static let envVar: Shape = .object(["name": .string, "value": .string, "valueFrom": .object([:])])
    static let container: Shape = .object([
        "name": .string, "image": .string, "command": .list(.string), "args": .list(.string), "workingDir": .string,
        "env": .list(envVar), "imagePullPolicy": .string,
        "ports": .list(.object(["name": .string, "containerPort": .integer, "protocol": .string, "hostPort": .integer])),
        "volumeMounts": .list(.object(["name": .string, "mountPath": .string, "readOnly": .boolean, "subPath": .string])),
        "resources": .object(["limits": .map(.any), "requests": .map(.any)]),
        "stdin": .boolean, "tty": .boolean,
    ])

    /// Well-known top-level fields of built-in types.
    static let builtinShapes: [StorageKey: [String: Shape]] = [
        StorageKey(group: "", plural: "pods"): [
            "spec": .object([
                "containers": .list(container), "initContainers": .list(container), "nodeName": .string,
                "restartPolicy": .string, "terminationGracePeriodSeconds": .integer, "serviceAccountName": .string,
                "automountServiceAccountToken": .boolean, "volumes": .list(.object(["name": .string])),
                "nodeSelector": .map(.string), "tolerations": .list(.object([:])), "hostNetwork": .boolean,
                "enableServiceLinks": .boolean, "runtimeClassName": .string, "activeDeadlineSeconds": .integer,
            ]),
            "status": .object(["phase": .string, "podIP": .string, "conditions": .list(.object(["type": .string])),
                               "containerStatuses": .list(.object(["name": .string, "ready": .boolean,
                                                                   "restartCount": .integer]))]),
        ],
        StorageKey(group: "", plural: "secrets"): ["data": .map(.string), "stringData": .map(.string),
                                                   "type": .string, "immutable": .boolean],
        StorageKey(group: "", plural: "configmaps"): ["data": .map(.string), "binaryData": .map(.string),
                                                      "immutable": .boolean],
        StorageKey(group: "", plural: "services"): [
            "spec": .object(["type": .string, "clusterIP": .string, "selector": .map(.string),
                             "ports": .list(.object(["name": .string, "port": .integer, "protocol": .string,
                                                     "nodePort": .integer]))]),
        ],
        StorageKey(group: "", plural: "namespaces"): ["spec": .object(["finalizers": .list(.string)])],
        StorageKey(group: "", plural: "serviceaccounts"): ["automountServiceAccountToken": .boolean,
                                                           "secrets": .list(.object([:]))],
        StorageKey(group: "coordination.k8s.io", plural: "leases"): [
            "spec": .object(["holderIdentity": .string, "leaseDurationSeconds": .integer, "acquireTime": .string,
                             "renewTime": .string, "leaseTransitions": .integer]),
        ],
        StorageKey(group: "", plural: "events"): ["involvedObject": .object([:]), "reason": .string, "message": .string,
                                                  "type": .string, "count": .integer],
        StorageKey(group: "apiextensions.k8s.io", plural: "customresourcedefinitions"): [
            "spec": .object(["group": .string, "scope": .string,
                             "names": .object(["plural": .string, "singular": .string, "kind": .string,
                                               "listKind": .string, "shortNames": .list(.string),
                                               "categories": .list(.string)]),
                             "versions": .list(.object(["name": .string, "served": .boolean, "storage": .boolean,
                                                        "schema": .object(["openAPIV3Schema": .object([:])]),
                                                        "subresources": .object([:]),
                                                        "additionalPrinterColumns": .list(.object([:]))]))]),
        ],
    ]
}
