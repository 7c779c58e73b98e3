import CPodSupport
import FoundationEssentials
import Glibc

/// What to run: the agent's command line, environment and working directory.
public struct AgentCommand: Sendable, Equatable {
    /// The program (a path, or a name looked up on the environment's `PATH`).
    public var executable: String
    /// Arguments after the program.
    public var arguments: [String]
    /// The complete environment of the agent (the supervisor adds `TERM`, `COLUMNS` and `LINES`).
    public var environment: [String: String]
    /// Working directory; nil keeps the supervisor's.
    public var workdir: String?

    /// Creates a command.
    public init(executable: String, arguments: [String] = [], environment: [String: String] = [:], workdir: String? = nil) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.workdir = workdir
    }

    /// The environment the child actually gets: `TERM=xterm-256color` always (the screen model emulates an
    /// xterm subset), `COLUMNS`/`LINES` removed so programs ask the terminal (its size changes on resize).
    func effectiveEnvironment() -> [String] {
        var env = environment
        env["TERM"] = "xterm-256color"
        env.removeValue(forKey: "COLUMNS")
        env.removeValue(forKey: "LINES")
        return env.keys.sorted().map { "\($0)=\(env[$0]!)" }
    }

    /// Finds the program: a name with a slash is used as is, a bare name is searched on the agent
    /// environment's `PATH` (falling back to the supervisor's), like `execvp` would.
    func resolveExecutable() throws(SupervisorError) -> String {
        if executable.contains("/") {
            guard access(executable, X_OK) == 0 else { throw .commandNotFound(executable) }
            return executable
        }
        let path = environment["PATH"] ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":", omittingEmptySubsequences: false) {
            let candidate = (dir.isEmpty ? "." : String(dir)) + "/" + executable
            var st = stat()
            if stat(candidate, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        throw .commandNotFound(executable)
    }

    /// Spawns the command as a session leader on the PTY's slave (see `pod_spawn_in_pty`).
    func spawn(on pty: PseudoTerminal) throws(SupervisorError) -> pid_t {
        let path = try resolveExecutable()
        let argv = [executable] + arguments
        let env = effectiveEnvironment()
        var pid: pid_t = 0
        let rc = withCStringArray(argv) { cArgv in
            withCStringArray(env) { cEnv in
                pod_spawn_in_pty(path, cArgv, cEnv, pty.slavePath, workdir, &pid)
            }
        }
        guard rc == 0 else { throw .spawnFailed(command: executable, errno: rc) }
        return pid
    }
}

/// Calls `body` with a NULL-terminated `char *[]` built from `strings`; the memory lives for the call.
func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { pointers.forEach { free($0) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
