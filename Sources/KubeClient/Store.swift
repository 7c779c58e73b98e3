import Foundation

/// A function that files an object under zero or more index values.
public struct Indexer<T: KubeObject>: Sendable {
    /// The index name.
    public let name: String
    /// The values an object is filed under.
    public let values: @Sendable (T) -> [String]

    /// Creates an indexer.
    public init(name: String, values: @escaping @Sendable (T) -> [String]) {
        self.name = name
        self.values = values
    }

    /// By `metadata.namespace` (empty for cluster-scoped objects).
    public static var namespace: Indexer<T> { Indexer(name: "namespace") { [$0.metadata.namespace ?? ""] } }
    /// By every label, as `key=value`.
    public static var label: Indexer<T> {
        Indexer(name: "label") { o in (o.metadata.labels ?? [:]).map { $0.key + "=" + $0.value } }
    }
    /// By the uid of every owner.
    public static var ownerUID: Indexer<T> { Indexer(name: "ownerUID") { o in (o.metadata.ownerReferences ?? []).map(\.uid) } }
    /// The three above.
    public static var defaults: [Indexer<T>] { [.namespace, .label, .ownerUID] }
}

/// A thread-safe in-memory cache of objects keyed `namespace/name`, with secondary indexes.
/// Informers fill it; controllers read it instead of asking the API server.
public final class Store<T: KubeObject>: Sendable {
    private struct Contents {
        var items: [String: T] = [:]
        var indexes: [String: [String: Set<String>]] = [:]
    }

    private let indexers: [Indexer<T>]
    private let contents = Locked(Contents())

    /// An empty store with the given indexers.
    public init(indexers: [Indexer<T>] = Indexer<T>.defaults) { self.indexers = indexers }

    /// The number of objects.
    public var count: Int { contents.withLock { $0.items.count } }

    /// All keys.
    public var keys: [String] { contents.withLock { Array($0.items.keys) } }

    /// The object with `key` (`namespace/name`).
    public func get(key: String) -> T? { contents.withLock { $0.items[key] } }

    /// The object with this name and namespace.
    public func get(name: String, namespace: String? = nil) -> T? { get(key: ObjectKey.make(namespace: namespace, name: name)) }

    /// All objects (unordered).
    public func list() -> [T] { contents.withLock { Array($0.items.values) } }

    /// Objects in `namespace` (nil: all) whose labels match `selector`.
    public func list(namespace: String? = nil, selector: Selector = Selector()) -> [T] {
        contents.withLock { c in
            let candidates: [T]
            if let ns = namespace, let keys = c.indexes["namespace"]?[ns] {
                candidates = keys.compactMap { c.items[$0] }
            } else if let ns = namespace {
                candidates = c.items.values.filter { ($0.metadata.namespace ?? "") == ns }
            } else {
                candidates = Array(c.items.values)
            }
            return selector.isEmpty ? candidates : candidates.filter { selector.matches($0.metadata.labels) }
        }
    }

    /// Objects filed under `value` in index `name` (for example `ownerUID`, an owner's uid).
    public func byIndex(_ name: String, _ value: String) -> [T] {
        contents.withLock { c in (c.indexes[name]?[value] ?? []).compactMap { c.items[$0] } }
    }

    /// Keys filed under `value` in index `name`.
    public func keys(index name: String, value: String) -> [String] {
        contents.withLock { Array($0.indexes[name]?[value] ?? []) }
    }

    /// Inserts or replaces an object; returns the previous one.
    @discardableResult
    public func upsert(_ object: T) -> T? {
        let key = object.key
        return contents.withLock { c in
            let old = c.items.updateValue(object, forKey: key)
            if let old { unindex(old, key: key, in: &c) }
            index(object, key: key, in: &c)
            return old
        }
    }

    /// Removes the object with `key`; returns it.
    @discardableResult
    public func remove(key: String) -> T? {
        contents.withLock { c in
            guard let old = c.items.removeValue(forKey: key) else { return nil }
            unindex(old, key: key, in: &c)
            return old
        }
    }

    /// What a ``replace(with:)`` changed.
    public struct Changes: Sendable {
        /// Objects that were not there before.
        public var added: [T] = []
        /// Objects that were there, as (old, new).
        public var updated: [(old: T, new: T)] = []
        /// Objects that are gone.
        public var deleted: [T] = []
    }

    /// Replaces the whole content (after a list) and reports the differences.
    public func replace(with objects: [T]) -> Changes {
        contents.withLock { c in
            var changes = Changes()
            var fresh = Contents()
            for o in objects {
                let key = o.key
                fresh.items[key] = o
                index(o, key: key, in: &fresh)
                if let old = c.items[key] { changes.updated.append((old, o)) } else { changes.added.append(o) }
            }
            for (key, old) in c.items where fresh.items[key] == nil { changes.deleted.append(old) }
            c = fresh
            return changes
        }
    }

    private func index(_ o: T, key: String, in c: inout Contents) {
        for ix in indexers {
            for v in ix.values(o) { c.indexes[ix.name, default: [:]][v, default: []].insert(key) }
        }
    }

    private func unindex(_ o: T, key: String, in c: inout Contents) {
        for ix in indexers {
            for v in ix.values(o) {
                c.indexes[ix.name]?[v]?.remove(key)
                if c.indexes[ix.name]?[v]?.isEmpty == true { c.indexes[ix.name]?[v] = nil }
            }
        }
    }
}
