import Foundation
import KubeEmulator
import RuntimeCore

// kube-emulator: an in-memory Kubernetes API server for tests and demos (CONTRACT.md §1).

let spec = CommandLineSpec(
    program: "kube-emulator",
    usage: "--listen 127.0.0.1:PORT --kubeconfig-out FILE [flags]",
    summary: "An in-memory Kubernetes API server that real kubectl and the operator work against. Prints 'ready' on stdout once it serves.",
    flags: [
        .value("listen", "ADDR:PORT", help: "address to serve on (port 0 picks one)", default: "127.0.0.1:0", env: "EMULATOR_LISTEN"),
        .value("kubeconfig-out", "FILE", help: "write a kubeconfig for this server here"),
        .value("token", "T", help: "require this bearer token on API requests", env: "EMULATOR_TOKEN"),
        .value("watch-history", "N", help: "watch events kept for resume; older resourceVersions get 410 Gone", default: "1000"),
        .value("threads", "N", help: "worker threads (each open watch holds one)", default: "256"),
        .value("bookmark-interval", "DURATION", help: "bookmark period of idle watches", default: "5s"),
        .value("fault-error-rate", "R", help: "share (0..1) of API requests answered with an injected error", default: "0"),
        .value("fault-error-status", "CODE", help: "status of injected errors (429 carries Retry-After)", default: "429"),
        .value("fault-retry-after", "SECONDS", help: "Retry-After of injected 429s", default: "1"),
        .value("fault-delay", "MS", help: "latency added to every API request", default: "0"),
        .value("fault-drop-watches-after", "SECONDS", help: "close every watch after this long (0: never)", default: "0"),
        .bool("run-pods", help: "run agent pods (those starting /opt/agent-runtime/agent-supervisor) as local processes"),
        .value("supervisor-binary", "PATH", help: "agent-supervisor binary that --run-pods starts for the injected one"),
        .value("pod-root", "DIR", help: "where --run-pods keeps pod volumes and logs (default: a temp dir)"),
        .value("audit-log", "FILE", help: "append one JSON line per API request (verb, group, resource, namespace, user agent)"),
    ])

let flags = spec.parseOrExit()
let logger = Logger(label: "kube-emulator")
do {
    try configureLogging(flags)
    var config = EmulatorServer.Configuration()
    config.listen = flags.string("listen")!
    config.token = flags.string("token")
    config.watchHistory = try flags.int("watch-history") ?? 1000
    config.threads = try flags.int("threads") ?? 256
    config.bookmarkInterval = try flags.duration("bookmark-interval") ?? .seconds(5)
    config.faults.errorRate = try flags.double("fault-error-rate") ?? 0
    config.faults.errorStatus = try flags.int("fault-error-status") ?? 429
    config.faults.retryAfterSeconds = try flags.int("fault-retry-after") ?? 1
    config.faults.delayMilliseconds = try flags.int("fault-delay") ?? 0
    config.faults.dropWatchesAfterSeconds = try flags.double("fault-drop-watches-after") ?? 0
    config.auditLog = flags.string("audit-log")
    guard (0...1).contains(config.faults.errorRate) else { throw UsageError("--fault-error-rate must be between 0 and 1") }
    guard config.watchHistory > 0 else { throw UsageError("--watch-history must be at least 1") }
    if flags.bool("run-pods") {
        let binary = try flags.require("supervisor-binary")
        guard FileManager.default.isExecutableFile(atPath: binary) else { throw UsageError("--supervisor-binary \(binary) is not an executable file") }
        let root = flags.string("pod-root") ?? FileManager.default.temporaryDirectory.appendingPathComponent("kube-emulator-pods-\(getpid())").path
        config.kubelet = ProcessKubelet.Configuration(supervisorBinary: binary, workRoot: root)
    }

    let server = EmulatorServer(configuration: config, logger: logger)
    let port = try server.start()
    if let out = flags.string("kubeconfig-out") { try server.writeKubeconfig(to: out) }
    logger.info("serving", ["url": .string(server.url), "port": .int(Int64(port))])
    FileHandle.standardOutput.write(Data("ready\n".utf8))

    // Exit 0 on SIGTERM/SIGINT after a graceful stop.
    let stop = DispatchSemaphore(value: 0)
    let sources = [SIGTERM, SIGINT].map { sig -> DispatchSourceSignal in
        signal(sig, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
        source.setEventHandler { stop.signal() }
        source.resume()
        return source
    }
    stop.wait()
    sources.forEach { $0.cancel() }
    logger.info("shutting down")
    server.stop()
    exit(0)
} catch let e as UsageError {
    FileHandle.standardError.write(Data("kube-emulator: \(e.message)\n".utf8))
    exit(2)
} catch {
    FileHandle.standardError.write(Data("kube-emulator: \(error)\n".utf8))
    exit(1)
}
