import AgentTestSupport
import Foundation
import KubeClient
import Registry
import RuntimeCore
import XCTest

@testable import Operator

/// Two agent-operator replicas with --leader-elect: only the leader reconciles and holds registry
/// leases; when it dies the other takes over and adopts the registry key instead of duplicating it.
final class OperatorLeaderElectionTests: XCTestCase {
    let electionFlags = ["--leader-elect", "--leader-election-namespace", "default", "--leader-election-lease-duration", "3s",
                         "--leader-election-renew-deadline", "2s", "--leader-election-retry-period", "500ms"]

    func testFailoverAdoptsTheRegistration() async throws {
        let c = try await E2ECluster(runPods: true)
        let passed = LockedBox(false)
        addTeardownBlock { await c.tearDown(failed: !passed.current) }
        let a = try await c.startOperator(electionFlags, name: "operator-a")
        let b = try await c.startOperator(electionFlags, name: "operator-b")

        try await c.kubectl.apply("""
            apiVersion: parallax.ai/v1alpha1
            kind: AgentSession
            metadata: {name: plain, namespace: default}
            spec:
              agentType: custom
              image: local/shell
              command: [sh, -c, "echo ready; exec cat"]
              registry: {ttlSeconds: 20}
            """)
        try await c.waitFor("plain", timeout: .seconds(30), "Ready") { $0.status?.conditions?.isTrue("Ready") == true }
        let first = try await c.registryKeys()
        XCTAssertEqual(first.count, 1)

        let leaderMetric = #"leader_election_master_status{name="agent-operator-leader"} 1"#
        let aLeads = try await a.metrics().contains(leaderMetric)
        let bLeads = try await b.metrics().contains(leaderMetric)
        XCTAssertNotEqual(aLeads, bLeads, "exactly one leader")
        let (leader, follower) = aLeads ? (a, b) : (b, a)
        let followerReconciles = try await follower.metricValue("controller_runtime_reconcile_total")
        XCTAssertEqual(followerReconciles, 0, "the follower does not reconcile")
        let followerRegistered = try await follower.metricValue("agent_registry_registered")
        XCTAssertEqual(followerRegistered, 0)

        // The leader dies; within the key's 20 s TTL the follower leads and adopts the key.
        await leader.process.kill9()
        try await waitFor("follower leads", timeout: .seconds(15)) { try await follower.metrics().contains(leaderMetric) ? true : nil }
        let etcd = try c.etcd!.client()
        defer { etcd.shutdown() }
        try await waitFor("key adopted on a new lease", timeout: .seconds(15)) { () async throws -> Bool? in
            let keys = try await c.registryKeys()
            return keys.count == 1 && keys[0].lease != first[0].lease ? true : nil
        }
        try await waitFor("old lease revoked", timeout: .seconds(10)) { () async throws -> Bool? in
            try await etcd.leases() == [try await c.registryKeys()[0].lease] ? true : nil
        }
        let record = try ParallaxAgentRecord.decode(try await c.registryKeys()[0].value)
        XCTAssertEqual(record.registeredAt, try ParallaxAgentRecord.decode(first[0].value).registeredAt, "the same registration, adopted")
        let registered = try await follower.metricValue("agent_registry_registered", labels: [#"namespace="default""#])
        XCTAssertEqual(registered, 1)
        passed.withLock { $0 = true }
    }
}
