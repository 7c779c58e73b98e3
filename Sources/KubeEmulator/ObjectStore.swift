import Foundation
import RuntimeCore

/// The emulator's storage and API machinery: what etcd plus the generic registry, admission defaults, the
/// garbage collector and the namespace/CRD controllers do in a real control plane — in memory, without HTTP.
///
/// Thread-safe and synchronous: one lock serialises every operation, so each call is atomic (a patch's
/// read-modify-write cannot interleave with another write). Every method throws only ``APIError``.
///
/// Semantics (the HTTP layer maps them 1:1 to status codes):
/// - One global resourceVersion counter; an object's resourceVersion is the counter at its last write.
/// - create: uid, creationTimestamp (RFC 3339, seconds, UTC), generation 1, generateName + 5 random
///   characters (retried on collision), status dropped for resources with a status subresource, per-type
///   defaults (pods, services, secrets, namespaces, CRDs) and validation; the namespace must exist (404) and
///   not be terminating (403).
/// - update (PUT): 404 when absent, 409 on a stale non-empty metadata.resourceVersion (empty = unconditional).
///   With a status subresource, the main resource ignores `.status` and `/status` ignores everything but
///   `.status`. generation is bumped when anything outside metadata (and status, when it is a subresource)
///   changes; status writes never bump it. A write that changes nothing is not persisted (no new
///   resourceVersion, no event), like the apiserver. `metadata.managedFields` is dropped.
/// - Finalizers: deleting an object with finalizers sets deletionTimestamp (and deletionGracePeriodSeconds 0);
///   the update that removes the last finalizer deletes it; finalizers cannot be added once deleting.
/// - Garbage collection runs synchronously inside the store, at the end of every write that removed or
///   marked something: see `GarbageCollector.swift`.
/// - Namespace deletion marks the namespace Terminating, deletes its contents (honouring their finalizers)
///   and removes the namespace once it is empty — immediately when nothing holds it.
///
/// Simplifications, compared with a real control plane:
/// - Lists and gets always read the latest state; `resourceVersion`/`resourceVersionMatch` on reads are ignored,
///   and paged lists continue from the current state (the resourceVersion of the first page is reported).
/// - Watch history is a per-resource ring of the last `watchHistorySize` writes (the watch cache), not etcd.
/// - Built-in types are not full Go structs: well-known fields are type-checked (`ObjectDecoding`), unknown
///   fields are kept rather than dropped, and only the validation listed in the per-type rules is done.
/// - `events` (core/v1) and `events.k8s.io/v1` are stored separately, not as two views of one storage.
/// - No admission beyond NamespaceLifecycle, pod defaults (DefaultTolerationSeconds, service account name),
///   and CRD schema; no `kube-root-ca.crt` ConfigMaps; ServiceAccounts are not required to exist.
/// - Custom resource versions share storage with identity conversion (only apiVersion changes).
public final class APIStore: @unchecked Sendable {
    /// Tunables.
    public struct Configuration: Sendable {
        /// Watch events remembered per resource for replay (older resourceVersions get 410 Expired).
        public var watchHistorySize: Int
        /// Events a watcher may fall behind before its watch is closed.
        public var watchBufferSize: Int
        /// The clock (tests inject a fixed one).
        public var clock: @Sendable () -> Date

        /// Creates a configuration.
        public init(watchHistorySize: Int = 1000, watchBufferSize: Int = 1000,
                    clock: @escaping @Sendable () -> Date = { Date() }) {
            self.watchHistorySize = watchHistorySize
            self.watchBufferSize = watchBufferSize
            self.clock = clock
        }
    }

    /// Identity of an object within its resource.
    struct ObjectKey: Hashable, Comparable {
        var namespace: String
        var name: String

        static func < (a: ObjectKey, b: ObjectKey) -> Bool { (a.namespace, a.name) < (b.namespace, b.name) }
        /// The key in continue tokens: `ns/name`, or `name` for cluster-scoped objects.
        var tokenKey: String { namespace.isEmpty ? name : "\(namespace)/\(name)" }
    }

    /// The objects and recent writes of one resource.
    struct Table {
        var objects: [ObjectKey: JSON] = [:]
        var history: WatchHistory
    }

