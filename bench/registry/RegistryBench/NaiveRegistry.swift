import Foundation
import Registry
import RuntimeCore
import Synchronization

/// The baseline: what a straightforward implementation does, `etcdctl lease keep-alive` style. Every
/// agent gets its own lease (etcd-chosen id) and a plain put, and its own renewal loop that sends one
/// keepalive request for that one lease every TTL/3 — 1,000 agents, 1,000 timers, one request per lease
/// per TTL/3. The HTTP client is allowed one connection per lease, as per-lease streams would need.
final class NaiveRegistry: Sendable {
    let client: EtcdClient
    let ttl: Int64
    private let tasks = Mutex<[Task<Void, Never>]>([])
    private let failures = Atomic<Int>(0)
    private let lost = Atomic<Int>(0)

    init(client: EtcdClient, ttl: Int64) {
        self.client = client
        self.ttl = ttl
    }

    /// Grants, writes, and starts the renewal loop of one agent.
    func register(_ d: AgentDescriptor, keys: RegistryKeys) async throws {
        let grant = try await client.grantLease(ttl: ttl)
        let value = d.record(health: .unknown, lastCheck: Date(), registeredAt: Date(), ttl: Int(grant.ttl)).encoded()
        try await client.put(EtcdPutRequest(key: keys.agentKey(d.agentId), value: value, lease: grant.id))
        let task = Task { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(ttl * 1000 / 3))
                if Task.isCancelled { return }
                do throws(EtcdError) {
                    try await client.keepAlive(lease: grant.id)
                } catch {
                    if case .leaseNotFound = error {
                        self.lost.add(1, ordering: .relaxed)
                    } else {
                        self.failures.add(1, ordering: .relaxed)
                    }
                }
            }
        }
        tasks.withLock { $0.append(task) }
    }

    var failureCount: Int { failures.load(ordering: .relaxed) }
    var lostCount: Int { lost.load(ordering: .relaxed) }

    func stop() {
        for t in tasks.withLock({ $0 }) { t.cancel() }
    }
}
