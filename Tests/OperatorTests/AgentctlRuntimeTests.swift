import AgentTestSupport
import Foundation
import RuntimeCore
import XCTest

@testable import Operator

/// The `agentctl` binary against a local runtime: every runtime command, table and JSON output, the
/// config file and environment, the exit codes scripts rely on, `events` and a non-interactive `attach`.
final class AgentctlRuntimeTests: XCTestCase {
    private func agentctl(_ args: [String], env: [String: String], input: String? = nil) async throws
        -> (status: Int32, stdout: String, stderr: String)
    {
        try await runToCompletion(try BuiltBinaries.path("agentctl"), args, environment: env, input: input)
    }

    func testCommandsOutputsAndExitCodes() async throws {
        var config = OperatorConfig()
        config.allowedAgentTypes = ["custom", "codex"]
        let rt = try await LocalRuntime(etcd: false) {
            $0.maxAgents = 2
            $0.config = config
        }
        let passed = LockedBox(false)
        addTeardownBlock { await rt.tearDown(failed: !passed.current) }
        let tokenFile = rt.dir.path + "/token"
        try (rt.token + "\n").write(toFile: tokenFile, atomically: true, encoding: .utf8)
        // The config file names the server and token file; nothing on the command line.
        let configFile = rt.dir.path + "/agentctl.yaml"
        try "server: http://127.0.0.1:\(rt.server.port)\ntokenFile: \(tokenFile)\n".write(toFile: configFile, atomically: true, encoding: .utf8)
        let env = ["AGENTCTL_CONFIG": configFile, "HOME": rt.dir.path]

        // spawn: a table row; the command after --.
        let spawned = try await agentctl(["spawn", "cli-1", "--type", "custom", "--workspace", "ws-cli", "--capability", "code,review",
                                          "--env", "FOO=bar", "--", "sh", "-c", "echo cli agent up; cat"], env: env)
        XCTAssertEqual(spawned.status, 0, spawned.stderr)
        XCTAssertTrue(spawned.stdout.contains("AGENT ID") && spawned.stdout.contains("cli-1"), spawned.stdout)
        // wait, then get (details) and get -o json.
        let waited = try await agentctl(["wait", "cli-1", "--for", "Ready", "--wait-timeout", "30s"], env: env)
        XCTAssertEqual(waited.status, 0, waited.stderr)
        XCTAssertTrue(waited.stdout.contains("Phase:") && waited.stdout.contains("Ready"), waited.stdout)
        let json = try await agentctl(["get", "cli-1", "-o", "json"], env: env)
        XCTAssertEqual(json.status, 0)
        let agent = try JSON.parse(json.stdout)
        XCTAssertEqual(agent["agentId"], "cli-1")
        XCTAssertEqual(agent["capabilities"], ["code", "review"])
        XCTAssertEqual(agent["workspaceId"], "ws-cli")
        // list: table, wide, json.
        let table = try await agentctl(["list"], env: env)
        XCTAssertTrue(table.stdout.contains("cli-1") && table.stdout.contains("Ready"), table.stdout)
        let wide = try await agentctl(["list", "-o", "wide"], env: env)
        XCTAssertTrue(wide.stdout.contains("ENDPOINT") && wide.stdout.contains("http://127.0.0.1:"), wide.stdout)
        let listJSON = try await agentctl(["list", "-o", "json"], env: env)
        XCTAssertEqual(try JSON.parse(listJSON.stdout)["agents"].arrayValue?.count, 1)
        // input, screen, logs.
        let typed = try await agentctl(["input", "cli-1", "typed", "words"], env: env)
        XCTAssertEqual(typed.status, 0, typed.stderr)
        try await waitFor("echo in logs") { () async throws -> Bool? in
            try await agentctl(["logs", "cli-1", "--tail", "20"], env: env).stdout.contains("typed words") ? true : nil
        }
        let screen = try await agentctl(["screen", "cli-1"], env: env)
        XCTAssertTrue(screen.stdout.contains("cli agent up"), screen.stdout)

        // attach without a terminal: stdin goes in, output comes out, Ctrl-] detaches (exit 0).
        let attach = try await runToCompletion("/bin/sh", ["-c", "(sleep 1; printf 'via attach\\r'; sleep 2; printf '\\035') | \"$0\" attach cli-1",
                                                           try BuiltBinaries.path("agentctl")], environment: env, timeout: .seconds(30))
        XCTAssertEqual(attach.status, 0, attach.stderr)
        XCTAssertTrue(attach.stdout.contains("cli agent up"), "scrollback: \(attach.stdout)")
        XCTAssertTrue(attach.stdout.contains("via attach"), attach.stdout)
        XCTAssertTrue(attach.stderr.contains("Detached"), attach.stderr)

        // Exit codes: 4 exists, 5 policy, 5 quota, 3 unknown, 2 invalid, 2 usage, 6 bad token, 1 unreachable.
        let dup = try await agentctl(["spawn", "cli-1", "--type", "custom", "--", "cat"], env: env)
        XCTAssertEqual(dup.status, 4, dup.stderr)
        XCTAssertTrue(dup.stderr.contains("already exists"), dup.stderr)
        let policy = try await agentctl(["spawn", "g-1", "--type", "gemini"], env: env)
        XCTAssertEqual(policy.status, 5, policy.stderr)
        let e1 = try await agentctl(["spawn", "cli-2", "--type", "custom", "--", "cat"], env: env)
        XCTAssertEqual(e1.status, 0, e1.stderr)
        let quota = try await agentctl(["spawn", "cli-3", "--type", "custom", "--", "cat"], env: env)
        XCTAssertEqual(quota.status, 5, quota.stderr)
        let e2 = try await agentctl(["get", "nobody"], env: env)
        XCTAssertEqual(e2.status, 3, e2.stderr)
        let e3 = try await agentctl(["stop", "nobody"], env: env)
        XCTAssertEqual(e3.status, 3, e3.stderr)
        let invalid = try await agentctl(["spawn", "../x", "--type", "custom", "--", "cat"], env: env)
        XCTAssertEqual(invalid.status, 2, invalid.stderr)
        XCTAssertTrue(invalid.stderr.contains("agentId"), invalid.stderr)
        let e4 = try await agentctl(["spawn", "x"], env: env)
        XCTAssertEqual(e4.status, 2, e4.stderr)  // --type missing
        let e5 = try await agentctl(["list", "-o", "yaml"], env: env)
        XCTAssertEqual(e5.status, 2, e5.stderr)
        try "wrong-token\n".write(toFile: rt.dir.path + "/wrong", atomically: true, encoding: .utf8)
        let unauthorized = try await agentctl(["list", "--token-file", rt.dir.path + "/wrong"], env: env)
        XCTAssertEqual(unauthorized.status, 6, unauthorized.stderr)
        XCTAssertFalse(unauthorized.stderr.contains("wrong-token"), "the token is never printed")
        let unreachable = try await agentctl(["list", "--server", "http://127.0.0.1:\(try freeLoopbackPort())"], env: env)
        XCTAssertEqual(unreachable.status, 1, unreachable.stderr)
        // The environment beats the config file; no token anywhere is a usage error.
        let envServer = try await agentctl(["list"], env: env.merging(["AGENTCTL_SERVER": "http://127.0.0.1:1"]) { _, b in b })
        XCTAssertEqual(envServer.status, 1)
        let noToken = try await agentctl(["list"], env: ["HOME": rt.dir.path, "AGENTCTL_CONFIG": "", "AGENTCTL_SERVER": "http://127.0.0.1:1"])
        XCTAssertEqual(noToken.status, 2, noToken.stderr)
        XCTAssertTrue(noToken.stderr.contains("no API token"), noToken.stderr)

        // stop --wait: exit 0 once gone.
        let stopped = try await agentctl(["stop", "cli-1", "--wait"], env: env)
        XCTAssertEqual(stopped.status, 0, stopped.stderr)
        let e6 = try await agentctl(["get", "cli-1"], env: env)
        XCTAssertEqual(e6.status, 3, e6.stderr)
        let e7 = try await agentctl(["stop", "cli-2", "--wait"], env: env)
        XCTAssertEqual(e7.status, 0, e7.stderr)
        passed.withLock { $0 = true }
    }

