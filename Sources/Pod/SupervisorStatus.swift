import FoundationEssentials
import RuntimeCore

/// The supervisor's states (contract §4).
public enum AgentState: String, Sendable, CaseIterable, Codable {
    /// The agent was spawned and has not shown its ready screen (or a login prompt) yet.
    case starting
    /// The agent runs and shows its normal screen; the only state in which `/readyz` answers 200.
    case running
    /// The agent waits for a person to log in (see `login` in the status).
    case loginRequired = "login_required"
    /// The agent exited with status 0 and will not be restarted (or waits for its restart).
    case exited
    /// The agent failed (non-zero exit, killed by a signal, or could not be started) and will not be restarted
    /// (or waits for its restart).
    case failed
    /// The supervisor is shutting the agent down.
    case stopping
}

/// What `/status` reports, and what `event: state` carries.
public struct SupervisorStatus: Sendable, Equatable {
    /// Current state.
    public var state: AgentState
    /// `--agent-type`.
    public var agentType: AgentType
    /// The running agent's pid; nil between runs.
    public var pid: Int32?
    /// Restarts so far (runs after the first).
    public var restarts: Int
    /// The last run's exit code (128 + signal for a death by signal); nil before the first exit.
    public var exitCode: Int32?
    /// The signal that killed the last run, if it died by one.
    public var exitSignal: String?
    /// When the current (or last) run started.
    public var startedAt: Date?
    /// Last input or output.
    public var lastActivityAt: Date
    /// The login prompt shown, while in `login_required`.
    public var login: LoginInfo?
    /// Bytes written to the agent.
    public var bytesIn: UInt64
    /// Bytes read from the agent.
    public var bytesOut: UInt64
    /// When the next restart happens, while waiting in backoff.
    public var nextRestartAt: Date?
    /// Why the last start failed, if it did.
    public var message: String?
    /// Terminal size.
    public var size: WindowSize
    /// While `running`: `running` when the screen is changing or shows a busy marker, else `stable`.
    public var activity: Activity?

    /// The JSON object of `/status`: the contract's fields plus `exitSignal`, `nextRestartAt`, `message`,
    /// `cols`, `rows`, `activity` (extra fields are allowed). Dates are ISO-8601 UTC with milliseconds.
    public var json: JSON {
        func date(_ d: Date?) -> JSON { d.map { .string(Timestamp.iso8601($0)) } ?? .null }
        let loginJSON: JSON = login.map { l in
            .object(["url": l.url.map(JSON.string) ?? .null, "code": l.code.map(JSON.string) ?? .null,
                     "message": .string(l.message), "detectedAt": .string(Timestamp.iso8601(l.detectedAt))])
        } ?? .null
        return .object([
            "state": .string(state.rawValue),
            "agentType": .string(agentType.rawValue),
            "pid": pid.map { .int(Int64($0)) } ?? .null,
            "restarts": .int(Int64(restarts)),
            "exitCode": exitCode.map { .int(Int64($0)) } ?? .null,
            "exitSignal": exitSignal.map(JSON.string) ?? .null,
            "startedAt": date(startedAt),
            "lastActivityAt": .string(Timestamp.iso8601(lastActivityAt)),
            "login": loginJSON,
            "bytesIn": .int(Int64(bytesIn)),
            "bytesOut": .int(Int64(bytesOut)),
            "nextRestartAt": date(nextRestartAt),
            "message": message.map(JSON.string) ?? .null,
            "cols": .int(Int64(size.cols)),
            "rows": .int(Int64(size.rows)),
            "activity": activity.map { .string($0.rawValue) } ?? .null,
        ])
    }
}
