import Foundation
import RuntimeCore

/// Table columns of built-in types after the apiserver's printers (pkg/printers/internalversion), for the
/// columns whose inputs the emulator stores. Every table starts with Name except events, whose printer
/// leads with Last Seen.
enum BuiltinPrinters {
    typealias Column = TableRenderer.Column

    static func columns(for resource: ResourceInfo, renderer r: TableRenderer) -> [Column] {
        if resource.plural == "events" && (resource.group.isEmpty || resource.group == "events.k8s.io") {
            return eventColumns(resource.group.isEmpty, r)
        }
        return [r.nameColumn] + otherColumns(for: resource, renderer: r)
    }

    private static func otherColumns(for resource: ResourceInfo, renderer r: TableRenderer) -> [Column] {
        let age = r.ageColumn
        func text(_ name: String, priority: Int = 0, _ f: @escaping (JSON) -> String) -> Column {
            Column(name: name, type: "string", priority: priority) { .string(f($0)) }
        }
        func int(_ name: String, priority: Int = 0, _ f: @escaping (JSON) -> Int) -> Column {
            Column(name: name, type: "integer", priority: priority) { .int(Int64(f($0))) }
        }
        switch (resource.group, resource.plural) {
        case ("", "pods"):
            return [
                text("Ready") { pod in
                    let statuses = pod["status"]["containerStatuses"].arrayValue ?? []
                    let total = pod["spec"]["containers"].arrayValue?.count ?? 0
                    return "\(statuses.filter { $0["ready"].boolValue == true }.count)/\(total)"
                },
                text("Status", podStatus),
                text("Restarts") { pod in
                    String((pod["status"]["containerStatuses"].arrayValue ?? []).reduce(Int64(0)) { $0 + ($1["restartCount"].intValue ?? 0) })
                },
                age,
                text("IP", priority: 1) { orNone($0["status"]["podIP"].stringValue) },
                text("Node", priority: 1) { orNone($0["spec"]["nodeName"].stringValue) },
                text("Nominated Node", priority: 1) { orNone($0["status"]["nominatedNodeName"].stringValue) },
                text("Readiness Gates", priority: 1) { pod in
                    let gates = pod["spec"]["readinessGates"].arrayValue ?? []
                    return gates.isEmpty ? "<none>" : "0/\(gates.count)"
                },
            ]
        case ("", "namespaces"):
            return [text("Status") { $0["status"]["phase"].stringValue ?? "" }, age]
        case ("", "secrets"):
            return [text("Type") { $0["type"].stringValue ?? "" }, int("Data") { $0["data"].objectValue?.count ?? 0 }, age]
        case ("", "configmaps"):
            return [int("Data") { ($0["data"].objectValue?.count ?? 0) + ($0["binaryData"].objectValue?.count ?? 0) }, age]
        case ("", "services"):
            return [
                text("Type") { $0["spec"]["type"].stringValue ?? "" },
                text("Cluster-IP") { orNone($0["spec"]["clusterIP"].stringValue) },
                text("External-IP") { svc in
                    let ips = (svc["spec"]["externalIPs"].arrayValue ?? []).compactMap(\.stringValue)
                    if svc["spec"]["type"].stringValue == "LoadBalancer" && ips.isEmpty { return "<pending>" }
                    return ips.isEmpty ? "<none>" : ips.joined(separator: ",")
                },
                text("Port(s)") { svc in
                    let ports = (svc["spec"]["ports"].arrayValue ?? []).map { p -> String in
                        let port = p["port"].intValue.map(String.init) ?? ""
                        let node = p["nodePort"].intValue.map { ":\($0)" } ?? ""
                        return "\(port)\(node)/\(p["protocol"].stringValue ?? "TCP")"
                    }
                    return ports.isEmpty ? "<none>" : ports.joined(separator: ",")
                },
                age,
                text("Selector", priority: 1) { svc in
                    let sel = (svc["spec"]["selector"].objectValue ?? [:]).compactMapValues(\.stringValue)
                    return sel.isEmpty ? "<none>" : sel.keys.sorted().map { "\($0)=\(sel[$0]!)" }.joined(separator: ",")
                },
            ]
        case ("", "serviceaccounts"):
            return [int("Secrets") { $0["secrets"].arrayValue?.count ?? 0 }, age]
        case ("coordination.k8s.io", "leases"):
            return [text("Holder") { $0["spec"]["holderIdentity"].stringValue ?? "" }, age]
        case ("", "persistentvolumeclaims"):
            return [
                text("Status") { $0["status"]["phase"].stringValue ?? "" },
                text("Volume") { $0["spec"]["volumeName"].stringValue ?? "" },
                text("Capacity") { $0["status"]["capacity"]["storage"].stringValue ?? "" },
                text("Access Modes") { pvc in
                    (pvc["status"]["accessModes"].arrayValue ?? []).compactMap(\.stringValue).map(accessMode).joined(separator: ",")
                },
                text("StorageClass") { $0["spec"]["storageClassName"].stringValue ?? "" },
                age,
            ]
        case ("", "nodes"):
            return [
                text("Status") { node in
                    let ready = (node["status"]["conditions"].arrayValue ?? []).first { $0["type"].stringValue == "Ready" }
                    switch ready?["status"].stringValue {
                    case "True"?: return "Ready"
                    case "False"?: return "NotReady"
                    default: return "Unknown"
                    }
                },
                text("Roles") { node in
                    let roles = node.labels.keys.filter { $0.hasPrefix("node-role.kubernetes.io/") }
                        .map { String($0.dropFirst("node-role.kubernetes.io/".count)) }.sorted()
                    return roles.isEmpty ? "<none>" : roles.joined(separator: ",")
                },
                age,
                text("Version") { $0["status"]["nodeInfo"]["kubeletVersion"].stringValue ?? "" },
            ]
        case ("networking.k8s.io", "networkpolicies"):
            return [text("Pod-Selector") { np in
                let sel = (np["spec"]["podSelector"]["matchLabels"].objectValue ?? [:]).compactMapValues(\.stringValue)
                return sel.isEmpty ? "<none>" : sel.keys.sorted().map { "\($0)=\(sel[$0]!)" }.joined(separator: ",")
            }, age]
        case ("apiextensions.k8s.io", "customresourcedefinitions"):
            return [Column(name: "Created At", type: "date", description: TableRenderer.creationTimestampDescription) {
                $0.metadata["creationTimestamp"]
            }]
        default:
            return [age]
        }
    }

