import CurlHTTP
import Foundation
import Registry
import RuntimeCore

// registry-bench: registers N agents with T-second leases in etcd, holds them, and reports registration
// time, etcd request rates while holding, and this process's CPU and memory. `--mode registry` uses
// AgentRegistry (one scheduler, batched keepalives); `--mode naive` is the one-request-per-lease baseline.
// One JSON object on stdout; bench/registry/run.sh runs both modes against the same etcd.

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

let spec = CommandLineSpec(
    program: "registry-bench", usage: "--etcd-endpoints URL [--mode registry|naive] [--agents N] [--ttl S] [--hold D]",
    summary: "Benchmarks keeping N agents registered in etcd.",
    flags: [
        .value("etcd-endpoints", "URL", help: "etcd client URL", default: "http://127.0.0.1:2379"),
        .value("mode", "registry|naive", help: "AgentRegistry or the naive baseline", default: "registry"),
        .value("agents", "N", help: "agents to register", default: "1000"),
        .value("ttl", "SECONDS", help: "lease TTL", default: "30"),
        .value("hold", "DURATION", help: "how long to hold the registrations", default: "60s"),
        .value("etcd-pid", "PID", help: "etcd's pid, to report its CPU time"),
        .value("prefix", "P", help: "registry prefix", default: "/bench"),
        .value("max-concurrent-requests", "N", help: "AgentRegistry's request concurrency", default: "16"),
        .value("connections", "N", help: "HTTP connections per etcd endpoint (default: 32, naive: one per lease)"),
    ])
let flags = spec.parseOrExit()
Logger.bootstrap(level: .warning, format: .text)

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("registry-bench: \(message)\n".utf8))
    exit(1)
}

let endpoint = flags.string("etcd-endpoints")!
guard let agents = (try? flags.int("agents")) ?? nil, agents > 0 else { fail("--agents must be a positive number") }
guard let ttlFlag = (try? flags.int("ttl")) ?? nil, ttlFlag > 0 else { fail("--ttl must be a positive number") }
let ttl = Int64(ttlFlag)
guard let hold = (try? flags.duration("hold")) ?? nil else { fail("--hold must be a duration") }
let mode = flags.string("mode") ?? "registry"
let etcdPid = flags.string("etcd-pid").flatMap { Int32($0) }
let keys = RegistryKeys(prefix: (flags.string("prefix") ?? "/bench") + "-" + mode)
let probe = HTTPClient(name: "probe", maxConnectionsPerHost: 2)

func descriptor(_ i: Int) -> AgentDescriptor {
    AgentDescriptor(agentId: "bench.agent-\(i)", name: "agent-\(i)", endpoint: "http://10.0.\(i / 250).\(i % 250):8077",
                    capabilities: ["code", "review"], agentType: "codex", workspaceId: "ws-\(i % 10)",
                    namespace: "bench-\(i % 4)", session: "agent-\(i)", pod: "agent-\(i)", ttlSeconds: Int(ttl))
}

let client: EtcdClient
do {
    // The naive baseline may open a connection per lease; ours keeps the client's default cap (32).
    let connections = ((try? flags.int("connections")) ?? nil) ?? (mode == "naive" ? agents + 16 : 32)
    let http = HTTPClient(name: "etcd", maxConnectionsPerHost: connections)
    client = try EtcdClient(configuration: EtcdConfiguration(endpoints: [endpoint]), httpClient: http)
} catch {
    fail("\(error)")
}

let start = ProcessSample.now()
let t0 = ContinuousClock.now
var registry: AgentRegistry?
var naive: NaiveRegistry?
var registered = 0
switch mode {
case "registry":
    let concurrency = ((try? flags.int("max-concurrent-requests")) ?? nil) ?? 16
    let r = AgentRegistry(client: client, options: AgentRegistryOptions(prefix: keys.prefix, maxConcurrentRequests: concurrency),
                          logger: Logger(label: "bench"))
    registry = r
    registered = await withTaskGroup(of: Bool.self) { group in
        for i in 0..<agents { group.addTask { (try? await r.register(descriptor(i)))?.isRegistered ?? false } }
        var n = 0
        for await ok in group where ok { n += 1 }
        return n
    }
case "naive":
    let n = NaiveRegistry(client: client, ttl: ttl)
    naive = n
    registered = await withTaskGroup(of: Bool.self) { group in
        for i in 0..<agents {
            group.addTask { (try? await n.register(descriptor(i), keys: keys)) != nil }
        }
        var ok = 0
        for await registeredOne in group where registeredOne { ok += 1 }
        return ok
    }
default:
    fail("--mode must be registry or naive")
}
let registrationSeconds = (ContinuousClock.now - t0).seconds
let afterRegistration = ProcessSample.now()
let requestsAfterRegistration = client.statistics.requests

