import AgentTestSupport
import Foundation
import KubeClient
import Registry
import RuntimeCore
import XCTest

@testable import Operator

/// The runtime API served by a real `agent-operator` process (controller mode) against kube-emulator
/// with its process kubelet and real etcd: spawn creates an AgentSession that kubectl sees, the login
/// is answered through the attach relay, every status code of CONTRACT.md §6, a spawn/stop race, and
/// no token in any answer or log.
final class APIKubernetesTests: XCTestCase {
    /// Starts the cluster and an operator serving the API; returns the API client.
    private func start(_ c: E2ECluster, config: String? = nil, extra: [String] = []) async throws -> (APIClient, OperatorProcess, String) {
        let token = "k8s-api-token-" + CredentialsSecret.newToken().prefix(20)
        let tokenFile = c.dir.path + "/api-tokens"
        // Two tokens (rotation): a comment, the old one and the new one.
        try "# runtime API tokens\nold-token-1234567890\n\(token)\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let port = try freeLoopbackPort()
        var args = ["--api-addr", "127.0.0.1:\(port)", "--api-token-file", tokenFile] + extra
        if let config {
            let file = c.dir.path + "/operator-config.yaml"
            try config.write(toFile: file, atomically: true, encoding: .utf8)
            args += ["--config", file]
        }
        let op = try await c.startOperator(args)
        let api = APIClient(base: "http://127.0.0.1:\(port)", token: token)
        _ = try await waitFor("runtime API up", timeout: .seconds(20)) { () async throws -> Bool? in
            (try? await api.call("GET", "/agents"))?.status == 200 ? true : nil
        }
        return (api, op, token)
    }