    private static func orNone(_ s: String?) -> String { (s ?? "").isEmpty ? "<none>" : s! }

    private static func accessMode(_ m: String) -> String {
        ["ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX", "ReadWriteOncePod": "RWOP"][m] ?? m
    }

    /// The STATUS column of `kubectl get pods`: the phase, refined by a reason, a container's waiting or
    /// terminated reason, and `Terminating` while deleting.
    static func podStatus(_ pod: JSON) -> String {
        var reason = pod["status"]["phase"].stringValue ?? ""
        if let r = pod["status"]["reason"].stringValue, !r.isEmpty { reason = r }
        for cs in (pod["status"]["containerStatuses"].arrayValue ?? []).reversed() {
            if let w = cs["state"]["waiting"]["reason"].stringValue, !w.isEmpty {
                reason = w
            } else if let t = cs["state"]["terminated"]["reason"].stringValue, !t.isEmpty {
                reason = t
            }
        }
        if pod.isBeingDeleted { reason = pod["status"]["reason"].stringValue == "NodeLost" ? "Unknown" : "Terminating" }
        return reason
    }

    private static func eventColumns(_ core: Bool, _ r: TableRenderer) -> [Column] {
        func time(_ e: JSON, _ keys: [String]) -> JSON {
            for k in keys {
                if let s = e[k].stringValue, let d = KubeTime.parse(s) { return .string(r.age(d)) }
            }
            return "<unknown>"
        }
        let regarding = core ? "involvedObject" : "regarding"
        return [
            Column(name: "Last Seen", type: "string") { e in
                time(e, core ? ["lastTimestamp", "eventTime", "firstTimestamp"] : ["deprecatedLastTimestamp", "eventTime"])
            },
            Column(name: "Type", type: "string") { $0["type"] },
            Column(name: "Reason", type: "string") { $0["reason"] },
            Column(name: "Object", type: "string") { e in
                .string("\((e[regarding]["kind"].stringValue ?? "").lowercased())/\(e[regarding]["name"].stringValue ?? "")")
            },
            Column(name: "Subobject", type: "string", priority: 1) { .string($0[regarding]["fieldPath"].stringValue ?? "") },
            Column(name: "Source", type: "string", priority: 1) { e in
                .string(core ? (e["source"]["component"].stringValue ?? e["reportingComponent"].stringValue ?? "")
                        : (e["reportingController"].stringValue ?? ""))
            },
            Column(name: "Message", type: "string") { .string(($0[core ? "message" : "note"].stringValue ?? "").trimmingCharacters(in: .whitespacesAndNewlines)) },
            Column(name: "First Seen", type: "string", priority: 1) { e in
                time(e, core ? ["firstTimestamp", "eventTime"] : ["deprecatedFirstTimestamp", "eventTime"])
            },
            Column(name: "Count", type: "integer", priority: 1) { e in
                .int(e[core ? "count" : "deprecatedCount"].intValue ?? (core ? 1 : 1))
            },
            Column(name: "Name", type: "string", priority: 1) { .string($0.name) },
        ]
    }
}
