import Foundation
import RuntimeCore
import XCTest

@testable import Pod

/// The supervisor's lifecycle with real processes in real PTYs: login detection on a TUI, restarts with
/// backoff, stopping within the grace period.
final class SupervisorTests: XCTestCase {
    func testFakeTUILoginIsDetectedThenReadyAfterInput() async throws {
        let h = try SupervisorHarness(["python3", Fixtures.path("fake_login_cli.py")]) { $0.agentType = .codex }
        defer { Task { await h.shutdown() } }

        await eventually("login_required", timeout: 20) { (try? await h.state()) == "login_required" }
        let status = try await h.status()
        XCTAssertEqual(status["login"]["url"].stringValue, "https://auth.example.test/device")
        XCTAssertEqual(status["login"]["code"].stringValue, "WXYZ-ABCD9")
        XCTAssertEqual(status["login"]["message"].stringValue, "Sign in with ChatGPT to continue")
        XCTAssertNotNil(status["login"]["detectedAt"].stringValue)
        let awaited1 = try await h.get("/readyz").status
        XCTAssertEqual(awaited1, 503)
        let screen = try await h.screen()
        XCTAssertTrue(screen.contains("    ╭──"), screen)
        XCTAssertTrue(screen.contains("│ Enter this one-time code: WXYZ-ABCD9"), screen)

        let input = try await h.post("/input", ["text": "", "enter": true])
        XCTAssertEqual(input.status, 200, input.text)
        await eventually("running after login", timeout: 10) { (try? await h.state()) == "running" }
        let after = try await h.status()
        XCTAssertEqual(after["login"], .null)
        let awaited2 = try await h.get("/readyz").status
        XCTAssertEqual(awaited2, 200)
        let ready = try await h.screen()
        XCTAssertTrue(ready.contains("To get started, describe a task"), ready)
        XCTAssertFalse(ready.contains("one-time code"), ready)
        XCTAssertGreaterThan(after["bytesIn"].intValue ?? 0, 0)

        // Typing reaches the agent, which draws on a fixed row.
        _ = try await h.post("/input", ["text": "fix the bug", "enter": true])
        await eventually("agent answer on screen") { (try? await h.screen())?.contains("got: fix the bug") == true }
    }

    func testCrashLoopBacksOffExponentially() async throws {
        let h = try SupervisorHarness(["sh", "-c", "echo crashing; exit 3"]) { c in
            c.restartPolicy = .onFailure
            c.backoff = Backoff(initial: .milliseconds(200), maximum: .seconds(5))
        }
        defer { Task { await h.shutdown() } }

        var starts: [(restarts: Int64, at: Date)] = []
        var sawBackoff = false
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, starts.count < 5 {
            let s = try await h.status()
            let restarts = s["restarts"].intValue ?? -1
            if let startedAt = s["startedAt"].stringValue.flatMap(Timestamp.parse),
               starts.last?.restarts != restarts {
                starts.append((restarts, startedAt))
            }
            if s["nextRestartAt"] != .null { sawBackoff = true }
            try await Task.sleep(for: .milliseconds(20))
        }
        XCTAssertGreaterThanOrEqual(starts.count, 5, "restarts seen: \(starts.map(\.restarts))")
        XCTAssertTrue(sawBackoff)
        let gaps = zip(starts.dropFirst(), starts).map { $0.at.timeIntervalSince($1.at) }
        let expected = [0.2, 0.4, 0.8, 1.6]
        for (gap, want) in zip(gaps, expected) {
            XCTAssertGreaterThanOrEqual(gap, want * 0.95, "gaps \(gaps)")
            XCTAssertLessThan(gap, want + 1.0, "gaps \(gaps)")
        }
        let last = try await h.status()
        XCTAssertEqual(last["exitCode"].intValue, 3)
        let metrics = try await h.request("GET", "/metrics", token: .some(nil)).text
        XCTAssertTrue(metrics.contains("agent_supervisor_restarts_total "), metrics)
    }

