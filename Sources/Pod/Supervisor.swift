import FoundationEssentials
import Glibc
import RuntimeCore
import Synchronization

/// Runs one agent in a pseudo-terminal: starts it, restarts it per policy with backoff, watches its screen
/// for login prompts, and stops it on request. Thread-safe: HTTP worker threads call its synchronous methods,
/// the lifecycle runs as one task, the I/O runs on the ``AgentProcess`` threads.
///
/// Lifecycle of one run: spawn → `starting` → (`running` ⇄ `login_required`) → exit → `exited`/`failed`
/// → backoff → next run; a stop request goes through `stopping` (forwarded signal, SIGKILL after the grace
/// period) and ends in `exited`.
public final class Supervisor: Sendable {
    /// How a call that feeds the agent input went.
    public enum InputResult: Sendable, Equatable {
        /// Queued for the agent.
        case accepted
        /// No agent process is running.
        case notRunning
        /// The input queue stayed full (the agent does not read its input).
        case backlog
    }

    /// How the lifecycle ended.
    public struct Outcome: Sendable, Equatable {
        /// The last run's exit status, if the agent ever ran.
        public var lastExit: ExitStatus?
        /// A stop was requested (SIGTERM/SIGINT to the supervisor).
        public var stopped: Bool
        /// The agent had to be killed with SIGKILL after the grace period.
        public var killedAfterGrace: Bool
    }

    private struct Board {
        var state: AgentState = .starting
        var process: AgentProcess?
        var runEvent: OneShot<Void>?
        var restarts = 0
        var lastExit: ExitStatus?
        var startedAt: Date?
        var nextRestartAt: Date?
        var message: String?
        var size: WindowSize
        var detector: LoginDetector
        var firstOutputAt: Date?
        var lastOutputAt: Date?
        var lastVersion: UInt64 = 0
        var lineSequence: UInt64 = 0
        var stopRequested = false
        var stopSignal: Int32 = SIGTERM
        var killedAfterGrace = false
        var started = false
    }

    /// The configuration in force.
    public let configuration: SupervisorConfiguration
    /// The output path (screen, logs, subscribers).
    public let hub: OutputHub
    /// Reaps the agent (and orphans, in all-children mode).
    public let reaper: ChildReaper
    private let board: Mutex<Board>
    private let stopRequest = OneShot<Void>()
    private let hasLoginPatterns: Bool
    private let finished = OneShot<Outcome>()
    private let logger: Logger
    /// The conversation with the agent: messages, turns, stable/running.
    public let conversation: ConversationDriver

    /// Validates the configuration and prepares the output path (nothing runs until ``start()``).
    public init(configuration: SupervisorConfiguration) throws(SupervisorError) {
        try configuration.validate()
        self.configuration = configuration
        logger = Logger(label: "agent-supervisor", level: configuration.logLevel)
        hub = try OutputHub(configuration: configuration.output, size: configuration.size)
        reaper = ChildReaper(mode: configuration.reaperMode)
        var detector = try LoginDetector(agentType: configuration.agentType, loginPatterns: configuration.loginPatterns,
                                         readyPatterns: configuration.readyPatterns)
        detector.readyTimeout = configuration.readyTimeout.inSeconds
        hasLoginPatterns = detector.hasLoginPatterns
        board = Mutex(Board(size: configuration.size, detector: detector))
        let box = WeakBox()
        conversation = try ConversationDriver(
            profile: configuration.conversationProfile ?? .builtIn(for: configuration.agentType), hub: hub,
            agentId: configuration.command.environment["AGENT_ID"] ?? "", activityChanged: { box.supervisor?.publishState() })
        box.supervisor = self
    }

    // MARK: Lifecycle

    /// Starts the lifecycle task and the login monitor. Idempotent.
    public func start() {
        let first = board.withLock { b -> Bool in
            defer { b.started = true }
            return !b.started
        }
        guard first else { return }
        Task { await self.lifecycle() }
        Task { await self.monitor() }
    }

