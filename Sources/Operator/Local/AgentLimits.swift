import Foundation

/// Per-agent resource limits in local mode, applied to the agent CLI (not to its supervisor, whose own
/// footprint is the runtime's business) before its first instruction runs.
///
/// How: the supervisor does not run the CLI directly but `agent-operator exec-limited [limits] -- CLI...`
/// (``LimitedExec``), which sets the limits on itself, joins the agent's cgroup if there is one, and
/// `exec`s the CLI. So there is no window in which the CLI runs unlimited, and every process the CLI
/// starts inherits the limits.
///
/// - `cpuSeconds`: `RLIMIT_CPU` (CPU time per process; SIGXCPU at the soft limit, SIGKILL 5 s later).
/// - `memoryBytes`: cgroup v2 `memory.max` for the whole agent when a cgroup root is set, else
///   `RLIMIT_AS` per process. (Address space is not resident memory: V8-based CLIs reserve several GiB
///   of it, so keep an `RLIMIT_AS` generous.)
/// - `maxProcesses`: cgroup v2 `pids.max` when a cgroup root is set, else `RLIMIT_NPROC`, which the
///   kernel counts per user (all of the user's processes), and does not enforce for root.
/// - core dumps are always off (`RLIMIT_CORE` 0): a core of an agent could hold its credentials.
///
/// 0 means "no limit" for each.
public struct AgentLimits: Sendable, Equatable {
    /// `RLIMIT_CPU` seconds, 0 for none.
    public var cpuSeconds: Int
    /// Memory in bytes, 0 for none.
    public var memoryBytes: Int64
    /// Processes, 0 for none.
    public var maxProcesses: Int
    /// A delegated cgroup v2 directory under which each agent gets `agent-<name>`; nil: rlimits only.
    public var cgroupRoot: String?

    /// Creates limits.
    public init(cpuSeconds: Int = 0, memoryBytes: Int64 = 0, maxProcesses: Int = 0, cgroupRoot: String? = nil) {
        self.cpuSeconds = cpuSeconds
        self.memoryBytes = memoryBytes
        self.maxProcesses = maxProcesses
        self.cgroupRoot = cgroupRoot
    }

    /// The arguments of `agent-operator exec-limited` before `--`.
    public func execArguments(cgroup: String?) -> [String] {
        var out: [String] = []
        if cpuSeconds > 0 { out += ["--cpu-seconds", String(cpuSeconds)] }
        if let cgroup {
            out += ["--cgroup", cgroup]
        } else {
            if memoryBytes > 0 { out += ["--address-space-bytes", String(memoryBytes)] }
            if maxProcesses > 0 { out += ["--max-processes", String(maxProcesses)] }
        }
        return out
    }

    /// Parses `512Mi`, `4Gi`, `1G`, `1000000`.
    public static func parseBytes(_ text: String) -> Int64? {
        let units: [(String, Int64)] = [("Ki", 1 << 10), ("Mi", 1 << 20), ("Gi", 1 << 30), ("Ti", 1 << 40),
                                        ("K", 1000), ("M", 1_000_000), ("G", 1_000_000_000), ("T", 1_000_000_000_000)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let n = Int64(text.dropLast(suffix.count)), n >= 0 else { return nil }
            return n.multipliedReportingOverflow(by: scale).overflow ? nil : n * scale
        }
        guard let n = Int64(text), n >= 0 else { return nil }
        return n
    }
}

/// One agent's cgroup v2 directory: created with `memory.max` and `pids.max` before the agent starts,
/// emptied (`cgroup.kill`, else SIGKILL to every member) and removed when it stops.
public enum AgentCgroup {
    /// Why a cgroup could not be set up.
    public struct SetupError: Error, CustomStringConvertible, Sendable {
        /// What failed.
        public let message: String
        public var description: String { "cgroup: \(message)" }
    }

    /// The directory for agent `name` under `root`.
    public static func path(root: String, name: String) -> String { root + "/agent-" + name }

