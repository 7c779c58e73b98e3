import FoundationEssentials
import Glibc

// Dedicated OS threads and the lock/condition they wait on, straight over pthreads.
//
// Blocking work (civetweb's stop, PTY reads, waitpid, WebSocket handshakes) must stay off Swift's cooperative
// pool, so it runs here. These are pthreads rather than Foundation's `Thread`/`NSCondition` so that
// RuntimeCore and the supervisor need only FoundationEssentials: the full Foundation adds megabytes of
// resident code to every process that links it (docs/bench-supervisor.md).

/// Starts a detached thread running `body`. Its kernel name (`top -H`, `/proc/PID/task/*/comm`) is `name`,
/// cut to the 15 bytes Linux keeps.
///
/// The thread starts with every signal blocked, so it never takes a process-directed signal (SIGCHLD,
/// SIGTERM, ...) meant for a handler elsewhere: a SIGCHLD taken by a worker thread with the default
/// disposition is simply lost to libdispatch's signal sources (Foundation's `Process` then never learns that
/// its child exited).
/// Processes spawned from these threads get an explicit empty mask (`POSIX_SPAWN_SETSIGMASK`).
public func startThread(_ name: String, _ body: @escaping @Sendable () -> Void) {
    final class Start {
        let name: String
        let body: @Sendable () -> Void
        init(name: String, body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }
    let context = Unmanaged.passRetained(Start(name: name, body: body)).toOpaque()
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    defer { pthread_attr_destroy(&attributes) }
    pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
    var thread = pthread_t()
    let rc = withSignalsBlocked { pthread_create(&thread, &attributes, { raw in
        let start = Unmanaged<Start>.fromOpaque(raw!).takeRetainedValue()
        nameCurrentThread(start.name)
        start.body()
        return nil
    }, context) }
    // Only EAGAIN (out of threads or memory) can fail here; nothing sensible continues without the thread.
    precondition(rc == 0, "pthread_create(\(name)) failed: \(String(cString: strerror(rc)))")
}

/// Runs `body` with every signal blocked in the calling thread, then restores its mask. Threads created
/// inside (by `pthread_create` here, or by a C library such as civetweb) inherit the full mask.
public func withSignalsBlocked<T>(_ body: () throws -> T) rethrows -> T {
    var all = sigset_t()
    var previous = sigset_t()
    sigfillset(&all)
    pthread_sigmask(SIG_SETMASK, &all, &previous)
    defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
    return try body()
}

/// Sets the calling thread's kernel name. Through procfs because Glibc's `pthread_setname_np` is a GNU
/// extension that Swift's Glibc module does not export; a failure only loses the name.
private func nameCurrentThread(_ name: String) {
    let fd = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { return }
    defer { close(fd) }
    let bytes = Array(name.utf8.prefix(15))
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
}

/// A mutex with a condition variable, for threads that wait for each other: the pthread pair behind
/// Foundation's `NSCondition`, with the same lock/wait/broadcast protocol.
public final class ThreadCondition: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    /// Creates an unlocked mutex and its condition.
    public init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Takes the mutex.
    public func lock() { pthread_mutex_lock(mutex) }

    /// Releases the mutex.
    public func unlock() { pthread_mutex_unlock(mutex) }

    /// Runs `body` holding the mutex.
    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock()
        defer { unlock() }
        return try body()
    }

    /// Releases the mutex, sleeps until signalled, and takes the mutex again. Callers hold the mutex and
    /// re-check their predicate in a loop (wake-ups may be spurious).
    public func wait() { pthread_cond_wait(condition, mutex) }

    /// Like ``wait()``, but gives up at `deadline` (wall clock, like `NSCondition`); false if it timed out.
    public func wait(until deadline: Date) -> Bool {
        let seconds = deadline.timeIntervalSince1970
        let whole = seconds.rounded(.down)
        var ts = timespec(tv_sec: Int(whole), tv_nsec: Int((seconds - whole) * 1_000_000_000))
        return pthread_cond_timedwait(condition, mutex, &ts) != ETIMEDOUT
    }

    /// Wakes one waiter.
    public func signal() { pthread_cond_signal(condition) }

    /// Wakes every waiter.
    public func broadcast() { pthread_cond_broadcast(condition) }
}
