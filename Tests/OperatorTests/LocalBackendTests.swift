import AgentTestSupport
import Foundation
import Registry
import RuntimeCore
import XCTest

@testable import Operator

/// The runtime API over the local backend, in this process, with real `agent-supervisor` children and
/// real etcd: the whole life of an agent, every status code of CONTRACT.md §6, a spawn/stop race and the
/// attach relay.
final class LocalBackendTests: XCTestCase {
    func testLoginThenReadyRegisteredLogsInputAndStop() async throws {
        let rt = try await LocalRuntime()
        let passed = LockedBox(false)
        addTeardownBlock { await rt.tearDown(failed: !passed.current) }
        let api = rt.api
        let events = try await SSERecorder(url: api.base + "/events", token: rt.token)
        defer { events.stop() }

        let created = try await api.spawn("team-a.fix-bug", type: "codex", command: loginCLI,
                                          extra: ["env": ["GREETING": "hi"], "workdir": "/workspace/src"])
        XCTAssertEqual(created.status, 201, created.text)
        XCTAssertEqual(created.json["agentId"], "team-a.fix-bug")
        XCTAssertEqual(created.json["agentType"], "codex")
        XCTAssertEqual(created.json["workspaceId"], "ws-test")
        XCTAssertEqual(created.json["runtime"], "local")
        XCTAssertTrue(["Pending", "Starting"].contains(created.json["phase"].stringValue ?? ""), "\(created.json)")
        XCTAssertNotNil(created.json["endpoint"].stringValue)

        // Login: the phase, URL and code through GET and through /events; not registered meanwhile.
        let waiting = try await api.waitFor("team-a.fix-bug", "Authenticating") { $0["phase"] == "Authenticating" }
        XCTAssertEqual(waiting["login"]["url"], "https://auth.example.test/device")
        XCTAssertEqual(waiting["login"]["code"], "WXYZ-ABCD9")
        XCTAssertEqual(waiting["registered"], false)
        let login = try await events.waitFor("login_required") { name, _ in name == "login_required" }
        XCTAssertEqual(login["agentId"], "team-a.fix-bug")
        XCTAssertEqual(login["url"], "https://auth.example.test/device")
        XCTAssertEqual(login["code"], "WXYZ-ABCD9")
        let keysBefore = try await rt.registryKeys()
        XCTAssertTrue(keysBefore.isEmpty, "registered while waiting for a login")

        // The isolated working directory and the environment.
        let workspace = rt.backend.layout.workspace("team-a.fix-bug") + "/src"
        var isDir: ObjCBool = false
        XCTAssertTrue(FileManager.default.fileExists(atPath: workspace, isDirectory: &isDir) && isDir.boolValue, workspace)
        let cliPid = try await waitFor("CLI pid") { () -> pid_t? in
            // The CLI itself (python), not its supervisor (whose arguments name the script too).
            rt.agentProcesses().first { ProcessTools.commandLine($0)?.first?.hasSuffix("agent-supervisor") == false
                && ProcessTools.commandLine($0)?.contains { $0.hasSuffix("fake_login_cli.py") } == true }
        }
        let env = try XCTUnwrap(ProcessTools.environment(cliPid))
        XCTAssertEqual(env["GREETING"], "hi")
        XCTAssertEqual(env["AGENT_ID"], "team-a.fix-bug")
        XCTAssertEqual(env["AGENT_CAPABILITIES"], #"["code","review"]"#)
        XCTAssertNil(env["SUPERVISOR_TOKEN"])
        XCTAssertEqual((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(cliPid)/cwd")), workspace)

        // Answer the login through the API; the agent becomes Ready and registered.
        let input = try await api.call("POST", "/agents/team-a.fix-bug/input", json: ["text": "", "enter": true])
        XCTAssertEqual(input.status, 200, input.text)
        let ready = try await api.waitFor("team-a.fix-bug", "Ready and registered", timeout: .seconds(20)) {
            $0["phase"] == "Ready" && $0["registered"] == true
        }
        XCTAssertEqual(ready["health"], "healthy")
        XCTAssertEqual(ready["registryKey"], "/parallax/services/agent/team-a.fix-bug")
        try await events.waitFor("login_completed") { name, data in name == "login_completed" && data["agentId"] == "team-a.fix-bug" }
        let keys = try await rt.registryKeys()
        XCTAssertEqual(keys.count, 1)
        let record = try ParallaxAgentRecord.decode(try XCTUnwrap(keys.first).value)
        XCTAssertEqual(record.id, "team-a.fix-bug")
        XCTAssertEqual(record.type, "agent")
        XCTAssertEqual(record.endpoint, ready["endpoint"].stringValue)
        XCTAssertTrue(record.endpoint.hasPrefix("http://127.0.0.1:"))
        XCTAssertEqual(record.metadata.capabilities, ["code", "review"])
        XCTAssertEqual(record.metadata.namespace, "local")
        XCTAssertEqual(record.metadata.workspaceId, "ws-test")
        XCTAssertEqual(record.metadata.state, "running")
        XCTAssertEqual(record.ttl, 5)

        // Screen and logs come from the supervisor.
        let screen = try await api.call("GET", "/agents/team-a.fix-bug/screen")
        XCTAssertEqual(screen.status, 200)
        XCTAssertTrue(screen.text.contains("To get started, describe a task"), screen.text)
        _ = try await api.call("POST", "/agents/team-a.fix-bug/input", json: ["text": "write tests", "enter": true])
        try await waitFor("echoed input in the logs") { () async throws -> Bool? in
            let logs = try await api.call("GET", "/agents/team-a.fix-bug/screen")
            return logs.text.contains("got: write tests") ? true : nil
        }
        let logs = try await api.call("GET", "/agents/team-a.fix-bug/logs?tail=50")
        XCTAssertEqual(logs.status, 200)
        XCTAssertTrue(logs.text.contains("Sign in with ChatGPT"), logs.text)

        // Stop: 202, Stopping, then gone: no key, no process, no state.
        let stop = try await api.call("POST", "/stop", json: ["agentId": "team-a.fix-bug"])
        XCTAssertEqual(stop.status, 202, stop.text)
        XCTAssertEqual(stop.json["phase"], "Stopping")
        try await api.waitGone("team-a.fix-bug")
        try await events.waitFor("deleted") { name, data in name == "agent" && data["type"] == "deleted" }
        let keysAfter = try await rt.registryKeys()
        XCTAssertTrue(keysAfter.isEmpty)
        XCTAssertTrue(rt.agentProcesses().isEmpty, "left behind: \(rt.agentProcesses())")
        XCTAssertFalse(ProcessTools.isAlive(cliPid))
        XCTAssertFalse(FileManager.default.fileExists(atPath: rt.backend.layout.stateDirectory("team-a.fix-bug")))
        let list = try await api.call("GET", "/agents")
        XCTAssertEqual(list.json["agents"].arrayValue?.count, 0)
        passed.withLock { $0 = true }
    }

    func testEveryStatusCode() async throws {
        var config = OperatorConfig()
        config.allowedAgentTypes = ["codex", "custom"]
        let rt = try await LocalRuntime(etcd: false) {
            $0.maxAgents = 2
            $0.config = config
        }
        let passed = LockedBox(false)
        addTeardownBlock { await rt.tearDown(failed: !passed.current) }
        let api = rt.api
        func spawnBody(_ text: String) async throws -> (status: Int, json: JSON, text: String) {
            try await api.call("POST", "/spawn", body: Data(text.utf8), contentType: "application/json")
        }
        func expect(_ r: (status: Int, json: JSON, text: String), _ status: Int, _ code: String, _ fragment: String = "",
                    line: UInt = #line) {
            XCTAssertEqual(r.status, status, r.text, line: line)
            XCTAssertEqual(r.json["error"]["code"].stringValue, code, r.text, line: line)
            XCTAssertTrue(fragment.isEmpty || (r.json["error"]["message"].stringValue ?? "").contains(fragment), r.text, line: line)
        }

        // 201, then 409 for the same id.
        let first = try await api.spawn("a1")
        XCTAssertEqual(first.status, 201, first.text)
        expect(try await api.spawn("a1"), 409, "AlreadyExists", "a1")
        // 400: not JSON, not an object.
        expect(try await spawnBody("{\"agentId\": "), 400, "BadRequest", "not valid JSON")
        expect(try await spawnBody("[1, 2]"), 400, "BadRequest", "JSON object")
        // 415: another media type.
        expect(try await api.call("POST", "/spawn", body: Data("agentId=x".utf8), contentType: "application/x-www-form-urlencoded"),
               415, "UnsupportedMediaType")
        // 422: missing, mistyped, unknown fields; path characters in the id; reserved variables.
        expect(try await spawnBody(#"{"agentId": "x"}"#), 422, "Invalid", "agentType is required")
        expect(try await spawnBody(#"{"agentId": "x", "agentType": "vim"}"#), 422, "Invalid", "unknown")
        expect(try await spawnBody(#"{"agentId": "x", "agentType": "codex", "capabilites": ["code"]}"#), 422, "Invalid", "capabilites")
        expect(try await spawnBody(#"{"agentId": "x", "agentType": "codex", "capabilities": "code"}"#), 422, "Invalid", "list of strings")
        for bad in ["../etc", "a/b", "a/../../b", "..", "x\\y", " x", "x y", "%2e%2e", "a..b"] {
            expect(try await api.spawn(bad), 422, "Invalid", "agentId")
        }
        expect(try await api.spawn("x", extra: ["env": ["SUPERVISOR_TOKEN": "steal"]]), 422, "Invalid", "SUPERVISOR_TOKEN")
        expect(try await api.spawn("x", extra: ["workdir": "/etc"]), 422, "Invalid", "workdir")
        expect(try await api.spawn("x", extra: ["workdir": "../../.."]), 422, "Invalid", "..")
        expect(try await api.spawn("x", extra: ["workdir": "src\u{0}"]), 422, "Invalid", "NUL")
        expect(try await api.spawn("x", extra: ["env": ["LD_PRELOAD": "/tmp/evil.so"]]), 422, "Invalid", "dynamic loader")
        expect(try await api.spawn("x", extra: ["env": ["AGENT_LOG_FILE": "/tmp/x"]]), 422, "Invalid", "belong to the runtime")
        expect(try await api.spawn("x", type: "custom", command: nil), 422, "Invalid", "command is required")
        // 403: the policy does not allow gemini.
        expect(try await api.spawn("g1", type: "gemini"), 403, "PolicyViolation", "gemini")
        // 429: --max-agents 2.
        let r1 = try await api.spawn("a2")
        XCTAssertEqual(r1.status, 201, r1.text)
        expect(try await api.spawn("a3"), 429, "QuotaExceeded", "max-agents")
        // 413: a 10 MB body is refused before it is read.
        var big = Data(#"{"agentId": "big", "agentType": "custom", "role": ""#.utf8)
        big.append(Data(repeating: UInt8(ascii: "x"), count: 10 << 20))
        big.append(Data(#""}"#.utf8))
        let huge = try? await api.call("POST", "/spawn", body: big, contentType: "application/json")
        if let huge { expect(huge, 413, "PayloadTooLarge") }  // (curl may also see the connection closed mid-upload)
        // 404: stop, get, logs of an unknown agent; unknown endpoints.
        expect(try await api.call("POST", "/stop", json: ["agentId": "nobody"]), 404, "NotFound", "nobody")
        expect(try await api.call("GET", "/agents/nobody"), 404, "NotFound")
        expect(try await api.call("GET", "/agents/nobody/logs"), 404, "NotFound")
        expect(try await api.call("GET", "/agents/..%2F..%2Fetc/logs"), 404, "NotFound")
        expect(try await api.call("GET", "/nothing-here"), 404, "NotFound")
        // /stop: bad bodies.
        expect(try await api.call("POST", "/stop", json: ["agentId": "a1", "force": true]), 422, "Invalid", "force")
        expect(try await api.call("POST", "/stop", body: Data("nope".utf8), contentType: "application/json"), 400, "BadRequest")
        // 405.
        expect(try await api.call("GET", "/spawn"), 405, "MethodNotAllowed")
        // 401: no token, a wrong token, a token in the query that is wrong; /healthz is open.
        expect(try await api.call("GET", "/agents", token: .some(nil)), 401, "Unauthorized", "missing")
        expect(try await api.call("GET", "/agents", token: "wrong"), 401, "Unauthorized", "invalid")
        expect(try await api.call("GET", "/agents?token=wrong", token: .some(nil)), 401, "Unauthorized")
        expect(try await api.call("POST", "/spawn", json: ["agentId": "z", "agentType": "custom"], token: .some(nil)), 401, "Unauthorized")
        let r2 = try await api.call("GET", "/healthz", token: .some(nil))
        XCTAssertEqual(r2.status, 200, r2.text)
        // A right token in the query of a plain request is refused too: only WebSocket upgrades may carry it there.
        expect(try await api.call("GET", "/agents?token=\(rt.token)", token: .some(nil)), 401, "Unauthorized", "WebSocket upgrades only")
        // 202 twice: stopping is idempotent while it lasts.
        let r4 = try await api.stop("a1")
        XCTAssertEqual(r4, 202)
        let again = try await api.call("POST", "/stop", json: ["agentId": "a1"])
        XCTAssertTrue(again.status == 202 || again.status == 404, again.text)
        let r5 = try await api.stop("a2")
        XCTAssertEqual(r5, 202)
        try await api.waitGone("a1")
        try await api.waitGone("a2")
        // Nothing secret in the log: not the API token, not a supervisor token.
        let log = rt.logs.lines.joined(separator: "\n")
        XCTAssertFalse(log.contains(rt.token), "the API token was logged")
        XCTAssertFalse(log.contains("steal"))
        passed.withLock { $0 = true }
    }

    func testSpawnStopRaceLeavesNothingBehind() async throws {
        let rt = try await LocalRuntime(etcd: false) { $0.maxAgents = 0 }
        let passed = LockedBox(false)
        addTeardownBlock { await rt.tearDown(failed: !passed.current) }
        let api = rt.api
        let ids = (0..<6).map { "race-\($0)" }
        // Spawn and stop every id at the same time, twice over.
        for round in 0..<2 {
            let outcomes = LockedBox([String: [Int]]())
            await withTaskGroup(of: Void.self) { group in
                for id in ids {
                    group.addTask {
                        let s = (try? await api.spawn(id))?.status ?? -1
                        outcomes.withLock { $0[id, default: []].append(s) }
                    }
                    group.addTask {
                        try? await Task.sleep(for: .milliseconds(Int64(id.hashValue & 0x1f)))
                        let s = (try? await api.stop(id)) ?? -1
                        outcomes.withLock { $0[id, default: []].append(s) }
                    }
                }
            }
            for (id, codes) in outcomes.current {
                XCTAssertTrue(codes.contains(201) || codes.contains(409), "round \(round) \(id): \(codes)")
                XCTAssertTrue(codes.allSatisfy { [201, 202, 404, 409].contains($0) }, "round \(round) \(id): \(codes)")
            }
            // Whatever survived the race is stopped now.
            for id in ids { _ = try await api.stop(id) }
            for id in ids { try await api.waitGone(id) }
        }
        try await waitFor("no agent processes") { rt.agentProcesses().isEmpty ? true : nil }
        let state = try FileManager.default.contentsOfDirectory(atPath: rt.backend.layout.stateRoot)
        XCTAssertEqual(state, [])
        passed.withLock { $0 = true }
    }

    /// A turn through the runtime API: `POST /agents/{id}/messages` types the task, the reply comes back
    /// from `GET /agents/{id}/messages`, and `POST /agents/{id}/interrupt` reaches the CLI.
    func testMessagesThroughTheRuntimeAPI() async throws {
        let rt = try await LocalRuntime(etcd: false)
        let passed = LockedBox(false)
        addTeardownBlock { await rt.tearDown(failed: !passed.current) }
        let api = rt.api
        let chat = ["python3", repoRoot + "/Tests/PodTests/Fixtures/fake_chat_cli.py", "--think", "0.5"]
        let r = try await api.spawn("chat-1", type: "claude", command: chat)
        XCTAssertEqual(r.status, 201, r.text)
        try await api.waitFor("chat-1", "Ready") { $0["phase"] == "Ready" }
        let sent = try await AgentTestSupport.waitFor("message accepted", timeout: .seconds(20)) { () async throws -> JSON? in
            let m = try await api.call("POST", "/agents/chat-1/messages", json: ["content": "fix the test"])
            return m.status == 202 ? m.json : nil  // 409 AgentBusy until the start screen settled
        }
        XCTAssertEqual(sent["message"]["content"], "fix the test")
        let reply = try await AgentTestSupport.waitFor("reply", timeout: .seconds(20)) { () async throws -> String? in
            let m = try await api.call("GET", "/agents/chat-1/messages?since=\(sent["message"]["id"].intValue ?? 0)")
            return m.json["messages"].arrayValue?.first { $0["role"] == "agent" }?["content"].stringValue
        }
        XCTAssertEqual(reply, "You said: fix the test")
        // agentctl send --wait: the same turn from a shell, the reply on stdout.
        let tokenFile = rt.dir.path + "/token"
        try (rt.token + "\n").write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let configFile = rt.dir.path + "/agentctl.yaml"
        try "server: http://127.0.0.1:\(rt.server.port)\ntokenFile: \(tokenFile)\n".write(toFile: configFile, atomically: true, encoding: .utf8)
        let env = ["AGENTCTL_CONFIG": configFile, "HOME": rt.dir.path]
        let ctl = try await AgentTestSupport.waitFor("agentctl send", timeout: .seconds(20)) { () async throws -> String? in
            let r = try await runToCompletion(try BuiltBinaries.path("agentctl"), ["send", "chat-1", "run", "the", "suite", "--wait"],
                                              environment: env)
            return r.status == 0 ? r.stdout : (r.stderr.contains("AgentBusy") ? nil : "exit \(r.status): \(r.stderr)")
        }
        XCTAssertEqual(ctl, "You said: run the suite\n")
        let interrupt = try await api.call("POST", "/agents/chat-1/interrupt", json: [:])
        XCTAssertEqual(interrupt.status, 200, interrupt.text)
        let unknown = try await api.call("POST", "/agents/nobody/messages", json: ["content": "x"])
        XCTAssertEqual(unknown.status, 404)
        passed.withLock { $0 = true }
    }

    func testAttachRelayWithTwoViewers() async throws {
        let rt = try await LocalRuntime(etcd: false)
        let passed = LockedBox(false)
        addTeardownBlock { await rt.tearDown(failed: !passed.current) }
        let api = rt.api
        let r6 = try await api.spawn("echo-1")
        XCTAssertEqual(r6.status, 201, r6.text)
        try await api.waitFor("echo-1", "Ready") { $0["phase"] == "Ready" }

        func connect(token: String) async throws -> WebSocketClient {
            try await WebSocketClient.connect(host: "127.0.0.1", port: rt.server.port, path: "/agents/echo-1/attach?token=" + token)
        }
        let viewer1 = try await connect(token: rt.token)
        let viewer2 = try await connect(token: rt.token)
        defer {
            viewer1.close()
            viewer2.close()
        }
        let seen1 = collect(viewer1)
        let seen2 = collect(viewer2)
        // Scrollback replay: the banner printed before anyone attached.
        try await waitFor("scrollback") { seen1.current.contains("echo agent ready") ? true : nil }
        // ttyd framing passes through: '1' resize, '0' input; the echo reaches both viewers.
        viewer1.send(binary: Data("1{\"columns\":100,\"rows\":30}".utf8))
        viewer1.send(binary: Data("0hello relay\r".utf8))
        try await waitFor("echo on viewer 1") { seen1.current.contains("you said: hello relay") ? true : nil }
        try await waitFor("echo on viewer 2") { seen2.current.contains("you said: hello relay") ? true : nil }
        viewer2.send(binary: Data("0from two\r".utf8))
        try await waitFor("echo of viewer 2 on viewer 1") { seen1.current.contains("you said: from two") ? true : nil }

        // Refusals: a wrong token, an unknown agent.
        do {
            let bad = try await connect(token: "wrong")
            bad.close()
            XCTFail("attached with a wrong token")
        } catch {}
        do {
            let bad = try await WebSocketClient.connect(host: "127.0.0.1", port: rt.server.port, path: "/agents/nobody/attach?token=" + rt.token)
            bad.close()
            XCTFail("attached to an unknown agent")
        } catch {}
        // A plain GET is told to upgrade.
        let plain = try await api.call("GET", "/agents/echo-1/attach")
        XCTAssertEqual(plain.status, 400)

        // Stopping the agent ends the viewers' connections.
        let r7 = try await api.stop("echo-1")
        XCTAssertEqual(r7, 202)
        try await waitFor("viewer closed") { viewer1.isOpen ? nil : true }
        passed.withLock { $0 = true }
    }

    /// The text of every output frame (`'0'` + bytes) received by a viewer.
    private func collect(_ client: WebSocketClient) -> LockedBox<String> {
        let box = LockedBox("")
        Task {
            for await m in client.messages where m.data.first == UInt8(ascii: "0") {
                let text = String(decoding: m.data.dropFirst(), as: UTF8.self)
                box.withLock { $0 += text }
            }
        }
        return box
    }
}
