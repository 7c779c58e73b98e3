// operator-bench: load driver for bench/operator/run.sh (see docs/bench-operator.md).
//
//   operator-bench sessions --server URL --count N --concurrency C --namespace NS --operator-metrics URL
//       creates N AgentSessions at once and waits until every one has its pod, its Secret and a status
//       (following watches); prints one JSON line with timings and, when --operator-metrics is given (our
//       operator; the kopf peer has none), the operator's API requests per session.
//   operator-bench raw --server URL --count N --concurrency C --namespace NS
//       the emulator's raw ceiling in the same run: N creates of session-sized objects (ConfigMaps) as fast
//       as C clients can go; prints one JSON line with the overall rate and the rates of the first and
//       the last 1,000 creates (a store whose writes cost O(objects) shows as a falling rate).
import CurlHTTP
import Foundation
import KubeClient
import RuntimeCore
import Synchronization

let spec = CommandLineSpec(
    program: "operator-bench", usage: "sessions|raw --server URL [flags]",
    summary: "Load driver of the agent-operator benchmark (bench/operator/run.sh).",
    flags: [
        .value("server", "URL", help: "kube-emulator URL"),
        .value("count", "N", help: "objects to create", default: "1000"),
        .value("concurrency", "C", help: "creates in flight", default: "64"),
        .value("namespace", "NS", help: "namespace to use", default: "bench"),
        .value("operator-metrics", "URL", help: "the operator's /metrics URL"),
        .value("timeout", "SECONDS", help: "give up after this long", default: "300"),
    ])
let flags = spec.parseOrExit()
let mode = flags.positional.first ?? "sessions"
let server = flags.string("server") ?? ""
func intFlag(_ name: String, _ fallback: Int) -> Int { Int(flags.string(name) ?? "") ?? fallback }
let count = intFlag("count", 1000)
let concurrency = intFlag("concurrency", 64)
let namespace = flags.string("namespace") ?? "bench"
let timeout = Double(intFlag("timeout", 300))
let quiet = Logger(label: "bench", sink: .memory())
let client = KubeClient(config: ClientConfig(server: server, namespace: namespace, requestTimeout: .seconds(60)), logger: quiet)
let sessions = DynamicResource(group: "parallax.ai", version: "v1alpha1", plural: "agentsessions", kind: "AgentSession")

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("operator-bench: \(message)\n".utf8))
    exit(1)
}

/// Runs `body(i)` for i in 0..<n with `width` in flight; returns failures.
func fanOut(_ n: Int, width: Int, _ body: @escaping @Sendable (Int) async -> Bool) async -> Int {
    await withTaskGroup(of: Bool.self) { group in
        var next = 0
        var failures = 0
        while next < min(width, n) {
            let i = next
            group.addTask { await body(i) }
            next += 1
        }
        for await ok in group {
            if !ok { failures += 1 }
            if next < n {
                let i = next
                group.addTask { await body(i) }
                next += 1
            }
        }
        return failures
    }
}

/// Sum of rest_client_requests_total per method from a metrics URL.
func operatorRequests(_ url: String) async -> [String: Double] {
    guard let r = try? await HTTPClient.shared.execute(HTTPClientRequest(url: url, timeout: .seconds(10))) else { return [:] }
    var out: [String: Double] = [:]
    for line in String(decoding: r.body, as: UTF8.self).split(separator: "\n") where line.hasPrefix("rest_client_requests_total{") {
        guard let m = line.range(of: #"method=""#), let v = line.split(separator: " ").last.flatMap({ Double($0) }) else { continue }
        let method = line[m.upperBound...].prefix { $0 != "\"" }
        out[String(method), default: 0] += v
    }
    return out
}

func ensureNamespace() async {
    do {
        _ = try await client.create(Namespace.resource, ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(namespace)]])
    } catch let e where e.isAlreadyExists {
    } catch {
        fail("cannot create namespace \(namespace): \(error)")
    }
}

