import FoundationEssentials
import RuntimeCore

/// Everything a ``Supervisor`` needs to run one agent.
public struct SupervisorConfiguration: Sendable {
    /// The agent's command line, environment and working directory.
    public var command: AgentCommand
    /// Which CLI it is (selects the built-in login/ready patterns).
    public var agentType: AgentType = .custom
    /// Restart behaviour after the agent exits.
    public var restartPolicy: RestartPolicy = .onFailure
    /// Restart delays.
    public var backoff = Backoff()
    /// Time between the forwarded SIGTERM/SIGINT and SIGKILL.
    public var gracePeriod: Duration = .seconds(10)
    /// Initial terminal size.
    public var size = WindowSize(cols: 120, rows: 40)
    /// Extra login patterns (regular expressions).
    public var loginPatterns: [String] = []
    /// Extra ready patterns (regular expressions).
    public var readyPatterns: [String] = []
    /// Longest `starting` phase before the agent counts as running anyway.
    public var readyTimeout: Duration = .seconds(60)
    /// Output buffers, log limits and log file.
    public var output = OutputConfiguration()
    /// Most input bytes queued for the agent.
    public var inputQueueBytes = 1 << 20
    /// `MCP_SERVER_URL`: for `claude`, `.mcp.json` is written into the workdir before the first start.
    public var mcpServerURL: String?
    /// Fixed log level for the supervisor's own records; nil follows the process-wide default (`--log-level`).
    public var logLevel: LogLevel?
    /// How to type messages, spot a busy screen and read replies; nil for the agent type's built-in profile.
    public var conversationProfile: ConversationProfile?
    /// Write the CLI's first-run answers (``FirstRun``: Claude Code's `~/.claude.json`) before the first start
    /// unless they exist; `--no-first-run-answers` turns it off.
    public var seedFirstRun = true
    /// Reaper mode: `.allChildren` in the real program (PID 1 / subreaper), `.registeredOnly` in tests.
    public var reaperMode: ChildReaper.Mode = .registeredOnly

    /// Creates a configuration with defaults for everything but the command.
    public init(command: AgentCommand) {
        self.command = command
    }

    /// Checks ranges; throws ``SupervisorError/invalidConfiguration(_:)``.
    public func validate() throws(SupervisorError) {
        guard size.isValid else { throw .invalidConfiguration("terminal size \(size.cols)x\(size.rows) out of 1...1000") }
        guard gracePeriod >= .zero else { throw .invalidConfiguration("grace period must not be negative") }
        guard output.scrollbackBytes > 0, output.logLines > 0, output.logBytes > 0 else {
            throw .invalidConfiguration("buffer sizes must be positive")
        }
        guard !command.executable.isEmpty else { throw .invalidConfiguration("no command given") }
    }
}
