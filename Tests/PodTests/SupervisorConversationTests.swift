import CurlHTTP
import Foundation
import RuntimeCore
import XCTest

@testable import Pod

/// `POST /message`, `GET /messages`, `POST /interrupt` and the turn events on `/events`, end to end through
/// the supervisor's HTTP API, with a full-screen chat CLI shaped like Claude Code's (Fixtures/fake_chat_cli.py).
final class SupervisorConversationTests: XCTestCase {
    func chat(_ args: [String] = [], home: String? = nil) throws -> SupervisorHarness {
        let home = try home ?? Fixtures.temporaryDirectory()
        return try SupervisorHarness(["python3", Fixtures.path("fake_chat_cli.py")] + args) { c in
            c.agentType = .claude
            c.command.environment["AGENT_ID"] = "team-a.chat"
            c.command.environment["HOME"] = home
            c.command.environment["ANTHROPIC_API_KEY"] = "sk-ant-test-0123456789abcdefghijKLMNOPQRST"
        }
    }

    /// Claude Code's first-run answers are written before its first start, and never over the user's own.
    func testClaudesFirstRunAnswersAreSeededOnce() async throws {
        let home = try Fixtures.temporaryDirectory()
        let h = try chat(home: home)
        defer { Task { await h.shutdown() } }
        await eventually("running") { (try? await h.state()) == "running" }
        let path = home + "/.claude.json"
        let state = try JSON.parse(try Data(contentsOf: URL(fileURLWithPath: path)))
        XCTAssertEqual(state["hasCompletedOnboarding"], true)
        XCTAssertEqual(state["projects"][String(NSTemporaryDirectory().dropLast())]["hasTrustDialogAccepted"], true, "\(state)")
        XCTAssertEqual(state["customApiKeyResponses"]["approved"][0], "abcdefghijKLMNOPQRST", "the last 20 characters, as the CLI stores them")
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o600)
        try "{\"mine\": true}".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertFalse(try FirstRun.seedClaude(home: home, workdir: "/w", apiKey: nil))
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "{\"mine\": true}")
        XCTAssertNil(FirstRun.claudeState(workdir: "/w", apiKey: nil)["customApiKeyResponses"].objectValue)
    }

    /// The `/events` stream as text, collected in the background.
    func events(_ h: SupervisorHarness) async throws -> (TextBox, HTTPClientStream, Task<Void, any Error>) {
        let stream = try await HTTPClient.shared.stream(HTTPClientRequest(
            url: h.base + "/events", headers: [("Authorization", "Bearer \(h.token)")], timeout: .seconds(60)))
        let collected = TextBox()
        let reader = Task { for try await chunk in stream.body { collected.append(String(decoding: chunk, as: UTF8.self)) } }
        return (collected, stream, reader)
    }

    /// The data of every `event: NAME` in the collected text, in order.
    func data(of name: String, in text: String) -> [JSON] {
        text.components(separatedBy: "\n\n").compactMap { block -> JSON? in
            let lines = block.split(separator: "\n")
            guard lines.contains(where: { $0 == "event: \(name)" }),
                  let d = lines.first(where: { $0.hasPrefix("data: ") }) else { return nil }
            return try? JSON.parse(Data(d.dropFirst(6).utf8))
        }
    }

    func testAMessageIsTypedAnsweredAndReadBackWithOrderedTurnEvents() async throws {
        let h = try chat(["--think", "1.2"])
        defer { Task { await h.shutdown() } }
        await eventually("running and stable") {
            let s = try? await h.status()
            return s?["state"] == "running" && s?["activity"] == "stable"
        }
        let (collected, stream, reader) = try await events(h)
        defer { stream.cancel(); reader.cancel() }

        let sent = try await h.post("/message", ["content": "say hi", "type": "user"])
        XCTAssertEqual(sent.status, 202, sent.text)
        XCTAssertEqual(sent.json["message"]["role"], "user")
        XCTAssertEqual(sent.json["turnId"], 1)
        // While it thinks: busy, and a second message is refused.
        await eventually("running while thinking") { (try? await h.status())?["activity"] == "running" }
        let second = try await h.post("/message", ["content": "too soon"])
        XCTAssertEqual(second.status, 409, second.text)
        XCTAssertEqual(second.json["error"]["code"], "AgentBusy")

        await eventually("turn completed", timeout: 20) { !self.data(of: "turn.completed", in: collected.text).isEmpty }
        let completed = try XCTUnwrap(data(of: "turn.completed", in: collected.text).first)
        XCTAssertEqual(completed["reply"], "You said: say hi")
        XCTAssertEqual(completed["agentId"], "team-a.chat")
        XCTAssertEqual(completed["turnId"], 1)
        // In order: started, then deltas, then completed; sequence numbers increase.
        let names = collected.text.split(separator: "\n").filter { $0.hasPrefix("event: ") && !$0.hasSuffix("state") && !$0.hasSuffix("output") }
        XCTAssertEqual(names.first, "event: turn.started")
        XCTAssertEqual(names.last, "event: turn.completed")
        XCTAssertTrue(names.contains("event: item.delta"))
        let seqs = ["turn.started", "item.delta", "turn.completed"].flatMap { data(of: $0, in: collected.text) }.compactMap { $0["seq"].intValue }
        XCTAssertEqual(seqs, seqs.sorted())
        XCTAssertEqual(data(of: "item.delta", in: collected.text).compactMap { $0["text"].stringValue }.joined(), "You said: say hi")

        let messages = try await h.get("/messages")
        XCTAssertEqual(messages.json["messages"].arrayValue?.map { $0["role"].stringValue ?? "" }, ["user", "agent"])
        XCTAssertEqual(messages.json["messages"][1]["content"], "You said: say hi")
        let since = try await h.get("/messages?since=1")
        XCTAssertEqual(since.json["messages"].arrayValue?.count, 1)

        // A multi-line task arrives as one paste; the reply keeps its lines.
        await eventually("stable again") { (try? await h.status())?["activity"] == "stable" }
        let multi = try await h.post("/message", ["content": "lines 3\nplease"])
        XCTAssertEqual(multi.status, 202, multi.text)
        await eventually("second turn completed", timeout: 20) { self.data(of: "turn.completed", in: collected.text).count == 2 }
        XCTAssertEqual(data(of: "turn.completed", in: collected.text).last?["reply"],
                       "line 1 of the reply\nline 2 of the reply\nline 3 of the reply")
        let metrics = try await h.get("/metrics").text
        XCTAssertTrue(metrics.contains(#"agent_supervisor_turns_total{agent_type="claude",result="completed"} 2"#), metrics)
    }

    func testInterruptEndsTheTurnAndBadRequestsAreRefused() async throws {
        let h = try chat(["--think", "30"])
        defer { Task { await h.shutdown() } }
        await eventually("running and stable") { (try? await h.status())?["activity"] == "stable" }
        let (collected, stream, reader) = try await events(h)
        defer { stream.cancel(); reader.cancel() }
        for (body, code) in [(JSON.object([:]), 400), (["content": ""], 400), (["content": "x", "type": "shout"], 400)] {
            let r = try await h.post("/message", body)
            XCTAssertEqual(r.status, code, "\(body): \(r.text)")
        }
        let badSince = try await h.get("/messages?since=-1")
        XCTAssertEqual(badSince.status, 400)
        let sent = try await h.post("/message", ["content": "think forever"])
        XCTAssertEqual(sent.status, 202, sent.text)
        await eventually("thinking") { (try? await h.screen())?.contains("esc to interrupt") == true }
        let stop = try await h.post("/interrupt", [:])
        XCTAssertEqual(stop.status, 200, stop.text)
        await eventually("turn.interrupted") { !self.data(of: "turn.interrupted", in: collected.text).isEmpty }
        await eventually("the CLI shows the interrupt") { (try? await h.screen())?.contains("Interrupted by user") == true }
        // raw input is written as it is, without a turn.
        let raw = try await h.post("/message", ["content": "abc", "type": "raw"])
        XCTAssertEqual(raw.status, 200, raw.text)
        XCTAssertEqual(data(of: "turn.started", in: collected.text).count, 1)
    }
}
