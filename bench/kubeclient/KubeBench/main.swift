import Foundation
import KubeClient
import RuntimeCore

// kube-bench: requests per second of our KubeClient against an API server (kube-emulator in bench/kubeclient/run.sh).
// Prints one JSON line: {"mode", "requests", "errors", "seconds", "rps", "p50ms", "p99ms"}.

let spec = CommandLineSpec(
    program: "kube-bench", usage: "--server URL --mode get|create [--duration S] [--concurrency N]",
    summary: "Drives get or create requests through KubeClient for a fixed time and reports throughput and latency.",
    flags: [
        .value("server", "URL", help: "API server base URL"),
        .value("mode", "get|create", help: "what to measure", default: "get"),
        .value("duration", "SECONDS", help: "measurement time", default: "10"),
        .value("concurrency", "N", help: "requests in flight", default: "16"),
        .value("namespace", "NS", help: "namespace of the ConfigMaps", default: "default"),
    ])

let flags = spec.parseOrExit()
let configMaps = DynamicResource(group: "", version: "v1", plural: "configmaps", kind: "ConfigMap")

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

func run() async throws {
    let server = try flags.require("server")
    let mode = flags.string("mode") ?? "get"
    guard mode == "get" || mode == "create" else { throw UsageError("--mode must be get or create") }
    let duration = try flags.double("duration") ?? 10
    let concurrency = try flags.int("concurrency") ?? 16
    let namespace = flags.string("namespace") ?? "default"
    var config = ClientConfig(server: server)
    config.retry = .none
    let client = KubeClient(config: config)
    // The object every get reads (and the template every create copies).
    let seed: JSON = ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "bench-0"], "data": ["k": "v"]]
    _ = try? await client.create(configMaps, seed, namespace: namespace)

    let deadline = ContinuousClock.now + .milliseconds(Int64(duration * 1000))
    let start = ContinuousClock.now
    let results = try await withThrowingTaskGroup(of: ([Double], Int).self) { group in
        for worker in 0..<concurrency {
            group.addTask {
                var latencies: [Double] = []
                var errors = 0
                var i = 0
                while ContinuousClock.now < deadline {
                    let t0 = ContinuousClock.now
                    do {
                        if mode == "get" {
                            _ = try await client.get(configMaps, name: "bench-0", namespace: namespace)
                        } else {
                            var obj = seed
                            obj["metadata"] = ["name": .string("bench-\(worker)-\(i)")]
                            _ = try await client.create(configMaps, obj, namespace: namespace)
                        }
                        let dt = ContinuousClock.now - t0
                        latencies.append(Double(dt.components.seconds) * 1000 + Double(dt.components.attoseconds) / 1e15)
                    } catch {
                        errors += 1
                    }
                    i += 1
                }
                return (latencies, errors)
            }
        }
        var all: [Double] = []
        var errors = 0
        for try await (l, e) in group {
            all += l
            errors += e
        }
        return (all.sorted(), errors)
    }
    let elapsed = ContinuousClock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let out: JSON = [
        "mode": .string(mode), "requests": .int(Int64(results.0.count)), "errors": .int(Int64(results.1)),
        "seconds": .double((seconds * 100).rounded() / 100), "rps": .double((Double(results.0.count) / seconds).rounded()),
        "p50ms": .double((percentile(results.0, 0.5) * 100).rounded() / 100),
        "p99ms": .double((percentile(results.0, 0.99) * 100).rounded() / 100),
    ]
    print(out.serialized())
}

do {
    try await run()
} catch let e as UsageError {
    FileHandle.standardError.write(Data("kube-bench: \(e.message)\n".utf8))
    exit(2)
} catch {
    FileHandle.standardError.write(Data("kube-bench: \(error)\n".utf8))
    exit(1)
}
