import Foundation
import RuntimeCore

/// Exit codes scripts can rely on.
enum ExitCode {
    /// Success.
    static let ok: Int32 = 0
    /// The command failed (etcd unreachable, server error, ...).
    static let failure: Int32 = 1
    /// Bad command line.
    static let usage: Int32 = 2
    /// The thing asked for does not exist (`get`).
    static let notFound: Int32 = 3
}

/// One top-level command of `agentctl` (`registry`, and later `spawn`, `stop`, `list`, ...).
///
/// To add a command: write a type conforming to this protocol in its own file and add it to
/// ``Agentctl/commands``.
protocol AgentctlCommand: Sendable {
    /// The word that selects the command, e.g. `registry`.
    static var name: String { get }
    /// One line for `agentctl --help`.
    static var summary: String { get }
    /// Runs the command with every argument except the command word itself (flags before the command
    /// word, such as `--server URL`, are included) and returns the exit code.
    static func run(_ arguments: [String]) async -> Int32
}

/// The dispatcher.
enum Agentctl {
    /// Every command, in help order.
    static let commands: [any AgentctlCommand.Type] = [
        SpawnCommand.self, StopCommand.self, ListCommand.self, GetCommand.self, WaitCommand.self, LogsCommand.self,
        ScreenCommand.self, InputCommand.self, SendCommand.self, AttachCommand.self, EventsCommand.self,
        RegistryCommand.self,
    ]

    static var helpText: String {
        var out = """
            Usage: agentctl [global flags] COMMAND [flags]

            Command-line client of the agent-runtime API and of the Parallax agent registry in etcd.

            Commands:

            """
        for c in commands { out += "  " + c.name.padding(toLength: 12, withPad: " ", startingAt: 0) + c.summary + "\n" }
        out += """

            Runtime API commands take --server URL and --token-file FILE (or AGENTCTL_SERVER, AGENTCTL_TOKEN_FILE,
            or server/tokenFile in ~/.config/agentctl/config.yaml, AGENTCTL_CONFIG) and -o table|wide|json.
            Run 'agentctl COMMAND --help' for a command's flags.
            Exit codes: 0 ok, 1 error, 2 usage or invalid request, 3 not found, 4 conflict (exists, not ready),
            5 refused by policy or quota, 6 unauthorized.

            """
        return out
    }

    /// Finds the command word (the first argument naming a command) and runs it.
    static func main(_ arguments: [String]) async -> Int32 {
        guard let index = arguments.firstIndex(where: { word in commands.contains { $0.name == word } }) else {
            if arguments.contains("--version") {
                print("agentctl \(agentRuntimeVersion)")
                return ExitCode.ok
            }
            if arguments.isEmpty || arguments.contains("--help") || arguments.contains("-h") || arguments == ["help"] {
                print(helpText, terminator: "")
                return arguments.isEmpty ? ExitCode.usage : ExitCode.ok
            }
            let word = arguments.first { !$0.hasPrefix("-") } ?? arguments[0]
            printError("unknown command '\(word)' (see agentctl --help)")
            return ExitCode.usage
        }
        let command = commands.first { $0.name == arguments[index] }!
        var rest = arguments
        rest.remove(at: index)
        return await command.run(rest)
    }
}

/// Writes `agentctl: <message>` to stderr.
func printError(_ message: String) {
    FileHandle.standardError.write(Data("agentctl: \(message)\n".utf8))
}

/// Writes a line to stdout and flushes, so pipes see it at once (watch, hold).
func printLine(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

/// Short flags people type (`-o json`) rewritten to the long form the flag parser knows.
func expandShortFlags(_ args: [String]) -> [String] {
    var out: [String] = []
    for a in args {
        if a == "-o" { out.append("--output") } else if a.hasPrefix("-o="), a.count > 3 {
            out.append("--output=" + a.dropFirst(3))
        } else if a.hasPrefix("-o"), !a.hasPrefix("--"), a.count > 2 {
            out.append("--output=" + a.dropFirst(2))
        } else {
            out.append(a)
        }
    }
    return out
}

/// Sets up logging: JSON lines like every program, but at warning level unless `--log-level` (or
/// `AGENT_LOG_LEVEL`) says otherwise, so a command's output is not mixed with routine info lines.
func configureToolLogging(_ args: [String], _ flags: ParsedFlags) throws(UsageError) {
    try configureLogging(flags)
    let levelGiven = args.contains { $0.hasPrefix("--log-level") }
        || ProcessInfo.processInfo.environment["AGENT_LOG_LEVEL"] != nil
    if !levelGiven { Logger.bootstrap(level: .warning) }
}

/// Calls `handler` once on SIGINT or SIGTERM (the signals are taken away from their default action).
func onTerminationSignal(_ handler: @escaping @Sendable () -> Void) -> [DispatchSourceSignal] {
    [SIGINT, SIGTERM].map { sig in
        signal(sig, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
        source.setEventHandler(handler: handler)
        source.resume()
        return source
    }
}
