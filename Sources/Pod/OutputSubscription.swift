import FoundationEssentials
import RuntimeCore
import Synchronization

/// One consumer of the agent's output (an attached WebSocket viewer or an `/events` stream).
///
/// The PTY reader thread must never wait for a consumer, so ``push(_:)`` only appends to a bounded
/// queue. A consumer that falls more than ``capacity`` bytes behind is marked overflowed and dropped by its
/// owner (a viewer that cannot keep up reconnects and gets a fresh scrollback replay), which bounds memory
/// per consumer. The consumer side blocks in ``next(timeout:)`` on its own thread.
public final class OutputSubscription: Sendable {
    /// What the subscription receives.
    public enum Kind: Sendable {
        /// Raw output bytes (escape sequences included), for terminal viewers.
        case raw
        /// ANSI-stripped text of the output, plus state changes, for `/events`.
        case text
    }

    /// One queued item.
    public enum Item: Sendable, Equatable {
        /// Output bytes (raw or stripped text, by kind).
        case output(Data)
        /// A state change (the status JSON).
        case state(String)
        /// A named event with JSON data (turn events).
        case event(String, String)
    }

    private struct State {
        var items: [Item] = []
        var bytes = 0
        var overflowed = false
        var closed = false
    }

    /// Raw or text.
    public let kind: Kind
    /// Most bytes queued before the subscription counts as overflowed.
    public let capacity: Int
    private let state = Mutex(State())
    private let condition = ThreadCondition()

    init(kind: Kind, capacity: Int) {
        self.kind = kind
        self.capacity = capacity
    }

    /// Queues an item without blocking; past the capacity the subscription is marked overflowed.
    func push(_ item: Item) {
        let size: Int
        switch item {
        case .output(let d): size = d.count
        case .state(let s): size = s.utf8.count
        case .event(let name, let s): size = name.utf8.count + s.utf8.count
        }
        let accepted = state.withLock { s -> Bool in
            guard !s.closed, !s.overflowed else { return false }
            if s.bytes + size > capacity {
                s.overflowed = true
                s.items.removeAll()
                s.bytes = 0
                return true  // wake the consumer so it notices
            }
            // Coalesce consecutive output so a fast producer makes few large items.
            if case .output(let d) = item, case .output(var prev)? = s.items.last {
                s.items.removeLast()  // `prev` is now the only reference: appending does not copy
                prev.append(d)
                s.items.append(.output(prev))
            } else {
                s.items.append(item)
            }
            s.bytes += size
            return true
        }
        if accepted { wake() }
    }

    /// Whether the consumer fell too far behind (its owner should close it).
    public var isOverflowed: Bool { state.withLock { $0.overflowed } }

    /// Whether ``close()`` was called.
    public var isClosed: Bool { state.withLock { $0.closed } }

    /// Stops the subscription; a blocked ``next(timeout:)`` returns nil.
    public func close() {
        state.withLock { $0.closed = true }
        wake()
    }

    /// Waits up to `timeout` seconds for items and takes all queued ones. Returns an empty array on timeout and
    /// nil once closed or overflowed. Blocks: call it from a dedicated or server thread, never from a task.
    public func next(timeout: TimeInterval) -> [Item]? {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while true {
            let taken = state.withLock { s -> [Item]?? in
                if s.closed || s.overflowed { return .some(nil) }
                guard !s.items.isEmpty else { return nil }
                defer { s.items = []; s.bytes = 0 }
                return .some(s.items)
            }
            if let taken { return taken }
            if !condition.wait(until: deadline) { return [] }
        }
    }

    private func wake() {
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }
}
