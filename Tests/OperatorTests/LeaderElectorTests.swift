import AgentTestSupport
import Foundation
import KubeClient
import RuntimeCore
import XCTest

@testable import Operator

/// Two electors against a real (in-process) API server's Lease.
final class LeaderElectorTests: XCTestCase {
    func elector(_ cluster: InProcessCluster, _ id: String, metrics: MetricsRegistry? = nil) -> LeaderElector {
        LeaderElector(config: LeaderElectionConfig(leaseName: "op", namespace: "team-a", identity: id, leaseDuration: .seconds(2),
                                                   renewDeadline: .milliseconds(1500), retryPeriod: .milliseconds(200)),
                      client: cluster.client, metrics: metrics, logger: quietLogger)
    }

    func testOneLeadsTheOtherTakesOverAfterRelease() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.stop() }
        let m = MetricsRegistry()
        let a = elector(cluster, "a", metrics: m)
        let b = elector(cluster, "b")
        let log = LockedList()
        let ta = Task { await a.run(onStartedLeading: { log.append("a+") }, onStoppedLeading: { _ in log.append("a-") }) }
        try await waitFor("a leads") { a.isLeader ? true : nil }
        let tb = Task { await b.run(onStartedLeading: { log.append("b+") }, onStoppedLeading: { _ in log.append("b-") }) }
        try await Task.sleep(for: .seconds(1))
        XCTAssertFalse(b.isLeader, "the lease is held and renewed")
        XCTAssertTrue(m.exposition().contains(#"leader_election_master_status{name="op"} 1"#))
        let lease = try await cluster.client.get(Lease.self, name: "op", namespace: "team-a")
        XCTAssertEqual(lease.spec?.holderIdentity, "a")

        ta.cancel()  // clean shutdown: releases the lease
        await ta.value
        XCTAssertTrue(m.exposition().contains(#"leader_election_master_status{name="op"} 0"#))
        let start = ContinuousClock.now
        try await waitFor("b leads", timeout: .seconds(5)) { b.isLeader ? true : nil }
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(1), "no need to wait out the lease duration")
        let after = try await cluster.client.get(Lease.self, name: "op", namespace: "team-a")
        XCTAssertEqual(after.spec?.holderIdentity, "b")
        XCTAssertEqual(after.spec?.leaseTransitions, 1)
        tb.cancel()
        await tb.value
        XCTAssertEqual(log.items, ["a+", "b+"])
    }

    func testAKilledLeaderIsReplacedAfterTheLeaseExpires() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.stop() }
        // "a" held the lease and died without releasing it (written by hand).
        _ = try await cluster.client.create(Lease(metadata: ObjectMeta(name: "op", namespace: "team-a"),
                                                  spec: LeaseSpec(holderIdentity: "dead", leaseDurationSeconds: 2, renewTime: .now, leaseTransitions: 0)))
        let b = elector(cluster, "b")
        let tb = Task { await b.run(onStartedLeading: {}, onStoppedLeading: { _ in }) }
        try await Task.sleep(for: .seconds(1))
        XCTAssertFalse(b.isLeader)
        try await waitFor("b leads", timeout: .seconds(6)) { b.isLeader ? true : nil }
        tb.cancel()
        await tb.value
    }
}
