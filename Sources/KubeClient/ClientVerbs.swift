import Foundation
import RuntimeCore

/// The answer to a delete: either a Status (the object is gone) or the object itself (deletion is
/// pending on finalizers, a grace period or foreground propagation).
public enum DeleteResult<T: Sendable>: Sendable {
    /// The server answered with a Status: the object is gone.
    case deleted(Status)
    /// The server answered with the object; see `metadata.deletionTimestamp`.
    case object(T)
}

// MARK: Dynamic (unstructured) verbs

extension KubeClient {
    private func ns(_ r: DynamicResource, _ namespace: String?) -> String? {
        r.namespaced ? (namespace.flatMap { $0.isEmpty ? nil : $0 } ?? config.namespace) : nil
    }

    /// Reads one object (or a subresource of it, such as `status`).
    public func get(_ r: DynamicResource, name: String, namespace: String? = nil, subresource: String? = nil) async throws(KubeError) -> JSON {
        let resp = try await send(.init(method: "GET", path: r.path(namespace: ns(r, namespace), name: name, subresource: subresource)))
        return try parseJSON(resp.body)
    }

    /// Lists one page (default page size 500); follow `metadata.continue` or use ``listAll(_:namespace:options:)``.
    /// A nil namespace lists all namespaces.
    public func list(_ r: DynamicResource, namespace: String? = nil, options: ListOptions = ListOptions()) async throws(KubeError) -> ObjectList<JSON> {
        let resp = try await send(.init(method: "GET", path: r.path(namespace: r.namespaced ? namespace : nil), query: options.queryItems))
        var list = try decode(ObjectList<JSON>.self, from: resp.body)
        // List items come without apiVersion/kind; fill them in so they can be sent back as they are.
        list.items = list.items.map { item in
            var i = item
            if i["apiVersion"].isNull { i["apiVersion"] = .string(r.apiVersion) }
            if i["kind"].isNull { i["kind"] = .string(r.kind) }
            return i
        }
        return list
    }

    /// Lists every page, following continue tokens; if a token expires mid-way (410), lists again in one
    /// unpaged request, as client-go's pager does. The result's resourceVersion is the snapshot's.
    public func listAll(_ r: DynamicResource, namespace: String? = nil, options: ListOptions = ListOptions()) async throws(KubeError) -> ObjectList<JSON> {
        try await pageAll(options) { (o: ListOptions) async throws(KubeError) -> ObjectList<JSON> in
            try await self.list(r, namespace: namespace, options: o)
        }
    }

    /// Creates an object. The namespace defaults to the object's, then the client's.
    public func create(_ r: DynamicResource, _ object: JSON, namespace: String? = nil, options: WriteOptions = WriteOptions()) async throws(KubeError) -> JSON {
        let body = try encodeObject(object, resource: r)
        let path = r.path(namespace: ns(r, namespace ?? object["metadata"]["namespace"].stringValue))
        let resp = try await send(.init(method: "POST", path: path, query: options.queryItems, body: body, contentType: "application/json"))
        return try parseJSON(resp.body)
    }

    /// Creates an object given as JSON and decodes the answer as `V` (a view): the dynamic form of
    /// ``create(_:namespace:options:returning:)``, for bodies built as JSON (the operator's pods).
    public func create<V: Decodable>(_ r: DynamicResource, _ object: JSON, namespace: String? = nil, options: WriteOptions = WriteOptions(),
                                     returning: V.Type) async throws(KubeError) -> V {
        let body = try encodeObject(object, resource: r)
        let path = r.path(namespace: ns(r, namespace ?? object["metadata"]["namespace"].stringValue))
        let resp = try await send(.init(method: "POST", path: path, query: options.queryItems, body: body, contentType: "application/json"))
        return try decode(V.self, from: resp.body)
    }

    /// Replaces an object (PUT). Its `metadata.resourceVersion` makes the write conditional: a stale
    /// version fails with 409 Conflict.
    public func update(_ r: DynamicResource, _ object: JSON, namespace: String? = nil, options: WriteOptions = WriteOptions()) async throws(KubeError) -> JSON {
        try await put(r, object, namespace: namespace, subresource: nil, options: options)
    }

    /// Reads the status subresource.
    public func getStatus(_ r: DynamicResource, name: String, namespace: String? = nil) async throws(KubeError) -> JSON {
        try await get(r, name: name, namespace: namespace, subresource: "status")
    }

    /// Replaces the status subresource (only `status` changes; the rest of the object is ignored).
    public func updateStatus(_ r: DynamicResource, _ object: JSON, namespace: String? = nil, options: WriteOptions = WriteOptions()) async throws(KubeError) -> JSON {
        try await put(r, object, namespace: namespace, subresource: "status", options: options)
    }

    /// Patches an object (merge, JSON, strategic merge or server-side apply).
    public func patch(_ r: DynamicResource, name: String, namespace: String? = nil, _ patch: Patch,
                      options: PatchOptions = PatchOptions()) async throws(KubeError) -> JSON {
        try parseJSON(try await sendPatch(r, name: name, namespace: namespace, subresource: nil, patch, options: options))
    }

