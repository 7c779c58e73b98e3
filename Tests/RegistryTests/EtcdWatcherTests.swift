import AgentTestSupport
import Foundation
import RuntimeCore
import XCTest

@testable import Registry

/// The self-healing watch: snapshot, events, compaction recovery, reconnects.
final class EtcdWatcherTests: XCTestCase {
    /// Collects updates from a watch in the background.
    final class Collector: @unchecked Sendable {
        private let lock = NSLock()
        private var _updates: [EtcdWatchUpdate] = []
        private var task: Task<Void, Never>?

        init(_ stream: AsyncStream<EtcdWatchUpdate>) {
            task = Task { [weak self] in
                for await u in stream { self?.lock.withLock { self?._updates.append(u) } }
            }
        }

        var updates: [EtcdWatchUpdate] { lock.withLock { _updates } }
        func stop() { task?.cancel() }

        var events: [EtcdWatchEvent] {
            updates.flatMap { u -> [EtcdWatchEvent] in if case .events(let e, _) = u { return e } else { return [] } }
        }
        var snapshots: [[EtcdKeyValue]] {
            updates.compactMap { u -> [EtcdKeyValue]? in if case .snapshot(let kvs, _) = u { return kvs } else { return nil } }
        }
        var interruptions: Int {
            updates.filter { if case .interrupted = $0 { return true } else { return false } }.count
        }
    }

    func testStartsWithASnapshotThenStreamsEventsWithoutGaps() async throws {
        let client = try await sharedClient()
        let p = uniquePrefix()
        try await client.put(p + "/existing", "x")
        let c = Collector(client.watch(.prefix(p + "/")))
        defer { c.stop() }
        let gotSnapshot = await eventually { c.snapshots.count == 1 }
        XCTAssertTrue(gotSnapshot)
        XCTAssertEqual(c.snapshots.first?.map(\.key), [p + "/existing"])
        for i in 0..<5 { try await client.put("\(p)/k\(i)", "\(i)") }
        let gotEvents = await eventually { c.events.count == 5 }
        XCTAssertTrue(gotEvents, "\(c.updates)")
        XCTAssertEqual(c.events.map(\.kv.key), (0..<5).map { "\(p)/k\($0)" })
    }

    func testCompactionWhileBehindIsRecoveredByReReading() async throws {
        let client = try await sharedClient()
        let p = uniquePrefix()
        let start = try await client.put(p + "/a", "1")
        try await client.put(p + "/b", "1")
        try await client.delete(p + "/a")
        let last = try await client.put(p + "/b", "2")
        try await client.compact(revision: last.header.revision)
        // Resuming from a revision that no longer exists: the watch must re-read and carry on.
        let c = Collector(client.watch(.prefix(p + "/", startRevision: start.header.revision)))
        defer { c.stop() }
        let recovered = await eventually { c.snapshots.count == 1 }
        XCTAssertTrue(recovered, "\(c.updates)")
        XCTAssertEqual(c.snapshots.first?.map(\.key), [p + "/b"])
        XCTAssertEqual(c.snapshots.first?.first?.valueString, "2")
        try await client.put(p + "/c", "after")
        let streaming = await eventually { c.events.contains { $0.kv.key == p + "/c" } }
        XCTAssertTrue(streaming, "after recovery the watch streams again")
    }

    func testReconnectsAfterEtcdRestartAndResumesWithoutLosingEvents() async throws {
        let etcd = try await startDedicatedEtcd()
        let client = try EtcdClient(configuration: EtcdConfiguration(endpoints: [etcd.endpoint],
                                                                     requestTimeout: .seconds(2),
                                                                     connectTimeout: .milliseconds(500)))
        defer { client.shutdown() }
        let p = "/reconnect"
        let c = Collector(client.watch(.prefix(p + "/"), backoff: RetryBackoff(initial: .milliseconds(50), max: .milliseconds(500))))
        defer { c.stop() }
        let ready = await eventually { c.snapshots.count == 1 }
        XCTAssertTrue(ready)
        try await client.put(p + "/before", "1")
        let sawBefore = await eventually { c.events.count == 1 }
        XCTAssertTrue(sawBefore)

        await etcd.kill9()
        let interrupted = await eventually { c.interruptions > 0 }
        XCTAssertTrue(interrupted, "a dead stream is reported")
        try await etcd.start()
        // Written while the watch may still be reconnecting: it must arrive exactly once.
        try await client.put(p + "/after", "2")
        let resumed = await eventually(.seconds(15)) { c.events.contains { $0.kv.key == p + "/after" } }
        XCTAssertTrue(resumed, "\(c.updates)")
        XCTAssertEqual(c.events.map(\.kv.key), [p + "/before", p + "/after"], "no event lost or repeated")
    }
}
