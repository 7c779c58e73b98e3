import Foundation
import RuntimeCore

/// create, update (PUT) and patch, sharing one write pipeline.
extension APIStore {
    /// Who gets ownership of the fields a write sets (server-side apply bookkeeping).
    enum Ownership {
        /// An Update operation by this manager.
        case update(String)
        /// The manager entries computed by an apply.
        case apply([ManagerEntry])
    }

    /// POST to a collection. `namespace` is the URL's (nil for cluster-scoped resources); a namespace in the
    /// body must match it (400). Returns the created object (HTTP 201).
    public func create(_ resource: ResourceInfo, namespace: String?, object: JSON,
                       options: WriteOptions = WriteOptions()) throws(APIError) -> WriteResult {
        try locked { () throws(APIError) -> WriteResult in
            try performCreate(resource, namespace, try ObjectDecoding.decode(object, as: resource), options,
                              ownership: .update(options.fieldManager ?? "unknown"))
        }
    }

    /// PUT of an object (`subresource` nil) or of its `status`. 404 when absent, 409 when
    /// metadata.resourceVersion is set and stale, 400 when the body's name or namespace contradict the URL.
    public func update(_ resource: ResourceInfo, namespace: String?, name: String, object: JSON,
                       subresource: String? = nil, options: WriteOptions = WriteOptions()) throws(APIError) -> WriteResult {
        try locked { () throws(APIError) -> WriteResult in
            let k = key(resource, namespace, name)
            let candidate = try ObjectDecoding.decode(object, as: resource)
            guard let old = self.object(resource.storageKey, k) else { throw .notFound(resource, name: name) }
            return try performUpdate(resource, k, old: old, candidate: candidate, subresource: subresource,
                                     options: options, ownership: .update(options.fieldManager ?? "unknown"))
        }
    }

    /// PATCH of an object or its `status`. Merge and JSON patches apply to the object as served at
    /// `resource`'s version; strategic merge patch is for built-in types only (415 otherwise); apply creates
    /// the object when absent (``WriteResult/created``) and needs a field manager (422 otherwise).
    public func patch(_ resource: ResourceInfo, namespace: String?, name: String, type: PatchType, body: JSON,
                      subresource: String? = nil, options: WriteOptions = WriteOptions()) throws(APIError) -> WriteResult {
        try locked { () throws(APIError) -> WriteResult in
            let k = key(resource, namespace, name)
            if case .apply(let manager, let force) = type {
                return try performApply(resource, k, config: body, manager: manager, force: force,
                                        subresource: subresource, options: options)
            }
            guard let old = object(resource.storageKey, k) else { throw .notFound(resource, name: name) }
            let current = render(old, as: resource)
            let patched: JSON
            switch type {
            case .merge:
                guard body.objectValue != nil else { throw .badRequest("json: cannot unmarshal \(body.typeName) into Go value of type map[string]interface {}") }
                patched = MergePatch.apply(body, to: current)
            case .jsonPatch:
                patched = try JSONPatch.apply(body, to: current)
            case .strategicMerge:
                if resource.isCustom { throw .unsupportedPatch() }
                patched = try StrategicMergePatch.apply(body, to: current, schema: MergeSchema(resource: resource))
            case .apply:
                preconditionFailure("handled above")
            }
            let candidate = try ObjectDecoding.decode(patched, as: resource)
            return try performUpdate(resource, k, old: old, candidate: candidate, subresource: subresource,
                                     options: options, ownership: .update(options.fieldManager ?? "unknown"))
        }
    }

    // MARK: Pipeline (lock held)

    func performCreate(_ resource: ResourceInfo, _ urlNamespace: String?, _ decoded: JSON, _ options: WriteOptions,
                       ownership: Ownership) throws(APIError) -> WriteResult {
        var obj = decoded
        let ns = try targetNamespace(resource, urlNamespace, obj)
        prepareNewObject(&obj, resource)
        if resource.namespaced { obj.metadata["namespace"] = .string(ns) }
        try checkNamespaceAcceptsContent(resource, ns, name: obj.name)
        if resource.isCustom, let crd = object(BuiltinResources.grouped[0].storageKey,
                                               ObjectKey(namespace: "", name: "\(resource.plural).\(resource.group)")),
           crd.isBeingDeleted {
            throw .methodNotAllowed("create not allowed while custom resource definition is terminating")
        }
        try prepareForCreate(&obj, resource)
        let warnings = try pruneAndDefault(&obj, resource, options)
        let generateName = obj.metadata["generateName"].stringValue ?? ""
        var errors: [FieldError] = []
        if obj.name.isEmpty {
            if generateName.isEmpty {
                errors.append(FieldError(.required, "metadata.name", detail: "name or generateName is required"))
            } else {
                errors += Validation.nameErrors(generateName, rule: nameRule(resource), field: "metadata.generateName", prefix: true)
            }
        } else {
            errors += Validation.nameErrors(obj.name, rule: nameRule(resource))
        }
        errors += Validation.metadataErrors(obj) + typeErrors(obj, old: nil, resource)
        if !errors.isEmpty { throw .invalid(resource, name: obj.name.isEmpty ? generateName : obj.name, errors) }
        if obj.name.isEmpty {
            var attempts = 0
            repeat {
                obj.metadata["name"] = .string(RandomNames.generate(from: generateName))
                attempts += 1
            } while object(resource.storageKey, key(resource, ns, obj.name)) != nil && attempts < 16
        }
        let k = key(resource, ns, obj.name)
        if object(resource.storageKey, k) != nil { throw .alreadyExists(resource, name: obj.name) }
        try allocate(&obj, resource, commit: !options.dryRun)
        if options.dryRun { return WriteResult(object: render(obj, as: resource), created: true, warnings: warnings) }
        let stored = commit(resource, k, obj, previous: nil)
        record(ownership, old: nil, new: stored, resource)
        didCreate(resource, stored)
        return WriteResult(object: render(stored, as: resource), created: true, warnings: warnings)
    }

