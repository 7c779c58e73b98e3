import Foundation
import RuntimeCore

/// One event of a watch stream.
public struct WatchEvent: Sendable, Equatable {
    /// The event type.
    public enum EventType: String, Sendable {
        case added = "ADDED", modified = "MODIFIED", deleted = "DELETED", bookmark = "BOOKMARK", error = "ERROR"
    }

    /// ADDED, MODIFIED, DELETED, BOOKMARK or ERROR.
    public var type: EventType
    /// The object (a Status for ERROR, a bare kind/apiVersion/metadata.resourceVersion for BOOKMARK).
    public var object: JSON

    /// Creates an event.
    public init(type: EventType, object: JSON) {
        self.type = type
        self.object = object
    }

    /// The wire form `{"type": "...", "object": {...}}`.
    public var json: JSON { ["type": .string(type.rawValue), "object": object] }

    /// An ERROR event carrying the error's Status. A real apiserver reports a too-old resourceVersion this
    /// way (HTTP 200, then one ERROR event) rather than as an HTTP 410.
    public static func error(_ error: APIError) -> WatchEvent { WatchEvent(type: .error, object: error.status) }
}

/// One write as remembered for watch replay.
struct HistoryEntry: Sendable {
    var rv: Int64
    var type: WatchEvent.EventType
    /// The object after the write (for DELETED: the last state, carrying the deletion's resourceVersion).
    var object: JSON
    /// The object before the write (nil for ADDED), used for selector transitions.
    var previous: JSON?
}

/// A bounded ring of the most recent writes of one resource.
struct WatchHistory {
    let capacity: Int
    private var entries: [HistoryEntry] = []
    private var head = 0
    /// The resourceVersion of the newest evicted entry (or of the moment the history started): a watch
    /// from an older resourceVersion can no longer be served.
    private(set) var evictedThrough: Int64

    init(capacity: Int, startingAt rv: Int64) {
        self.capacity = max(1, capacity)
        evictedThrough = rv
    }

    mutating func append(_ e: HistoryEntry) {
        if entries.count < capacity {
            entries.append(e)
        } else {
            evictedThrough = entries[head].rv
            entries[head] = e
            head = (head + 1) % capacity
        }
    }

    /// Forgets everything up to `rv`, as an etcd compaction does.
    mutating func compact(through rv: Int64) {
        entries = []
        head = 0
        evictedThrough = max(evictedThrough, rv)
    }

    /// Entries in order, oldest first.
    var ordered: [HistoryEntry] { Array(entries[head...] + entries[..<head]) }

    /// The oldest retained resourceVersion minus one, as the apiserver prints it in "too old" errors.
    var oldestServable: Int64 { entries.isEmpty ? evictedThrough : ordered[0].rv - 1 }

    /// Entries after `rv`; nil when some of them were already evicted.
    func since(_ rv: Int64) -> [HistoryEntry]? {
        if rv < evictedThrough { return nil }
        return ordered.filter { $0.rv > rv }
    }
}

/// A live watch: events matching the subscription's namespace and selectors, in order.
///
/// Consumed from one server thread: call ``next(timeout:)`` in a loop; `nil` means either the timeout
/// passed (send a bookmark or check the client, then call again) or the watch ended — check ``isClosed``.
/// A subscriber that falls more than its buffer size behind is closed (the client re-watches from its last
/// resourceVersion and gets the missed events replayed), so slow clients never block writers.
public final class WatchSubscription: @unchecked Sendable {
    /// The resource (and version) the events are rendered in.
    public let resource: ResourceInfo
    let namespace: String?
    let labelSelector: LabelSelector
    let fieldSelector: FieldSelector
    private let bufferLimit: Int
    private let condition = NSCondition()
    private var buffer: [WatchEvent] = []
    private var head = 0
    private var closed = false
    /// resourceVersion up to which this subscription has seen every write of its resource.
    private var progressRV: Int64
    /// resourceVersion of the last event handed out by next().
    private var deliveredRV: Int64
    var onCancel: (@Sendable () -> Void)?

    init(resource: ResourceInfo, namespace: String?, labelSelector: LabelSelector, fieldSelector: FieldSelector,
         bufferLimit: Int, startRV: Int64) {
        self.resource = resource
        self.namespace = namespace
        self.labelSelector = labelSelector
        self.fieldSelector = fieldSelector
        self.bufferLimit = max(1, bufferLimit)
        progressRV = startRV
        deliveredRV = startRV
    }

