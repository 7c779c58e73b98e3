import Foundation
import RuntimeCore

/// Pod defaulting and validation: the part of the apiserver's pod strategy, defaulting functions and
/// default admission plugins that clients can observe.
///
/// Not emulated: the ServiceAccount admission (no token volume is injected and the ServiceAccount need not
/// exist), resource quantity parsing (QoS class compares quantities as strings), most field validation.
enum PodRules {
    private static let containerLists = ["initContainers", "containers", "ephemeralContainers"]

    /// Defaults applied on every write, as the apiserver's decoder applies them.
    static func applyDefaults(_ pod: inout JSON) {
        var spec = pod["spec"].objectValue ?? [:]
        let defaults: [String: JSON] = [
            "restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
            "schedulerName": "default-scheduler", "securityContext": [:], "enableServiceLinks": true,
        ]
        for (k, v) in defaults where spec[k] == nil || spec[k]!.isNull { spec[k] = v }
        if let sa = spec["serviceAccountName"]?.stringValue, !sa.isEmpty {
            spec["serviceAccount"] = .string(sa)
        } else if let sa = spec["serviceAccount"]?.stringValue, !sa.isEmpty {
            spec["serviceAccountName"] = .string(sa)
        }
        for list in containerLists {
            guard let containers = spec[list]?.arrayValue else { continue }
            spec[list] = .array(containers.map(defaultContainer))
        }
        pod["spec"] = .object(spec)
    }

    private static func defaultContainer(_ c: JSON) -> JSON {
        guard var o = c.objectValue else { return c }
        if o["terminationMessagePath"] == nil { o["terminationMessagePath"] = "/dev/termination-log" }
        if o["terminationMessagePolicy"] == nil { o["terminationMessagePolicy"] = "File" }
        if o["resources"] == nil { o["resources"] = [:] }
        if o["imagePullPolicy"] == nil, let image = o["image"]?.stringValue {
            o["imagePullPolicy"] = .string(imageTag(image) == "latest" ? "Always" : "IfNotPresent")
        }
        if let ports = o["ports"]?.arrayValue {
            o["ports"] = .array(ports.map { p in
                var p = p
                if p.objectValue != nil && p["protocol"].isNull { p["protocol"] = "TCP" }
                return p
            })
        }
        return .object(o)
    }

    /// The tag of an image reference ("latest" when there is neither tag nor digest).
    static func imageTag(_ image: String) -> String {
        if image.contains("@") { return "" }
        let lastComponent = image.split(separator: "/").last.map(String.init) ?? image
        if let colon = lastComponent.lastIndex(of: ":") { return String(lastComponent[lastComponent.index(after: colon)...]) }
        return "latest"
    }

