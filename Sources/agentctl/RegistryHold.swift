import Foundation
import Registry
import RuntimeCore

/// `agentctl registry hold`: registers one agent and keeps it alive until SIGTERM/SIGINT (then
/// deregisters and exits 0). Not listed in `--help`: it exists for tests and demos that need a
/// registration owned by a separate process, e.g. to SIGKILL the owner and watch the key expire.
enum RegistryHold {
    static let spec = CommandLineSpec(
        program: "agentctl registry hold",
        usage: "--agent-id ID [flags]",
        summary: "Registers one agent in the registry and keeps its lease alive until interrupted (testing aid).",
        flags: RegistryCommand.commonFlags + [
            .value("agent-id", "ID", help: "the Parallax agent id"),
            .value("ttl", "SECONDS", help: "lease TTL", default: "30"),
            .value("endpoint", "URL", help: "the endpoint written in the value", default: "http://127.0.0.1:8077"),
            .value("agent-type", "TYPE", help: "agent type", default: "custom"),
            .value("namespace", "NS", help: "namespace", default: "local"),
            .value("workspace-id", "ID", help: "workspace id", default: ""),
            .value("capability", "NAME", help: "a capability", repeated: true),
            .value("owner-identity", "ID", help: "registry owner identity", default: LeaseOwnership.defaultIdentity),
        ])

    static func run(_ args: [String]) async -> Int32 {
        let flags: ParsedFlags
        let options: RegistryCLIOptions
        let descriptor: AgentDescriptor
        do throws(UsageError) {
            flags = try spec.parse(args)
            try configureToolLogging(args, flags)
            options = try RegistryCLIOptions(flags)
            let id = try flags.require("agent-id")
            let name = id.split(separator: ".").last.map(String.init) ?? id
            descriptor = AgentDescriptor(
                agentId: id, name: name, endpoint: flags.string("endpoint") ?? "", capabilities: flags.strings("capability"),
                agentType: flags.string("agent-type") ?? "custom", workspaceId: flags.string("workspace-id") ?? "",
                namespace: flags.string("namespace") ?? "local", session: name, pod: name,
                ttlSeconds: try flags.int("ttl") ?? 30)
        } catch {
            printError(error.message)
            return ExitCode.usage
        }
        let client: EtcdClient
        do throws(EtcdError) {
            client = try EtcdClient(configuration: options.etcd)
        } catch {
            printError(error.description)
            return ExitCode.usage
        }
        let registry = AgentRegistry(
            client: client,
            options: AgentRegistryOptions(prefix: options.keys.prefix, ownerIdentity: flags.string("owner-identity")
                ?? LeaseOwnership.defaultIdentity))
        let (stop, stopSink) = AsyncStream<Void>.makeStream()
        let signals = onTerminationSignal { stopSink.yield() }
        defer { _ = signals }
        let events = Task {
            for await event in registry.events {
                switch event {
                case .registered(_, let key, let lease): printLine("registered \(key) lease \(String(lease, radix: 16))")
                case .repaired(_, let old, let new):
                    printLine("repaired lease \(String(old, radix: 16)) -> \(String(new, radix: 16))")
                case .conflict(_, let key, let owner): printLine("conflict \(key) owner lease \(String(owner, radix: 16))")
                case .failed(_, let reason): printError(reason)
                default: break
                }
            }
        }
        do throws(RegistryError) {
            try await registry.register(descriptor)
        } catch {
            printError(error.description)
            return ExitCode.usage
        }
        for await _ in stop { break }
        await registry.deregister(descriptor.agentId)
        await registry.shutdown()
        _ = await events.value
        client.shutdown()
        printLine("deregistered")
        return ExitCode.ok
    }
}
