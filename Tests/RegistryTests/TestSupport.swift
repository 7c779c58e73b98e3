import AgentTestSupport
import CurlHTTP
import Foundation
import Registry
import RuntimeCore
import XCTest

extension XCTestCase {
    /// A dedicated etcd, not started yet, for a test that kills, restarts or configures it; it goes away with
    /// its data when the test ends. Skips the test when etcd is not installed.
    func dedicatedEtcd(scheme: String = "http", extraArgs: [String] = [], probeTLS: TLSConfiguration? = nil) throws -> EtcdProcess {
        guard EtcdProcess.binary != nil else { throw XCTSkip("etcd is not installed (apt-get install etcd-server)") }
        let dir = try TempDirectory(prefix: "registry-etcd")
        addTeardownBlock { dir.remove() }
        let etcd = try EtcdProcess(directory: dir.path, scheme: scheme, extraArgs: extraArgs, probeTLS: probeTLS)
        // Teardown blocks run last-in first-out: etcd dies before its directory goes.
        addTeardownBlock { await etcd.kill9() }
        return etcd
    }

    /// A dedicated etcd, started (see ``dedicatedEtcd(scheme:extraArgs:probeTLS:)``).
    func startDedicatedEtcd() async throws -> EtcdProcess {
        let etcd = try dedicatedEtcd()
        try await etcd.start()
        return etcd
    }
}

/// A process-wide etcd for tests that do not kill it; each test uses its own key prefix.
actor SharedEtcd {
    static let instance = SharedEtcd()
    private var server: EtcdProcess?

    /// The shared server's endpoint, starting it on first use.
    func endpoint() async throws -> String {
        if let server { return server.endpoint }
        guard EtcdProcess.binary != nil else { throw XCTSkip("etcd is not installed (apt-get install etcd-server)") }
        let dir = try TempDirectory(prefix: "registry-etcd")
        let s = try EtcdProcess(directory: dir.path)
        try await s.start()
        server = s
        atexit_register { [s] in
            if let pid = s.pid { kill(pid, SIGKILL) }
            dir.remove()
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

/// Records what an AsyncStream yields, from a background task.
final class Recorder<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var _items: [T] = []
    private var task: Task<Void, Never>?

    init(_ stream: AsyncStream<T>) {
        task = Task { [weak self] in
            for await item in stream {
                guard let self else { return }
                self.lock.withLock { self._items.append(item) }
            }
        }
    }

    var items: [T] { lock.withLock { _items } }
    func stop() { task?.cancel() }
}

extension Recorder where T == RegistryEvent {
    var registered: [String] { items.compactMap { if case .registered(let id, _, _) = $0 { return id } else { return nil } } }
    var repairs: [(old: Int64, new: Int64)] {
        items.compactMap { if case .repaired(_, let o, let n) = $0 { return (o, n) } else { return nil } }
    }
    var conflicts: [Int64] { items.compactMap { if case .conflict(_, _, let o) = $0 { return o } else { return nil } } }
    var lost: Int { items.filter { if case .leaseLost = $0 { return true } else { return false } }.count }
    var failures: [String] { items.compactMap { if case .failed(_, let r) = $0 { return r } else { return nil } } }
}

/// A registry on the shared etcd under its own prefix, shut down when the test ends.
extension XCTestCase {
    func makeRegistry(client: EtcdClient, prefix: String, identity: String = "agent-runtime",
                      metrics: MetricsRegistry? = nil) -> (AgentRegistry, Recorder<RegistryEvent>) {
        let registry = AgentRegistry(client: client, options: AgentRegistryOptions(prefix: prefix, ownerIdentity: identity,
                                                                                   retryBackoff: RetryBackoff(initial: .milliseconds(100), max: .milliseconds(500))),
                                     metrics: metrics, logger: quietLogger)
        let events = Recorder(registry.events)
        addTeardownBlock {
            await registry.shutdown(revokeLeases: true)
            events.stop()
        }
        return (registry, events)
    }
}