    func testRestartPolicies() async throws {
        // Never: a failure is final.
        let never = try SupervisorHarness(["sh", "-c", "exit 7"]) { $0.restartPolicy = .never }
        let outcome = await never.supervisor.waitUntilFinished()
        XCTAssertEqual(outcome.lastExit, .exited(7))
        let awaited3 = try await never.state()
        XCTAssertEqual(awaited3, "failed")
        let awaited4 = try await never.status()["restarts"].intValue
        XCTAssertEqual(awaited4, 0)
        await never.shutdown()

        // OnFailure: a clean exit is final.
        let clean = try SupervisorHarness(["true"]) { $0.restartPolicy = .onFailure }
        _ = await clean.supervisor.waitUntilFinished()
        let awaited5 = try await clean.state()
        XCTAssertEqual(awaited5, "exited")
        let awaited6 = try await clean.status()["exitCode"].intValue
        XCTAssertEqual(awaited6, 0)
        await clean.shutdown()

        // Always: even clean exits restart.
        let always = try SupervisorHarness(["true"]) { c in
            c.restartPolicy = .always
            c.backoff = Backoff(initial: .milliseconds(50), maximum: .milliseconds(100))
        }
        await eventually("two restarts") { (try? await always.status()["restarts"].intValue ?? 0) ?? 0 >= 2 }
        await always.shutdown()

        // A command that does not exist fails with 127 and a message.
        let missing = try SupervisorHarness(["/nonexistent/agent"]) { $0.restartPolicy = .never }
        _ = await missing.supervisor.waitUntilFinished()
        let s = try await missing.status()
        XCTAssertEqual(s["state"].stringValue, "failed")
        XCTAssertEqual(s["exitCode"].intValue, 127)
        XCTAssertTrue(s["message"].stringValue?.contains("not found") == true)
        await missing.shutdown()
    }

    func testStopForwardsSIGTERMAndReapsTheAgent() async throws {
        let h = try SupervisorHarness(["sleep", "300"])
        await eventually("running") { (try? await h.state()) == "running" }
        let pid = pid_t(try await h.status()["pid"].intValue ?? 0)
        XCTAssertGreaterThan(pid, 0)
        let started = Date()
        let outcome = await h.supervisor.stop()
        XCTAssertLessThan(Date().timeIntervalSince(started), 1.5)
        XCTAssertTrue(outcome.stopped)
        XCTAssertFalse(outcome.killedAfterGrace)
        XCTAssertEqual(outcome.lastExit, .signaled(SIGTERM))
        XCTAssertEqual(kill(pid, 0), -1, "agent still exists")
        XCTAssertEqual(errno, ESRCH)
        let awaited7 = try await h.state()
        XCTAssertEqual(awaited7, "exited")
        await h.api.shutdown()
    }

    func testAgentIgnoringSIGTERMIsKilledAfterTheGracePeriod() async throws {
        let h = try SupervisorHarness(["bash", "-c", "trap '' TERM INT; echo stubborn; while :; do sleep 0.1; done"]) {
            $0.gracePeriod = .milliseconds(800)
        }
        await eventually("running") { (try? await h.state()) == "running" }
        let pid = pid_t(try await h.status()["pid"].intValue ?? 0)
        let started = Date()
        let outcome = await h.supervisor.stop(signal: SIGINT)
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertGreaterThanOrEqual(elapsed, 0.8)
        XCTAssertLessThan(elapsed, 3)
        XCTAssertTrue(outcome.killedAfterGrace)
        XCTAssertEqual(outcome.lastExit, .signaled(SIGKILL))
        XCTAssertEqual(kill(pid, 0), -1)
        await h.api.shutdown()
    }

    func testOutputAndInputMoveLastActivity() async throws {
        let h = try SupervisorHarness(["bash", Fixtures.path("echo_cli.sh")])
        defer { Task { await h.shutdown() } }
        await eventually("ready") { (try? await h.screen())?.contains("echo-cli ready") == true }
        let before = try await h.status()["lastActivityAt"].stringValue.flatMap(Timestamp.parse)!
        try await Task.sleep(for: .milliseconds(50))
        _ = try await h.post("/input", ["text": "ping", "enter": true])
        await eventually("echo") { (try? await h.screen())?.contains("ECHO:ping") == true }
        let after = try await h.status()["lastActivityAt"].stringValue.flatMap(Timestamp.parse)!
        XCTAssertGreaterThan(after, before)
        let awaited8 = try await h.status()["bytesIn"].intValue
        XCTAssertEqual(awaited8, 5)
    }

    func testMCPConfigIsWrittenForClaudeBeforeStart() async throws {
        let dir = try Fixtures.temporaryDirectory()
        let h = try SupervisorHarness(["cat", ".mcp.json"]) { c in
            c.agentType = .claude
            c.command.workdir = dir
            c.mcpServerURL = "https://raven.example/api/mcp-standard"
            c.restartPolicy = .never
        }
        _ = await h.supervisor.waitUntilFinished()
        let logs = try await h.get("/logs?tail=20").text
        XCTAssertTrue(logs.contains("\"url\" : \"https://raven.example/api/mcp-standard\"") || logs.contains("raven-docs"), logs)
        await h.shutdown()
    }
}
