import CurlHTTP
import Foundation
import Registry
import RuntimeCore
import XCTest

/// A real etcd (Debian's `etcd-server`) for tests: its own temp data dir and random loopback ports.
///
/// It can be killed with SIGKILL and restarted with the same data dir on the same ports, like a crashed
/// and rescheduled etcd pod. A watchdog shell kills it if the test process dies first, so a crashed test
/// run leaves no etcd behind.
final class EtcdServer: @unchecked Sendable {
    /// The etcd binary ($ETCD_BINARY, else `etcd` on PATH).
    static let binary: String? = {
        if let b = ProcessInfo.processInfo.environment["ETCD_BINARY"], FileManager.default.isExecutableFile(atPath: b) {
            return b
        }
        return findOnPath("etcd")
    }()

    /// The etcdctl binary, for tests that set up auth.
    static let etcdctl: String? = findOnPath("etcdctl")

    let dataDir: String
    let clientPort: Int
    let peerPort: Int
    let scheme: String
    let extraArgs: [String]
    private let lock = NSLock()
    private var process: Process?
    private var watchdog: Process?

    /// The client URL.
    var endpoint: String { "\(scheme)://127.0.0.1:\(clientPort)" }
    /// The etcd log (stdout and stderr).
    var logPath: String { dataDir + ".log" }
    /// The running process id, if any.
    var pid: Int32? { lock.withLock { process?.isRunning == true ? process?.processIdentifier : nil } }

    /// Creates (but does not start) a server. Throws XCTSkip when etcd is not installed.
    init(scheme: String = "http", extraArgs: [String] = []) throws {
        guard EtcdServer.binary != nil else { throw XCTSkip("etcd is not installed (apt-get install etcd-server)") }
        dataDir = NSTemporaryDirectory() + "registry-etcd-" + UUID().uuidString
        clientPort = try freePort()
        var p = try freePort()
        while p == clientPort { p = try freePort() }
        peerPort = p
        self.scheme = scheme
        self.extraArgs = extraArgs
    }

    /// Starts etcd and waits (up to 20 s) until it serves requests.
    func start() async throws {
        let peer = "http://127.0.0.1:\(peerPort)"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: EtcdServer.binary!)
        process.arguments = [
            "--name", "default", "--data-dir", dataDir,
            "--listen-client-urls", endpoint, "--advertise-client-urls", endpoint,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", "default=\(peer)",
            // Fast elections keep restarts short; the minimum lease TTL stays at 1 s.
            "--heartbeat-interval", "50", "--election-timeout", "500",
            "--logger", "zap", "--log-level", "warn",
        ] + extraArgs
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = FileHandle(forWritingAtPath: logPath)!
        log.seekToEndOfFile()
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let guardian = Process()
        guardian.executableURL = URL(fileURLWithPath: "/bin/sh")
        guardian.arguments = ["-c", "while kill -0 \(getpid()) 2>/dev/null && kill -0 \(process.processIdentifier) 2>/dev/null; do sleep 1; done; kill -9 \(process.processIdentifier) 2>/dev/null; sleep 1; kill -0 \(getpid()) 2>/dev/null || rm -rf '\(dataDir)' '\(logPath)'"]
        guardian.standardOutput = FileHandle.nullDevice
        guardian.standardError = FileHandle.nullDevice
        try guardian.run()
        lock.withLock {
            self.process = process
            self.watchdog = guardian
        }
        try await waitUntilReady()
    }

    /// Polls until a read succeeds.
    func waitUntilReady(timeout: Duration = .seconds(20)) async throws {
        let client = try EtcdClient(configuration: EtcdConfiguration(
            endpoints: [endpoint], tls: tlsForProbe, requestTimeout: .seconds(1), connectTimeout: .milliseconds(500)))
        defer { client.shutdown() }
        let deadline = ContinuousClock.now + timeout
        var last = "not tried"
        while ContinuousClock.now < deadline {
            guard pid != nil else { throw EtcdServerError.exited(log: tailLog()) }
            do {
                _ = try await client.range(EtcdRangeRequest(key: "/readiness-probe"))
                return
            } catch {
                last = error.description
                if case .authenticationFailed = error { return }  // serving, just with auth on
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw EtcdServerError.notReady(last: last, log: tailLog())
    }

    /// TLS settings the readiness probe uses for https servers (set by TLS tests).
    var tlsForProbe: TLSConfiguration?

    /// SIGKILL, like a crash. Data stays.
    func kill9() async {
        await signalAndWait(SIGKILL)
    }

    /// SIGTERM and wait.
    func stop() async {
        await signalAndWait(SIGTERM)
    }

    /// Starts again with the same data dir and ports.
    func restart() async throws {
        await kill9()
        try await start()
    }

    private func signalAndWait(_ sig: Int32) async {
        let (p, w) = lock.withLock { (process, watchdog) }
        guard let p else { return }
        if p.isRunning { kill(p.processIdentifier, sig) }
        let deadline = ContinuousClock.now + .seconds(10)
        while p.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        if let w, w.isRunning { kill(w.processIdentifier, SIGKILL) }
        lock.withLock {
            process = nil
            watchdog = nil
        }
    }

    /// Stops etcd and removes its data.
    func destroy() async {
        await kill9()
        try? FileManager.default.removeItem(atPath: dataDir)
        try? FileManager.default.removeItem(atPath: logPath)
    }

    func tailLog() -> String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return String(text.suffix(2000))
    }

    deinit {
        if let p = process, p.isRunning { kill(p.processIdentifier, SIGKILL) }
        if let w = watchdog, w.isRunning { kill(w.processIdentifier, SIGKILL) }
    }
}