    /// Creates the directory and writes the limits. The root must be a cgroup v2 directory whose
    /// `cgroup.subtree_control` enables `memory` and `pids` (and that the daemon may write).
    public static func create(root: String, name: String, limits: AgentLimits) throws(SetupError) -> String {
        let dir = path(root: root, name: name)
        let controllers = (try? String(contentsOfFile: root + "/cgroup.subtree_control", encoding: .utf8)) ?? ""
        for needed in ["memory", "pids"] where !controllers.split(separator: " ").contains(where: { $0.trimmingCharacters(in: .whitespacesAndNewlines) == needed }) {
            throw SetupError(message: "\(root)/cgroup.subtree_control does not enable \(needed)")
        }
        if mkdir(dir, 0o755) != 0, errno != EEXIST { throw SetupError(message: "mkdir \(dir): \(String(cString: strerror(errno)))") }
        func write(_ file: String, _ value: String) throws(SetupError) {
            guard FileManager.default.fileExists(atPath: dir + "/" + file) else { return }
            do {
                try value.write(toFile: dir + "/" + file, atomically: false, encoding: .utf8)
            } catch {
                throw SetupError(message: "writing \(value) to \(dir)/\(file): \(error.localizedDescription)")
            }
        }
        try write("memory.max", limits.memoryBytes > 0 ? String(limits.memoryBytes) : "max")
        try write("memory.swap.max", limits.memoryBytes > 0 ? "0" : "max")
        try write("pids.max", limits.maxProcesses > 0 ? String(limits.maxProcesses) : "max")
        return dir
    }

    /// Kills every process in the cgroup and removes it (best effort; a cgroup with members cannot be removed).
    public static func destroy(_ dir: String) {
        guard FileManager.default.fileExists(atPath: dir) else { return }
        if (try? "1".write(toFile: dir + "/cgroup.kill", atomically: false, encoding: .utf8)) == nil {
            for pid in members(dir) { kill(pid, SIGKILL) }
        }
        for _ in 0..<50 where !members(dir).isEmpty { usleep(20_000) }
        rmdir(dir)
    }

    /// The processes in the cgroup.
    public static func members(_ dir: String) -> [pid_t] {
        ((try? String(contentsOfFile: dir + "/cgroup.procs", encoding: .utf8)) ?? "").split(whereSeparator: \.isNewline).compactMap { pid_t($0) }
    }
}

/// `agent-operator exec-limited [--cpu-seconds N] [--address-space-bytes N] [--max-processes N]
/// [--cgroup DIR] -- COMMAND [ARGS...]`: applies the limits to itself, joins the cgroup, and execs
/// COMMAND (searched on PATH). Not for people; local mode puts it in front of every agent CLI.
/// Exit codes when it cannot exec: 2 bad arguments or a limit that cannot be set, 126 not executable,
/// 127 not found (the shell's convention, which the supervisor reports).
public enum LimitedExec {
    /// Runs and never returns.
    public static func main(_ args: [String]) -> Never {
        var i = 0
        var command: [String] = []
        func fail(_ message: String, _ code: Int32 = 2) -> Never {
            FileHandle.standardError.write(Data("exec-limited: \(message)\n".utf8))
            exit(code)
        }
        func limit(_ resource: Int32, _ value: UInt64, _ name: String) {
            var rl = rlimit(rlim_cur: rlim_t(value), rlim_max: rlim_t(value))
            // RLIMIT_CPU: a soft limit below the hard one gives the CLI SIGXCPU (and 5 s) before SIGKILL.
            if resource == Int32(RLIMIT_CPU.rawValue) { rl.rlim_max = rlim_t(value + 5) }
            if setrlimit(__rlimit_resource_t(UInt32(resource)), &rl) != 0 { fail("cannot set \(name): \(String(cString: strerror(errno)))") }
        }
        while i < args.count {
            let a = args[i]
            i += 1
            if a == "--" {
                command = Array(args[i...])
                break
            }
            guard i < args.count else { fail("\(a) needs a value") }
            let v = args[i]
            i += 1
            switch a {
            case "--cpu-seconds":
                guard let n = UInt64(v), n > 0 else { fail("--cpu-seconds must be a positive whole number") }
                limit(Int32(RLIMIT_CPU.rawValue), n, "RLIMIT_CPU")
            case "--address-space-bytes":
                guard let n = UInt64(v), n > 0 else { fail("--address-space-bytes must be a positive whole number") }
                limit(Int32(RLIMIT_AS.rawValue), n, "RLIMIT_AS")
            case "--max-processes":
                guard let n = UInt64(v), n > 0 else { fail("--max-processes must be a positive whole number") }
                limit(Int32(__RLIMIT_NPROC.rawValue), n, "RLIMIT_NPROC")
            case "--cgroup":
                // Writing 0 moves the writing process; children inherit the cgroup.
                do {
                    try "0".write(toFile: v + "/cgroup.procs", atomically: false, encoding: .utf8)
                } catch {
                    fail("cannot join cgroup \(v): \(error.localizedDescription)")
                }
            default:
                fail("unknown flag \(a)")
            }
        }
        guard let program = command.first else { fail("no command after --") }
        limit(Int32(RLIMIT_CORE.rawValue), 0, "RLIMIT_CORE")
        let argv = command.map { strdup($0) } + [nil]
        execvp(program, argv)
        let e = errno
        fail("\(program): \(String(cString: strerror(e)))", e == ENOENT ? 127 : 126)
    }
}
