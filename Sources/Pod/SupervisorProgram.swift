import CPodSupport
import FoundationEssentials
import Glibc
import RuntimeCore

/// The `agent-supervisor` program: flags, wiring, signals and exit codes. `main.swift` only calls ``main()``.
///
/// Exit codes: 0 clean shutdown on SIGTERM/SIGINT (the agent ended within the grace period); 1 cannot
/// start (address in use, log file not writable, bad pattern); 2 bad flags; 3 shutdown on SIGTERM/SIGINT
/// that needed SIGKILL after the grace period. With `--exit-with-agent`, when the agent ends for good the
/// supervisor exits with the agent's code (128 + N after signal N; 127 command not found; 126 not executable).
public enum SupervisorProgram {
    /// The command line.
    public static let spec = CommandLineSpec(
        program: "agent-supervisor",
        usage: "[FLAGS] -- COMMAND [ARGS...]",
        summary: """
            Runs COMMAND (an interactive CLI coding agent) in a pseudo-terminal and serves its screen, logs, input,
            login state and a ttyd-compatible WebSocket terminal over HTTP. Bearer token: $SUPERVISOR_TOKEN or --token-file.
            """,
        flags: [
            .value("agent-type", "TYPE", help: "claude, codex, gemini, aider or custom (selects login patterns)", default: "custom"),
            .value("listen", "ADDR:PORT", help: "HTTP listen address", default: "0.0.0.0:8077"),
            .value("workdir", "DIR", help: "working directory of the agent (default: current directory)"),
            .value("restart-policy", "POLICY", help: "Always, OnFailure or Never", default: "OnFailure"),
            .value("login-pattern", "REGEX", help: "extra login-screen pattern", repeated: true),
            .value("ready-pattern", "REGEX", help: "extra ready-screen pattern", repeated: true),
            .value("grace-period", "DURATION", help: "time between the forwarded SIGTERM/SIGINT and SIGKILL", default: "10s"),
            .value("cols", "N", help: "initial terminal columns", default: "120"),
            .value("rows", "N", help: "initial terminal rows", default: "40"),
            .value("log-file", "PATH", help: "also write ANSI-stripped output lines to this file"),
            .value("log-file-max-bytes", "N", help: "rotate the log file at this size", default: "10485760"),
            .value("log-file-keep", "N", help: "rotated log files kept", default: "3"),
            .value("scrollback-bytes", "N", help: "raw output kept for attach replay", default: "1048576"),
            .value("log-lines", "N", help: "stripped lines kept for /logs", default: "10000"),
            .value("max-body-bytes", "N", help: "largest accepted request body", default: "1048576"),
            .value("token-file", "PATH", help: "file holding the bearer token (instead of $SUPERVISOR_TOKEN)"),
            .bool("insecure-no-auth", help: "serve without a bearer token (local experiments only)"),
            .bool("no-first-run-answers", help: "do not write the CLI's first-run answers (claude: ~/.claude.json) before it starts"),
            .bool("exit-with-agent", help: "exit with the agent's exit code once it ends and is not restarted"),
            .value("ready-timeout", "DURATION", help: "longest 'starting' phase without a ready screen", default: "60s"),
            .value("backoff-initial", "DURATION", help: "first restart delay", default: "1s"),
            .value("backoff-max", "DURATION", help: "largest restart delay", default: "60s"),
            .value("max-viewers", "N", help: "attached /attach viewers at once; one more gets 503", default: "16"),
            .value("max-event-streams", "N", help: "open /events streams at once; one more gets 503", default: "8"),
        ],
        // The supervisor's environment is the agent's (the pod's env, spawn env): it configures the CLI,
        // never the supervisor, so no flag is read from it. SUPERVISOR_TOKEN (CONTRACT.md §3) is the one
        // variable read, and it is removed before the agent starts.
        environmentFallbacks: false)

    /// Everything the command line decides.
    public struct Invocation: Sendable {
        /// The supervisor's configuration (command, environment of the agent, policies, output limits).
        public var configuration: SupervisorConfiguration
        /// `--listen`.
        public var listen: String
        /// The bearer token; nil only with `--insecure-no-auth`.
        public var token: String?
        /// `--exit-with-agent`.
        public var exitWithAgent: Bool
        /// `--max-body-bytes`.
        public var maxBodyBytes: Int
        /// `--max-viewers`, `--max-event-streams`.
        public var limits: SupervisorAPI.Limits
    }

