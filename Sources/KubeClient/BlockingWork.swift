import Foundation

/// A value guarded by a lock, for the little shared mutable state that does not warrant an actor
/// (caches read on every request, informer stores read from many tasks).
///
/// The lock is never held across an `await`, so it cannot stall the cooperative pool for long.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    /// Runs `body` with exclusive access to the value.
    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }

    /// A copy of the current value.
    var current: Value { withLock { $0 } }
}

/// Runs blocking work (file reads, child processes) on a dedicated thread and resumes the caller when
/// it is done.
///
/// The Swift cooperative pool has as many threads as cores (two on our machines); a blocking call there
/// stalls every task in the process, so anything that may block goes through here.
enum BlockingWork {
    /// Runs `body` on a fresh thread and returns its result.
    static func run<T: Sendable>(
        name: String = "kubeclient-blocking", _ body: @escaping @Sendable () throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { (cont: CheckedContinuation<T, any Error>) in
            let thread = Thread {
                do { cont.resume(returning: try body()) } catch { cont.resume(throwing: error) }
            }
            thread.name = name
            thread.start()
        }
    }

    /// Reads a whole file on a dedicated thread.
    static func readFile(_ path: String) async throws -> Data {
        try await run(name: "kubeclient-read") { try Data(contentsOf: URL(fileURLWithPath: path)) }
    }
}
