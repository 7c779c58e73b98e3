import Foundation
import Registry
import RuntimeCore

/// `agentctl registry list|get|watch`: what Parallax sees in etcd, without etcdctl.
enum RegistryCommand: AgentctlCommand {
    static let name = "registry"
    static let summary = "list, get or watch agents in the Parallax registry (etcd)"

    /// Flags every registry verb takes: the shared etcd connection flags, pointed at a local etcd by default.
    static let commonFlags: [FlagSpec] = EtcdFlags.specs(defaultEndpoints: "http://127.0.0.1:2379") + [
        .value("etcd-timeout", "DURATION", help: "per-request timeout", default: "5s"),
        .value("registry-prefix", "P", help: "key prefix of the Parallax registry", default: RegistryKeys.defaultPrefix,
               env: "AGENT_REGISTRY_PREFIX"),
        .value("output", "json|table", help: "output format (-o); json is for scripts", default: "table"),
    ]

    static let spec = CommandLineSpec(
        program: "agentctl registry",
        usage: "list|get AGENT_ID|watch [flags]",
        summary: """
            Shows the agents registered under <prefix>/services/agent/ exactly as Parallax reads them.
              list            every agent (table, or -o json: {"revision": N, "agents": [...]})
              get AGENT_ID    one agent with its lease; exit code 3 when it is not registered
              watch           the current agents, then every change until interrupted (-o json: one object per line)
            """,
        flags: commonFlags)

    static func run(_ arguments: [String]) async -> Int32 {
        let args = expandShortFlags(arguments)
        let verb = args.first { !$0.hasPrefix("-") }
        if verb == "hold" { return await RegistryHold.run(args) }
        let flags: ParsedFlags
        let options: RegistryCLIOptions
        do throws(UsageError) {
            flags = try spec.parse(args)
            try configureToolLogging(args, flags)
            options = try RegistryCLIOptions(flags)
        } catch {
            printError(error.message)
            return ExitCode.usage
        }
        let positional = flags.positional.dropFirst()  // the verb itself
        let client: EtcdClient
        do throws(EtcdError) {
            client = try EtcdClient(configuration: options.etcd)
        } catch {
            printError(error.description)
            return ExitCode.usage
        }
        defer { client.shutdown() }
        switch flags.positional.first {
        case "list":
            guard positional.isEmpty else { return usage("list takes no arguments") }
            return await list(client, options)
        case "get":
            guard positional.count == 1, let id = positional.first else { return usage("usage: agentctl registry get AGENT_ID") }
            return await get(client, options, agentId: id)
        case "watch":
            guard positional.isEmpty else { return usage("watch takes no arguments") }
            return await watch(client, options)
        case nil:
            return usage("missing subcommand: list, get or watch (see agentctl registry --help)")
        case let other?:
            return usage("unknown subcommand '\(other)': list, get or watch")
        }
    }

    static func usage(_ message: String) -> Int32 {
        printError(message)
        return ExitCode.usage
    }

    // MARK: Verbs

    static func list(_ client: EtcdClient, _ options: RegistryCLIOptions) async -> Int32 {
        do throws(EtcdError) {
            let response = try await client.range(.prefix(options.keys.agentsPrefix))
            let entries = response.kvs.map { RegistryEntryView(kv: $0, keys: options.keys) }
            if options.json {
                let doc: JSON = ["revision": .int(response.header.revision), "agents": .array(entries.map(\.json))]
                printLine(doc.serialized(pretty: true))
            } else if entries.isEmpty {
                printLine("No agents registered under \(options.keys.agentsPrefix)")
            } else {
                printLine(RegistryEntryView.table(entries))
            }
            return ExitCode.ok
        } catch {
            printError(error.description)
            return ExitCode.failure
        }
    }

    static func get(_ client: EtcdClient, _ options: RegistryCLIOptions, agentId: String) async -> Int32 {
        do throws(EtcdError) {
            guard let kv = try await client.get(options.keys.agentKey(agentId)) else {
                printError("agent \(agentId) is not registered (no key \(options.keys.agentKey(agentId)))")
                return ExitCode.notFound
            }
            var view = RegistryEntryView(kv: kv, keys: options.keys)
            if kv.lease != 0 { view.leaseTTL = try? await client.leaseTimeToLive(kv.lease) }
            printLine(options.json ? view.json.serialized(pretty: true) : view.details)
            return ExitCode.ok
        } catch {
            printError(error.description)
            return ExitCode.failure
        }
    }

    static func watch(_ client: EtcdClient, _ options: RegistryCLIOptions) async -> Int32 {
        // Interrupting a watch is how it normally ends.
        let signals = onTerminationSignal { exit(ExitCode.ok) }
        defer { _ = signals }
        var known: [String: EtcdKeyValue] = [:]
        var printedHeader = false
        func show(_ type: String, _ kv: EtcdKeyValue, revision: Int64) {
            let view = RegistryEntryView(kv: kv, keys: options.keys)
            if options.json {
                var j = view.json
                j["type"] = .string(type)
                j["revision"] = .int(revision)
                printLine(j.serialized())
            } else {
                if !printedHeader {
                    printLine(RegistryEntryView.watchHeader)
                    printedHeader = true
                }
                printLine(view.watchLine(type))
            }
        }
        for await update in client.watch(.prefix(options.keys.agentsPrefix, prevKV: true)) {
            switch update {
            case .snapshot(let kvs, let revision):
                let now = Dictionary(kvs.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
                for (key, old) in known.sorted(by: { $0.key < $1.key }) where now[key] == nil {
                    show("DELETE", old, revision: revision)
                }
                for kv in kvs where known[kv.key] != kv { show("EXISTING", kv, revision: revision) }
                known = now
            case .events(let events, _):
                for e in events {
                    switch e.kind {
                    case .put:
                        known[e.kv.key] = e.kv
                        show("PUT", e.kv, revision: e.kv.modRevision)
                    case .delete:
                        let old = known.removeValue(forKey: e.kv.key) ?? e.prevKV ?? e.kv
                        var gone = old
                        gone.modRevision = e.kv.modRevision
                        show("DELETE", gone, revision: e.kv.modRevision)
                    }
                }
            case .progress:
                break
            case .interrupted(let reason, let retryIn):
                printError("watch interrupted (\(reason)); retrying in \(retryIn.components.seconds)s")
            case .failed(let reason):
                printError(reason)
                return ExitCode.failure
            }
        }
        return ExitCode.failure
    }
}

/// The registry verbs' parsed flags.
struct RegistryCLIOptions {
    var etcd: EtcdConfiguration
    var keys: RegistryKeys
    var json: Bool

    init(_ flags: ParsedFlags) throws(UsageError) {
        let connection = try EtcdFlags(flags: flags)
        let timeout = try flags.duration("etcd-timeout") ?? .seconds(5)
        // A bad endpoint or an unreadable password file is a command-line mistake here (exit 2), not an etcd failure.
        let configuration: EtcdConfiguration?
        do throws(EtcdError) {
            configuration = try connection.configuration(requestTimeout: timeout)
        } catch {
            throw UsageError(error.description)
        }
        guard let configuration else { throw UsageError("--etcd-endpoints is required") }
        etcd = configuration
        keys = RegistryKeys(prefix: flags.string("registry-prefix") ?? RegistryKeys.defaultPrefix)
        switch flags.string("output") ?? "table" {
        case "json": json = true
        case "table", "wide": json = false
        case let other: throw UsageError("--output must be json or table, not \(other)")
        }
    }
}