    /// Waits until the lifecycle ended (agent finished without restart, or stopped).
    public func waitUntilFinished() async -> Outcome { await finished.value }

    /// Whether the lifecycle ended.
    public var isFinished: Bool { finished.current != nil }

    /// Stops the agent: forwards `signal` (SIGTERM or SIGINT) to its process group, sends SIGKILL after the
    /// grace period, and waits until it is reaped. Safe to call at any time and more than once; a second call
    /// while stopping escalates to SIGKILL at once.
    @discardableResult
    public func stop(signal: Int32 = SIGTERM) async -> Outcome {
        let (process, again) = board.withLock { b -> (AgentProcess?, Bool) in
            let again = b.stopRequested
            b.stopRequested = true
            b.stopSignal = signal
            return (b.process, again)
        }
        if again, let process {
            logger.warning("second stop request: killing the agent", ["pid": .int(Int64(process.pid))])
            process.signal(SIGKILL)
        }
        stopRequest.fulfill(())
        board.withLock { $0.runEvent }?.fulfill(())
        if !board.withLock({ $0.started }) { start() }
        return await finished.value
    }

    private func lifecycle() async {
        prepareFirstStart()
        var backoff = configuration.backoff
        var firstRun = true
        while !board.withLock({ $0.stopRequested }) {
            let runEvent = OneShot<Void>()
            let process: AgentProcess
            do {
                process = try AgentProcess.start(configuration.command, size: board.withLock { $0.size }, hub: hub,
                                                 reaper: reaper, inputCapacity: configuration.inputQueueBytes)
            } catch {
                let code: Int32 = if case .commandNotFound = error { 127 } else { 126 }
                logger.error("cannot start the agent", ["error": .string(error.description)])
                board.withLock { b in
                    b.lastExit = .exited(code)
                    b.message = error.description
                    if !firstRun { b.restarts += 1 }
                }
                firstRun = false
                setState(.failed)
                guard configuration.restartPolicy != .never else { break }
                if await waitBeforeRestart(backoff.next(afterRunOf: .zero)) { continue } else { break }
            }
            let stopNow = board.withLock { b -> Bool in
                b.process = process
                b.runEvent = runEvent
                b.startedAt = process.startedAt
                b.nextRestartAt = nil
                b.message = nil
                b.firstOutputAt = nil
                b.lastOutputAt = nil
                b.lastVersion = hub.version
                b.lineSequence = hub.lineSequence
                b.detector.reset()
                if !firstRun { b.restarts += 1 }
                return b.stopRequested
            }
            firstRun = false
            setState(.starting)
            logger.info("agent started", ["pid": .int(Int64(process.pid)), "command": .string(configuration.command.executable)])
            Task {
                _ = await process.exit.value
                runEvent.fulfill(())
            }
            if !stopNow { await runEvent.value }
            if board.withLock({ $0.stopRequested }) && process.exit.current == nil {
                await terminate(process)
            }
            let status = await process.waitForEnd()
            let runTime = Duration.seconds(Date().timeIntervalSince(process.startedAt))
            let stopped = board.withLock { b -> Bool in
                b.process = nil
                b.runEvent = nil
                b.lastExit = status
                return b.stopRequested
            }
            logger.info("agent ended", ["pid": .int(Int64(process.pid)), "status": .string(status.description)])
            if stopped {
                setState(.exited)
                break
            }
            setState(status.isSuccess ? .exited : .failed)
            guard configuration.restartPolicy.shouldRestart(after: status) else { break }
            if await !waitBeforeRestart(backoff.next(afterRunOf: runTime)) { break }
        }
        let outcome = board.withLock { b in
            Outcome(lastExit: b.lastExit, stopped: b.stopRequested, killedAfterGrace: b.killedAfterGrace)
        }
        finished.fulfill(outcome)
    }

