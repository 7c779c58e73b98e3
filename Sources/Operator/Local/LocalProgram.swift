import Foundation
import Registry
import RuntimeCore

/// `agent-operator local`: flags, the registry, the backend, the runtime API, signals and exit codes
/// (0 clean shutdown on SIGTERM/SIGINT; 1 cannot start; 2 bad flags or config).
public enum LocalProgram {
    /// Runs the program with the arguments after `local`; returns the exit code.
    public static func run(_ args: [String]) async -> Int32 {
        let options: LocalOptions
        var config = OperatorConfig()
        do throws(UsageError) {
            let flags = try LocalOptions.spec.parse(args)
            try configureLogging(flags)
            guard flags.positional.isEmpty else { throw UsageError("unexpected argument \(flags.positional[0]) (see --help)") }
            options = try LocalOptions(flags: flags)
        } catch {
            return fail("agent-operator local: \(error.message)", code: 2)
        }
        if let file = options.configFile {
            do {
                config = try OperatorConfig.load(file: file)
            } catch {
                return fail("agent-operator local: \(error)", code: 2)
            }
        }
        let tokens: APITokens
        do {
            tokens = try APITokens(path: options.apiTokenFile, logger: Logger(label: "api-tokens"))
        } catch {
            return fail("agent-operator local: \(error)", code: 2)
        }
        let logger = Logger(label: "agent-operator-local")
        let metrics = MetricsRegistry()
        ProcessMetrics.register(in: metrics)

        let registry: AgentRegistry?
        do {
            registry = try options.registry.makeRegistry(identity: config.registryIdentity, metrics: metrics, logger: logger)
        } catch {
            return fail("agent-operator local: \(error)", code: 2)
        }
        if registry == nil { logger.warning("no --etcd-endpoints: agents are not registered in the Parallax registry") }
        let registrar: any Registrar = registry.map { EtcdRegistrar(registry: $0) } ?? NoRegistrar()

        var backendOptions = LocalBackendOptions(workdirRoot: options.workdirRoot, supervisorBinary: options.supervisorBinary)
        backendOptions.execHelper = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        backendOptions.maxAgents = options.maxAgents
        backendOptions.limits = options.limits
        backendOptions.config = config
        backendOptions.namespace = options.namespace
        backendOptions.registryTTLSeconds = options.registryTTL
        backendOptions.gracePeriod = options.gracePeriod
        backendOptions.removeWorkspaces = options.removeWorkspaces
        let backend: LocalBackend
        do {
            backend = try LocalBackend(options: backendOptions, registrar: registrar, metrics: metrics,
                                       logger: logger.with(["component": "local"]))
            try await backend.start(registryEvents: registry?.events)
        } catch {
            return fail("agent-operator local: \(error)", code: 1)
        }

        let api = RuntimeAPIServer(configuration: .init(listen: options.apiAddress, maxBodyBytes: options.apiMaxBodyBytes),
                                   backend: backend, tokens: tokens, metrics: metrics, logger: logger.with(["component": "runtime-api"]))
        let probes = ProbeServer(metricsAddress: options.metricsAddress, healthAddress: options.healthAddress, metrics: metrics) {
            backend.isReady ? (true, "") : (false, "starting or stopping")
        }
        do {
            try api.start()
            try probes.start()
        } catch {
            await backend.shutdown(keepAgents: true)
            return fail("agent-operator local: \(error)", code: 1)
        }
        logger.info("local runtime ready", ["api": .string("\(options.apiAddress.split(separator: ":").dropLast().joined(separator: ":")):\(api.port)"),
                                            "workdirRoot": .string(options.workdirRoot), "maxAgents": .int(Int64(options.maxAgents)),
                                            "tokens": .int(Int64(tokens.count))])
        // Scripts wait for this line (the port matters with --api-addr ...:0).
        FileHandle.standardOutput.write(Data("listening on \(options.apiAddress.split(separator: ":").dropLast().joined(separator: ":")):\(api.port)\n".utf8))

        for await _ in OperatorProgram.signalStream() { break }
        logger.info("shutting down", ["keepAgents": .bool(options.keepAgents)])
        await api.shutdown()
        await backend.shutdown(keepAgents: options.keepAgents)
        // Kept agents keep their keys until the TTL, so the next daemon takes them over without a gap.
        await registry?.shutdown(revokeLeases: !options.keepAgents)
        await probes.shutdown()
        logger.info("stopped")
        return 0
    }

    private static func fail(_ message: String, code: Int32) -> Int32 {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        return code
    }
}