    /// Parses flags into a configuration (and listen address, token, exit mode). Throws ``UsageError``.
    public static func configuration(from flags: ParsedFlags, environment: [String: String]) throws(UsageError) -> Invocation {
        guard let executable = flags.trailing.first else {
            throw UsageError("no command given: agent-supervisor [FLAGS] -- COMMAND [ARGS...]")
        }
        guard let type = AgentType(rawValue: (flags.string("agent-type") ?? "custom").lowercased()) else {
            throw UsageError("--agent-type must be one of claude, codex, gemini, aider, custom")
        }
        guard let policy = RestartPolicy(parsing: flags.string("restart-policy") ?? "OnFailure") else {
            throw UsageError("--restart-policy must be Always, OnFailure or Never")
        }
        func positive(_ name: String) throws(UsageError) -> Int {
            guard let v = try flags.int(name), v > 0 else { throw UsageError("--\(name) must be a positive whole number") }
            return v
        }
        var agentEnv = environment
        agentEnv.removeValue(forKey: "SUPERVISOR_TOKEN")  // the agent must not be able to drive its own supervisor
        var workdir = flags.string("workdir")
        if let w = workdir {
            var info = stat()
            guard stat(w, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
                throw UsageError("--workdir \(w) is not a directory")
            }
        } else {
            workdir = FileManager.default.currentDirectoryPath
        }
        var config = SupervisorConfiguration(command: AgentCommand(
            executable: executable, arguments: Array(flags.trailing.dropFirst()), environment: agentEnv, workdir: workdir))
        config.agentType = type
        config.restartPolicy = policy
        config.gracePeriod = try flags.duration("grace-period") ?? .seconds(10)
        config.size = WindowSize(cols: try positive("cols"), rows: try positive("rows"))
        guard config.size.isValid else { throw UsageError("--cols and --rows must be in 1...1000") }
        config.loginPatterns = flags.strings("login-pattern")
        config.readyPatterns = flags.strings("ready-pattern")
        config.readyTimeout = try flags.duration("ready-timeout") ?? .seconds(60)
        config.backoff = Backoff(initial: try flags.duration("backoff-initial") ?? .seconds(1),
                                 maximum: try flags.duration("backoff-max") ?? .seconds(60))
        config.output.scrollbackBytes = try positive("scrollback-bytes")
        config.output.logLines = try positive("log-lines")
        config.output.logFile = flags.string("log-file")
        config.output.logFileMaxBytes = try positive("log-file-max-bytes")
        config.output.logFileKeep = try flags.int("log-file-keep") ?? 3
        config.mcpServerURL = environment["MCP_SERVER_URL"]
        config.seedFirstRun = !flags.bool("no-first-run-answers")
        config.reaperMode = .allChildren

        var token = environment["SUPERVISOR_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        if let file = flags.string("token-file") {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw UsageError("--token-file \(file) cannot be read")
            }
            token = text.trimmingWhitespace()
        }
        if token?.isEmpty ?? true {
            guard flags.bool("insecure-no-auth") else {
                throw UsageError("no bearer token: set SUPERVISOR_TOKEN, --token-file, or --insecure-no-auth")
            }
            token = nil
        }
        var limits = SupervisorAPI.Limits()
        limits.viewers = try positive("max-viewers")
        limits.eventStreams = try positive("max-event-streams")
        return Invocation(configuration: config, listen: flags.string("listen") ?? "0.0.0.0:8077", token: token,
                          exitWithAgent: flags.bool("exit-with-agent"), maxBodyBytes: try positive("max-body-bytes"), limits: limits)
    }

    /// Runs the program and never returns.
    public static func main() async -> Never {
        let flags = spec.parseOrExit()
        let parsed: Invocation
        do {
            try configureLogging(flags)
            parsed = try configuration(from: flags, environment: ProcessInfo.processInfo.environment)
        } catch {
            writeStandardError("agent-supervisor: \(error.message)\n")
            exit(2)
        }
        let logger = Logger(label: "agent-supervisor")
        SignalWatcher.ignoreBrokenPipes()
        // Orphans of the agent's descendants come to us (as they would to PID 1) and are reaped.
        if getpid() != 1, pod_set_child_subreaper() != 0 {
            logger.warning("cannot become a child subreaper; orphans go to PID 1")
        }
        let supervisor: Supervisor
        do {
            supervisor = try Supervisor(configuration: parsed.configuration)
        } catch {
            logger.error("cannot start", ["error": .string(error.description)])
            exit(1)
        }
        let api = SupervisorAPI(supervisor: supervisor, listen: parsed.listen, token: parsed.token, maxBodyBytes: parsed.maxBodyBytes,
                                limits: parsed.limits)
        do {
            try api.start()
        } catch {
            logger.error("cannot listen", ["error": .string(error.description), "listen": .string(parsed.listen)])
            exit(1)
        }
        let host = parsed.listen.split(separator: ":").dropLast().joined(separator: ":")
        writeStandardOutput("listening on \(host.isEmpty ? "0.0.0.0" : host):\(api.server.port)\n")
        logger.info("listening", ["port": .int(Int64(api.server.port)), "agentType": .string(parsed.configuration.agentType.rawValue),
                                  "pid1": .bool(getpid() == 1)])

        let signals = AsyncStream<Int32>.makeStream()
        SignalWatcher.start([SIGTERM, SIGINT]) { signals.continuation.yield($0) }
        supervisor.start()

        let code: Int32 = await withTaskGroup(of: Int32?.self) { group in
            group.addTask {
                for await sig in signals.stream {
                    logger.info("shutting down", ["signal": .string(signalName(sig))])
                    let outcome = await supervisor.stop(signal: sig)
                    return outcome.killedAfterGrace ? 3 : 0
                }
                return nil
            }
            if parsed.exitWithAgent {
                group.addTask {
                    let outcome = await supervisor.waitUntilFinished()
                    if outcome.stopped { return nil }  // the signal task decides the code
                    return outcome.lastExit?.code ?? 1
                }
            }
            var result: Int32 = 0
            while let next = await group.next() {
                if let next { result = next; break }
            }
            group.cancelAll()
            signals.continuation.finish()
            return result
        }
        await api.shutdown()
        // What the agent left running outside its process group (setsid, SIGTERM ignored) ends with us.
        let leftovers = await ProcessTree.endDescendants(grace: .seconds(2))
        if leftovers > 0 { logger.info("ended processes the agent left running", ["count": .int(Int64(leftovers))]) }
        logger.info("exit", ["code": .int(Int64(code))])
        exit(code)
    }
}