    /// Create-time defaults: spec defaults, the DefaultTolerationSeconds and ServiceAccount admission
    /// defaults, and the initial status (Pending with a QoS class).
    static func prepareForCreate(_ pod: inout JSON) {
        applyDefaults(&pod)
        var spec = pod["spec"].objectValue ?? [:]
        if (spec["serviceAccountName"]?.stringValue ?? "").isEmpty {
            spec["serviceAccountName"] = "default"
            spec["serviceAccount"] = "default"
        }
        if spec["priority"] == nil { spec["priority"] = 0 }
        if spec["preemptionPolicy"] == nil { spec["preemptionPolicy"] = "PreemptLowerPriority" }
        var tolerations = spec["tolerations"]?.arrayValue ?? []
        for key in ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"]
        where !tolerations.contains(where: { $0["key"].stringValue == key }) {
            tolerations.append(["key": .string(key), "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300])
        }
        spec["tolerations"] = .array(tolerations)
        pod["spec"] = .object(spec)
        pod["status"] = ["phase": "Pending", "qosClass": .string(qosClass(pod))]
    }

    /// Guaranteed when every container has equal cpu and memory requests and limits, BestEffort when none
    /// has any, Burstable otherwise.
    static func qosClass(_ pod: JSON) -> String {
        let containers = (pod["spec"]["containers"].arrayValue ?? []) + (pod["spec"]["initContainers"].arrayValue ?? [])
        var any = false
        var guaranteed = !containers.isEmpty
        for c in containers {
            let limits = c["resources"]["limits"].objectValue ?? [:]
            var requests = c["resources"]["requests"].objectValue ?? [:]
            if !limits.isEmpty || !requests.isEmpty { any = true }
            for (k, v) in limits where requests[k] == nil { requests[k] = v }
            for r in ["cpu", "memory"] where limits[r] == nil || requests[r] != limits[r] { guaranteed = false }
        }
        if !any { return "BestEffort" }
        return guaranteed ? "Guaranteed" : "Burstable"
    }

    /// Field validation of a pod.
    static func validate(_ pod: JSON) -> [FieldError] {
        var errs: [FieldError] = []
        let containers = pod["spec"]["containers"].arrayValue ?? []
        if containers.isEmpty { errs.append(FieldError(.required, "spec.containers")) }
        var names = Set<String>()
        for list in containerLists {
            for (i, c) in (pod["spec"][list].arrayValue ?? []).enumerated() {
                let path = "spec.\(list)[\(i)]"
                let name = c["name"].stringValue ?? ""
                if name.isEmpty {
                    errs.append(FieldError(.required, "\(path).name"))
                } else {
                    errs += Validation.nameErrors(name, rule: .label, field: "\(path).name")
                    if !names.insert(name).inserted {
                        errs.append(FieldError(.duplicate, "\(path).name", value: .string(name)))
                    }
                }
                if (c["image"].stringValue ?? "").isEmpty && list != "ephemeralContainers" {
                    errs.append(FieldError(.required, "\(path).image"))
                }
            }
        }
        if let policy = pod["spec"]["restartPolicy"].stringValue, !["Always", "OnFailure", "Never"].contains(policy) {
            errs.append(.notSupported("spec.restartPolicy", .string(policy), ["Always", "OnFailure", "Never"]))
        }
        if let g = pod["spec"]["terminationGracePeriodSeconds"].intValue, g < 0 {
            errs.append(FieldError(.invalid, "spec.terminationGracePeriodSeconds", value: .int(g),
                                   detail: "must be greater than or equal to 0"))
        }
        return errs
    }

    static let immutableSpecMessage = "pod updates may not change fields other than `spec.containers[*].image`,"
        + "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to "
        + "existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)"

    /// Update rules: defaults re-applied, the pod spec immutable except the fields pods allow to change.
    static func validateUpdate(_ new: JSON, old: JSON) -> [FieldError] {
        var mutable = new["spec"]
        for list in containerLists {
            guard var containers = mutable[list].arrayValue, let before = old["spec"][list].arrayValue,
                  containers.count == before.count else { continue }
            for i in containers.indices { containers[i]["image"] = before[i]["image"] }
            mutable[list] = .array(containers)
        }
        for key in ["activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds"] {
            mutable[key] = old["spec"][key]
        }
        if mutable != old["spec"] { return [FieldError(.forbidden, "spec", detail: immutableSpecMessage)] }
        return []
    }
}

extension APIStore {
    /// POST to a pod subresource that creates something: `binding` (assigns spec.nodeName, as the scheduler
    /// does; 409 when already bound) and `eviction` (deletes the pod). Returns the `Status` to send with 201.
    public func createPodSubresource(namespace: String, name: String, subresource: String, body: JSON) throws(APIError) -> JSON {
        let pods = BuiltinResources.core[1]
        switch subresource {
        case "binding":
            return try locked { () throws(APIError) -> JSON in
                let k = ObjectKey(namespace: namespace, name: name)
                guard let old = object(pods.storageKey, k) else { throw .notFound(pods, name: name) }
                guard let node = body["target"]["name"].stringValue, !node.isEmpty else {
                    throw APIError.invalid(ResourceInfo(group: "", version: "v1", kind: "Binding", plural: "bindings", namespaced: true),
                                           name: name, [FieldError(.required, "target.name")])
                }
                if let current = old["spec"]["nodeName"].stringValue, !current.isEmpty {
                    throw .conflict(pods, name: name, detail: "pod \(name) is already assigned to node \(GoFormat.quote(current))")
                }
                var new = old
                new["spec"]["nodeName"] = .string(node)
                commit(pods, k, new, previous: old)
                return ["kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Success", "code": 201]
            }
        case "eviction":
            _ = try delete(pods, namespace: namespace, name: name,
                           options: DeleteOptions(gracePeriodSeconds: body["deleteOptions"]["gracePeriodSeconds"].intValue.map(Int.init)))
            return ["kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Success", "code": 201]
        default:
            throw .notFound(pods, name: name)
        }
    }
}
