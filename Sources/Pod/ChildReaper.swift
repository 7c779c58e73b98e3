import FoundationEssentials
import Glibc
import RuntimeCore
import Synchronization

/// How a child process ended.
public enum ExitStatus: Sendable, Equatable, CustomStringConvertible {
    /// `exit(code)`.
    case exited(Int32)
    /// Killed by a signal.
    case signaled(Int32)

    /// Decodes a `waitpid` status (the W* macros are not visible from Swift).
    init(waitStatus st: Int32) {
        let low = st & 0x7f
        self = low == 0 ? .exited((st >> 8) & 0xff) : .signaled(low)
    }

    /// Shell convention: the exit code, or 128 + signal number.
    public var code: Int32 {
        switch self {
        case .exited(let c): return c
        case .signaled(let s): return 128 + s
        }
    }

    /// Whether the process exited with status 0.
    public var isSuccess: Bool { self == .exited(0) }

    public var description: String {
        switch self {
        case .exited(let c): return "exited with code \(c)"
        case .signaled(let s): return "killed by signal \(s) (\(signalName(s)))"
        }
    }
}

/// Reaps child processes on dedicated threads and reports the agent's exit.
///
/// Two modes: ``Mode/allChildren`` is for the real program, which may be PID 1 in a container or a child
/// subreaper, and so inherits orphans: one thread loops over `waitpid(-1)` and reaps everything, telling
/// registered pids apart from orphans. ``Mode/registeredOnly`` waits for registered pids only (one thread
/// each), for running inside a process that has other children it must not steal (the test runner).
public final class ChildReaper: Sendable {
    /// Which children this reaper collects.
    public enum Mode: Sendable {
        /// Every child, including orphans re-parented to this process.
        case allChildren
        /// Only processes started through ``spawn(_:)``.
        case registeredOnly
    }

    private struct State {
        var watched: [pid_t: OneShot<ExitStatus>] = [:]
        var orphansReaped = 0
        var running = false
    }

    /// The mode this reaper runs in.
    public let mode: Mode
    private let state = Mutex(State())
    /// Wakes the all-children thread when a child appears after `waitpid` said there were none; also
    /// serialises spawning with exit lookup (see ``spawn(_:)``).
    private let condition = ThreadCondition()

    /// Creates a reaper; the all-children thread starts with the first spawn.
    public init(mode: Mode) {
        self.mode = mode
    }

    /// Orphans (children not started through ``spawn(_:)``) reaped so far.
    public var orphansReaped: Int { state.withLock { $0.orphansReaped } }

    /// Runs `start` (which forks/spawns and returns the pid) and watches the new child. In all-children mode
    /// the spawn happens under the lock the reaper thread takes to look pids up, so a child that exits at once
    /// is still recognised as ours.
    func spawn(_ start: () throws(SupervisorError) -> pid_t) throws(SupervisorError) -> (pid: pid_t, exit: OneShot<ExitStatus>) {
        let exit = OneShot<ExitStatus>()
        condition.lock()
        let pid: pid_t
        do {
            pid = try start()
        } catch {
            condition.unlock()
            throw error
        }
        let firstSpawn = state.withLock { s -> Bool in
            s.watched[pid] = exit
            defer { s.running = true }
            return !s.running
        }
        condition.broadcast()
        condition.unlock()
        switch mode {
        case .allChildren:
            if firstSpawn { startThread("reaper") { [self] in reapAll() } }
        case .registeredOnly:
            startThread("reaper-\(pid)") { [self] in waitFor(pid) }
        }
        return (pid, exit)
    }

    private func waitFor(_ pid: pid_t) {
        var st: Int32 = 0
        while true {
            let r = waitpid(pid, &st, 0)
            if r == pid { break }
            if r < 0 && errno == EINTR { continue }
            // ECHILD: someone else reaped it (should not happen); report an unknown failure.
            st = 0xff00
            break
        }
        deliver(pid, ExitStatus(waitStatus: st))
    }

    private func reapAll() {
        var st: Int32 = 0
        while true {
            let r = waitpid(-1, &st, 0)
            if r > 0 {
                condition.lock()  // a spawn in progress finishes registering first
                condition.unlock()
                deliver(r, ExitStatus(waitStatus: st))
                continue
            }
            if errno == EINTR { continue }
            // ECHILD: nothing to wait for until the next spawn (or an orphan arrives; poll for those).
            condition.lock()
            _ = condition.wait(until: Date().addingTimeInterval(0.5))
            condition.unlock()
        }
    }

    private func deliver(_ pid: pid_t, _ status: ExitStatus) {
        let target = state.withLock { s -> OneShot<ExitStatus>? in
            if let w = s.watched.removeValue(forKey: pid) { return w }
            s.orphansReaped += 1
            return nil
        }
        target?.fulfill(status)
    }
}

/// `SIGTERM` style name of a signal number.
public func signalName(_ signal: Int32) -> String {
    SignalNames.byNumber[signal] ?? "SIG\(signal)"
}

/// Parses `SIGINT`, `INT`, `int` or `2` into a signal number.
public func signalNumber(_ name: String) -> Int32? {
    let upper = name.uppercased()
    if let n = Int32(upper), n > 0, n < 65 { return n }
    let full = upper.hasPrefix("SIG") ? upper : "SIG" + upper
    return SignalNames.byName[full]
}

enum SignalNames {
    static let table: [(String, Int32)] = [
        ("SIGHUP", SIGHUP), ("SIGINT", SIGINT), ("SIGQUIT", SIGQUIT), ("SIGKILL", SIGKILL), ("SIGUSR1", SIGUSR1),
        ("SIGUSR2", SIGUSR2), ("SIGPIPE", SIGPIPE), ("SIGALRM", SIGALRM), ("SIGTERM", SIGTERM), ("SIGCONT", SIGCONT),
        ("SIGSTOP", SIGSTOP), ("SIGTSTP", SIGTSTP), ("SIGWINCH", SIGWINCH), ("SIGABRT", SIGABRT),
    ]
    static let byName = Dictionary(uniqueKeysWithValues: table)
    static let byNumber = Dictionary(table.map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
}
