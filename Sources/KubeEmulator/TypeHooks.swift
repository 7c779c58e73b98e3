import Foundation
import RuntimeCore

/// Dispatch from the generic write pipeline to the per-type rules (the apiserver's registry strategies and
/// the controllers whose effects clients see immediately). Everything here runs with the store lock held.
extension APIStore {
    private enum Kind {
        case pods, services, secrets, configmaps, namespaces, claims, crds, other
    }

    private func kind(_ resource: ResourceInfo) -> Kind {
        if resource.isCustom { return .other }
        switch (resource.group, resource.plural) {
        case ("", "pods"): return .pods
        case ("", "services"): return .services
        case ("", "secrets"): return .secrets
        case ("", "configmaps"): return .configmaps
        case ("", "namespaces"): return .namespaces
        case ("", "persistentvolumeclaims"): return .claims
        case ("apiextensions.k8s.io", "customresourcedefinitions"): return .crds
        default: return .other
        }
    }

    /// Which rule metadata.name follows.
    func nameRule(_ resource: ResourceInfo) -> Validation.NameRule {
        switch kind(resource) {
        case .namespaces: return .label
        case .services: return .label1035
        default: return .subdomain
        }
    }

    func prepareForCreate(_ obj: inout JSON, _ resource: ResourceInfo) throws(APIError) {
        switch kind(resource) {
        case .pods: PodRules.prepareForCreate(&obj)
        case .services: ServiceRules.applyDefaults(&obj)
        case .secrets: try SecretRules.decode(&obj, resource)
        case .namespaces: NamespaceRules.prepareForCreate(&obj)
        case .claims: ClaimRules.prepareForCreate(&obj)
        case .crds:
            CRDRules.prepareForCreate(&obj)
            obj["status"] = crdStatus(obj, old: nil)
        case .configmaps, .other: break
        }
    }

    func prepareForUpdate(_ obj: inout JSON, old: JSON, _ resource: ResourceInfo, subresource: String?) throws(APIError) {
        switch kind(resource) {
        case .pods: PodRules.applyDefaults(&obj)
        case .services: ServiceRules.prepareForUpdate(&obj, old: old)
        case .secrets: try SecretRules.decode(&obj, resource)
        case .namespaces:
            if subresource == nil { obj["spec"] = old["spec"] }
            NamespaceRules.applyLabel(&obj)
        case .crds:
            CRDRules.applyDefaults(&obj)
            obj["status"] = crdStatus(obj, old: old)
        case .configmaps, .claims, .other: break
        }
    }

    func typeErrors(_ obj: JSON, old: JSON?, _ resource: ResourceInfo) -> [FieldError] {
        if resource.isCustom { return resource.schema?.validate(obj) ?? [] }
        switch kind(resource) {
        case .pods:
            var errs = PodRules.validate(obj)
            if let old { errs += PodRules.validateUpdate(obj, old: old) }
            return errs
        case .services: return ServiceRules.validate(obj, old: old)
        case .secrets: return SecretRules.validate(obj, old: old)
        case .configmaps: return ConfigMapRules.validate(obj, old: old)
        case .crds: return CRDRules.validate(obj, old: old)
        case .namespaces, .claims, .other: return []
        }
    }

    /// Allocations that must happen only once a create is certain (ClusterIPs, NodePorts).
    func allocate(_ obj: inout JSON, _ resource: ResourceInfo, commit: Bool) throws(APIError) {
        guard kind(resource) == .services else { return }
        try ServiceRules.prepareForCreate(&obj, allocator: &serviceIPs, commit: commit)
    }

    func didCreate(_ resource: ResourceInfo, _ stored: JSON) {
        switch kind(resource) {
        case .namespaces: createDefaultServiceAccount(in: stored.name)
        case .crds: syncCRD(stored)
        default: break
        }
        if hasUnsettledOwners(stored) { collectGarbage = true }
    }

    func didUpdate(_ resource: ResourceInfo, _ stored: JSON, old: JSON) {
        if kind(resource) == .crds { syncCRD(stored) }
        if stored.ownerReferences != old.ownerReferences && (hasUnsettledOwners(stored) || hasUnsettledOwners(old)) {
            collectGarbage = true
        }
    }

    /// Cleanup after an object left the store.
    func didRemove(_ s: StorageKey, _ last: JSON) {
        switch (s.group, s.plural) {
        case ("", "services"): ServiceRules.release(last, allocator: &serviceIPs)
        case ("apiextensions.k8s.io", "customresourcedefinitions"):
            registry.unregister(owner: last.name)
            let crs = CRDRules.storageKey(last)
            for k in (tables[crs]?.objects.keys).map(Array.init) ?? [] { remove(crs, k) }
        default: break
        }
    }

    // MARK: CRDs

    private func crdStatus(_ crd: JSON, old: JSON?) -> JSON {
        let key = CRDRules.storageKey(crd)
        let conflict = registry.conflicts(group: key.group, plural: key.plural,
                                          kind: crd["spec"]["names"]["kind"].stringValue ?? "", owner: crd.name)
        return CRDRules.status(crd, old: old, conflict: conflict, terminating: crd.isBeingDeleted, now: nowString)
    }

    /// Serves (or stops serving) a CRD's resources according to its NamesAccepted condition.
    private func syncCRD(_ crd: JSON) {
        let accepted = (crd["status"]["conditions"].arrayValue ?? []).contains {
            $0["type"].stringValue == "NamesAccepted" && $0["status"].stringValue == "True"
        }
        guard accepted else { registry.unregister(owner: crd.name); return }
        let infos = CRDRules.resources(crd)
        registry.register(infos, owner: crd.name)
        if let any = infos.first { storageInfos[any.storageKey] = any.at(version: any.storageVersion) }
    }
}
