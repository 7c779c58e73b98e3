import CPodSupport
import FoundationEssentials
import RuntimeCore
import Synchronization

/// A value that is set once and can be awaited by any number of tasks, or waited for from a plain thread.
///
/// The bridge between the supervisor's dedicated threads (PTY reader, child reaper) and async code: the
/// thread calls ``fulfill(_:)``, async code `await`s ``value``, without ever blocking the cooperative pool.
final class OneShot<Value: Sendable>: Sendable {
    private struct State {
        var value: Value?
        var waiters: [Int: CheckedContinuation<Value?, Never>] = [:]
        var nextID = 0
    }
    private let state = Mutex(State())
    private let condition = ThreadCondition()

    init() {}

    /// Sets the value (the first call wins) and wakes every waiter.
    func fulfill(_ value: Value) {
        let waiters: [CheckedContinuation<Value?, Never>] = state.withLock { s in
            guard s.value == nil else { return [] }
            s.value = value
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        condition.lock()
        condition.broadcast()
        condition.unlock()
        for w in waiters { w.resume(returning: value) }
    }

    /// The value if already set.
    var current: Value? { state.withLock { $0.value } }

    /// Waits (asynchronously) for the value.
    var value: Value {
        get async {
            // Without a timeout the continuation is only resumed by fulfill, with a value.
            await wait(timeout: nil)!
        }
    }

    /// Waits up to `timeout` for the value; nil on timeout. Async, never blocks a pool thread.
    func value(timeout: Duration) async -> Value? { await wait(timeout: timeout) }

    private func wait(timeout: Duration?) async -> Value? {
        await withCheckedContinuation { (c: CheckedContinuation<Value?, Never>) in
            let id: Int? = state.withLock { s in
                if s.value != nil { return nil }
                let id = s.nextID
                s.nextID += 1
                s.waiters[id] = c
                return id
            }
            guard let id else { c.resume(returning: current); return }
            if let timeout {
                Task {
                    try? await Task.sleep(for: timeout)
                    let waiter = self.state.withLock { $0.waiters.removeValue(forKey: id) }
                    waiter?.resume(returning: nil)
                }
            }
        }
    }

    /// Blocks the calling (non-pool) thread up to `timeout` seconds for the value.
    func wait(timeout: TimeInterval) -> Value? {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let v = current { return v }
            if !condition.wait(until: deadline) { return current }
        }
    }
}