    /// The served resources; grows and shrinks with CustomResourceDefinitions.
    public let registry: ResourceRegistry
    let configuration: Configuration
    let lock = NSLock()
    var currentRV: Int64 = 0
    var tables: [StorageKey: Table] = [:]
    /// Storage-version description of every resource that ever stored something (GC needs it for kinds
    /// whose CRD is being removed).
    var storageInfos: [StorageKey: ResourceInfo] = [:]
    var uidIndex: [String: (StorageKey, ObjectKey)] = [:]
    /// Field ownership for server-side apply, by object uid.
    var managedFields: [String: [ManagerEntry]] = [:]
    var subscribers: [StorageKey: [ObjectIdentifier: WatchSubscription]] = [:]
    /// Work to run after the lock is released (callbacks into the embedding program).
    var afterUnlock: [@Sendable () -> Void] = []
    /// Set by writes that may leave garbage or finishable deletions behind.
    var collectGarbage = false
    var serviceIPs = ServiceAllocator()
    private var podHandler: (@Sendable (PodTermination) -> Void)?

    /// Creates a store with the built-in resources and a fresh cluster's namespaces (`default`,
    /// `kube-system`, `kube-public`, `kube-node-lease`, each with a `default` ServiceAccount) and the
    /// `default/kubernetes` Service.
    public init(configuration: Configuration = Configuration(), registry: ResourceRegistry = ResourceRegistry()) {
        self.configuration = configuration
        self.registry = registry
        bootstrap()
    }

    /// Called when a pod that runs on a node (spec.nodeName set) is deleted with a grace period: the store
    /// marks it (deletionTimestamp, deletionGracePeriodSeconds) and the handler is expected to stop its
    /// processes and then call ``finalizePodDeletion(namespace:name:)``. When nil, pods are deleted at once.
    /// Called outside the store's lock, on the deleting thread.
    public var podDeletionHandler: (@Sendable (PodTermination) -> Void)? {
        get { lock.lock(); defer { lock.unlock() }; return podHandler }
        set { lock.lock(); podHandler = newValue; lock.unlock() }
    }

    var podHandlerLocked: (@Sendable (PodTermination) -> Void)? { podHandler }

    /// The newest resourceVersion.
    public var resourceVersion: String {
        lock.lock()
        defer { lock.unlock() }
        return String(currentRV)
    }

    /// Runs `body` under the lock, then garbage collection if needed, then the deferred callbacks.
    func locked<T>(_ body: () throws(APIError) -> T) throws(APIError) -> T {
        lock.lock()
        let result: Result<T, APIError>
        do {
            result = .success(try body())
        } catch {
            result = .failure(error)
        }
        if collectGarbage { runGarbageCollection() }
        let callbacks = afterUnlock
        afterUnlock = []
        lock.unlock()
        for c in callbacks { c() }
        return try result.get()
    }

    var now: Date { configuration.clock() }
    var nowString: String { KubeTime.format(now) }

    // MARK: Reads

    /// GET of one object (also serves `/status`), in the version of `resource`.
    public func get(_ resource: ResourceInfo, namespace: String?, name: String) throws(APIError) -> JSON {
        try locked { () throws(APIError) -> JSON in
            guard let o = object(resource.storageKey, key(resource, namespace, name)) else {
                throw .notFound(resource, name: name)
            }
            return render(o, as: resource)
        }
    }

    // MARK: Internals (lock held)

    func key(_ resource: ResourceInfo, _ namespace: String?, _ name: String) -> ObjectKey {
        ObjectKey(namespace: resource.namespaced ? (namespace ?? "") : "", name: name)
    }

    func object(_ s: StorageKey, _ k: ObjectKey) -> JSON? { tables[s]?.objects[k] }

    func table(_ s: StorageKey) -> Table {
        tables[s] ?? Table(history: WatchHistory(capacity: configuration.watchHistorySize, startingAt: 0))
    }

    /// The object as a client sees it at `resource`'s version.
    func render(_ stored: JSON, as resource: ResourceInfo) -> JSON {
        var o = stored
        o["apiVersion"] = .string(resource.apiVersion)
        o["kind"] = .string(resource.kind)
        return o
    }

    /// The storage-version description of a storage key.
    func info(_ s: StorageKey) -> ResourceInfo? {
        storageInfos[s] ?? registry.all().first { $0.storageKey == s && $0.version == $0.storageVersion }
    }

