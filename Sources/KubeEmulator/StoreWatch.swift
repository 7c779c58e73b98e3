import Foundation
import RuntimeCore

/// watch: subscriptions fed synchronously by every write (see `Watch.swift`).
extension APIStore {
    /// Starts a watch of `resource` in `namespace` (nil: all namespaces).
    ///
    /// - resourceVersion absent, "" or "0": synthetic ADDED events for the current matching objects, then
    ///   live events.
    /// - resourceVersion N: the retained events after N, then live events; 410 Expired
    ///   (`too old resource version: N (M)`) when events after N were already evicted from the history.
    ///   A real apiserver sends that error as a single ERROR watch event (see ``WatchEvent/error(_:)``).
    /// - sendInitialEvents true: the current objects as ADDED events whatever the resourceVersion, followed
    ///   (with allowBookmarks) by a BOOKMARK annotated `k8s.io/initial-events-end: "true"`; false: none.
    ///
    /// Selector transitions are reported as the apiserver's watch cache reports them: an object that stops
    /// matching arrives as DELETED, one that starts matching as ADDED. Bad selectors are a 400.
    public func watch(_ resource: ResourceInfo, namespace: String?, options: WatchOptions = WatchOptions()) throws(APIError) -> WatchSubscription {
        try locked { () throws(APIError) -> WatchSubscription in
            let labels = try LabelSelector(parsing: options.labelSelector)
            let fields = try FieldSelector(parsing: options.fieldSelector)
            try fields.validate(for: resource)
            let s = resource.storageKey
            let ns = resource.namespaced ? namespace.flatMap { $0.isEmpty ? nil : $0 } : nil
            let sub = WatchSubscription(resource: resource, namespace: ns, labelSelector: labels, fieldSelector: fields,
                                        bufferLimit: configuration.watchBufferSize, startRV: currentRV)
            let rvText = options.resourceVersion ?? ""
            var initial: [WatchEvent] = []
            if rvText.isEmpty || rvText == "0" || options.sendInitialEvents == true {
                if options.sendInitialEvents ?? true {
                    initial = (tables[s]?.objects ?? [:]).sorted { $0.key < $1.key }.compactMap { _, obj in
                        sub.event(for: HistoryEntry(rv: currentRV, type: .added, object: obj, previous: nil))
                    }
                }
                if options.sendInitialEvents == true && options.allowBookmarks {
                    initial.append(WatchSubscription.bookmark(resource, rv: currentRV, initialEventsEnd: true))
                }
            } else {
                guard let n = Int64(rvText), n >= 0 else {
                    throw .badRequest("invalid resource version: \(GoFormat.quote(rvText))")
                }
                let history = table(s).history
                guard let entries = history.since(n) else {
                    throw .expired("too old resource version: \(n) (\(history.oldestServable))")
                }
                initial = entries.compactMap { sub.event(for: $0) }
            }
            sub.enqueue(initial, progress: currentRV, force: true)
            let id = ObjectIdentifier(sub)
            sub.onCancel = { [weak self] in self?.unsubscribe(s, id) }
            subscribers[s, default: [:]][id] = sub
            return sub
        }
    }

    /// Drops all retained watch history, like an etcd compaction: afterwards a watch or a continue token
    /// from any earlier resourceVersion gets 410 Expired, so clients must relist. Open watches continue.
    public func compactHistory() {
        lock.lock()
        defer { lock.unlock() }
        for s in tables.keys { tables[s]?.history.compact(through: currentRV) }
    }

    /// Number of open watches (for tests and metrics).
    public var watchCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return subscribers.values.reduce(0) { $0 + $1.count }
    }

    private func unsubscribe(_ s: StorageKey, _ id: ObjectIdentifier) {
        lock.lock()
        subscribers[s]?.removeValue(forKey: id)
        lock.unlock()
    }
}
