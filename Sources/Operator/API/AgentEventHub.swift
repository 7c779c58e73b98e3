import Foundation
import RuntimeCore
import Synchronization

/// The change feed behind `GET /events`: compares the backend's agent list with the last one it saw and
/// fans the differences out to every subscriber as server-sent events.
///
/// Why diffing lists instead of forwarding backend callbacks: both backends learn about changes in many
/// places (informer events, supervisor checks, registry events, process exits); comparing whole views
/// turns all of them into exactly one event per visible change, never a duplicate, in one order for every
/// subscriber. The backend's ``AgentBackend/onChange(_:)`` callback only says "look now"; a periodic look
/// (every `refreshInterval`) catches anything no callback announced (health read from a monitor).
///
/// Events (`event:` name, `data:` JSON):
/// - `agent`: `{"type": "existing"|"added"|"modified"|"deleted", "agent": {...}, "previousPhase": "..."}`;
///   `existing` is the current list sent to a new subscriber first.
/// - `login_required`: `{"agentId", "namespace", "phase", "url", "code", "message", "since"}` when an agent
///   starts waiting for a login or shows a new URL/code (also sent on connect for agents already waiting).
/// - `login_completed`: `{"agentId", "namespace", "phase"}` when it no longer waits.
public final class AgentEventHub: Sendable {
    /// One server-sent event.
    public struct Event: Sendable, Equatable {
        /// The `event:` name.
        public var name: String
        /// The `data:` payload.
        public var data: JSON
        /// The agent it is about.
        public var agentId: String
    }

    /// A subscriber's queue; the SSE handler's worker thread waits on it.
    public final class Subscription: @unchecked Sendable {
        /// Only events about this agent, when set.
        public let agentId: String?
        private let condition = NSCondition()
        private var queue: [Event] = []
        private var closed = false
        /// Most events held for a subscriber that does not read; beyond it the subscription ends (the
        /// client reconnects and gets the current list again).
        static let limit = 10_000

        init(agentId: String?) { self.agentId = agentId }

        func push(_ events: [Event]) {
            let mine = agentId.map { id in events.filter { $0.agentId == id } } ?? events
            guard !mine.isEmpty else { return }
            condition.lock()
            if !closed {
                queue += mine
                if queue.count > Self.limit { closed = true }
            }
            condition.signal()
            condition.unlock()
        }

        /// Waits up to `timeout` seconds: the queued events, `[]` on timeout, nil once closed.
        public func next(timeout: TimeInterval) -> [Event]? {
            condition.lock()
            defer { condition.unlock() }
            let deadline = Date(timeIntervalSinceNow: timeout)
            while queue.isEmpty && !closed {
                if !condition.wait(until: deadline) { break }
            }
            if closed { return nil }
            defer { queue.removeAll() }
            return queue
        }

        /// Ends the subscription.
        public func close() {
            condition.lock()
            closed = true
            condition.signal()
            condition.unlock()
        }
    }

    private struct State {
        var snapshot: [String: AgentInfo] = [:]
        var subscribers: [ObjectIdentifier: Subscription] = [:]
        var listsTaken = 0
        var listApplied = 0
        var primed = false
    }

    private let backend: any AgentBackend
    private let refreshInterval: Duration
    private let state = Mutex(State())
    private let wake = WakeSignal()

    /// Creates a hub over `backend` and registers for its change callbacks.
    public init(backend: any AgentBackend, refreshInterval: Duration = .seconds(2)) {
        self.backend = backend
        self.refreshInterval = refreshInterval
        backend.onChange { [wake] in wake.poke() }
    }

    /// Refreshes on every change callback and every `refreshInterval` until the task is cancelled.
    public func run() async {
        while !Task.isCancelled {
            await refresh()
            await wake.wait(until: .now + refreshInterval)
            // Coalesce a burst of callbacks (a status write often follows an informer event closely).
            try? await Task.sleep(for: .milliseconds(20))
        }
        let subs = state.withLock { s -> [Subscription] in
            defer { s.subscribers.removeAll() }
            return Array(s.subscribers.values)
        }
        for sub in subs { sub.close() }
    }