// Hold.
let etcdBefore = await EtcdSample.take(http: probe, endpoint: endpoint, pid: etcdPid)
let holdStart = ProcessSample.now()
let statsBefore = client.statistics
try? await Task.sleep(for: hold)
let holdEnd = ProcessSample.now()
let statsAfter = client.statistics
let etcdAfter = await EtcdSample.take(http: probe, endpoint: endpoint, pid: etcdPid)
let holdSeconds = (holdEnd.at - holdStart.at).seconds

// Still all there?
let present = (try? await client.range(.prefix(keys.agentsPrefix, countOnly: true)).count) ?? -1
var lost = 0
var keepaliveFailures = 0
if let registry {
    lost = await registry.all().filter { !$0.status.isRegistered }.count
    await registry.shutdown(revokeLeases: true)
}
if let naive {
    lost = naive.lostCount
    keepaliveFailures = naive.failureCount
    naive.stop()
    let leases = (try? await client.range(.prefix(keys.agentsPrefix)).kvs.map(\.lease)) ?? []
    await withTaskGroup(of: Void.self) { group in
        for lease in leases { group.addTask { try? await client.revokeLease(lease) } }
    }
}
_ = try? await client.delete(.prefix(keys.agentsPrefix))

let etcd = etcdAfter.delta(since: etcdBefore)
let holdRequests = statsAfter.requests - statsBefore.requests
func mb(_ b: Int) -> Double { (Double(b) / 1_048_576 * 10).rounded() / 10 }
func r3(_ d: Double) -> Double { (d * 1000).rounded() / 1000 }
let result: JSON = [
    "mode": .string(mode), "agents": .int(Int64(agents)), "registered": .int(Int64(registered)), "ttl": .int(ttl),
    "holdSeconds": .double(r3(holdSeconds)),
    "registrationSeconds": .double(r3(registrationSeconds)),
    "registrationRequests": .int(Int64(requestsAfterRegistration)),
    "registrationCPUSeconds": .double(r3(afterRegistration.cpuSeconds - start.cpuSeconds)),
    "holdHTTPRequests": .int(Int64(holdRequests)),
    "holdHTTPRequestsPerSecond": .double(r3(Double(holdRequests) / holdSeconds)),
    "holdKeepaliveHTTPRequests": .int(Int64((statsAfter.requestsByPath["/v3/lease/keepalive"] ?? 0)
        - (statsBefore.requestsByPath["/v3/lease/keepalive"] ?? 0))),
    "holdEtcdMessagesPerSecond": .double(r3(etcd.messages / holdSeconds)),
    "holdEtcdKeepaliveMessages": .int(Int64(etcd.keepaliveMessages)),
    "holdEtcdCallsPerSecond": .double(r3(etcd.calls / holdSeconds)),
    "holdEtcdCPUSeconds": etcd.cpu.map { .double(r3($0)) } ?? .null,
    "holdCPUSeconds": .double(r3(holdEnd.cpuSeconds - holdStart.cpuSeconds)),
    "holdCPUPercent": .double(r3((holdEnd.cpuSeconds - holdStart.cpuSeconds) / holdSeconds * 100)),
    "rssMB": .double(mb(holdEnd.rssBytes)), "peakRSSMB": .double(mb(holdEnd.peakRSSBytes)),
    "threads": .int(Int64(holdEnd.threads)), "sockets": .int(Int64(holdEnd.sockets)),
    "keysPresentAfterHold": .int(present), "registrationsLost": .int(Int64(lost)),
    "keepaliveFailures": .int(Int64(keepaliveFailures)),
]
print(result.serialized())
client.shutdown()
probe.shutdown()
exit(present == Int64(agents) && lost == 0 ? 0 : 2)
