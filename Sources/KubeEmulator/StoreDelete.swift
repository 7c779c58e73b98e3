import Foundation
import RuntimeCore

/// delete, deletecollection and the end of graceful pod termination.
extension APIStore {
    static let foregroundFinalizer = "foregroundDeletion"
    /// Longest grace period honoured (ten years); larger values are clamped rather than overflowing dates.
    static let maxGracePeriod = 10 * 365 * 86_400

    /// DELETE of one object.
    ///
    /// Preconditions (uid, resourceVersion) that do not hold are a 409. With finalizers (or propagation
    /// Foreground, which adds the `foregroundDeletion` finalizer) the object is only marked: deletionTimestamp
    /// and deletionGracePeriodSeconds are set and generation is bumped. Orphan removes this object's owner
    /// reference from its dependents first. A pod bound to a node (spec.nodeName) and not yet terminal is
    /// handed to ``podDeletionHandler`` when one is set, with the grace period from the options or the pod.
    public func delete(_ resource: ResourceInfo, namespace: String?, name: String,
                       options: DeleteOptions = DeleteOptions()) throws(APIError) -> DeleteResult {
        try locked { () throws(APIError) -> DeleteResult in
            try performDelete(resource, key(resource, namespace, name), options)
        }
    }

    /// DELETE of a collection: every object matching the selectors in `namespace` (nil: all namespaces) is
    /// deleted as by ``delete(_:namespace:name:options:)``. Returns the list of the deleted (or marked) objects.
    public func deleteCollection(_ resource: ResourceInfo, namespace: String?, listOptions: ListOptions = ListOptions(),
                                 options: DeleteOptions = DeleteOptions()) throws(APIError) -> JSON {
        try locked { () throws(APIError) -> JSON in
            let matching = try select(resource, namespace: namespace, labelSelector: listOptions.labelSelector,
                                      fieldSelector: listOptions.fieldSelector)
            var items: [JSON] = []
            for (k, _) in matching {
                do throws(APIError) {
                    items.append(try performDelete(resource, k, options).object)
                } catch where error.code == 404 {
                    continue
                }
            }
            return ListResult(items: items, resourceVersion: String(currentRV)).json(for: resource)
        }
    }

    /// Ends a graceful pod termination started through ``podDeletionHandler``: the pod is removed (or, when
    /// finalizers remain, left marked with deletionGracePeriodSeconds 0 until they are removed). A `uid`
    /// guards against finalizing a newer pod of the same name. Does nothing when the pod is not terminating.
    public func finalizePodDeletion(namespace: String, name: String, uid: String? = nil) {
        let pods = BuiltinResources.core[1]
        try? locked { () throws(APIError) in
            let k = ObjectKey(namespace: namespace, name: name)
            guard let pod = object(pods.storageKey, k), pod.isBeingDeleted, uid == nil || uid == pod.uid else { return }
            forceFinish(pods, k, pod)
        }
    }

    // MARK: Internals (lock held)

    func performDelete(_ resource: ResourceInfo, _ k: ObjectKey, _ options: DeleteOptions) throws(APIError) -> DeleteResult {
        let s = resource.storageKey
        guard let obj = object(s, k) else { throw .notFound(resource, name: k.name) }
        if let uid = options.preconditionUID, !uid.isEmpty, uid != obj.uid {
            throw .conflict(resource, name: k.name, detail: "Precondition failed: UID in precondition: \(uid), UID in object meta: \(obj.uid)")
        }
        if let rv = options.preconditionResourceVersion, !rv.isEmpty, rv != obj.resourceVersion {
            throw .conflict(resource, name: k.name,
                            detail: "Precondition failed: ResourceVersion in precondition: \(rv), ResourceVersion in object meta: \(obj.resourceVersion)")
        }
        let isPod = !resource.isCustom && resource.group.isEmpty && resource.plural == "pods"
        if options.dryRun { return result(resource, obj, completed: obj.finalizers.isEmpty && !isPod) }
        if !resource.isCustom && resource.group.isEmpty && resource.plural == "namespaces" {
            return try deleteNamespace(resource, k, obj)
        }
        if obj.isBeingDeleted {
            if isPod && options.gracePeriodSeconds == 0 {
                let last = forceFinish(resource, k, obj)
                return result(resource, last, completed: object(s, k) == nil)
            }
            return result(resource, obj, completed: false)
        }
        let policy = options.propagationPolicy ?? .background
        if policy == .orphan { orphanDependents(of: obj.uid) }
        if isPod, let handler = podHandlerLocked, !(obj["spec"]["nodeName"].stringValue ?? "").isEmpty {
            let phase = obj["status"]["phase"].stringValue ?? ""
            let requested = (phase == "Succeeded" || phase == "Failed") ? 0
                : options.gracePeriodSeconds ?? Int(obj["spec"]["terminationGracePeriodSeconds"].intValue ?? 30)
            let grace = min(max(requested, 0), Self.maxGracePeriod)
            let termination = PodTermination(namespace: k.namespace, name: k.name, uid: obj.uid, gracePeriodSeconds: grace)
            afterUnlock.append { handler(termination) }
            if grace > 0 {
                let marked = markDeleting(resource, k, obj, grace: grace,
                                          finalizer: policy == .foreground ? Self.foregroundFinalizer : nil)
                return result(resource, marked, completed: false)
            }
        }
        if policy == .foreground {
            let marked = markDeleting(resource, k, obj, grace: 0, finalizer: Self.foregroundFinalizer)
            collectGarbage = true
            return result(resource, marked, completed: false)
        }
        if !obj.finalizers.isEmpty {
            let marked = markDeleting(resource, k, obj, grace: 0, finalizer: nil)
            if resource.group == "apiextensions.k8s.io" { collectGarbage = true }
            return result(resource, marked, completed: false)
        }
        let last = remove(s, k) ?? obj
        return result(resource, last, completed: true)
    }

