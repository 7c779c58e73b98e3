import Foundation
import RuntimeCore

/// list with selectors and paging.
///
/// Items are sorted by namespace, then name. With `limit`, a page ends with an opaque continue token —
/// base64url of `{"v":"meta.k8s.io/v1","rv":<list resourceVersion>,"start":"<last key>\u0000"}` like the
/// apiserver's — and every following page reports the first page's resourceVersion. Pages are cut from the
/// current state (not a snapshot at that resourceVersion); a token whose resourceVersion is older than the
/// retained watch history of the resource is 410 Expired, as after an etcd compaction.
extension APIStore {
    /// LIST. `namespace` nil lists all namespaces (and is required for cluster-scoped resources).
    public func list(_ resource: ResourceInfo, namespace: String?, options: ListOptions = ListOptions()) throws(APIError) -> ListResult {
        try locked { () throws(APIError) -> ListResult in
            var listRV = currentRV
            var start: ObjectKey?
            if let token = options.continueToken {
                let decoded = try ContinueToken.decode(token)
                if decoded.rv < table(resource.storageKey).history.evictedThrough {
                    throw .expired(ContinueToken.expiredMessage)
                }
                listRV = decoded.rv
                start = decoded.start
            }
            let matching = try select(resource, namespace: namespace, labelSelector: options.labelSelector,
                                      fieldSelector: options.fieldSelector)
            var remaining = matching[...]
            if let start { remaining = remaining.drop { !(start < $0.0) } }
            let limit = options.limit ?? 0
            var page = remaining
            var token: String?
            var left: Int?
            if limit > 0 && remaining.count > limit {
                page = remaining.prefix(limit)
                token = ContinueToken(rv: listRV, start: page.last!.0).encoded
                if options.labelSelector.isEmpty && options.fieldSelector.isEmpty { left = remaining.count - limit }
            }
            let strip = !resource.isCustom
            let items = page.map { _, obj -> JSON in
                // Typed lists of built-in kinds carry no per-item apiVersion/kind on the wire.
                strip ? render(obj, as: resource).removingKeys(["apiVersion", "kind"]) : render(obj, as: resource)
            }
            return ListResult(items: items, resourceVersion: String(listRV), continueToken: token, remainingItemCount: left)
        }
    }

    /// Objects of `resource` in `namespace` (nil: everywhere) matching the selectors, sorted by key.
    func select(_ resource: ResourceInfo, namespace: String?, labelSelector: String,
                fieldSelector: String) throws(APIError) -> [(ObjectKey, JSON)] {
        let labels = try LabelSelector(parsing: labelSelector)
        let fields = try FieldSelector(parsing: fieldSelector)
        try fields.validate(for: resource)
        let ns = resource.namespaced ? namespace.flatMap { $0.isEmpty ? nil : $0 } : nil
        return (tables[resource.storageKey]?.objects ?? [:])
            .filter { k, obj in
                (ns == nil || k.namespace == ns)
                    && labels.matches(obj.labels)
                    && (fields.isEmpty || fields.matches(FieldLabels.values(obj, resource)))
            }
            .sorted { $0.key < $1.key }
            .map { ($0.key, $0.value) }
    }
}

/// The continue token of paged lists.
struct ContinueToken: Equatable {
    var rv: Int64
    var start: APIStore.ObjectKey

    static let expiredMessage = "The provided continue parameter is too old to display a consistent list result. "
        + "You can start a new list without the continue parameter, or use the continue token in this response to "
        + "retrieve the remainder of the results. Continuing with the provided token results in an inconsistent "
        + "list - objects that were created, modified, or deleted between the time the first chunk was returned "
        + "and now may show up in the list."

    var encoded: String {
        let json: JSON = ["v": "meta.k8s.io/v1", "rv": .int(rv), "start": .string(start.tokenKey + "\u{0}")]
        return json.data().base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decode(_ token: String) throws(APIError) -> ContinueToken {
        var b64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b64.count % 4 != 0 { b64 += "=" }
        guard let data = Data(base64Encoded: b64), let json = try? JSON.parse(data),
              json["v"].stringValue == "meta.k8s.io/v1", let rv = json["rv"].intValue,
              var start = json["start"].stringValue else {
            throw .badRequest("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
        }
        if start.hasSuffix("\u{0}") { start.removeLast() }
        let parts = start.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let key = parts.count == 2 ? APIStore.ObjectKey(namespace: parts[0], name: parts[1])
            : APIStore.ObjectKey(namespace: "", name: start)
        return ContinueToken(rv: rv, start: key)
    }
}
