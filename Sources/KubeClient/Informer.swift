import Foundation

/// Callbacks of an informer. They run in delivery order, one at a time, and must not block: hand
/// work to a queue (a controller's workqueue) rather than doing it inline. They must not register
/// further handlers on the same informer (delivery holds its lock).
public struct InformerHandler<T: KubeObject>: Sendable {
    /// An object appeared (or was listed for the first time).
    public var onAdd: (@Sendable (T) -> Void)?
    /// An object changed (old, new); also called with equal objects on every resync.
    public var onUpdate: (@Sendable (T, T) -> Void)?
    /// An object disappeared; the payload is its last known state.
    public var onDelete: (@Sendable (T) -> Void)?

    /// Creates a handler.
    public init(onAdd: (@Sendable (T) -> Void)? = nil, onUpdate: (@Sendable (T, T) -> Void)? = nil,
                onDelete: (@Sendable (T) -> Void)? = nil) {
        self.onAdd = onAdd
        self.onUpdate = onUpdate
        self.onDelete = onDelete
    }
}

/// A change delivered by an informer.
public enum InformerEvent<T: KubeObject>: Sendable {
    /// An object appeared.
    case added(T)
    /// An object changed (or was resynced).
    case updated(old: T, new: T)
    /// An object disappeared.
    case deleted(T)

    /// The `namespace/name` key of the object.
    public var key: String {
        switch self {
        case .added(let o), .deleted(let o): return o.key
        case .updated(_, let o): return o.key
        }
    }
}

/// A shared informer (client-go's SharedIndexInformer): lists and watches through a ``Watcher``,
/// keeps every object in a ``Store``, tells handlers and subscribers about changes, rebuilds after a
/// 410 relist (delivering deletions for objects that vanished meanwhile) and, optionally, re-delivers
/// every object as an update each `resyncPeriod`.
public final class Informer<T: KubeObject>: Sendable {
    /// The cache.
    public let store: Store<T>
    /// The list-watch source.
    public let watcher: Watcher<T>
    /// How often all objects are re-delivered as updates; nil disables resync.
    public let resyncPeriod: Duration?

    private struct State {
        var handlers: [InformerHandler<T>] = []
        var subscribers: [Int: AsyncStream<InformerEvent<T>>.Continuation] = [:]
        var synced = false
        var syncWaiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextID = 0
    }

    private let state = Locked(State())
    // Store changes and their delivery happen under this lock so resyncs never interleave with events.
    private let delivery = Locked(())

    /// An informer over any watcher (tests pass scripted sources).
    public init(watcher: Watcher<T>, resyncPeriod: Duration? = nil, indexers: [Indexer<T>] = Indexer<T>.defaults) {
        self.watcher = watcher
        self.resyncPeriod = resyncPeriod
        store = Store(indexers: indexers)
    }

    /// An informer over a typed resource. A nil namespace covers all namespaces.
    public convenience init(client: KubeClient, namespace: String? = nil, labelSelector: String? = nil,
                            fieldSelector: String? = nil, resyncPeriod: Duration? = nil,
                            indexers: [Indexer<T>] = Indexer<T>.defaults) where T: Resource {
        self.init(watcher: client.watcher(T.self, namespace: namespace, labelSelector: labelSelector, fieldSelector: fieldSelector),
                  resyncPeriod: resyncPeriod, indexers: indexers)
    }

    /// An informer over any resource, decoding objects as `T` (typically `JSON`).
    public convenience init(client: KubeClient, resource: DynamicResource, namespace: String? = nil,
                            labelSelector: String? = nil, fieldSelector: String? = nil, resyncPeriod: Duration? = nil,
                            indexers: [Indexer<T>] = Indexer<T>.defaults) {
        self.init(watcher: client.watcher(resource, as: T.self, namespace: namespace, labelSelector: labelSelector,
                                          fieldSelector: fieldSelector),
                  resyncPeriod: resyncPeriod, indexers: indexers)
    }

    /// True once the first list has been delivered.
    public var hasSynced: Bool { state.withLock { $0.synced } }

    /// Registers callbacks. Objects already in the store are delivered to it as additions first.
    public func addHandler(_ handler: InformerHandler<T>) {
        delivery.withLock { _ in
            state.withLock { $0.handlers.append(handler) }
            for o in store.list() { handler.onAdd?(o) }
        }
    }

    /// A stream of every change from now on (no replay); ends when ``run()`` returns.
    public func events() -> AsyncStream<InformerEvent<T>> {
        let (stream, continuation) = AsyncStream<InformerEvent<T>>.makeStream()
        let id = state.withLock { s -> Int in
            s.nextID += 1
            s.subscribers[s.nextID] = continuation
            return s.nextID
        }
        continuation.onTermination = { [weak self] _ in self?.state.withLock { _ = $0.subscribers.removeValue(forKey: id) } }
        return stream
    }

    /// The keys of changed objects, the usual input of a controller's workqueue.
    public func keys() -> AsyncStream<String> {
        let events = events()
        return AsyncStream { continuation in
            let task = Task {
                for await e in events { continuation.yield(e.key) }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Returns once the informer has synced (or the calling task is cancelled).
    public func waitForSync() async {
        let id = state.withLock { s -> Int in
            s.nextID += 1
            return s.nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.synced || Task.isCancelled { return true }
                    s.syncWaiters[id] = c
                    return false
                }
                if resumeNow { c.resume() }
            }
        } onCancel: {
            state.withLock { $0.syncWaiters.removeValue(forKey: id) }?.resume()
        }
    }

    /// Runs until the calling task is cancelled.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.consume() }
            if let period = resyncPeriod {
                group.addTask { await self.resyncLoop(period) }
            }
            await group.next()
            group.cancelAll()
        }
        let subscribers = state.withLock { s -> [AsyncStream<InformerEvent<T>>.Continuation] in
            defer { s.subscribers.removeAll() }
            return Array(s.subscribers.values)
        }
        for c in subscribers { c.finish() }
    }

    private func consume() async {
        for await event in watcher {
            apply(event)
        }
    }

    private func resyncLoop(_ period: Duration) async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: period) } catch { return }
            guard hasSynced else { continue }
            delivery.withLock { _ in
                for o in store.list() { deliver(.updated(old: o, new: o)) }
            }
        }
    }

    /// Applies one watcher event to the store and delivers the resulting changes.
    func apply(_ event: WatcherEvent<T>) {
        delivery.withLock { _ in
            switch event {
            case .restarted(let items):
                let changes = store.replace(with: items)
                for o in changes.added { deliver(.added(o)) }
                for (old, new) in changes.updated { deliver(.updated(old: old, new: new)) }
                for o in changes.deleted { deliver(.deleted(o)) }
                markSynced()
            case .added(let o), .modified(let o):
                if let old = store.upsert(o) { deliver(.updated(old: old, new: o)) } else { deliver(.added(o)) }
            case .deleted(let o):
                deliver(.deleted(store.remove(key: o.key) ?? o))
            }
        }
    }

    private func deliver(_ event: InformerEvent<T>) {
        let (handlers, subscribers) = state.withLock { ($0.handlers, Array($0.subscribers.values)) }
        for h in handlers {
            switch event {
            case .added(let o): h.onAdd?(o)
            case .updated(let old, let new): h.onUpdate?(old, new)
            case .deleted(let o): h.onDelete?(o)
            }
        }
        for s in subscribers { s.yield(event) }
    }

    private func markSynced() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.synced = true
            defer { s.syncWaiters.removeAll() }
            return Array(s.syncWaiters.values)
        }
        for w in waiters { w.resume() }
    }
}