    /// Patches the status subresource.
    public func patchStatus(_ r: DynamicResource, name: String, namespace: String? = nil, _ patch: Patch,
                            options: PatchOptions = PatchOptions()) async throws(KubeError) -> JSON {
        try parseJSON(try await sendPatch(r, name: name, namespace: namespace, subresource: "status", patch, options: options))
    }

    /// Deletes an object.
    @discardableResult
    public func delete(_ r: DynamicResource, name: String, namespace: String? = nil,
                       options: DeleteOptions = DeleteOptions()) async throws(KubeError) -> DeleteResult<JSON> {
        let resp = try await send(.init(method: "DELETE", path: r.path(namespace: ns(r, namespace), name: name),
                                        body: options.body.data(), contentType: "application/json"))
        let json = try parseJSON(resp.body)
        if json["kind"].stringValue == "Status" { return .deleted(try decode(Status.self, from: resp.body)) }
        return .object(json)
    }

    /// Deletes every object matching `listOptions` in a namespace (or, for cluster-scoped resources, the cluster).
    @discardableResult
    public func deleteCollection(_ r: DynamicResource, namespace: String? = nil, listOptions: ListOptions = ListOptions(limit: nil),
                                 options: DeleteOptions = DeleteOptions()) async throws(KubeError) -> JSON {
        let resp = try await send(.init(method: "DELETE", path: r.path(namespace: ns(r, namespace)), query: listOptions.queryItems,
                                        body: options.body.data(), contentType: "application/json"))
        return try parseJSON(resp.body)
    }

    /// The server's `/version`.
    public func serverVersion() async throws(KubeError) -> JSON {
        try parseJSON(try await send(.init(method: "GET", path: "/version")).body)
    }

    // MARK: Shared helpers

    private func put<T: Encodable>(_ r: DynamicResource, _ object: T, name: String?, objectNamespace: String?,
                                   namespace: String?, subresource: String?, options: WriteOptions) async throws(KubeError) -> Data {
        guard let name, !name.isEmpty else { throw .invalidRequest("update of \(r) needs metadata.name") }
        let body = try encodeObject(object, resource: r)
        let path = r.path(namespace: ns(r, namespace ?? objectNamespace), name: name, subresource: subresource)
        return try await send(.init(method: "PUT", path: path, query: options.queryItems, body: body, contentType: "application/json")).body
    }

    private func put(_ r: DynamicResource, _ object: JSON, namespace: String?, subresource: String?, options: WriteOptions) async throws(KubeError) -> JSON {
        let meta = object["metadata"]
        return try parseJSON(try await put(r, object, name: meta["name"].stringValue, objectNamespace: meta["namespace"].stringValue,
                                           namespace: namespace, subresource: subresource, options: options))
    }

    private func sendPatch(_ r: DynamicResource, name: String, namespace: String?, subresource: String?, _ patch: Patch,
                           options: PatchOptions) async throws(KubeError) -> Data {
        if case .apply = patch, (options.fieldManager ?? "").isEmpty {
            throw .invalidRequest("server-side apply of \(r) \"\(name)\" needs a fieldManager")
        }
        let path = r.path(namespace: ns(r, namespace), name: name, subresource: subresource)
        return try await send(.init(method: "PATCH", path: path, query: options.queryItems, body: patch.body,
                                    contentType: patch.contentType)).body
    }

    func parseJSON(_ data: Data) throws(KubeError) -> JSON {
        do { return try JSON.parse(data) } catch { throw .decoding("response is not JSON: \(error)") }
    }

    func pageAll<Item>(_ options: ListOptions, page: (ListOptions) async throws(KubeError) -> ObjectList<Item>) async throws(KubeError) -> ObjectList<Item> {
        var opts = options
        if opts.limit == nil { opts.limit = ListOptions.defaultPageSize }
        var all: [Item] = []
        while true {
            let l: ObjectList<Item>
            do { l = try await page(opts) } catch let e where e.isGone && opts.continueToken != nil {
                var full = options
                full.limit = nil
                full.continueToken = nil
                return try await page(full)
            }
            all += l.items
            guard let next = l.metadata.continue, !next.isEmpty else {
                var result = l
                result.items = all
                result.metadata.continue = nil
                result.metadata.remainingItemCount = nil
                return result
            }
            opts.continueToken = next
        }
    }

    func deleteResult<T: Decodable & Sendable>(_ data: Data, as: T.Type) throws(KubeError) -> DeleteResult<T> {
        let json = try parseJSON(data)
        if json["kind"].stringValue == "Status" { return .deleted(try decode(Status.self, from: data)) }
        return .object(try decode(T.self, from: data))
    }

    // MARK: Typed verbs

    /// Reads one object.
    public func get<T: Resource>(_ type: T.Type, name: String, namespace: String? = nil) async throws(KubeError) -> T {
        let r = T.resource
        return try decode(T.self, from: try await send(.init(method: "GET", path: r.path(namespace: ns(r, namespace), name: name))).body)
    }

