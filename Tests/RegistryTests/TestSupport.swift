import Foundation
import Registry
import RuntimeCore
import XCTest

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