    func performUpdate(_ resource: ResourceInfo, _ k: ObjectKey, old: JSON, candidate: JSON, subresource: String?,
                       options: WriteOptions, ownership: Ownership) throws(APIError) -> WriteResult {
        if subresource == "status" && !resource.hasStatus { throw .notFound(resource, name: k.name) }
        if !candidate.name.isEmpty && candidate.name != k.name {
            throw .badRequest("the name of the object (\(candidate.name)) does not match the name on the URL (\(k.name))")
        }
        if resource.namespaced && !candidate.namespace.isEmpty && candidate.namespace != k.namespace {
            throw .badRequest("the namespace of the provided object does not match the namespace sent on the request")
        }
        if !candidate.resourceVersion.isEmpty && candidate.resourceVersion != old.resourceVersion {
            throw .conflict(resource, name: k.name)
        }
        var new: JSON
        switch subresource {
        case nil:
            new = candidate
            var meta = new.metadata.objectValue ?? [:]
            for key in ["name", "namespace", "uid", "creationTimestamp", "generation", "deletionTimestamp",
                        "deletionGracePeriodSeconds", "resourceVersion"] {
                meta[key] = old.metadata.objectValue?[key]
            }
            meta.removeValue(forKey: "managedFields")
            meta.removeValue(forKey: "selfLink")
            new["metadata"] = .object(meta)
            if resource.hasStatus { new["status"] = old["status"] }
        case "status"?:
            new = old
            new["status"] = candidate["status"]
        case let other?:
            throw .methodNotAllowed("\(other) is not supported on resources of kind \(GoFormat.quote(resource.groupResource))")
        }
        new["apiVersion"] = old["apiVersion"]
        new["kind"] = old["kind"]
        try prepareForUpdate(&new, old: old, resource, subresource: subresource)
        let warnings = try pruneAndDefault(&new, resource, options)
        var errors = Validation.metadataErrors(new) + typeErrors(new, old: old, resource)
        if old.isBeingDeleted {
            let added = new.finalizers.filter { !old.finalizers.contains($0) }
            if !added.isEmpty {
                errors.append(FieldError(.forbidden, "metadata.finalizers", detail:
                    "no new finalizers can be added if the object is being deleted, found new finalizers []string{\(added.map(GoFormat.quote).joined(separator: ", "))}"))
            }
        }
        if !errors.isEmpty { throw .invalid(resource, name: k.name, errors) }
        if subresource == nil && specChanged(old, new, resource) {
            new.metadata["generation"] = .int((old.metadata["generation"].intValue ?? 0) + 1)
        }
        if new == old {
            if case .apply(let entries) = ownership, !options.dryRun { managedFields[old.uid] = entries }
            return WriteResult(object: render(old, as: resource), created: false, warnings: warnings)
        }
        if options.dryRun { return WriteResult(object: render(new, as: resource), created: false, warnings: warnings) }
        let stored = commit(resource, k, new, previous: old)
        record(ownership, old: old, new: stored, resource)
        didUpdate(resource, stored, old: old)
        if stored.isBeingDeleted && stored.finalizers.isEmpty
            && (stored.metadata["deletionGracePeriodSeconds"].intValue ?? 0) == 0 {
            remove(resource.storageKey, k)
        }
        return WriteResult(object: render(stored, as: resource), created: false, warnings: warnings)
    }