    /// Lists one page (default page size 500). A nil namespace lists all namespaces.
    public func list<T: Resource>(_ type: T.Type, namespace: String? = nil, options: ListOptions = ListOptions()) async throws(KubeError) -> ObjectList<T> {
        let r = T.resource
        let resp = try await send(.init(method: "GET", path: r.path(namespace: r.namespaced ? namespace : nil), query: options.queryItems))
        return try decode(ObjectList<T>.self, from: resp.body)
    }

    /// Lists every page, following continue tokens.
    public func listAll<T: Resource>(_ type: T.Type, namespace: String? = nil, options: ListOptions = ListOptions()) async throws(KubeError) -> ObjectList<T> {
        try await pageAll(options) { (o: ListOptions) async throws(KubeError) -> ObjectList<T> in
            try await self.list(T.self, namespace: namespace, options: o)
        }
    }

    /// Creates an object. The namespace defaults to the object's, then the client's.
    public func create<T: Resource>(_ object: T, namespace: String? = nil, options: WriteOptions = WriteOptions()) async throws(KubeError) -> T {
        let r = T.resource
        let body = try encodeObject(object, resource: r)
        let path = r.path(namespace: ns(r, namespace ?? object.metadata.namespace))
        let resp = try await send(.init(method: "POST", path: path, query: options.queryItems, body: body, contentType: "application/json"))
        return try decode(T.self, from: resp.body)
    }

    /// Creates an object and decodes the server's answer as `V`, a partial view of it (a cache's view, or
    /// `TypeMeta` when the answer is not needed). For callers that never send the answer back: no unknown
    /// fields are recorded, and nothing of the object is decoded that `V` does not hold.
    public func create<T: Resource, V: Decodable>(_ object: T, namespace: String? = nil, options: WriteOptions = WriteOptions(),
                                                  returning: V.Type) async throws(KubeError) -> V {
        let r = T.resource
        let body = try encodeObject(object, resource: r)
        let path = r.path(namespace: ns(r, namespace ?? object.metadata.namespace))
        let resp = try await send(.init(method: "POST", path: path, query: options.queryItems, body: body, contentType: "application/json"))
        return try decode(V.self, from: resp.body)
    }

    /// Replaces an object (PUT), conditional on its `metadata.resourceVersion` (409 Conflict when stale).
    public func update<T: Resource>(_ object: T, options: WriteOptions = WriteOptions()) async throws(KubeError) -> T {
        try decode(T.self, from: try await put(T.resource, object, name: object.metadata.name, objectNamespace: object.metadata.namespace,
                                               namespace: nil, subresource: nil, options: options))
    }

    /// Reads the status subresource.
    public func getStatus<T: Resource>(_ type: T.Type, name: String, namespace: String? = nil) async throws(KubeError) -> T {
        let r = T.resource
        let path = r.path(namespace: ns(r, namespace), name: name, subresource: "status")
        return try decode(T.self, from: try await send(.init(method: "GET", path: path)).body)
    }

    /// Replaces the status subresource.
    public func updateStatus<T: Resource>(_ object: T, options: WriteOptions = WriteOptions()) async throws(KubeError) -> T {
        try decode(T.self, from: try await put(T.resource, object, name: object.metadata.name, objectNamespace: object.metadata.namespace,
                                               namespace: nil, subresource: "status", options: options))
    }

    /// Patches an object.
    public func patch<T: Resource>(_ type: T.Type, name: String, namespace: String? = nil, _ patch: Patch,
                                   options: PatchOptions = PatchOptions()) async throws(KubeError) -> T {
        try decode(T.self, from: try await sendPatch(T.resource, name: name, namespace: namespace, subresource: nil, patch, options: options))
    }

    /// Patches the status subresource.
    public func patchStatus<T: Resource>(_ type: T.Type, name: String, namespace: String? = nil, _ patch: Patch,
                                         options: PatchOptions = PatchOptions()) async throws(KubeError) -> T {
        try decode(T.self, from: try await sendPatch(T.resource, name: name, namespace: namespace, subresource: "status", patch, options: options))
    }

    /// Deletes an object.
    @discardableResult
    public func delete<T: Resource>(_ type: T.Type, name: String, namespace: String? = nil,
                                    options: DeleteOptions = DeleteOptions()) async throws(KubeError) -> DeleteResult<T> {
        let r = T.resource
        let resp = try await send(.init(method: "DELETE", path: r.path(namespace: ns(r, namespace), name: name),
                                        body: options.body.data(), contentType: "application/json"))
        return try deleteResult(resp.body, as: T.self)
    }

    /// Deletes every object matching `listOptions` in a namespace (or the cluster for cluster-scoped kinds).
    @discardableResult
    public func deleteCollection<T: Resource>(_ type: T.Type, namespace: String? = nil, listOptions: ListOptions = ListOptions(limit: nil),
                                              options: DeleteOptions = DeleteOptions()) async throws(KubeError) -> JSON {
        try await deleteCollection(T.resource, namespace: namespace, listOptions: listOptions, options: options)
    }
}
