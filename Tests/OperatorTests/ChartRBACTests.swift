import AgentTestSupport
import Foundation
import KubeClient
import RuntimeCore
import XCTest

@testable import Operator

/// The RBAC that the Helm chart and manifests/rbac/ grant is exactly what a real agent-operator calls.
///
/// A real operator (with leader election) runs sessions through every path that needs a permission, against
/// kube-emulator started with `--audit-log`; the (group, resource, verb) triples of its requests are compared
/// with the rules granted. The same run checks that every metric the Grafana dashboard queries is exposed.
final class ChartRBACTests: XCTestCase {
    /// Granted but never a request of their own, or only on a race: each needs a reason.
    static let notRequested: [String: String] = [
        "parallax.ai|agentsessions/finalizers|update":
            "checked by the OwnerReferencesPermissionEnforcement admission plugin when an owner reference sets blockOwnerDeletion",
        "|pods|get": "the read after a pod create that raced with the informer (AlreadyExists)",
        "parallax.ai|agentsessions|create": "the runtime API's POST /spawn (off here: no --api-token-file; APIKubernetesTests covers it)",
    ]

    func testGrantedRBACIsWhatTheOperatorCalls() async throws {
        let auditLog = NSTemporaryDirectory() + "rbac-audit-\(UUID().uuidString).jsonl"
        defer { try? FileManager.default.removeItem(atPath: auditLog) }
        let c = try await E2ECluster(runPods: true, emulatorArgs: ["--audit-log", auditLog])
        let passed = LockedBox(false)
        addTeardownBlock { await c.tearDown(failed: !passed.current) }
        let op = try await c.startOperator(["--leader-elect", "--leader-election-namespace", "default"])
        try await exercise(c, op)
        let status = await op.process.stop(signal: SIGTERM)
        XCTAssertEqual(status, 0, "clean exit (and lease release)")

        let called = try Self.operatorCalls(auditLog: auditLog)
        print("ChartRBACTests: the operator called \(called.sorted().joined(separator: " "))")
        let granted = try Self.granted(text: Self.yamlFiles(in: repoRoot + "/manifests/rbac"))
        XCTAssertEqual(granted.sorted(), RBACRequirements.triples(RBACRequirements.cluster + RBACRequirements.leaderElection).sorted(),
                       "manifests/rbac/ and RBACRequirements.swift")
        XCTAssertEqual(called.subtracting(granted).sorted(), [], "called but not granted")
        XCTAssertEqual(granted.subtracting(called).subtracting(Self.notRequested.keys).sorted(), [], "granted but never called")
        XCTAssertEqual(Set(Self.notRequested.keys).subtracting(granted).sorted(), [], "stale entries in notRequested")
        if let chart = try await Self.renderedChart() {
            XCTAssertEqual(try Self.granted(text: chart).sorted(), granted.sorted(), "the chart's rendered RBAC and manifests/rbac/")
        }
        passed.withLock { $0 = true }
    }

