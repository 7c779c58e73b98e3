import Foundation
import RuntimeCore
import XCTest

@testable import Operator

/// `POST /spawn` bodies (SpawnRequest.swift) and agent ids and names (AgentNames.swift).
final class APISpawnRequestTests: XCTestCase {
    private func parse(_ text: String) -> Result<SpawnRequest, APIError> {
        do throws(APIError) { return .success(try SpawnRequest.parse(Data(text.utf8))) } catch { return .failure(error) }
    }

    private func refusal(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> APIError? {
        guard case .failure(let e) = parse(text) else {
            XCTFail("accepted: \(text)", file: file, line: line)
            return nil
        }
        return e
    }

    func testFullRequest() throws {
        let r = try parse("""
            {"agentId": "team-a.fix-bug", "agentType": "codex", "workspaceId": "ws-42", "capabilities": ["code", "review"],
             "env": {"B": "2", "A": "1"}, "workdir": "/workspace/src", "namespace": "team-a", "image": "img:1",
             "command": ["codex"], "args": ["--model", "o3"], "role": "fixer", "displayName": "Fixer", "restartPolicy": "Always"}
            """).get()
        XCTAssertEqual(r.agentId, "team-a.fix-bug")
        XCTAssertEqual(r.capabilities, ["code", "review"])
        XCTAssertEqual(r.env.map(\.name), ["A", "B"])
        XCTAssertEqual(r.workdir, "/workspace/src")
        XCTAssertEqual(r.namespace, "team-a")
        XCTAssertEqual(r.command + r.args, ["codex", "--model", "o3"])
        XCTAssertEqual(r.restartPolicy, "Always")
    }

    func testMinimalRequestAndEnvList() throws {
        let r = try parse(#"{"agentId": "a", "agentType": "claude", "env": [{"name": "X", "value": "1"}, {"name": "Y"}], "image": ""}"#).get()
        XCTAssertEqual(r.workspaceId, "")
        XCTAssertEqual(r.env.map(\.value), ["1", ""])
        XCTAssertNil(r.image)
        XCTAssertNil(r.namespace)
    }

    func testBadJSONIs400() {
        XCTAssertEqual(refusal("{")?.status, 400)
        XCTAssertEqual(refusal("")?.status, 400)
        XCTAssertEqual(refusal(#""just a string""#)?.status, 400)
        XCTAssertEqual(refusal("[]")?.status, 400)
    }

    func testInvalidFieldsAre422() {
        let cases: [(String, String)] = [
            (#"{"agentType": "codex"}"#, "agentId is required"),
            (#"{"agentId": "a"}"#, "agentType is required"),
            (#"{"agentId": 7, "agentType": "codex"}"#, "agentId must be a string"),
            (#"{"agentId": "a", "agentType": "emacs"}"#, "unknown"),
            (#"{"agentId": "a", "agentType": "codex", "extra": 1, "more": 2}"#, "unknown fields \"extra\", \"more\""),
            (#"{"agentId": "a", "agentType": "codex", "capabilities": [1]}"#, "capabilities[0]"),
            (#"{"agentId": "a", "agentType": "codex", "capabilities": ["two words"]}"#, "whitespace"),
            (#"{"agentId": "a", "agentType": "codex", "env": {"1X": "v"}}"#, "env name"),
            (#"{"agentId": "a", "agentType": "codex", "env": {"MCP_API_KEY": "v"}}"#, "MCP_API_KEY"),
            (#"{"agentId": "a", "agentType": "codex", "env": [{"name": "A"}, {"name": "A"}]}"#, "twice"),
            (#"{"agentId": "a", "agentType": "codex", "env": [{"name": "A", "valueFrom": {}}]}"#, "valueFrom"),
            (#"{"agentId": "a", "agentType": "codex", "env": "A=1"}"#, "env must be"),
            (#"{"agentId": "a", "agentType": "codex", "workdir": "/workspace/../etc"}"#, ".."),
            (#"{"agentId": "a", "agentType": "codex", "namespace": "Team_A"}"#, "namespace"),
            (#"{"agentId": "a", "agentType": "codex", "restartPolicy": "Sometimes"}"#, "restartPolicy"),
            // The agent's environment is also its supervisor's: nothing there may steer the loader or the runtime.
            (#"{"agentId": "a", "agentType": "codex", "env": {"LD_PRELOAD": "/tmp/x.so"}}"#, "dynamic loader"),
            (#"{"agentId": "a", "agentType": "codex", "env": {"LD_LIBRARY_PATH": "/tmp"}}"#, "LD_LIBRARY_PATH"),
            (#"{"agentId": "a", "agentType": "codex", "env": {"GLIBC_TUNABLES": "x"}}"#, "GLIBC_TUNABLES"),
            (#"{"agentId": "a", "agentType": "codex", "env": {"AGENT_LOG_FILE": "/tmp/x"}}"#, "belong to the runtime"),
            (#"{"agentId": "a", "agentType": "codex", "env": {"SUPERVISOR_TOKEN_FILE": "/tmp/t"}}"#, "belong to the runtime"),
            (#"{"agentId": "a", "agentType": "codex", "workdir": "/workspace/a\u0000b"}"#, "must not contain a NUL character"),
            (#"{"agentId": "a", "agentType": "codex", "image": "a;rm -rf /"}"#, "not a valid reference"),
            (#"{"agentId": "a", "agentType": "codex", "image": "Repo/Upper:1"}"#, "not a valid reference"),
            (#"{"agentId": "a", "agentType": "codex", "image": "img:bad tag"}"#, "invalid tag"),
            (#"{"agentId": "a", "agentType": "codex", "image": " img:1"}"#, "whitespace"),
            (#"{"agentId": "a", "agentType": "codex", "env": {\#((0...256).map { "\"V\($0)\": \"1\"" }.joined(separator: ", "))}}"#,
             "at most 256"),
        ]
        for (body, fragment) in cases {
            let e = refusal(body)
            XCTAssertEqual(e?.status, 422, body)
            XCTAssertEqual(e?.code, "Invalid", body)
            XCTAssertTrue(e?.message.contains(fragment) == true, "\(body): \(e?.message ?? "")")
        }
    }

    func testCustomWithoutCommandIsLeftToTheBackendsConfig() throws {
        // `agentTypes.custom.command` in the operator's config is a default like any other type's.
        let r = try parse(#"{"agentId": "a", "agentType": "custom"}"#).get()
        XCTAssertEqual(r.command, [])
    }

    func testAgentIdsWithPathCharactersAreRefused() {
        for bad in ["../etc/passwd", "a/b", "/abs", "..", "a..b", "a\\b", "a b", "a\tb", "a%2fb", "-lead", "trail.", "é", "a\u{0}b",
                    String(repeating: "x", count: 254)] {
            XCTAssertThrowsError(try AgentNames.validate(agentId: bad), bad)
        }
        for good in ["a", "team-a.fix-bug", "Team_A:Bot@1", "x1", String(repeating: "x", count: 253)] {
            XCTAssertNoThrow(try AgentNames.validate(agentId: good), good)
        }
    }

    func testNamesAreDNSNamesAndDistinct() {
        XCTAssertEqual(AgentNames.name(for: "team-a.fix-bug"), "team-a.fix-bug")
        let odd = AgentNames.name(for: "Team_A:Bot")
        XCTAssertTrue(odd.hasPrefix("team-a-bot-"), odd)
        XCTAssertEqual(odd.count, "team-a-bot-".count + 8)
        XCTAssertNotEqual(AgentNames.name(for: "Team_A:Bot"), AgentNames.name(for: "team_a:bot"))
        let long = AgentNames.name(for: String(repeating: "a", count: 200))
        XCTAssertLessThanOrEqual(long.count, 63)
        for id in ["A", "x_y", "a@b", "Z9.Q", String(repeating: "A.", count: 40) + "z", "a.-b"] {
            let n = AgentNames.name(for: id)
            XCTAssertTrue(AgentNames.isDNSSubdomain(n, maxLength: 63), "\(id) → \(n)")
        }
        XCTAssertTrue(AgentNames.isDNSLabel("team-a"))
        XCTAssertFalse(AgentNames.isDNSLabel("team.a"))
        XCTAssertFalse(AgentNames.isDNSLabel("-a"))
    }
}