    func performApply(_ resource: ResourceInfo, _ k: ObjectKey, config raw: JSON, manager: String?, force: Bool,
                      subresource: String?, options: WriteOptions) throws(APIError) -> WriteResult {
        guard let manager, !manager.isEmpty else {
            throw APIError(code: 422, reason: "Invalid",
                           message: "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
                           group: "meta.k8s.io", kind: "PatchOptions",
                           causes: [.init(reason: "FieldValueRequired", message: "Required value: is required for apply patch", field: "fieldManager")])
        }
        guard raw.objectValue != nil, !(raw["apiVersion"].stringValue ?? "").isEmpty, !(raw["kind"].stringValue ?? "").isEmpty else {
            throw .badRequest("invalid object type: apply patches must set apiVersion and kind")
        }
        var config = try ObjectDecoding.decode(raw, as: resource)
        if config.name.isEmpty { config.metadata["name"] = .string(k.name) }
        if config.name != k.name {
            throw .badRequest("the name of the object (\(config.name)) does not match the name on the URL (\(k.name))")
        }
        config.metadata.removeValue(at: ["managedFields"])
        let scope: FieldScope = subresource == "status" ? .status : .main(excludeStatus: resource.hasStatus)
        switch scope {
        case .status: config = config.removingKeys(Set((config.objectValue ?? [:]).keys).subtracting(["apiVersion", "kind", "metadata", "status"]))
        case .main(let excludeStatus): if excludeStatus { config.removeValue(at: ["status"]) }
        }
        let schema = MergeSchema(resource: resource)
        guard let live = object(resource.storageKey, k) else {
            if subresource != nil { throw .notFound(resource, name: k.name) }
            let fields = Set(FieldPaths.values(of: config, scope: scope, schema: schema).keys)
            let entry = ManagerEntry(manager: manager, operation: .apply, apiVersion: resource.apiVersion, fields: fields)
            return try performCreate(resource, resource.namespaced ? k.namespace : nil, config, options, ownership: .apply([entry]))
        }
        let outcome = try FieldManager.apply(config, to: render(live, as: resource), managers: managedFields[live.uid] ?? [],
                                                manager: manager, apiVersion: resource.apiVersion, force: force,
                                                scope: scope, schema: schema)
        return try performUpdate(resource, k, old: live, candidate: outcome.object, subresource: subresource,
                                 options: options, ownership: .apply(outcome.managers))
    }

    private func record(_ ownership: Ownership, old: JSON?, new: JSON, _ resource: ResourceInfo) {
        switch ownership {
        case .apply(let entries): managedFields[new.uid] = entries
        case .update(let manager):
            managedFields[new.uid] = FieldManager.recordUpdate(
                old: old.map { render($0, as: resource) }, new: render(new, as: resource),
                managers: managedFields[new.uid] ?? [], manager: manager, apiVersion: resource.apiVersion,
                schema: MergeSchema(resource: resource))
        }
    }

    /// True when something the generation covers changed: everything but metadata (and status when it is
    /// a subresource).
    private func specChanged(_ old: JSON, _ new: JSON, _ resource: ResourceInfo) -> Bool {
        let ignored: Set<String> = resource.hasStatus ? ["metadata", "status"] : ["metadata"]
        return old.removingKeys(ignored) != new.removingKeys(ignored)
    }

    private func targetNamespace(_ resource: ResourceInfo, _ urlNamespace: String?, _ obj: JSON) throws(APIError) -> String {
        guard resource.namespaced else { return "" }
        let bodyNamespace = obj.namespace
        if let urlNamespace, !urlNamespace.isEmpty {
            if !bodyNamespace.isEmpty && bodyNamespace != urlNamespace {
                throw .badRequest("the namespace of the provided object does not match the namespace sent on the request")
            }
            return urlNamespace
        }
        if bodyNamespace.isEmpty { throw .badRequest("the server could not find the requested resource (namespace is required)") }
        return bodyNamespace
    }

    /// 404 when the namespace does not exist, 403 while it is terminating (the NamespaceLifecycle admission).
    func checkNamespaceAcceptsContent(_ resource: ResourceInfo, _ ns: String, name: String) throws(APIError) {
        guard resource.namespaced else { return }
        let namespaces = BuiltinResources.core[0]
        guard let n = object(namespaces.storageKey, ObjectKey(namespace: "", name: ns)) else {
            throw .notFound(namespaces, name: ns)
        }
        if n.isBeingDeleted {
            var e = APIError.forbidden(resource, name: name, "unable to create new content in namespace \(ns) because it is being terminated")
            e.causes = [.init(reason: "NamespaceTerminating", message: "namespace \(ns) is being terminated", field: "metadata.namespace")]
            throw e
        }
    }

    /// Custom resources: unknown fields pruned (reported per fieldValidation) and schema defaults applied.
    private func pruneAndDefault(_ obj: inout JSON, _ resource: ResourceInfo, _ options: WriteOptions) throws(APIError) -> [String] {
        guard resource.isCustom, let schema = resource.schema else { return [] }
        let unknown = schema.prune(&obj)
        schema.applyDefaults(&obj)
        let messages = unknown.map { "unknown field \(GoFormat.quote($0))" }
        switch options.fieldValidation {
        case .strict where !messages.isEmpty: throw .badRequest("strict decoding error: " + messages.joined(separator: ", "))
        case .warn: return messages
        default: return []
        }
    }
}