    /// Runs sessions through every permission-needing path: credentials from a key Secret (and a missing
    /// one, retried), the key switched (Secret update), a workspace claim, suspend (pod delete) and resume
    /// (a second identical Ready event is patched), a finished session with a TTL (deleted by the operator),
    /// and deletion (finalizer removed). While sessions run, checks the dashboard's metrics.
    func exercise(_ c: E2ECluster, _ op: OperatorProcess) async throws {
        try await c.kubectl.apply("""
            apiVersion: v1
            kind: Secret
            metadata: {name: key-a, namespace: default}
            stringData: {api-key: key-a-value}
            ---
            apiVersion: v1
            kind: Secret
            metadata: {name: key-b, namespace: default}
            stringData: {api-key: key-b-value}
            """)
        try await c.kubectl.apply(Self.session("rbac-main", command: "echo ready; exec sleep 600", extra: """
              mcp: {serverUrl: "https://raven.example/mcp", keySecretRef: {name: key-a, key: api-key}}
              workspace: {size: 1Gi}
            """))
        try await c.kubectl.apply(Self.session("rbac-missing", command: "exec sleep 600", extra: """
              mcp: {serverUrl: "https://raven.example/mcp", keySecretRef: {name: no-such-secret, key: api-key}}
            """))
        try await c.waitFor("rbac-main", timeout: .seconds(30), "Ready") { $0.status?.phase == "Ready" }
        try await c.waitFor("rbac-missing", timeout: .seconds(30), "waiting for its key Secret") {
            $0.status?.conditions?.condition("Ready")?.reason == "KeySecretNotFound"
        }
        try await assertDashboardMetricsExposed(op)

        try await c.kubectl.run(["patch", "agentsession", "rbac-main", "--type=merge",
                                 "-p", #"{"spec":{"mcp":{"keySecretRef":{"name":"key-b"}}}}"#])
        try await waitFor("credentials switched to key-b", timeout: .seconds(20)) { () async throws -> Bool? in
            let s = try await c.client.get(Secret.self, name: "rbac-main-credentials", namespace: "default")
            return s.data?[CredentialsSecret.mcpKey] == Data("key-b-value".utf8) ? true : nil
        }
        try await c.kubectl.run(["patch", "agentsession", "rbac-main", "--type=merge", "-p", #"{"spec":{"suspend":true}}"#])
        try await c.waitFor("rbac-main", timeout: .seconds(30), "Stopped") { $0.status?.phase == "Stopped" }
        try await waitFor("pod of the suspended session deleted", timeout: .seconds(30)) { () async throws -> Bool? in
            (try? await c.client.get(Pod.self, name: "rbac-main", namespace: "default")) == nil ? true : nil
        }
        try await c.kubectl.run(["patch", "agentsession", "rbac-main", "--type=merge", "-p", #"{"spec":{"suspend":false}}"#])
        try await c.waitFor("rbac-main", timeout: .seconds(30), "Ready again") { $0.status?.phase == "Ready" }
        try await waitFor("the second Ready event patched into the first", timeout: .seconds(20)) { () async throws -> Bool? in
            try await c.events("rbac-main").contains { $0.reason == "Ready" && ($0.count ?? 1) > 1 } ? true : nil
        }

        try await c.kubectl.apply(Self.session("rbac-done", command: "exit 0", extra: """
              restartPolicy: Never
              lifetime: {ttlSecondsAfterFinished: 1}
            """))
        try await waitFor("finished session deleted after its TTL", timeout: .seconds(40)) { () async throws -> Bool? in
            (try? await c.session("rbac-done")) == nil ? true : nil
        }

        for name in ["rbac-main", "rbac-missing"] {
            let r = try await c.kubectl.run(["delete", "agentsession", name, "--timeout=60s"])
            XCTAssertEqual(r.status, 0, r.stderr)
        }
    }

    static func session(_ name: String, command: String, extra: String) -> String {
        """
        apiVersion: parallax.ai/v1alpha1
        kind: AgentSession
        metadata: {name: \(name), namespace: default}
        spec:
          agentType: custom
          image: example.invalid/shell:1
          command: [sh, -c, "\(command)"]
          workspaceId: ws-rbac
          registry: {ttlSeconds: 5}
        \(extra)
        """
    }

    /// `group|resource[/subresource]|verb` of every request the operator (User-Agent agent-operator/...) made.
    static func operatorCalls(auditLog: String) throws -> Set<String> {
        var out: Set<String> = []
        for line in try String(contentsOfFile: auditLog, encoding: .utf8).split(separator: "\n") {
            let j = try JSON.parse(String(line))
            guard j["userAgent"].stringValue?.hasPrefix("agent-operator/") == true else { continue }
            let resource = [j["resource"].stringValue, j["subresource"].stringValue].compactMap { $0 }.joined(separator: "/")
            out.insert("\(j["group"].stringValue ?? "")|\(resource)|\(j["verb"].stringValue ?? "")")
        }
        return out
    }

    static func yamlFiles(in dir: String) throws -> String {
        try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".yaml") }.sorted()
            .map { try String(contentsOfFile: dir + "/" + $0, encoding: .utf8) }.joined(separator: "\n---\n")
    }

    /// The triples the Roles and ClusterRoles in a multi-document YAML grant (wildcards are refused).
    static func granted(text: String) throws -> Set<String> {
        var out: Set<String> = []
        for doc in try YAML.parseAll(text) where ["Role", "ClusterRole"].contains(doc["kind"].stringValue ?? "") {
            for rule in doc["rules"].arrayValue ?? [] {
                let strings = { (key: String) in rule[key].arrayValue?.compactMap(\.stringValue) ?? [] }
                XCTAssertFalse((strings("verbs") + strings("resources") + strings("apiGroups")).contains("*"), "no wildcards")
                for g in strings("apiGroups") { for r in strings("resources") { for v in strings("verbs") { out.insert("\(g)|\(r)|\(v)") } } }
            }
        }
        return out
    }

    /// The chart rendered with default values by real Helm (scripts/chart_tools.py in .venv-tools, which
    /// scripts/check-manifests.sh installs); nil, with a note, when the tools are not installed.
    static func renderedChart() async throws -> String? {
        let python = repoRoot + "/.venv-tools/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            print("ChartRBACTests: .venv-tools missing (bash scripts/setup-tools.sh); compared manifests/rbac/ only")
            return nil
        }
        let r = try await runToCompletion(python, [repoRoot + "/scripts/chart_tools.py", "render", repoRoot + "/charts/agent-operator"])
        XCTAssertEqual(r.status, 0, r.stderr)
        return r.stdout
    }

    /// Every metric the dashboard's queries name has a sample on the operator's /metrics (polled: health
    /// checks and keep-alives happen on their own schedule).
    func assertDashboardMetricsExposed(_ op: OperatorProcess) async throws {
        let dashboard = try JSON.parse(try repoFile("docs/grafana-dashboard.json"))
        let exprs = (dashboard["panels"].arrayValue ?? []).flatMap { $0["targets"].arrayValue ?? [] }.compactMap { $0["expr"].stringValue }
        let regex = try NSRegularExpression(pattern: #"\b((?:agent|controller_runtime|workqueue|rest_client|leader_election|process)_[a-z_]+)[{\[]"#)
        var names: Set<String> = []
        for e in exprs {
            for m in regex.matches(in: e, range: NSRange(e.startIndex..., in: e)) { names.insert(String(e[Range(m.range(at: 1), in: e)!])) }
        }
        XCTAssertGreaterThan(names.count, 10)
        var missing = names
        _ = await eventually(.seconds(20), every: .milliseconds(500)) {
            guard let text = try? await op.metrics() else { return false }
            missing = missing.filter { !text.contains("\n\($0){") && !text.contains("\n\($0) ") }
            return missing.isEmpty
        }
        XCTAssertEqual(missing.sorted(), [], "docs/grafana-dashboard.json queries metrics that /metrics has no sample of")
    }
}
