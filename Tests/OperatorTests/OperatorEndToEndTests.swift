import AgentTestSupport
import CurlHTTP
import Foundation
import KubeClient
import Registry
import RuntimeCore
import XCTest

@testable import Operator

/// The whole system on one machine: kube-emulator with its process kubelet, Debian's etcd and
/// agent-operator as processes, the real kubectl, and a session whose CLI first shows a login screen.
final class OperatorEndToEndTests: XCTestCase {
    func testLoginReadyRegistryRestartAndDelete() async throws {
        let c = try await E2ECluster(runPods: true)
        let passed = LockedBox(false)
        addTeardownBlock { await c.tearDown(failed: !passed.current) }
        let callbacks = try CallbackReceiver()
        defer { callbacks.server.stop() }
        let op = try await c.startOperator()

        let phases = PhaseRecorder(client: c.client, name: "fake")
        defer { phases.stop() }
        try await c.kubectl.apply(fakeSessionYAML("fake", callback: callbacks.url))

        // Authenticating: login prompt with URL and code in the status, not registered.
        let auth = try await c.waitFor("fake", "Authenticating") { $0.status?.phase == "Authenticating" }
        XCTAssertEqual(auth.status?.conditions?.isTrue("LoginRequired"), true)
        XCTAssertEqual(auth.status?.login?.url, "https://auth.example.test/device")
        XCTAssertEqual(auth.status?.login?.code, "WXYZ-ABCD9")
        XCTAssertEqual(auth.status?.conditions?.condition("Registered")?.reason, "WaitingForLogin")
        XCTAssertEqual(auth.status?.conditions?.condition("Ready")?.reason, "LoginRequired")
        let endpoint = try XCTUnwrap(auth.status?.endpoint)
        XCTAssertTrue(endpoint.hasPrefix("http://127.0."), endpoint)
        let beforeLogin = try await c.registryKeys()
        XCTAssertEqual(beforeLogin.count, 0, "not registered while the login is pending")
        try await waitFor("login_required callback") { callbacks.states.contains("login_required") ? true : nil }
        let requiredBody = try XCTUnwrap(callbacks.bodies.withLock { $0.first })
        XCTAssertEqual(requiredBody["agentId"], "default.fake")
        XCTAssertEqual(requiredBody["login"]["url"], "https://auth.example.test/device")

        // Log in through the supervisor with the token from the session's Secret.
        let secret = try await c.client.get(Secret.self, name: "fake-credentials", namespace: "default")
        let token = try XCTUnwrap(CredentialsSecret.token(in: secret))
        let input = try await HTTPClient.shared.execute(HTTPClientRequest(
            method: "POST", url: endpoint + "/input", headers: [("Authorization", "Bearer \(token)"), ("Content-Type", "application/json")],
            body: (["text": "", "enter": true] as JSON).data(), timeout: .seconds(5)))
        XCTAssertEqual(input.status, 200)

        let ready = try await c.waitFor("fake", timeout: .seconds(20), "Ready") { $0.status?.conditions?.isTrue("Ready") == true }
        XCTAssertEqual(ready.status?.phase, "Ready")
        XCTAssertEqual(ready.status?.registryKey, "/parallax/services/agent/default.fake")
        XCTAssertNil(ready.status?.login)
        let seen = phases.seen
        XCTAssertEqual(seen.filter { ["Pending", "Starting", "Authenticating", "Ready"].contains($0) }, ["Pending", "Starting", "Authenticating", "Ready"],
                       "phases seen: \(seen)")

        // The Parallax key, on a lease with the session's TTL.
        let keys = try await c.registryKeys()
        XCTAssertEqual(keys.count, 1)
        let kv = try XCTUnwrap(keys.first)
        XCTAssertEqual(kv.key, "/parallax/services/agent/default.fake")
        XCTAssertNotEqual(kv.lease, 0)
        let record = try ParallaxAgentRecord.decode(kv.value)
        XCTAssertEqual(record.endpoint, endpoint)
        XCTAssertEqual(record.metadata.state, "running")
        XCTAssertEqual(record.metadata.capabilities, ["code", "review"])
        XCTAssertEqual(record.metadata.workspaceId, "ws-e2e")
        XCTAssertEqual(record.ttl, 5)
        let etcd = try c.etcd!.client()
        defer { etcd.shutdown() }
        let ttl = try await etcd.leaseTimeToLive(kv.lease)
        XCTAssertEqual(ttl.grantedTTL, 5)
        try await waitFor("login_completed callback") { callbacks.states.contains("login_completed") ? true : nil }

        let reasons = Set(try await c.events("fake").compactMap(\.reason))
        for r in ["Admitted", "PodCreated", "LoginRequired", "Registered", "Ready"] { XCTAssertTrue(reasons.contains(r), "\(r) in \(reasons)") }
        let metrics = try await op.metrics()
        XCTAssertEqual(MetricsText.sum(metrics, name: "agent_sessions", labels: [#"phase="Ready""#]), 1)
        XCTAssertEqual(MetricsText.sum(metrics, name: "agent_registry_registered", labels: [#"namespace="default""#]), 1)
        XCTAssertGreaterThan(MetricsText.sum(metrics, name: "agent_health_checks_total", labels: [#"result="success""#]), 0)
        XCTAssertGreaterThan(MetricsText.sum(metrics, name: "controller_runtime_reconcile_total"), 0)
        XCTAssertGreaterThan(MetricsText.sum(metrics, name: "rest_client_requests_total"), 0)
        XCTAssertTrue(metrics.contains("process_resident_memory_bytes"))

        // kill -9: nobody renews, the key expires within its TTL.
        await op.process.kill9()
        let killedAt = ContinuousClock.now
        try await waitFor("key expired", timeout: .seconds(10)) { try await c.registryKeys().isEmpty ? true : nil }
        XCTAssertLessThan(ContinuousClock.now - killedAt, .seconds(7), "within the 5 s TTL (plus polling)")

        // Restart: registered again, once.
        let op2 = try await c.startOperator(name: "agent-operator-2")
        try await waitFor("re-registered", timeout: .seconds(15)) { try await c.registryKeys().count == 1 ? true : nil }
        try await Task.sleep(for: .seconds(2))
        let after = try await c.registryKeys()
        XCTAssertEqual(after.map(\.key), ["/parallax/services/agent/default.fake"], "nothing duplicated")
        let leases = try await etcd.leases()
        XCTAssertEqual(leases.count, 1, "one lease: \(leases)")
        let stillReady = try await c.session("fake")
        XCTAssertEqual(stillReady.status?.phase, "Ready")

        // kubectl delete: pod, Secret and key go, then the finalizer lets go.
        let del = try await c.kubectl.run(["delete", "agentsession", "fake", "--timeout=60s"])
        XCTAssertEqual(del.status, 0, del.stderr)
        let gone = try? await c.session("fake")
        XCTAssertNil(gone)
        let pod = try? await c.client.get(Pod.self, name: "fake", namespace: "default")
        XCTAssertNil(pod)
        let sec = try? await c.client.get(Secret.self, name: "fake-credentials", namespace: "default")
        XCTAssertNil(sec)
        let keysAfterDelete = try await c.registryKeys()
        XCTAssertTrue(keysAfterDelete.isEmpty)

        // SIGTERM: clean exit.
        let status = await op2.process.stop(signal: SIGTERM)
        XCTAssertEqual(status, 0, op2.process.logTail())
        passed.withLock { $0 = true }
    }
}
