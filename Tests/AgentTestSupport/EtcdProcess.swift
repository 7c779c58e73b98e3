import CurlHTTP
import Foundation
import Registry

/// Debian's etcd on random loopback ports with its data in a directory of the caller's.
///
/// It can be killed with SIGKILL and started again on the same ports and data, like a crashed and
/// rescheduled etcd pod; the ports are chosen up front so a test can point a client at an etcd that is not
/// up yet. Like every ``ManagedProcess`` it dies with the test process.
public final class EtcdProcess: Sendable {
    /// The etcd binary (`$ETCD_BINARY`, else `etcd` on PATH), or nil when it is not installed.
    public static let binary: String? = {
        if let b = ProcessInfo.processInfo.environment["ETCD_BINARY"], FileManager.default.isExecutableFile(atPath: b) { return b }
        return BuiltBinaries.onPath("etcd")
    }()

    /// etcdctl on PATH, for tests that set up users and roles.
    public static let etcdctl = BuiltBinaries.onPath("etcdctl")

    /// The client URL.
    public let endpoint: String
    /// The directory holding the data (`etcd-data`) and the logs.
    public let directory: String
    private let binary: String
    private let arguments: [String]
    private let probeTLS: TLSConfiguration?
    private let running = LockedBox<ManagedProcess?>(nil)

    /// Starts etcd and waits until it serves.
    public static func started(directory: String) async throws -> EtcdProcess {
        let etcd = try EtcdProcess(directory: directory)
        try await etcd.start()
        return etcd
    }

    /// Picks the ports without starting etcd. `scheme` and `extraArgs` serve TLS tests (certificate flags),
    /// and `probeTLS` is what the readiness probe then connects with.
    public init(directory: String, scheme: String = "http", extraArgs: [String] = [], probeTLS: TLSConfiguration? = nil) throws {
        guard let binary = Self.binary else { throw TestSupportError.missingBinary("etcd (apt-get install etcd-server)") }
        let clientPort = try freeLoopbackPort()
        var peerPort = try freeLoopbackPort()
        while peerPort == clientPort { peerPort = try freeLoopbackPort() }
        endpoint = "\(scheme)://127.0.0.1:\(clientPort)"
        let peer = "http://127.0.0.1:\(peerPort)"
        self.directory = directory
        self.binary = binary
        self.probeTLS = probeTLS
        arguments = [
            "--name", "default", "--data-dir", directory + "/etcd-data",
            "--listen-client-urls", endpoint, "--advertise-client-urls", endpoint,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", "default=\(peer)",
            // Fast elections keep restarts short; the minimum lease TTL stays at 1 s.
            "--heartbeat-interval", "50", "--election-timeout", "500", "--logger", "zap", "--log-level", "warn",
        ] + extraArgs
    }

    /// The process id while etcd runs.
    public var pid: Int32? { running.current?.pid }

    /// The end of the running (or last) etcd's log.
    public func logTail() -> String { running.current?.logTail() ?? "" }

    /// Starts etcd and waits (up to 20 s) until it serves requests.
    public func start() async throws {
        let process = try ManagedProcess(name: "etcd", executable: binary, arguments: arguments, logDirectory: directory)
        running.withLock { $0 = process }
        let client = try EtcdClient(configuration: EtcdConfiguration(endpoints: [endpoint], tls: probeTLS, requestTimeout: .seconds(1),
                                                                     connectTimeout: .milliseconds(500)))
        defer { client.shutdown() }
        let deadline = ContinuousClock.now + .seconds(20)
        var last = "not tried"
        while ContinuousClock.now < deadline {
            if let status = process.exitStatus { throw TestSupportError.exited("etcd", status: status, log: process.logTail()) }
            do {
                _ = try await client.range(EtcdRangeRequest(key: "/readiness-probe"))
                return
            } catch {
                // Rejected for want of a token: serving, with auth on (a test enabled it before a restart).
                if case .authenticationFailed = error { return }
                last = error.description
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestSupportError.notReady("etcd at \(endpoint) (last probe: \(last))", log: process.logTail())
    }

    /// SIGKILL, like a crash: the data stays.
    public func kill9() async { await running.current?.kill9() }

    /// SIGTERM, and waits for the exit.
    public func stop() async { await running.current?.stop() }

    /// SIGKILL, then starts again on the same ports and data.
    public func restart() async throws {
        await kill9()
        try await start()
    }

    /// A client for assertions.
    public func client() throws -> EtcdClient { try EtcdClient(endpoints: [endpoint]) }
}
