import FoundationEssentials
import Glibc
import RuntimeCore

/// The processes descended from one process, and the final sweep that ends them.
///
/// Why: the agent's process group gets the forwarded signals and the PTY hang-up, but a descendant that
/// called `setsid()` (a daemonising helper, a language server) is in neither, and one that ignores SIGTERM
/// would outlive a standalone supervisor (in a container the supervisor is PID 1, and the kernel ends the
/// whole PID namespace with it). As a child subreaper the supervisor inherits every orphan, so each such
/// process is still its descendant and the sweep finds it.
///
/// Only the `agent-supervisor` program sweeps (``SupervisorProgram``): a ``Supervisor`` embedded in another
/// process (the tests) must not end its host's other children.
public enum ProcessTree {
    /// Every living descendant of `root` (children, their children, ...), parents before their children.
    public static func descendants(of root: pid_t) -> [pid_t] {
        var children: [pid_t: [pid_t]] = [:]
        for pid in ProcStat.allProcesses() where pid != root {
            if let stat = ProcStat.read(pid), !stat.isGone { children[stat.parent, default: []].append(pid) }
        }
        var out: [pid_t] = []
        var queue = children[root] ?? []
        while !queue.isEmpty {
            let pid = queue.removeFirst()
            out.append(pid)
            queue += children[pid] ?? []
        }
        return out
    }

    /// Sends SIGTERM to every descendant of this process, waits up to `grace` for them to go, then SIGKILLs
    /// whatever is left (new ones included) until none is, or `grace` has passed a second time. Returns how
    /// many processes it signalled. Zombies count as gone: the reaper, or the supervisor's exit, collects them.
    @discardableResult
    public static func endDescendants(grace: Duration) async -> Int {
        let me = getpid()
        let first = descendants(of: me)
        guard !first.isEmpty else { return 0 }
        var signalled = Set(first)
        for pid in first { _ = kill(pid, SIGTERM) }
        let clock = ContinuousClock()
        let termDeadline = clock.now + grace, killDeadline = termDeadline + grace
        while clock.now < killDeadline {
            let left = descendants(of: me)
            if left.isEmpty { break }
            if clock.now >= termDeadline {
                signalled.formUnion(left)
                for pid in left { _ = kill(pid, SIGKILL) }
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return signalled.count
    }
}