    /// Sets deletionTimestamp (now + grace), deletionGracePeriodSeconds, bumps generation, optionally adds a
    /// finalizer, and persists.
    @discardableResult
    func markDeleting(_ resource: ResourceInfo, _ k: ObjectKey, _ obj: JSON, grace requested: Int, finalizer: String?) -> JSON {
        let grace = min(max(requested, 0), Self.maxGracePeriod)
        var new = obj
        new.metadata["deletionTimestamp"] = .string(KubeTime.format(now.addingTimeInterval(Double(grace))))
        new.metadata["deletionGracePeriodSeconds"] = .int(Int64(grace))
        new.metadata["generation"] = .int((obj.metadata["generation"].intValue ?? 0) + 1)
        if let finalizer, !new.finalizers.contains(finalizer) {
            new.metadata["finalizers"] = .array(new.finalizers.map(JSON.string) + [.string(finalizer)])
        }
        if resource.group == "apiextensions.k8s.io" && resource.plural == "customresourcedefinitions" {
            new["status"] = CRDRules.status(new, old: obj, conflict: nil, terminating: true, now: nowString)
        }
        return commit(resource, k, new, previous: obj)
    }

    /// Ends a grace period now: removes the object, or records grace 0 while finalizers remain.
    @discardableResult
    private func forceFinish(_ resource: ResourceInfo, _ k: ObjectKey, _ obj: JSON) -> JSON {
        if obj.finalizers.isEmpty { return remove(resource.storageKey, k) ?? obj }
        guard obj.metadata["deletionGracePeriodSeconds"].intValue != 0 else { return obj }
        var new = obj
        new.metadata["deletionGracePeriodSeconds"] = 0
        return commit(resource, k, new, previous: obj)
    }

    private func deleteNamespace(_ resource: ResourceInfo, _ k: ObjectKey, _ obj: JSON) throws(APIError) -> DeleteResult {
        if BuiltinResources.undeletableNamespaces.contains(k.name) {
            throw .forbidden(resource, name: k.name, "this namespace may not be deleted")
        }
        if obj.isBeingDeleted { return result(resource, obj, completed: false) }
        var new = obj
        new.metadata["deletionTimestamp"] = .string(nowString)
        new.metadata["deletionGracePeriodSeconds"] = 0
        new["status"]["phase"] = "Terminating"
        let marked = commit(resource, k, new, previous: obj)
        collectGarbage = true
        return result(resource, marked, completed: false)
    }

    /// Removes ownerReferences pointing at `uid` from every object (propagation policy Orphan).
    func orphanDependents(of uid: String) {
        for (s, t) in tables {
            guard let info = info(s) else { continue }
            for (k, obj) in t.objects where obj.ownerReferences.contains(where: { $0["uid"].stringValue == uid }) {
                var new = obj
                let refs = obj.ownerReferences.filter { $0["uid"].stringValue != uid }
                new.metadata["ownerReferences"] = refs.isEmpty ? .null : .array(refs)
                commit(info, k, new, previous: obj)
            }
        }
    }

    private func result(_ resource: ResourceInfo, _ obj: JSON, completed: Bool) -> DeleteResult {
        let rendered = render(obj, as: resource)
        let body = completed && !resource.returnsDeletedObject
            ? APIError.successStatus(resource, name: obj.name, uid: obj.uid) : rendered
        return DeleteResult(object: rendered, completed: completed, body: body)
    }
}