func runSessions() async {
    let metricsURL = flags.string("operator-metrics")
    await ensureNamespace()
    // Our own informers see convergence as it happens (three watches, like the operator's).
    let sessionInformer = Informer<JSON>(client: client, resource: sessions, namespace: namespace)
    let podInformer = Informer<Pod>(client: client, namespace: namespace)
    let secretInformer = Informer<Secret>(client: client, namespace: namespace)
    let tasks = [Task { await sessionInformer.run() }, Task { await podInformer.run() }, Task { await secretInformer.run() }]
    await sessionInformer.waitForSync()
    await podInformer.waitForSync()
    await secretInformer.waitForSync()
    let before = metricsURL == nil ? [:] : await operatorRequests(metricsURL!)

    let start = ContinuousClock.now
    let failures = await fanOut(count, width: concurrency) { i in
        let body: JSON = [
            "apiVersion": "parallax.ai/v1alpha1", "kind": "AgentSession",
            "metadata": ["name": .string("bench-\(i)"), "namespace": .string(namespace)],
            "spec": ["agentType": "codex", "workspaceId": .string("ws-\(i % 10)"), "capabilities": ["code"]],
        ]
        do {
            _ = try await client.create(sessions, body, namespace: namespace)
            return true
        } catch {
            return false
        }
    }
    let created = ContinuousClock.now
    if failures > 0 { fail("\(failures) creates failed") }

    func converged() -> Int {
        let pods = Set(podInformer.store.list().map(\.name))
        let secrets = Set(secretInformer.store.list().map(\.name))
        return sessionInformer.store.list().filter { s in
            let name = s["metadata"]["name"].stringValue ?? ""
            return s["status"]["observedGeneration"].intValue != nil && !s["status"]["phase"].isNull
                && pods.contains(name) && secrets.contains(name + "-credentials")
        }.count
    }
    let deadline = start + .seconds(timeout)
    while converged() < count {
        if ContinuousClock.now > deadline { fail("timed out: \(converged()) of \(count) converged") }
        try? await Task.sleep(for: .milliseconds(20))
    }
    let done = ContinuousClock.now
    // Let the watch events of the last writes be reconciled too (they must cost nothing).
    try? await Task.sleep(for: .seconds(3))
    let after = metricsURL == nil ? [:] : await operatorRequests(metricsURL!)
    for t in tasks { t.cancel() }

    func delta(_ m: String) -> Double { (after[m] ?? 0) - (before[m] ?? 0) }
    let writes = ["POST", "PUT", "PATCH", "DELETE"].map(delta).reduce(0, +)
    let reads = delta("GET")
    let total = (done - start)
    let seconds = Double(total.components.seconds) + Double(total.components.attoseconds) / 1e18
    let createSeconds = Double((created - start).components.seconds) + Double((created - start).components.attoseconds) / 1e18
    var result: JSON = [
        "mode": "sessions", "count": .int(Int64(count)), "concurrency": .int(Int64(concurrency)),
        "createSeconds": .double(createSeconds), "convergedSeconds": .double(seconds),
        "sessionsPerSecond": .double(Double(count) / seconds),
    ]
    if metricsURL != nil {
        result["operatorWrites"] = .double(writes)
        result["operatorReads"] = .double(reads)
        result["writesPerSession"] = .double(writes / Double(count))
        result["requestsPerSession"] = .double((writes + reads) / Double(count))
        result["writesByMethod"] = .object(Dictionary(uniqueKeysWithValues: ["POST", "PUT", "PATCH", "DELETE"].map {
            ($0, JSON.double(delta($0) / Double(count)))
        }))
    }
    print(result.serialized())
}

func runRaw() async {
    await ensureNamespace()
    // Session-sized objects: a ConfigMap carrying about as much JSON as an AgentSession with status.
    let filler = String(repeating: "x", count: 1500)
    // Completion times in order of completion: the first and the last `window` creates give the rates at
    // the start and at the end of the run.
    let completions = Mutex<[ContinuousClock.Instant]>([])
    let start = ContinuousClock.now
    let failures = await fanOut(count, width: concurrency) { i in
        let body: JSON = ["apiVersion": "v1", "kind": "ConfigMap",
                          "metadata": ["name": .string("raw-\(i)"), "namespace": .string(namespace)], "data": ["k": .string(filler)]]
        do {
            _ = try await client.create(ConfigMap.resource, body, namespace: namespace)
            completions.withLock { $0.append(.now) }
            return true
        } catch {
            return false
        }
    }
    let d = ContinuousClock.now - start
    let seconds = d.inSeconds
    let done = completions.withLock { $0 }
    let window = min(1000, done.count / 2)
    func rate(_ from: ContinuousClock.Instant, _ to: ContinuousClock.Instant) -> Double { Double(window) / (to - from).inSeconds }
    let first = window > 0 ? rate(start, done[window - 1]) : 0
    let last = window > 0 ? rate(done[done.count - window - 1], done[done.count - 1]) : 0
    let result: JSON = ["mode": "raw", "count": .int(Int64(count)), "concurrency": .int(Int64(concurrency)),
                        "failures": .int(Int64(failures)), "seconds": .double(seconds), "createsPerSecond": .double(Double(count) / seconds),
                        "firstCreatesPerSecond": .double(first), "lastCreatesPerSecond": .double(last)]
    print(result.serialized())
}

switch mode {
case "sessions": await runSessions()
case "raw": await runRaw()
default: fail("unknown mode \(mode)")
}
exit(0)
