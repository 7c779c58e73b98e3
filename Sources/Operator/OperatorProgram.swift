import Foundation
import RuntimeCore

/// The `agent-operator` program: subcommand dispatch, flags, config, signals and exit codes.
/// `main.swift` only calls ``main()``.
///
/// Subcommands: `controller` (the default) reconciles AgentSessions in a cluster; `local` runs the same
/// runtime without Kubernetes (``LocalProgram``). Exit codes: 0 clean shutdown on SIGTERM/SIGINT; 1 startup
/// failure or lost leadership; 2 bad flags or config.
public enum OperatorProgram {
    /// The subcommands.
    public static let subcommands = ["controller", "local"]

    /// Runs the program with the process arguments.
    public static func main() async {
        var args = Array(CommandLine.arguments.dropFirst())
        var subcommand = "controller"
        if let first = args.first, !first.hasPrefix("-") {
            subcommand = first
            args.removeFirst()
        }
        switch subcommand {
        case "controller":
            exit(await runController(args))
        case "local":
            exit(await LocalProgram.run(args))
        case "exec-limited":
            LimitedExec.main(args)  // local mode's limit wrapper in front of agent CLIs (not for people)
        default:
            fail("agent-operator: unknown subcommand \(subcommand) (controller, local; see --help)", code: 2)
        }
    }

    /// `agent-operator controller`: returns the exit code.
    public static func runController(_ args: [String]) async -> Int32 {
        let spec = ControllerOptions.spec
        let options: ControllerOptions
        let config: OperatorConfig
        do throws(UsageError) {
            let flags = try spec.parse(args)
            try configureLogging(flags)
            guard flags.positional.isEmpty else { throw UsageError("unexpected argument \(flags.positional[0]) (see --help)") }
            options = try ControllerOptions(flags: flags)
        } catch {
            fail("agent-operator: \(error.message)", code: 2)
        }
        do {
            config = try options.configFile.map { path throws(OperatorError) in try OperatorConfig.load(file: path) } ?? OperatorConfig()
        } catch {
            fail("agent-operator: \(error)", code: 2)
        }
        let logger = Logger(label: "agent-operator")
        logger.info("starting", ["version": .string(agentRuntimeVersion), "namespace": .string(options.namespace ?? "(all)"),
                                 "leaderElect": .bool(options.leaderElect), "workers": .int(Int64(options.maxConcurrentReconciles)),
                                 "registry": .string(options.registry.etcd.endpoints.isEmpty ? "(none)" : options.registry.prefix)])
        let manager = OperatorManager(options: options, config: config, logger: logger)
        let result = await manager.run(stop: signalStream())
        if case .failed(let why) = result { logger.error("cannot run", ["error": .string(why)]) }
        return result.code
    }

    /// Yields once on SIGTERM or SIGINT (the default handlers are replaced, so the process survives to
    /// shut down cleanly).
    public static func signalStream() -> AsyncStream<Void> {
        let (stream, sink) = AsyncStream<Void>.makeStream()
        let sources = [SIGTERM, SIGINT].map { sig -> DispatchSourceSignal in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { sink.yield() }
            source.resume()
            return source
        }
        let box = SignalSources(sources)
        sink.onTermination = { _ in box.cancel() }
        return stream
    }

    private static func fail(_ message: String, code: Int32) -> Never {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        exit(code)
    }
}

/// Keeps the signal sources alive while the stream is, and cancels them with it.
private final class SignalSources: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]
    init(_ sources: [any DispatchSourceSignal]) { self.sources = sources }
    func cancel() { sources.forEach { $0.cancel() } }
}