    func testSpawnLoginThroughAttachReadyAndStop() async throws {
        let c = try await E2ECluster(runPods: true)
        let passed = LockedBox(false)
        addTeardownBlock { await c.tearDown(failed: !passed.current) }
        let (api, op, apiToken) = try await start(c)
        let events = try await SSERecorder(url: api.base + "/events", token: apiToken)
        defer { events.stop() }

        let created = try await api.spawn("team-a.fix-bug", type: "codex", command: fakeCLICommand, extra: ["namespace": "default"])
        XCTAssertEqual(created.status, 201, created.text)
        XCTAssertEqual(created.json["phase"], "Pending")
        XCTAssertEqual(created.json["runtime"], "kubernetes")
        XCTAssertEqual(created.json["name"], "team-a.fix-bug")
        // Read-your-writes: the agent is there at once.
        let right = try await api.agent("team-a.fix-bug")
        XCTAssertNotNil(right)
        // kubectl sees the same thing.
        let session = try await c.session("team-a.fix-bug")
        XCTAssertEqual(session.spec.agentId, "team-a.fix-bug")
        XCTAssertEqual(session.spec.capabilities, ["code", "review"])
        XCTAssertEqual(session.spec.workspaceId, "ws-test")
        XCTAssertEqual(session.metadata.annotations?[KubernetesBackend.createdByAnnotation], "runtime-api")
        let listed = try await c.kubectl.run(["get", "ags", "-o", "name"])
        XCTAssertTrue(listed.stdout.contains("agentsession.parallax.ai/team-a.fix-bug"), listed.stdout)

        let waiting = try await api.waitFor("team-a.fix-bug", "Authenticating", timeout: .seconds(40)) { $0["phase"] == "Authenticating" }
        XCTAssertEqual(waiting["login"]["url"], "https://auth.example.test/device")
        XCTAssertEqual(waiting["login"]["code"], "WXYZ-ABCD9")
        let login = try await events.waitFor("login_required") { name, _ in name == "login_required" }
        XCTAssertEqual(login["code"], "WXYZ-ABCD9")
        XCTAssertEqual(login["namespace"], "default")

        // Attach through the relay: the login screen is replayed; Enter answers it.
        let viewer = try await WebSocketClient.connect(host: "127.0.0.1", port: Int(URL(string: api.base)!.port!),
                                                        path: "/agents/team-a.fix-bug/attach?token=" + apiToken)
        defer { viewer.close() }
        let screen = LockedBox("")
        Task {
            for await m in viewer.messages where m.data.first == UInt8(ascii: "0") {
                let text = String(decoding: m.data.dropFirst(), as: UTF8.self)
                screen.withLock { $0 += text }
            }
        }
        try await waitFor("login screen through the relay") { screen.current.contains("WXYZ-ABCD9") ? true : nil }
        viewer.send(binary: Data("0\r".utf8))
        let ready = try await api.waitFor("team-a.fix-bug", "Ready and registered", timeout: .seconds(30)) {
            $0["phase"] == "Ready" && $0["registered"] == true
        }
        XCTAssertEqual(ready["registryKey"], "/parallax/services/agent/team-a.fix-bug")
        XCTAssertTrue(ready["endpoint"].stringValue?.hasPrefix("http://127.0.") == true)
        try await waitFor("ready screen through the relay") { screen.current.contains("To get started") ? true : nil }
        try await events.waitFor("login_completed") { name, _ in name == "login_completed" }

        // Logs, screen and input through the API (the supervisor's token stays inside the operator).
        let input = try await api.call("POST", "/agents/team-a.fix-bug/input", json: ["text": "hello from the API", "enter": true])
        XCTAssertEqual(input.status, 200, input.text)
        try await waitFor("echo on the screen") { () async throws -> Bool? in
            try await api.call("GET", "/agents/team-a.fix-bug/screen").text.contains("got: hello from the API") ? true : nil
        }
        let logs = try await api.call("GET", "/agents/team-a.fix-bug/logs?tail=100")
        XCTAssertEqual(logs.status, 200)
        XCTAssertTrue(logs.text.contains("Sign in with ChatGPT"), logs.text)
        let secret = try await c.client.get(Secret.self, name: "team-a.fix-bug-credentials", namespace: "default")
        let supervisorToken = try XCTUnwrap(CredentialsSecret.token(in: secret))
        let all = try await api.call("GET", "/agents")
        XCTAssertFalse(all.text.contains(supervisorToken), "the supervisor token leaked into GET /agents")

        // Stop: 202, the session and pod go, the key goes.
        let stop = try await api.call("POST", "/stop", json: ["agentId": "team-a.fix-bug"])
        XCTAssertEqual(stop.status, 202, stop.text)
        XCTAssertEqual(stop.json["phase"], "Stopping")
        try await api.waitGone("team-a.fix-bug", timeout: .seconds(40))
        try await waitFor("session deleted", timeout: .seconds(30)) { () async throws -> Bool? in
            (try? await c.session("team-a.fix-bug")) == nil ? true : nil
        }
        let keys = try await c.registryKeys()
        XCTAssertTrue(keys.isEmpty, "\(keys.map(\.key))")
        try await events.waitFor("deleted") { name, data in name == "agent" && data["type"] == "deleted" }

        // No secret in the operator's log.
        let log = op.process.log
        XCTAssertFalse(log.contains(supervisorToken), "supervisor token logged")
        XCTAssertFalse(log.contains(apiToken), "API token logged")
        passed.withLock { $0 = true }
    }