    /// Sleeps through the backoff delay; false when a stop request cut it short.
    private func waitBeforeRestart(_ delay: Duration) async -> Bool {
        board.withLock { $0.nextRestartAt = Date().addingTimeInterval(delay.inSeconds) }
        publishState()
        logger.info("restarting after backoff", ["delaySeconds": .double(delay.inSeconds)])
        let stopped = await stopRequest.value(timeout: delay) != nil
        board.withLock { $0.nextRestartAt = nil }
        return !stopped
    }

    private func terminate(_ process: AgentProcess) async {
        let signal = board.withLock { $0.stopSignal }
        setState(.stopping)
        logger.info("stopping the agent", ["pid": .int(Int64(process.pid)), "signal": .string(signalName(signal))])
        process.signal(signal)
        if await process.exit.value(timeout: configuration.gracePeriod) == nil {
            logger.warning("agent still running after the grace period: SIGKILL",
                           ["graceSeconds": .double(configuration.gracePeriod.inSeconds)])
            board.withLock { $0.killedAfterGrace = true }
            process.signal(SIGKILL)
        }
        _ = await process.exit.value
    }

    /// Claude Code only: its first-run answers (``FirstRun``) and `.mcp.json`.
    private func prepareFirstStart() {
        guard configuration.agentType == .claude else { return }
        let workdir = configuration.command.workdir ?? FileManager.default.currentDirectoryPath
        let env = configuration.command.environment
        if configuration.seedFirstRun, let home = env["HOME"], !home.isEmpty {
            do {
                if try FirstRun.seedClaude(home: home, workdir: workdir, apiKey: env["ANTHROPIC_API_KEY"]) {
                    logger.info("wrote ~/.claude.json (onboarding done, workdir trusted)", ["home": .string(home)])
                }
            } catch {
                logger.error("cannot write ~/.claude.json", ["error": .string(error.description)])
            }
        }
        guard let url = configuration.mcpServerURL, !url.isEmpty else { return }
        do {
            if try MCPConfig.writeIfAbsent(workdir: workdir, serverURL: url) {
                logger.info("wrote .mcp.json", ["workdir": .string(workdir)])
            }
        } catch {
            logger.error("cannot write .mcp.json", ["error": .string(error.description)])
        }
    }

    // MARK: Login monitor

    /// Re-runs login/ready detection when the output changed (or a time-based rule may fire): every 20 ms
    /// while the agent is starting (start-to-ready latency), every 100 ms after that.
    private func monitor() async {
        while finished.current == nil {
            let starting = board.withLock { $0.state == .starting }
            try? await Task.sleep(for: .milliseconds(starting ? 20 : 100))
            evaluateScreen()
            conversation.tick(now: Date(), state: state)
        }
    }

    /// One detection pass (also called by tests through the monitor).
    func evaluateScreen(now: Date = Date()) {
        let version = hub.version
        let current = board.withLock { b -> (AgentState, Bool, UInt64)? in
            guard b.process != nil, [.starting, .running, .loginRequired].contains(b.state) else { return nil }
            if version != b.lastVersion {
                if b.firstOutputAt == nil { b.firstOutputAt = now }
                b.lastOutputAt = now
            }
            return (b.state, version != b.lastVersion, b.lineSequence)
        }
        guard let (state, changed, sequence) = current else { return }
        if !changed && state == .running { return }
        let (screen, _) = hub.screenForDetection()
        // A login prompt is a few lines: during bulk output only the newest lines are worth matching.
        let (lines, newSequence) = changed && hasLoginPatterns
            ? hub.lines(after: sequence, limit: 200) : ([], hub.lineSequence)
        let (verdict, previous) = board.withLock { b -> (LoginDetector.Verdict, LoginDetector.Verdict) in
            let previous = b.detector.verdict
            b.lastVersion = version
            b.lineSequence = newSequence
            let v = b.detector.evaluate(screen: screen, newLines: lines, now: now, startedAt: b.startedAt ?? now,
                                        firstOutputAt: b.firstOutputAt, lastOutputAt: b.lastOutputAt)
            return (v, previous)
        }
        guard verdict != previous else { return }
        switch verdict {
        case .starting: break
        case .running: setState(.running)
        case .loginRequired(let info):
            if case .loginRequired = previous {
                publishState()  // URL or code appeared or changed
            } else {
                logger.info("login required", ["message": .string(info.message), "url": info.url.map(JSON.string) ?? .null])
                setState(.loginRequired)
            }
        }
    }

