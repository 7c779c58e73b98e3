import Foundation
import Synchronization

/// An async semaphore: at most `limit` holders at once, the rest wait in FIFO order without blocking a
/// thread. Bounds how many etcd requests or health checks one component has in flight.
final class AsyncLimiter: Sendable {
    private struct State {
        var available: Int
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>

    init(limit: Int) { state = Mutex(State(available: max(1, limit))) }

    func acquire() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let granted = state.withLock { s -> Bool in
                if s.available > 0 {
                    s.available -= 1
                    return true
                }
                s.waiters.append(c)
                return false
            }
            if granted { c.resume() }
        }
    }

    func release() {
        let next = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if s.waiters.isEmpty {
                s.available += 1
                return nil
            }
            return s.waiters.removeFirst()
        }
        next?.resume()
    }

    /// Runs `body` while holding one permit.
    func run<T: Sendable>(_ body: () async -> T) async -> T {
        await acquire()
        defer { release() }
        return await body()
    }
}

/// Lets a scheduler loop sleep until a deadline or until someone pokes it, whichever comes first.
/// A poke while nobody sleeps is remembered, so a change made just before the loop goes to sleep is
/// never missed.
final class Wakeup: Sendable {
    private struct State {
        var waiter: CheckedContinuation<Void, Never>?
        var timer: Task<Void, Never>?
        var pending = false
        var generation: UInt64 = 0
    }

    private let state = Mutex(State())

    init() {}

    /// Sleeps until `deadline` or the next ``poke()``.
    func wait(until deadline: ContinuousClock.Instant) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let immediate = state.withLock { s -> Bool in
                if s.pending {
                    s.pending = false
                    return true
                }
                s.generation &+= 1
                let generation = s.generation
                s.waiter = c
                s.timer = Task { [self] in
                    try? await Task.sleep(until: deadline, clock: .continuous)
                    self.fire(generation)
                }
                return false
            }
            if immediate { c.resume() }
        }
    }

    /// Wakes the sleeper now, or the next sleeper immediately.
    func poke() {
        let (waiter, timer) = state.withLock { s -> (CheckedContinuation<Void, Never>?, Task<Void, Never>?) in
            guard let w = s.waiter else {
                s.pending = true
                return (nil, nil)
            }
            s.waiter = nil
            let t = s.timer
            s.timer = nil
            return (w, t)
        }
        timer?.cancel()
        waiter?.resume()
    }

    private func fire(_ generation: UInt64) {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard s.generation == generation, let w = s.waiter else { return nil }
            s.waiter = nil
            s.timer = nil
            return w
        }
        waiter?.resume()
    }
}