enum EtcdServerError: Error, CustomStringConvertible {
    case exited(log: String)
    case notReady(last: String, log: String)

    var description: String {
        switch self {
        case .exited(let log): return "etcd exited during start:\n\(log)"
        case .notReady(let last, let log): return "etcd not ready: \(last)\n\(log)"
        }
    }
}

/// A free TCP port on 127.0.0.1 (bound, read, released).
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(.EMFILE) }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = 0
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
    }
    guard bound else { throw POSIXError(.EADDRINUSE) }
    return Int(UInt16(bigEndian: addr.sin_port))
}

func findOnPath(_ name: String) -> String? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
    for dir in path.split(separator: ":") + ["/usr/bin", "/usr/local/bin"] {
        let candidate = "\(dir)/\(name)"
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
}

/// Runs a program to completion without blocking the cooperative pool (the exit is polled).
func runProgram(_ path: String, _ args: [String], environment: [String: String]? = nil) async throws
    -> (status: Int32, output: String)
{
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    if let environment { p.environment = environment }
    let outPath = NSTemporaryDirectory() + "registry-run-" + UUID().uuidString
    _ = FileManager.default.createFile(atPath: outPath, contents: nil)
    defer { try? FileManager.default.removeItem(atPath: outPath) }
    let out = FileHandle(forWritingAtPath: outPath)!
    p.standardOutput = out
    p.standardError = out
    try p.run()
    let deadline = ContinuousClock.now + .seconds(60)
    while p.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
    if p.isRunning { p.terminate() }
    try? out.close()
    let text = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
    return (p.terminationStatus, text)
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
func eventually(_ timeout: Duration = .seconds(10), every interval: Duration = .milliseconds(50),
                _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        try? await Task.sleep(for: interval)
    }
}

extension XCTestCase {
    /// A dedicated etcd for a test that kills or restarts it; destroyed when the test ends.
    func startDedicatedEtcd(extraArgs: [String] = []) async throws -> EtcdServer {
        let etcd = try EtcdServer(extraArgs: extraArgs)
        addTeardownBlock { await etcd.destroy() }
        try await etcd.start()
        return etcd
    }
}

/// A process-wide etcd for tests that do not kill it; each test uses its own key prefix.
actor SharedEtcd {
    static let instance = SharedEtcd()
    private var server: EtcdServer?

    /// The shared server's endpoint, starting it on first use.
    func endpoint() async throws -> String {
        if let server { return server.endpoint }
        let s = try EtcdServer()
        try await s.start()
        server = s
        let dataDir = s.dataDir
        atexit_register { [s] in
            if let pid = s.pid { kill(pid, SIGKILL) }
            try? FileManager.default.removeItem(atPath: dataDir)
            try? FileManager.default.removeItem(atPath: dataDir + ".log")
        }
        return s.endpoint
    }
}

private let atexitHandlers = NSLock()
nonisolated(unsafe) private var handlers: [@Sendable () -> Void] = []

/// Runs `body` when the test process exits normally.
func atexit_register(_ body: @escaping @Sendable () -> Void) {
    atexitHandlers.withLock {
        if handlers.isEmpty { atexit { atexitHandlers.withLock { handlers.forEach { $0() } } } }
        handlers.append(body)
    }
}

/// A unique key prefix per test, so tests sharing one etcd never see each other's keys.
func uniquePrefix(_ name: String = #function) -> String {
    "/test-\(name.filter { $0.isLetter || $0.isNumber })-\(UUID().uuidString.prefix(8))"
}

extension XCTestCase {
    /// A client for the shared etcd, shut down after every other teardown block of the test (teardown blocks
    /// run last-in first-out, and registries made later must still reach etcd while they shut down).
    func sharedClient(requestTimeout: Duration = .seconds(5)) async throws -> EtcdClient {
        let endpoint = try await SharedEtcd.instance.endpoint()
        let client = try EtcdClient(configuration: EtcdConfiguration(endpoints: [endpoint], requestTimeout: requestTimeout))
        addTeardownBlock { client.shutdown() }
        return client
    }
}

/// A logger that keeps its lines in memory.
let quietLogger = Logger(label: "test", sink: ProcessInfo.processInfo.environment["REGISTRY_TEST_LOGS"] != nil ? .standardError : .memory(), level: .debug)

/// A descriptor for tests.
func testDescriptor(_ id: String, ttl: Int = 2, namespace: String = "team-a") -> AgentDescriptor {
    AgentDescriptor(agentId: id, name: id.split(separator: ".").last.map(String.init) ?? id,
                    endpoint: "http://10.1.2.3:8077", capabilities: ["code", "review"], agentType: "codex",
                    workspaceId: "ws-42", namespace: namespace, session: "fix-login-bug", pod: "fix-login-bug",
                    ttlSeconds: ttl)
}