    // MARK: State

    private func setState(_ state: AgentState) {
        let changed = board.withLock { b -> Bool in
            // Once stopping, only the final state may follow.
            if b.state == .stopping && state != .exited && state != .failed { return false }
            defer { b.state = state }
            return b.state != state
        }
        if changed {
            logger.info("state", ["state": .string(state.rawValue)])
        }
        publishState()
    }

    fileprivate func publishState() {
        hub.broadcastState(status.json.serialized())
    }

    /// The current status.
    public var status: SupervisorStatus {
        let activity = hub.lastActivity, bytesIn = hub.bytesIn, bytesOut = hub.bytesOut
        var result = board.withLock { b in
            var login: LoginInfo?
            if b.state == .loginRequired, case .loginRequired(let info) = b.detector.verdict { login = info }
            var signal: String?
            if case .signaled(let s)? = b.lastExit { signal = signalName(s) }
            return SupervisorStatus(
                state: b.state, agentType: configuration.agentType, pid: b.process?.pid, restarts: b.restarts,
                exitCode: b.lastExit?.code, exitSignal: signal, startedAt: b.startedAt, lastActivityAt: activity,
                login: login, bytesIn: bytesIn, bytesOut: bytesOut, nextRestartAt: b.nextRestartAt,
                message: b.message, size: b.size)
        }
        if result.state == .running { result.activity = conversation.activity() }
        return result
    }

    /// The current state.
    public var state: AgentState { board.withLock { $0.state } }

    // MARK: Control (called from HTTP worker threads)

    /// Queues input for the agent. Blocks the calling (server) thread up to `wait` while the input queue is
    /// full; never call it from a task.
    public func sendInput(_ data: Data, wait: TimeInterval = 2) -> InputResult {
        let deadline = Date().addingTimeInterval(wait)
        while true {
            guard let process = board.withLock({ $0.process }) else { return .notRunning }
            if process.write(data) {
                hub.recordInput(data.count)
                board.withLock { $0.detector.noteInput() }
                return .accepted
            }
            if Date() >= deadline { return .backlog }
            usleep(10_000)
        }
    }

    /// Resizes the terminal and the screen model. False for an invalid size.
    @discardableResult
    public func resize(_ size: WindowSize) -> Bool {
        guard size.isValid else { return false }
        let process = board.withLock { b -> AgentProcess? in
            b.size = size
            return b.process
        }
        hub.resize(size)
        process?.resize(size)
        return true
    }

    /// Sends a signal to the agent's process group. False when no agent runs.
    @discardableResult
    public func sendSignal(_ signal: Int32) -> Bool {
        guard let process = board.withLock({ $0.process }) else { return false }
        return process.signal(signal)
    }

    /// Types a message into the agent and starts a turn (`POST /message`). Blocks the calling server thread
    /// for the profile's submit delay; never call it from a task.
    public func sendMessage(_ content: String) -> ConversationDriver.SendResult {
        conversation.send(content, state: state) { sendInput($0) }
    }

    /// Sends the CLI's interrupt key (`POST /interrupt`). False when no agent runs.
    public func interrupt() -> Bool { conversation.interrupt(state: state) { sendInput($0) } }

    /// The running agent's window size as the kernel reports it (tests).
    var kernelWindowSize: WindowSize? { board.withLock { $0.process }?.windowSize }
}

/// Lets the conversation reach the supervisor created after it, without a retain cycle.
private final class WeakBox: @unchecked Sendable {
    weak var supervisor: Supervisor?
}