    /// Asks for a refresh soon.
    public func poke() { wake.poke() }

    /// Lists the backend and publishes what changed. Lists that finish out of order are dropped, so an
    /// older list never overwrites a newer one.
    public func refresh() async {
        let ticket = state.withLock { s -> Int in
            s.listsTaken += 1
            return s.listsTaken
        }
        let agents = await backend.list()
        state.withLock { s in
            guard ticket > s.listApplied else { return }
            s.listApplied = ticket
            let next = Dictionary(agents.map { ($0.agentId, $0) }, uniquingKeysWith: { a, _ in a })
            let events = s.primed ? Self.diff(old: s.snapshot, new: next) : []
            s.snapshot = next
            s.primed = true
            // Pushed under the lock, so a subscriber added meanwhile sees the snapshot or the events, never
            // both and never neither.
            for sub in s.subscribers.values { sub.push(events) }
        }
    }

    /// Subscribes; returns the subscription and the events that describe the current state (to send first).
    public func subscribe(agentId: String? = nil) async -> (Subscription, [Event]) {
        if !state.withLock({ $0.primed }) { await refresh() }
        let sub = Subscription(agentId: agentId)
        let initial = state.withLock { s -> [Event] in
            s.subscribers[ObjectIdentifier(sub)] = sub
            var out: [Event] = []
            for id in s.snapshot.keys.sorted() where agentId == nil || agentId == id {
                let a = s.snapshot[id]!
                out.append(Self.agentEvent("existing", a, previous: nil))
                if a.needsLogin { out.append(Self.loginRequired(a)) }
            }
            return out
        }
        return (sub, initial)
    }

    /// Ends a subscription.
    public func unsubscribe(_ sub: Subscription) {
        _ = state.withLock { $0.subscribers.removeValue(forKey: ObjectIdentifier(sub)) }
        sub.close()
    }

    /// Number of subscribers (tests, metrics).
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    // MARK: Diffing

    static func diff(old: [String: AgentInfo], new: [String: AgentInfo]) -> [Event] {
        var out: [Event] = []
        for id in new.keys.sorted() {
            let n = new[id]!
            guard let o = old[id] else {
                out.append(agentEvent("added", n, previous: nil))
                if n.needsLogin { out.append(loginRequired(n)) }
                continue
            }
            guard o != n else { continue }
            out.append(agentEvent("modified", n, previous: o.phase))
            if n.needsLogin, !o.needsLogin || o.login?.url != n.login?.url || o.login?.code != n.login?.code {
                out.append(loginRequired(n))
            } else if o.needsLogin, !n.needsLogin {
                out.append(Event(name: "login_completed", data: ["agentId": .string(n.agentId), "namespace": .string(n.namespace),
                                                                 "phase": .string(n.phase)], agentId: id))
            }
        }
        for id in old.keys.sorted() where new[id] == nil {
            out.append(agentEvent("deleted", old[id]!, previous: old[id]!.phase))
        }
        return out
    }

    static func agentEvent(_ type: String, _ a: AgentInfo, previous: String?) -> Event {
        var data: JSON = ["type": .string(type), "agent": a.json]
        if let previous, previous != a.phase { data["previousPhase"] = .string(previous) }
        return Event(name: "agent", data: data, agentId: a.agentId)
    }

    static func loginRequired(_ a: AgentInfo) -> Event {
        let l = a.login ?? AgentInfo.Login()
        return Event(name: "login_required", data: [
            "agentId": .string(a.agentId), "namespace": .string(a.namespace), "phase": .string(a.phase),
            "url": l.url.map(JSON.string) ?? .null, "code": l.code.map(JSON.string) ?? .null,
            "message": l.message.map(JSON.string) ?? .null, "since": l.since.map(JSON.string) ?? .null,
        ], agentId: a.agentId)
    }
}
