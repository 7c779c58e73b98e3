import AgentTestSupport
import Foundation
import KubeClient
import RuntimeCore
import XCTest

@testable import Operator

/// Watches that keep breaking and resourceVersions that keep expiring: the operator converges anyway.
final class OperatorFaultTests: XCTestCase {
    func sessionsYAML(_ names: [String], suspend: Bool = false) -> String {
        names.map { name in
            """
            apiVersion: parallax.ai/v1alpha1
            kind: AgentSession
            metadata: {name: \(name), namespace: default}
            spec: {agentType: codex, workspaceId: ws-faults, suspend: \(suspend)}
            """
        }.joined(separator: "\n---\n")
    }

    /// Waits until exactly `present` exist, each with its Secret and an up-to-date status, pods for the
    /// running ones, none for suspended ones, and nothing left of deleted ones.
    func converge(_ c: E2ECluster, present: Set<String>, suspended: Set<String>, deleted: Set<String>) async throws {
        try await waitFor("every session converged", timeout: .seconds(60), every: .milliseconds(500)) { () async throws -> Bool? in
            let sessions = try await c.client.list(AgentSession.self, namespace: "default").items
            let pods = Set(try await c.client.list(Pod.self, namespace: "default").items.map(\.name))
            let secrets = Set(try await c.client.list(Secret.self, namespace: "default").items.map(\.name))
            guard Set(sessions.map(\.name)) == present else { return nil }
            for s in sessions {
                guard s.status?.observedGeneration == s.metadata.generation, secrets.contains(s.name + "-credentials") else { return nil }
                if suspended.contains(s.name) {
                    guard s.status?.phase == "Stopped", !pods.contains(s.name) else { return nil }
                } else {
                    guard s.status?.phase == "Pending", pods.contains(s.name) else { return nil }
                }
            }
            return pods.isDisjoint(with: deleted) && secrets.isDisjoint(with: deleted.map { $0 + "-credentials" }) ? true : nil
        }
    }

    func testConvergesThroughDroppedWatchesAndExpiredVersions() async throws {
        // Every watch is cut after 2 s, and only 30 events of history are kept, so resumes often get 410.
        let c = try await E2ECluster(runPods: false, etcd: false, emulatorArgs: ["--fault-drop-watches-after", "2", "--watch-history", "30"])
        let passed = LockedBox(false)
        addTeardownBlock { await c.tearDown(failed: !passed.current) }
        let op = try await c.startOperator()

        let names = (0..<40).map { "s\($0)" }
        try await c.kubectl.apply(sessionsYAML(Array(names[0..<20])))
        try await c.emulator.post("/emulator/drop-watches")
        try await c.emulator.post("/emulator/compact")
        try await c.kubectl.apply(sessionsYAML(Array(names[20..<40])))
        try await Task.sleep(for: .milliseconds(300))
        try await c.emulator.post("/emulator/compact")
        try await c.emulator.post("/emulator/drop-watches")
        // Changes while the operator's watches are broken: suspend some, delete some.
        try await c.kubectl.apply(sessionsYAML(["s0", "s1", "s2"], suspend: true))
        let del = try await c.kubectl.run(["delete", "agentsession", "s3", "s4", "--wait=false"])
        XCTAssertEqual(del.status, 0, del.stderr)
        try await c.emulator.post("/emulator/compact")
        try await c.emulator.post("/emulator/drop-watches")

        try await converge(c, present: Set(names).subtracting(["s3", "s4"]), suspended: ["s0", "s1", "s2"], deleted: ["s3", "s4"])

        // A second wave after the emulator has cut every watch at least once more.
        try await Task.sleep(for: .seconds(3))
        let more = (40..<45).map { "s\($0)" }
        try await c.kubectl.apply(sessionsYAML(more))
        try await c.emulator.post("/emulator/compact")
        try await c.kubectl.apply(sessionsYAML(["s10"], suspend: true))
        let del2 = try await c.kubectl.run(["delete", "agentsession", "s5", "s6", "--wait=false"])
        XCTAssertEqual(del2.status, 0, del2.stderr)
        try await c.emulator.post("/emulator/drop-watches")
        try await converge(c, present: Set(names + more).subtracting(["s3", "s4", "s5", "s6"]), suspended: ["s0", "s1", "s2", "s10"],
                           deleted: ["s3", "s4", "s5", "s6"])
        XCTAssertTrue(op.process.isRunning)
        let gets = try await op.metricValue("rest_client_requests_total", labels: [#"method="GET""#])
        XCTAssertGreaterThanOrEqual(gets, 12, "lists and watches were re-opened many times")
        passed.withLock { $0 = true }
    }
}
