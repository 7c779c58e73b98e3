import Foundation
import RuntimeCore

/// Spawning and inspecting the processes of local mode, with what Foundation's `Process` cannot do: a new
/// session (so the child is its own process group and no terminal signal of the daemon reaches it), every
/// inherited descriptor closed, default signal dispositions, and `/proc` checks that tell a live process
/// from a recycled pid.
public enum ProcessTools {
    /// Why a spawn failed.
    public struct SpawnError: Error, CustomStringConvertible, Sendable {
        /// errno.
        public let code: Int32
        /// What was being spawned.
        public let path: String
        public var description: String { "cannot start \(path): \(String(cString: strerror(code)))" }
    }

    /// glibc's `POSIX_SPAWN_SETSID` (a GNU extension Swift's Glibc module does not export).
    static let spawnSetSID: Int32 = 0x80

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32

    private typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, UnsafePointer<CChar>?) -> Int32

    /// `posix_spawn_file_actions_addclosefrom_np` (glibc 2.34+), looked up at run time.
    private static let addCloseFrom: AddCloseFrom? = {
        guard let handle = dlopen(nil, RTLD_NOW), let sym = dlsym(handle, "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(sym, to: AddCloseFrom.self)
    }()

    /// `posix_spawn_file_actions_addchdir_np` (glibc 2.29+), looked up at run time.
    private static let addChdir: AddChdir? = {
        guard let handle = dlopen(nil, RTLD_NOW), let sym = dlsym(handle, "posix_spawn_file_actions_addchdir_np") else { return nil }
        return unsafeBitCast(sym, to: AddChdir.self)
    }()

    /// Starts `path` with `arguments` (argv[1...]) and exactly `environment`, as the leader of a new
    /// session, stdin from /dev/null, stdout and stderr appended to `logPath` (created 0600), all other
    /// descriptors closed, signal mask empty and every disposition default, in `directory` when given.
    /// Returns the pid.
    public static func spawn(path: String, arguments: [String], environment: [String: String], logPath: String,
                             directory: String? = nil) throws(SpawnError) -> pid_t
    {
        var attr = posix_spawnattr_t()
        var actions = posix_spawn_file_actions_t()
        posix_spawnattr_init(&attr)
        posix_spawn_file_actions_init(&actions)
        defer {
            posix_spawnattr_destroy(&attr)
            posix_spawn_file_actions_destroy(&actions)
        }
        var empty = sigset_t()
        var all = sigset_t()
        sigemptyset(&empty)
        sigfillset(&all)
        let flags = spawnSetSID | Int32(POSIX_SPAWN_SETSIGMASK) | Int32(POSIX_SPAWN_SETSIGDEF)
        posix_spawnattr_setflags(&attr, Int16(flags))
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        if let directory, let addChdir { _ = addChdir(&actions, directory) }
        if let addCloseFrom {
            _ = addCloseFrom(&actions, 3)
        } else {
            markDescriptorsCloseOnExec()
        }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, &attr, argv, envp)
        guard rc == 0 else { throw SpawnError(code: rc, path: path) }
        return pid
    }

    /// Fallback without `addclosefrom_np`: every descriptor above 2 gets FD_CLOEXEC, so no socket of the
    /// daemon (its API listener above all) survives into a child and outlives a daemon crash.
    private static func markDescriptorsCloseOnExec() {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return }
        for e in entries {
            guard let fd = Int32(e), fd > 2 else { continue }
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
    }

    // MARK: /proc

    /// The process's start time in clock ticks after boot (`/proc/PID/stat` field 22) and its state
    /// letter; nil when there is no such process.
    public static func stat(_ pid: pid_t) -> (startTicks: UInt64, state: Character)? {
        ProcStat.read(pid).map { ($0.startTicks, $0.state) }
    }

    /// True when `pid` runs (not a zombie) and, if given, started at `startTicks` (so a recycled pid
    /// never passes for the process we started).
    public static func isAlive(_ pid: pid_t, startTicks: UInt64? = nil) -> Bool {
        guard let s = stat(pid), s.state != "Z", s.state != "X" else { return false }
        if let startTicks, s.startTicks != startTicks { return false }
        return true
    }

    /// The command line of `pid` (arguments), or nil.
    public static func commandLine(_ pid: pid_t) -> [String]? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty else { return nil }
        return data.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
            .filter { !$0.isEmpty }
    }

    /// The environment of `pid` (readable for our own processes), or nil.
    public static func environment(_ pid: pid_t) -> [String: String]? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return nil }
        var out: [String: String] = [:]
        for entry in data.split(separator: 0) {
            let s = String(decoding: entry, as: UTF8.self)
            guard let eq = s.firstIndex(of: "=") else { continue }
            out[String(s[..<eq])] = String(s[s.index(after: eq)...])
        }
        return out
    }

    /// Live processes whose environment has `name=value` (how local mode marks everything an agent runs).
    public static func processes(withEnvironment name: String, value: String) -> [pid_t] {
        ProcStat.allProcesses().filter { pid in
            guard pid != getpid(), isAlive(pid), let env = environment(pid) else { return false }
            return env[name] == value
        }
    }

    /// Live processes whose environment has `name` set to a value with `prefix`, grouped by that value.
    public static func processes(withEnvironment name: String, prefix: String) -> [String: [pid_t]] {
        var out: [String: [pid_t]] = [:]
        for pid in ProcStat.allProcesses() where pid != getpid() && isAlive(pid) {
            if let v = environment(pid)?[name], v.hasPrefix(prefix) { out[v, default: []].append(pid) }
        }
        return out
    }

    /// Sends `signal` to the process group `pgid` (and to `pgid` itself, in case it left the group).
    public static func signalGroup(_ pgid: pid_t, _ signal: Int32) {
        guard pgid > 1 else { return }
        _ = kill(-pgid, signal)
        _ = kill(pgid, signal)
    }
}