    func testEventsStreamAsJSONLines() async throws {
        let rt = try await LocalRuntime(etcd: false)
        let passed = LockedBox(false)
        let tokenFile = rt.dir.path + "/token"
        try (rt.token + "\n").write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let events = try ManagedProcess(name: "agentctl-events", executable: try BuiltBinaries.path("agentctl"),
                                        arguments: ["events", "-o", "json", "--server", "http://127.0.0.1:\(rt.server.port)",
                                                    "--token-file", tokenFile], logDirectory: rt.dir.path)
        addTeardownBlock {
            await events.stop()
            await rt.tearDown(failed: !passed.current)
        }
        let api = rt.api
        try await Task.sleep(for: .milliseconds(500))
        let created = try await api.spawn("ev-1", type: "codex", command: loginCLI)
        XCTAssertEqual(created.status, 201)
        try await events.waitForLog(#""event":"login_required""#)
        let line = try XCTUnwrap(events.log.split(separator: "\n").first { $0.contains(#""event":"login_required""#) })
        let event = try JSON.parse(String(line))
        XCTAssertEqual(event["data"]["agentId"], "ev-1")
        XCTAssertEqual(event["data"]["url"], "https://auth.example.test/device")
        XCTAssertEqual(event["data"]["code"], "WXYZ-ABCD9")
        _ = try await api.stop("ev-1")
        try await events.waitForLog(#""type":"deleted""#)
        // SIGINT ends the stream with exit 0.
        let status = await events.stop(signal: SIGINT)
        XCTAssertEqual(status, 0)
        passed.withLock { $0 = true }
    }
}