    /// Waits up to `timeout` for the next event. Nil on timeout or when the watch has ended (``isClosed``).
    public func next(timeout: Duration) -> WatchEvent? {
        let (secs, atto) = timeout.components
        let deadline = Date().addingTimeInterval(Double(secs) + Double(atto) / 1e18)
        condition.lock()
        defer { condition.unlock() }
        while head == buffer.count && !closed {
            if !condition.wait(until: deadline) { break }
        }
        guard head < buffer.count else { return nil }
        let e = buffer[head]
        head += 1
        if head == buffer.count { buffer.removeAll(keepingCapacity: true); head = 0 }
        if let rv = Int64(e.object.metadata["resourceVersion"].stringValue ?? "") { deliveredRV = max(deliveredRV, rv) }
        return e
    }

    /// True once the watch ended (cancelled or overflowed) and every buffered event was consumed.
    public var isClosed: Bool {
        condition.lock()
        defer { condition.unlock() }
        return closed && head == buffer.count
    }

    /// Stops the watch and releases it from the store. Safe to call more than once, from any thread.
    public func cancel() {
        condition.lock()
        let callback = closed ? nil : onCancel
        closed = true
        onCancel = nil
        condition.broadcast()
        condition.unlock()
        callback?()
    }

    /// A BOOKMARK event with the newest resourceVersion the client may safely resume from.
    public func bookmark() -> WatchEvent {
        condition.lock()
        let rv = head == buffer.count ? max(progressRV, deliveredRV) : deliveredRV
        condition.unlock()
        return Self.bookmark(resource, rv: rv, initialEventsEnd: false)
    }

    static func bookmark(_ resource: ResourceInfo, rv: Int64, initialEventsEnd: Bool) -> WatchEvent {
        var meta: JSON = ["resourceVersion": .string(String(rv))]
        if initialEventsEnd { meta["annotations"] = ["k8s.io/initial-events-end": "true"] }
        return WatchEvent(type: .bookmark, object: ["kind": .string(resource.kind),
                                                    "apiVersion": .string(resource.apiVersion), "metadata": meta])
    }

    // MARK: Store side (called with the store lock held)

    private func matches(_ object: JSON) -> Bool {
        if let namespace, object.namespace != namespace { return false }
        if !labelSelector.matches(object.labels) { return false }
        return fieldSelector.isEmpty || fieldSelector.matches(FieldLabels.values(object, resource))
    }

    /// Renders a stored object in the subscription's version.
    private func render(_ object: JSON) -> JSON {
        var o = object
        o["apiVersion"] = .string(resource.apiVersion)
        return o
    }

    /// Turns a write into what this watcher sees, applying selector transitions like the apiserver's cacher:
    /// an object that stops matching is DELETED (previous content, new resourceVersion), one that starts
    /// matching is ADDED.
    func event(for entry: HistoryEntry) -> WatchEvent? {
        let now = matches(entry.object)
        let before = entry.previous.map(matches) ?? false
        switch entry.type {
        case .added: return now ? WatchEvent(type: .added, object: render(entry.object)) : nil
        case .deleted: return now ? WatchEvent(type: .deleted, object: render(entry.object)) : nil
        default:
            if now && before { return WatchEvent(type: .modified, object: render(entry.object)) }
            if now { return WatchEvent(type: .added, object: render(entry.object)) }
            if before, var old = entry.previous {
                old.metadata["resourceVersion"] = .string(String(entry.rv))
                return WatchEvent(type: .deleted, object: render(old))
            }
            return nil
        }
    }

    /// Queues events without blocking; closes the subscription when the buffer would overflow.
    /// `force` lifts the limit (initial events and replay, which are bounded by the store's size).
    func enqueue(_ events: [WatchEvent], progress rv: Int64, force: Bool = false) {
        condition.lock()
        defer { condition.unlock() }
        guard !closed else { return }
        if !force && buffer.count - head + events.count > bufferLimit {
            closed = true
            condition.broadcast()
            return
        }
        buffer.append(contentsOf: events)
        progressRV = max(progressRV, rv)
        if !events.isEmpty { condition.broadcast() }
    }

    /// Offers one write; returns false once the subscription is closed (so the store can drop it).
    func offer(_ entry: HistoryEntry) -> Bool {
        enqueue(event(for: entry).map { [$0] } ?? [], progress: entry.rv)
        condition.lock()
        defer { condition.unlock() }
        return !closed
    }
}
