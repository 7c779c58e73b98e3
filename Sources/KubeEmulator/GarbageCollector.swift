import Foundation
import RuntimeCore

/// The garbage collector and the namespace and CRD finalization controllers, run synchronously by the
/// store at the end of any write that removed or marked something (so a delete returns with its
/// consequences already visible — deterministic for tests, and indistinguishable for clients that watch).
///
/// Rules, following kube-controller-manager's garbage collector:
/// - An owner is *absent* when no object with its uid exists; an owner reference to a kind the registry
///   cannot resolve is treated as present (the real GC cannot look it up either and keeps the dependent).
/// - An owner being deleted with the `foregroundDeletion` finalizer is *waiting for dependents*; any other
///   existing owner is *solid*.
/// - A dependent with a solid owner loses its references to absent and waiting owners. A dependent without
///   solid owners is deleted — in foreground when it has dependents itself and an owner is waiting, in the
///   background otherwise.
/// - A foreground-deleting owner loses its `foregroundDeletion` finalizer once no dependent with
///   `blockOwnerDeletion: true` remains, and disappears when that was its last finalizer.
/// - A terminating namespace has its contents deleted and is removed once empty (and free of metadata
///   finalizers); a terminating CRD has its custom resources deleted and loses its cleanup finalizer once
///   none remain.
extension APIStore {
    func runGarbageCollection() {
        var rounds = 0
        while collectGarbage && rounds < 100 {
            collectGarbage = false
            rounds += 1
            collectDependents()
            finishForegroundDeletions()
            finishNamespaces()
            finishCustomResourceDefinitions()
        }
    }

    private enum OwnerState { case solid, waiting, absent }

    /// True when a written object references an owner that is gone or deleting in the foreground, so the
    /// collector has work to do (checked per write instead of scanning everything).
    func hasUnsettledOwners(_ obj: JSON) -> Bool {
        obj.ownerReferences.contains { ownerState($0) != .solid }
    }

    private func ownerState(_ ref: JSON) -> OwnerState {
        let uid = ref["uid"].stringValue ?? ""
        if let (s, k) = uidIndex[uid], let owner = object(s, k) {
            return owner.isBeingDeleted && owner.finalizers.contains(Self.foregroundFinalizer) ? .waiting : .solid
        }
        let resolvable = registry.lookup(apiVersion: ref["apiVersion"].stringValue ?? "", kind: ref["kind"].stringValue ?? "") != nil
        return resolvable ? .absent : .solid
    }

    private func collectDependents() {
        var owners = Set<String>()
        var candidates: [(StorageKey, ObjectKey, JSON)] = []
        for (s, t) in tables {
            for (k, obj) in t.objects {
                for ref in obj.ownerReferences { owners.insert(ref["uid"].stringValue ?? "") }
                if !obj.ownerReferences.isEmpty && !obj.isBeingDeleted { candidates.append((s, k, obj)) }
            }
        }
        for (s, k, obj) in candidates {
            guard let info = info(s), let current = object(s, k), current == obj else { continue }
            let states = obj.ownerReferences.map { ($0, ownerState($0)) }
            if states.contains(where: { $0.1 == .solid }) {
                let kept = states.filter { $0.1 == .solid }.map(\.0)
                if kept.count != states.count {
                    var new = obj
                    new.metadata["ownerReferences"] = .array(kept)
                    commit(info, k, new, previous: obj)
                }
                continue
            }
            let waiting = states.contains { $0.1 == .waiting }
            let policy: PropagationPolicy = waiting && owners.contains(obj.uid) ? .foreground : .background
            _ = try? performDelete(info, k, DeleteOptions(propagationPolicy: policy))
        }
    }

    private func finishForegroundDeletions() {
        var blocking = Set<String>()
        for t in tables.values {
            for obj in t.objects.values {
                for ref in obj.ownerReferences where ref["blockOwnerDeletion"].boolValue == true {
                    blocking.insert(ref["uid"].stringValue ?? "")
                }
            }
        }
        for (s, t) in tables {
            guard let info = info(s) else { continue }
            for (k, obj) in t.objects
            where obj.isBeingDeleted && obj.finalizers.contains(Self.foregroundFinalizer) && !blocking.contains(obj.uid) {
                removeFinalizer(Self.foregroundFinalizer, info, k, obj)
            }
        }
    }

    /// Drops a finalizer (a controller's update); the object goes when nothing else holds it.
    private func removeFinalizer(_ finalizer: String, _ info: ResourceInfo, _ k: ObjectKey, _ obj: JSON) {
        var new = obj
        let rest = obj.finalizers.filter { $0 != finalizer }
        new.metadata["finalizers"] = rest.isEmpty ? .null : .array(rest.map(JSON.string))
        let stored = commit(info, k, new, previous: obj)
        if rest.isEmpty && (stored.metadata["deletionGracePeriodSeconds"].intValue ?? 0) == 0 {
            remove(info.storageKey, k)
        }
    }

    private func finishNamespaces() {
        let namespaces = BuiltinResources.core[0]
        let terminating = (tables[namespaces.storageKey]?.objects ?? [:]).filter { $0.value.isBeingDeleted }
        for (nsKey, ns) in terminating {
            var remaining = false
            for (s, t) in tables where s != namespaces.storageKey {
                guard let info = info(s), info.namespaced else { continue }
                for (k, obj) in t.objects where k.namespace == ns.name {
                    remaining = true
                    if !obj.isBeingDeleted { _ = try? performDelete(info, k, DeleteOptions()) }
                }
            }
            if remaining { continue }
            // Nothing left: the namespace controller drops the `kubernetes` finalizer and the namespace goes.
            if ns.finalizers.isEmpty { remove(namespaces.storageKey, nsKey) }
        }
    }

    private func finishCustomResourceDefinitions() {
        let crds = BuiltinResources.grouped[0]
        let terminating = (tables[crds.storageKey]?.objects ?? [:])
            .filter { $0.value.isBeingDeleted && $0.value.finalizers.contains(CRDRules.cleanupFinalizer) }
        for (k, crd) in terminating {
            let s = CRDRules.storageKey(crd)
            let objects = tables[s]?.objects ?? [:]
            if objects.isEmpty {
                removeFinalizer(CRDRules.cleanupFinalizer, crds, k, crd)
                continue
            }
            guard let info = info(s) else { continue }
            for (ok, obj) in objects where !obj.isBeingDeleted {
                _ = try? performDelete(info, ok, DeleteOptions())
            }
        }
    }
}
