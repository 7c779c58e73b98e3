import Foundation

/// The built-in resources the emulator serves, with the names, short names and subresources of a real
/// apiserver (so that kubectl's discovery-driven resolution of `po`, `cm`, `svc`, `crd` works).
public enum BuiltinResources {
    /// Resources of the core group (`/api/v1`).
    public static let core: [ResourceInfo] = [
        ResourceInfo(group: "", version: "v1", kind: "Namespace", plural: "namespaces", namespaced: false,
                     shortNames: ["ns"], verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
                     hasStatus: true, subresources: ["finalize": ["update"]], returnsDeletedObject: true),
        ResourceInfo(group: "", version: "v1", kind: "Pod", plural: "pods", namespaced: true, shortNames: ["po"],
                     categories: ["all"], hasStatus: true,
                     subresources: ["binding": ["create"], "eviction": ["create"], "log": ["get"],
                                    "exec": ["create", "get"], "attach": ["create", "get"],
                                    "portforward": ["create", "get"]],
                     returnsDeletedObject: true),
        ResourceInfo(group: "", version: "v1", kind: "Secret", plural: "secrets", namespaced: true),
        ResourceInfo(group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", namespaced: true,
                     shortNames: ["cm"]),
        ResourceInfo(group: "", version: "v1", kind: "Service", plural: "services", namespaced: true,
                     shortNames: ["svc"], categories: ["all"],
                     verbs: ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
                     hasStatus: true, subresources: ["proxy": ["create", "delete", "get", "patch", "update"]],
                     returnsDeletedObject: true),
        ResourceInfo(group: "", version: "v1", kind: "Event", plural: "events", namespaced: true, shortNames: ["ev"]),
        ResourceInfo(group: "", version: "v1", kind: "ServiceAccount", plural: "serviceaccounts", namespaced: true,
                     shortNames: ["sa"], subresources: ["token": ["create"]]),
        ResourceInfo(group: "", version: "v1", kind: "PersistentVolumeClaim", plural: "persistentvolumeclaims",
                     namespaced: true, shortNames: ["pvc"], hasStatus: true, returnsDeletedObject: true),
        ResourceInfo(group: "", version: "v1", kind: "Node", plural: "nodes", namespaced: false, shortNames: ["no"],
                     hasStatus: true, subresources: ["proxy": ["create", "delete", "get", "patch", "update"]],
                     returnsDeletedObject: true),
    ]

    /// Resources of the named built-in groups.
    public static let grouped: [ResourceInfo] = [
        ResourceInfo(group: "apiextensions.k8s.io", version: "v1", kind: "CustomResourceDefinition",
                     plural: "customresourcedefinitions", namespaced: false, shortNames: ["crd", "crds"],
                     categories: ["api-extensions"], hasStatus: true, returnsDeletedObject: true),
        ResourceInfo(group: "coordination.k8s.io", version: "v1", kind: "Lease", plural: "leases", namespaced: true),
        ResourceInfo(group: "events.k8s.io", version: "v1", kind: "Event", plural: "events", namespaced: true,
                     shortNames: ["ev"]),
        ResourceInfo(group: "networking.k8s.io", version: "v1", kind: "NetworkPolicy", plural: "networkpolicies",
                     namespaced: true, shortNames: ["netpol"]),
    ]

    /// Every built-in resource.
    public static var all: [ResourceInfo] { core + grouped }

    /// Namespaces that exist from the start, like in a fresh cluster.
    public static let initialNamespaces = ["default", "kube-node-lease", "kube-public", "kube-system"]

    /// Namespaces the apiserver refuses to delete.
    static let undeletableNamespaces: Set<String> = ["default", "kube-public", "kube-system"]
}
