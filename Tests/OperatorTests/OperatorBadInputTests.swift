import AgentTestSupport
import Foundation
import KubeClient
import RuntimeCore
import XCTest

@testable import Operator

/// Input the operator did not write: each bad session ends with a clear condition and Event (or a clear
/// API rejection), nothing crashes, and a good session next to them is unaffected.
final class OperatorBadInputTests: XCTestCase {
    func session(_ name: String, type: String = "codex", spec: String = "") -> String {
        """
        apiVersion: parallax.ai/v1alpha1
        kind: AgentSession
        metadata: {name: \(name), namespace: default}
        spec:
          agentType: \(type)
          workspaceId: ws-bad
        \(spec)
        """
    }

    func testBadSessionsGetConditionsAndEvents() async throws {
        let c = try await E2ECluster(runPods: false, etcd: false)
        let passed = LockedBox(false)
        addTeardownBlock { await c.tearDown(failed: !passed.current) }
        let config = c.dir.path + "/operator-config.yaml"
        try """
            allowedAgentTypes: [claude, codex, gemini, aider]
            quotas: {maxSessionsPerWorkspace: 3}
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let op = try await c.startOperator(["--config", config])

        // Rejected by the API (CRD enum, name length): kubectl says why.
        let unknown = try await c.kubectl.run(["apply", "-f", "-"], input: session("cursor-agent", type: "cursor"))
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.stderr.contains("agentType") && unknown.stderr.contains("Unsupported value"), unknown.stderr)
        let longName = String(repeating: "n", count: 300)
        let tooLong = try await c.kubectl.run(["apply", "-f", "-"], input: session(longName))
        XCTAssertNotEqual(tooLong.status, 0)
        XCTAssertTrue(tooLong.stderr.contains("253"), tooLong.stderr)

        // Accepted by the API, refused by policy or waiting for something.
        try await c.kubectl.apply(session("good"))
        try await c.kubectl.apply(session("custom-agent", type: "custom", spec: "  image: x\n  command: [sh]"))
        try await c.kubectl.apply(session("absurd", spec: "  resources: {requests: {cpu: \"100000\"}}"))
        try await c.kubectl.apply(session("no-key", spec: "  mcp: {keySecretRef: {name: does-not-exist}}"))
        try await c.kubectl.apply(session(String(repeating: "m", count: 245)))
        try await c.kubectl.apply(session("quota-1"))
        try await c.kubectl.apply(session("quota-2"))
        // What POST /spawn refuses, admission refuses too (one rule for both doors): 5,000 variables (created,
        // since kubectl apply's last-applied annotation could not hold them), a loader variable, a bad image.
        let manyEnv = "  env:\n" + (0..<5000).map { "  - {name: V\($0), value: \"\(String(repeating: "v", count: 90))\"}" }.joined(separator: "\n")
        let created = try await c.kubectl.run(["create", "-f", "-"], input: session("many-env", spec: manyEnv))
        XCTAssertEqual(created.status, 0, created.stderr)
        try await c.kubectl.apply(session("preload", spec: "  env: [{name: LD_PRELOAD, value: /tmp/evil.so}]"))
        try await c.kubectl.apply(session("bad-image", spec: "  image: \"a;rm -rf /\""))

        func expect(_ name: String, _ condition: String, _ reason: String, _ message: String, event: String) async throws {
            let s = try await c.waitFor(name, timeout: .seconds(20), "\(condition)=\(reason)") {
                $0.status?.conditions?.condition(condition)?.reason == reason
            }
            XCTAssertEqual(s.status?.phase, "Pending", name)
            let text = s.status?.conditions?.condition(condition)?.message ?? ""
            XCTAssertTrue(text.contains(message), "\(name): \(text)")
            try await waitFor("\(name): \(event) event", timeout: .seconds(10)) { try await c.events(name).first { $0.reason == event } }
            let pod = try? await c.client.get(Pod.self, name: name, namespace: "default")
            XCTAssertNil(pod, "\(name) has no pod")
        }
        try await expect("custom-agent", "Admitted", "PolicyViolation", "agentType \"custom\" is not allowed", event: "PolicyViolation")
        try await expect("absurd", "Admitted", "PolicyViolation", "resources.requests.cpu 100000 exceeds the policy maximum 8",
                         event: "PolicyViolation")
        try await expect("no-key", "Ready", "KeySecretNotFound", "Secret does-not-exist", event: "KeySecretNotFound")
        try await expect(String(repeating: "m", count: 245), "Admitted", "PolicyViolation", "name is 245 characters",
                         event: "PolicyViolation")
        try await expect("many-env", "Admitted", "PolicyViolation", "env has 5000 variables; at most 256", event: "PolicyViolation")
        try await expect("preload", "Admitted", "PolicyViolation", "env LD_PRELOAD is refused", event: "PolicyViolation")
        try await expect("bad-image", "Admitted", "PolicyViolation", "is not a valid reference", event: "PolicyViolation")
        // good, no-key and quota-1 hold the 3 places of ws-bad (no-key is admitted, it waits for its Secret).
        try await expect("quota-2", "Admitted", "QuotaExceeded", "workspace ws-bad already has 3 of its 3 sessions", event: "QuotaExceeded")

        let good = try await c.waitFor("good", "pod and status") { $0.status?.podName != nil && $0.status?.conditions?.isTrue("Admitted") == true }
        XCTAssertEqual(good.status?.phase, "Pending")
        XCTAssertTrue(op.process.isRunning, "nothing crashed")
        let retries = try await op.metricValue("controller_runtime_reconcile_total", labels: [#"result="requeue""#])
        XCTAssertGreaterThan(retries, 0, "the missing Secret is retried with backoff")
        passed.withLock { $0 = true }
    }
}