    /// Persists a create or update: assigns the next resourceVersion, records history, notifies watchers.
    @discardableResult
    func commit(_ resource: ResourceInfo, _ k: ObjectKey, _ object: JSON, previous: JSON?) -> JSON {
        currentRV += 1
        var stored = object
        stored["apiVersion"] = .string(resource.group.isEmpty ? resource.storageVersion : "\(resource.group)/\(resource.storageVersion)")
        stored["kind"] = .string(resource.kind)
        stored.metadata["resourceVersion"] = .string(String(currentRV))
        let s = resource.storageKey
        if storageInfos[s] == nil { storageInfos[s] = resource.at(version: resource.storageVersion) }
        let entry = HistoryEntry(rv: currentRV, type: previous == nil ? .added : .modified, object: stored, previous: previous)
        // Mutated in place through the dictionary's subscript: a `var t = tables[s]` copy would share the
        // table's storage, and the write would then copy every object of the resource (O(objects) per write).
        if tables[s] == nil { tables[s] = table(s) }
        tables[s]!.objects[k] = stored
        tables[s]!.history.append(entry)
        uidIndex[stored.uid] = (s, k)
        notify(s, entry)
        return stored
    }

    /// Removes an object: DELETED event carrying the deletion's resourceVersion, side tables cleaned.
    @discardableResult
    func remove(_ s: StorageKey, _ k: ObjectKey) -> JSON? {
        // In place, as in commit: no copy of the table.
        guard tables[s] != nil, var last = tables[s]!.objects.removeValue(forKey: k) else { return nil }
        currentRV += 1
        last.metadata["resourceVersion"] = .string(String(currentRV))
        let entry = HistoryEntry(rv: currentRV, type: .deleted, object: last, previous: nil)
        tables[s]!.history.append(entry)
        uidIndex.removeValue(forKey: last.uid)
        managedFields.removeValue(forKey: last.uid)
        notify(s, entry)
        collectGarbage = true
        didRemove(s, last)
        return last
    }

    private func notify(_ s: StorageKey, _ entry: HistoryEntry) {
        guard let subs = subscribers[s] else { return }
        for (id, sub) in subs where !sub.offer(entry) {
            subscribers[s]?.removeValue(forKey: id)
        }
    }

    private func bootstrap() {
        lock.lock()
        defer { lock.unlock() }
        let ns = BuiltinResources.core[0]
        for name in BuiltinResources.initialNamespaces {
            var o: JSON = ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(name)]]
            prepareNewObject(&o, ns)
            NamespaceRules.prepareForCreate(&o)
            commit(ns, ObjectKey(namespace: "", name: name), o, previous: nil)
            createDefaultServiceAccount(in: name)
        }
        let svc = BuiltinResources.core[4]
        var kubernetes: JSON = [
            "apiVersion": "v1", "kind": "Service",
            "metadata": ["name": "kubernetes", "namespace": "default",
                         "labels": ["component": "apiserver", "provider": "kubernetes"]],
            "spec": ["ports": [["name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443]]],
        ]
        prepareNewObject(&kubernetes, svc)
        try? ServiceRules.prepareForCreate(&kubernetes, allocator: &serviceIPs, commit: true)
        commit(svc, ObjectKey(namespace: "default", name: "kubernetes"), kubernetes, previous: nil)
    }

    /// Server-set metadata of a new object.
    func prepareNewObject(_ object: inout JSON, _ resource: ResourceInfo) {
        var meta = object.metadata.objectValue ?? [:]
        for key in ["uid", "resourceVersion", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                    "generation", "managedFields", "selfLink"] {
            meta.removeValue(forKey: key)
        }
        meta["uid"] = .string(RandomNames.uid())
        meta["creationTimestamp"] = .string(nowString)
        meta["generation"] = 1
        if !resource.namespaced { meta.removeValue(forKey: "namespace") }
        object["metadata"] = .object(meta)
        if resource.hasStatus { object.removeValue(at: ["status"]) }
    }

    func createDefaultServiceAccount(in namespace: String) {
        let sa = BuiltinResources.core[6]
        let k = ObjectKey(namespace: namespace, name: "default")
        guard object(sa.storageKey, k) == nil else { return }
        var o: JSON = ["apiVersion": "v1", "kind": "ServiceAccount",
                       "metadata": ["name": "default", "namespace": .string(namespace)]]
        prepareNewObject(&o, sa)
        commit(sa, k, o, previous: nil)
    }
}
