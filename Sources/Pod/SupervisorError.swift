import FoundationEssentials
import Glibc

/// Everything that can go wrong inside the supervisor, each with a one-line description.
public enum SupervisorError: Error, CustomStringConvertible, Sendable, Equatable {
    /// No pseudo-terminal could be allocated (`posix_openpt`, `grantpt`, `unlockpt` or `ptsname` failed).
    case ptyUnavailable(step: String, errno: Int32)
    /// The command is not an executable file, or not found on the `PATH` it was given.
    case commandNotFound(String)
    /// `posix_spawn` failed (bad working directory, permission denied, exec format error, ...).
    case spawnFailed(command: String, errno: Int32)
    /// A `--login-pattern` or `--ready-pattern` is not a valid regular expression.
    case invalidPattern(String)
    /// A configuration value is out of range or malformed.
    case invalidConfiguration(String)
    /// A file the supervisor writes (log file, `.mcp.json`) could not be written.
    case cannotWrite(path: String, errno: Int32)

    public var description: String {
        switch self {
        case .ptyUnavailable(let step, let e): return "cannot allocate a pseudo-terminal: \(step): \(SupervisorError.text(e))"
        case .commandNotFound(let c): return "command not found or not executable: \(c)"
        case .spawnFailed(let c, let e): return "cannot start \(c): \(SupervisorError.text(e))"
        case .invalidPattern(let p): return "invalid regular expression: \(p)"
        case .invalidConfiguration(let m): return "invalid configuration: \(m)"
        case .cannotWrite(let p, let e): return "cannot write \(p): \(SupervisorError.text(e))"
        }
    }

    static func text(_ e: Int32) -> String { String(cString: strerror(e)) }
}