    func testStatusCodesNamesAndBadInput() async throws {
        let c = try await E2ECluster(runPods: false, etcd: false)
        let passed = LockedBox(false)
        addTeardownBlock { await c.tearDown(failed: !passed.current) }
        let (api, op, apiToken) = try await start(c, config: """
            allowedAgentTypes: [codex, custom]
            agentTypes: {custom: {command: [sh, -c, "sleep 600"]}}
            quotas: {maxSessionsPerNamespace: 0, maxSessionsPerWorkspace: 2}
            """)
        func expect(_ r: (status: Int, json: JSON, text: String), _ status: Int, _ code: String, _ fragment: String = "",
                    line: UInt = #line) {
            XCTAssertEqual(r.status, status, r.text, line: line)
            XCTAssertEqual(r.json["error"]["code"].stringValue, code, r.text, line: line)
            XCTAssertTrue(fragment.isEmpty || (r.json["error"]["message"].stringValue ?? "").contains(fragment), r.text, line: line)
        }
        let codex: [String: JSON] = ["namespace": "default", "workspaceId": "ws-q"]
        let first = try await api.spawn("a1", type: "codex", command: nil, extra: codex)
        XCTAssertEqual(first.status, 201, first.text)
        expect(try await api.spawn("a1", type: "codex", command: nil, extra: codex), 409, "AlreadyExists")
        // An id that is no DNS name gets a sanitised, hashed name; spec.agentId keeps the id.
        let odd = try await api.spawn("Team_A:Bot@1", type: "codex", command: nil, extra: ["namespace": "default"])
        XCTAssertEqual(odd.status, 201, odd.text)
        let oddName = try XCTUnwrap(odd.json["name"].stringValue)
        XCTAssertTrue(oddName.hasPrefix("team-a-bot-1-") && AgentNames.isDNSSubdomain(oddName), oddName)
        let oddSession = try await c.session(oddName)
        XCTAssertEqual(oddSession.spec.agentId, "Team_A:Bot@1")
        // 429: the workspace quota (2) is full with a1 and a2.
        let second = try await api.spawn("a2", type: "codex", command: nil, extra: codex)
        XCTAssertEqual(second.status, 201, second.text)
        expect(try await api.spawn("a3", type: "codex", command: nil, extra: codex), 429, "QuotaExceeded", "ws-q")
        // 403: the policy does not allow claude.
        expect(try await api.spawn("c1", type: "claude", command: nil), 403, "PolicyViolation", "claude")
        // 422: path characters, unknown fields, custom without image, reserved env, a bad namespace.
        for bad in ["../etc/passwd", "a/b", "..", "a..b", "x y"] {
            expect(try await api.spawn(bad, type: "codex", command: nil), 422, "Invalid", "agentId")
        }
        expect(try await api.spawn("u1", type: "codex", command: nil, extra: ["replicas": 3]), 422, "Invalid", "replicas")
        expect(try await api.spawn("u2", type: "custom", command: ["sh"]), 422, "Invalid", "image is required")
        // The config's custom command is the default of a custom spawn that names none.
        let custom = try await api.spawn("c2", type: "custom", command: nil, extra: ["image": "busybox:1.36", "namespace": "default", "workspaceId": "ws-custom"])
        XCTAssertEqual(custom.status, 201, custom.text)
        let customSession = try await c.session(try XCTUnwrap(custom.json["name"].stringValue))
        XCTAssertEqual(customSession.spec.command, [])
        // One rule for both doors: a relative workdir (a cluster path must be absolute) and a bad image are
        // invalid fields (422), not policy (403); loader and runtime variables are refused.
        expect(try await api.spawn("u6", type: "codex", command: nil, extra: ["workdir": "src"]), 422, "Invalid", "absolute path")
        expect(try await api.spawn("u7", type: "codex", command: nil, extra: ["image": "a;rm -rf /"]), 422, "Invalid", "valid reference")
        expect(try await api.spawn("u8", type: "codex", command: nil, extra: ["env": ["LD_PRELOAD": "/x.so"]]), 422, "Invalid", "loader")
        expect(try await api.spawn("u3", type: "codex", command: nil, extra: ["env": ["AGENT_ID": "x"]]), 422, "Invalid", "AGENT_ID")
        expect(try await api.spawn("u4", type: "codex", command: nil, extra: ["namespace": "Bad_NS"]), 422, "Invalid", "namespace")
        expect(try await api.spawn("u5", type: "codex", command: nil, extra: ["namespace": "does-not-exist"]), 422, "Invalid", "does-not-exist")
        // 400, 415, 413.
        expect(try await api.call("POST", "/spawn", body: Data("{oops".utf8), contentType: "application/json"), 400, "BadRequest")
        expect(try await api.call("POST", "/spawn", body: Data("x".utf8), contentType: "text/plain"), 415, "UnsupportedMediaType")
        var big = Data(#"{"agentId": "big", "agentType": "codex", "role": ""#.utf8)
        big.append(Data(repeating: UInt8(ascii: "y"), count: 10 << 20))
        big.append(Data(#""}"#.utf8))
        if let huge = try? await api.call("POST", "/spawn", body: big, contentType: "application/json") {
            expect(huge, 413, "PayloadTooLarge")
        }
        // 404 and 409 on a session with no supervisor.
        expect(try await api.call("POST", "/stop", json: ["agentId": "nobody"]), 404, "NotFound")
        expect(try await api.call("GET", "/agents/nobody"), 404, "NotFound")
        expect(try await api.call("GET", "/agents/a1/logs"), 409, "AgentNotReady")
        // 401 with no token, a wrong one; the old rotated token still works; /healthz is open.
        expect(try await api.call("GET", "/agents", token: .some(nil)), 401, "Unauthorized")
        expect(try await api.call("GET", "/agents", token: "nope"), 401, "Unauthorized")
        let old = try await api.call("GET", "/agents", token: "old-token-1234567890")
        XCTAssertEqual(old.status, 200)
        let health = try await api.call("GET", "/healthz", token: .some(nil))
        XCTAssertEqual(health.status, 200)
        // Sessions made with kubectl are agents too (default id <namespace>.<name>).
        try await c.kubectl.apply("""
            apiVersion: parallax.ai/v1alpha1
            kind: AgentSession
            metadata: {name: by-kubectl, namespace: default}
            spec: {agentType: codex, workspaceId: ws-k}
            """)
        try await api.waitFor("default.by-kubectl", "listed") { $0["name"] == "by-kubectl" }
        let stopK = try await api.stop("default.by-kubectl")
        XCTAssertEqual(stopK, 202)
        try await waitFor("kubectl session deleted", timeout: .seconds(30)) { () async throws -> Bool? in
            (try? await c.session("by-kubectl")) == nil ? true : nil
        }
        for id in ["a1", "a2", "Team_A:Bot@1", "c2"] {
            let s = try await api.stop(id)
            XCTAssertEqual(s, 202, id)
        }
        XCTAssertFalse(op.process.log.contains(apiToken))
        passed.withLock { $0 = true }
    }

    func testSpawnStopRace() async throws {
        let c = try await E2ECluster(runPods: true, etcd: false)
        let passed = LockedBox(false)
        addTeardownBlock { await c.tearDown(failed: !passed.current) }
        let (api, _, _) = try await start(c)
        let ids = (0..<5).map { "race-\($0)" }
        let outcomes = LockedBox([String: [Int]]())
        await withTaskGroup(of: Void.self) { group in
            for id in ids {
                group.addTask {
                    let s = (try? await api.spawn(id, type: "codex", command: ["sh", "-c", "echo up; exec cat"],
                                                  extra: ["namespace": "default"]))?.status ?? -1
                    outcomes.withLock { $0[id, default: []].append(s) }
                }
                group.addTask {
                    let s = (try? await api.stop(id)) ?? -1
                    outcomes.withLock { $0[id, default: []].append(s) }
                }
            }
        }
        for (id, codes) in outcomes.current {
            XCTAssertTrue(codes.contains(201), "\(id): \(codes)")
            XCTAssertTrue(codes.allSatisfy { [201, 202, 404].contains($0) }, "\(id): \(codes)")
        }
        for id in ids { _ = try await api.stop(id) }
        for id in ids { try await api.waitGone(id, timeout: .seconds(40)) }
        try await waitFor("no sessions, no pods", timeout: .seconds(40)) { () async throws -> Bool? in
            let sessions = try await c.client.list(AgentSession.self, namespace: "default").items
            let pods = try await c.client.list(Pod.self, namespace: "default").items
            return sessions.isEmpty && pods.isEmpty ? true : nil
        }
        passed.withLock { $0 = true }
    }
}
