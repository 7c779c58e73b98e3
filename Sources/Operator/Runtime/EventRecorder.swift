import Foundation
import KubeClient
import RuntimeCore
import Synchronization

/// Writes core/v1 Events (what `kubectl describe` shows) without ever making a reconcile wait.
///
/// ``record(_:type:reason:message:)`` correlates the event (``EventCorrelator``: aggregation,
/// deduplication into `count`, spam filter) and queues the resulting write; writer tasks send them
/// with bounded concurrency. Writes of one Event never overlap: a newer state of a queued Event
/// replaces it, and one in flight holds back its successor, so counts never go backwards. When the queue is full the newest event is dropped and counted, as
/// client-go's broadcaster does: events are best effort, reconciles are not.
public final class EventRecorder: Sendable {
    /// Event types.
    public enum EventType: String, Sendable {
        /// Something expected happened.
        case normal = "Normal"
        /// Something needs attention.
        case warning = "Warning"
    }

    private struct Pending: Sendable {
        /// The Event's name: writes of one Event never overlap or reorder (a count of 3 must not land after 4).
        var name: String
        var namespace: String
        var object: ObjectReference
        var outcome: EventCorrelator.Outcome
        var type: String
        var reason: String
        var at: Date
    }

    private struct State {
        var correlator: EventCorrelator
        var queue: [Pending] = []
        var waiters: [CheckedContinuation<Void, Never>] = []
        var inFlight: Set<String> = []
        var dropped = 0
        var stopped = false
    }

    /// The reporting component (`source.component`, `reportingComponent`).
    public let component: String
    /// This process (`reportingInstance`).
    public let instance: String
    private let client: KubeClient
    private let logger: Logger
    private let capacity: Int
    private let concurrency: Int
    private let state: Mutex<State>

    /// Creates a recorder; call ``run()`` to start writing.
    public init(client: KubeClient, component: String = "agent-operator", instance: String, capacity: Int = 4096,
                concurrency: Int = 4, options: EventCorrelator.Options = .init(), logger: Logger = Logger(label: "events")) {
        self.client = client
        self.component = component
        self.instance = instance
        self.capacity = capacity
        self.concurrency = max(1, concurrency)
        self.logger = logger
        state = Mutex(State(correlator: EventCorrelator(options: options)))
    }

    /// Events dropped because the queue was full.
    public var droppedCount: Int { state.withLock { $0.dropped } }
    /// Events waiting to be written.
    public var pendingCount: Int { state.withLock { $0.queue.count } }

    /// Emits an event about `object` (which must carry namespace, name and uid). Never blocks.
    public func record(_ object: ObjectReference, type: EventType, reason: String, message: String) {
        let text = String(message.prefix(1024))
        let input = EventCorrelator.Input(object: object, type: type.rawValue, reason: reason, message: text)
        let now = Date()
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard !s.stopped else { return nil }
            let outcome = s.correlator.correlate(input, now: now)
            if outcome == .drop { return nil }
            guard s.queue.count < capacity else {
                s.dropped += 1
                return nil
            }
            let name: String
            switch outcome {
            case .create(let n, _, _, _), .update(let n, _, _, _): name = n
            case .drop: return nil
            }
            let item = Pending(name: name, namespace: object.namespace ?? "default", object: object, outcome: outcome,
                               type: type.rawValue, reason: reason, at: now)
            // A newer state of a queued Event replaces it (a create stays a create, with the newer count).
            if let i = s.queue.firstIndex(where: { $0.name == name }) {
                var merged = item
                if case .create = s.queue[i].outcome, case .update(let n, let m, let c, let f) = outcome {
                    merged.outcome = .create(name: n, message: m, count: c, firstSeen: f)
                }
                s.queue[i] = merged
                return nil
            }
            s.queue.append(item)
            return s.waiters.isEmpty ? nil : s.waiters.removeFirst()
        }
        waiter?.resume()
    }

    /// Writes queued events until ``stop()``, then what is still queued, so the last transitions of a
    /// shutdown are not lost.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrency {
                group.addTask { await self.writer() }
            }
            await group.waitForAll()
        }
    }

    /// Stops the writers after the queue drains.
    public func stop() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.stopped = true
            defer { s.waiters.removeAll() }
            return s.waiters
        }
        for w in waiters { w.resume() }
    }

    private func writer() async {
        while true {
            guard let next = await nextPending() else { return }
            await write(next)
            // Done with this Event: a queued newer state of it may go now.
            let wake = state.withLock { s -> [CheckedContinuation<Void, Never>] in
                s.inFlight.remove(next.name)
                if s.stopped && s.queue.isEmpty {
                    defer { s.waiters.removeAll() }
                    return s.waiters
                }
                return s.queue.contains { $0.name == next.name } && !s.waiters.isEmpty ? [s.waiters.removeFirst()] : []
            }
            for w in wake { w.resume() }
        }
    }

    private func nextPending() async -> Pending? {
        while true {
            let (item, stopped): (Pending?, Bool) = state.withLock { s in
                guard let i = s.queue.firstIndex(where: { !s.inFlight.contains($0.name) }) else {
                    return (nil, s.stopped && s.queue.isEmpty)
                }
                let item = s.queue.remove(at: i)
                s.inFlight.insert(item.name)
                return (item, false)
            }
            if let item { return item }
            if stopped { return nil }
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s -> Bool in
                    if s.queue.contains(where: { !s.inFlight.contains($0.name) }) || (s.stopped && s.queue.isEmpty) { return true }
                    s.waiters.append(c)
                    return false
                }
                if resumeNow { c.resume() }
            }
        }
    }

    private func write(_ p: Pending) async {
        switch p.outcome {
        case .drop:
            return
        case .create(let name, let message, let count, let firstSeen):
            await create(p, name: name, message: message, count: count, firstSeen: firstSeen)
        case .update(let name, let message, let count, let firstSeen):
            let patch: JSON = ["count": .int(Int64(count)), "message": .string(message),
                               "lastTimestamp": .string(RFC3339.format(p.at, fractionDigits: 0))]
            do {
                _ = try await client.patch(Event.resource, name: name, namespace: p.namespace, .merge(patch))
            } catch let e where e.isNotFound {
                // Expired or deleted meanwhile: write it afresh under the same name.
                await create(p, name: name, message: message, count: count, firstSeen: firstSeen)
            } catch {
                logger.debug("event update failed", ["reason": .string(p.reason), "error": .string(error.description)])
            }
        }
    }

    private func create(_ p: Pending, name: String, message: String, count: Int, firstSeen: Date) async {
        var event = Event(metadata: ObjectMeta(name: name, namespace: p.namespace), involvedObject: p.object,
                          reason: p.reason, message: message, type: p.type, source: EventSource(component: component),
                          firstTimestamp: Time(firstSeen), lastTimestamp: Time(p.at), count: count,
                          reportingComponent: component, reportingInstance: instance)
        event.action = "Reconcile"
        do {
            _ = try await client.create(event, returning: TypeMeta.self)
        } catch let e where e.isAlreadyExists {
            return
        } catch {
            logger.debug("event write failed", ["reason": .string(p.reason), "error": .string(error.description)])
        }
    }
}
