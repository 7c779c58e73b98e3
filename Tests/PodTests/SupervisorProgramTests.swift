import CurlHTTP
import Foundation
import RuntimeCore
import XCTest

@testable import Pod

/// The real `agent-supervisor` binary as a process: signals, exit codes, reaping orphans (child subreaper,
/// as PID 1 would), memory bound, flags.
final class SupervisorProgramTests: XCTestCase {
    /// One running supervisor process.
    final class Running: @unchecked Sendable {
        let process = Process()
        let stdoutPath: String
        let stderrPath: String
        let token = "program-test-token"
        var port = 0

        init(_ arguments: [String], environment: [String: String] = [:]) throws {
            guard let binary = Fixtures.supervisorBinary else {
                throw XCTSkip("agent-supervisor binary not built next to the tests (run `swift build --build-tests`)")
            }
            let dir = try Fixtures.temporaryDirectory()
            stdoutPath = dir + "/stdout"
            stderrPath = dir + "/stderr"
            _ = FileManager.default.createFile(atPath: stdoutPath, contents: nil)
            _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = arguments
            var env = Fixtures.environment
            env["SUPERVISOR_TOKEN"] = token
            env.merge(environment) { _, new in new }
            process.environment = env
            process.currentDirectoryURL = URL(fileURLWithPath: dir)
            process.standardOutput = FileHandle(forWritingAtPath: stdoutPath)
            process.standardError = FileHandle(forWritingAtPath: stderrPath)
            try process.run()
        }

        var stdout: String { (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "" }
        var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }

        func waitListening() async throws {
            await eventually("listening line", timeout: 15) { self.stdout.contains("listening on ") }
            guard let line = stdout.split(separator: "\n").first(where: { $0.hasPrefix("listening on ") }),
                  let p = line.split(separator: ":").last.flatMap({ Int($0) }) else {
                throw XCTSkip("no port in: \(stdout) \(stderr)")
            }
            port = p
        }

        func get(_ path: String) async throws -> HTTPClientResponse {
            try await HTTPClient.shared.execute(HTTPClientRequest(
                url: "http://127.0.0.1:\(port)\(path)",
                headers: [("Authorization", "Bearer \(token)"), ("Connection", "close")], timeout: .seconds(10)))
        }

        func status() async throws -> JSON { try JSON.parse(try await get("/status").body) }

        /// Waits (polling) for the process to exit; returns its exit status or nil on timeout.
        func waitExit(timeout: TimeInterval) async -> Int32? {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
            return process.isRunning ? nil : process.terminationStatus
        }

        func kill() { if process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) } }
    }

    /// Children of `parent` that are zombies, from /proc.
    static func zombieChildren(of parent: pid_t) -> [pid_t] {
        ProcStat.allProcesses().filter { pid in ProcStat.read(pid).map { $0.parent == parent && $0.state == "Z" } ?? false }
    }

    static func residentKB(_ pid: pid_t, field: String = "VmRSS") -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix(field + ":") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    func testSIGTERMStopsTheAgentReapsOrphansAndExitsZero() async throws {
        let s = try Running(["--listen", "127.0.0.1:0", "--grace-period", "5s", "--", "bash", Fixtures.path("orphans.sh")])
        defer { s.kill() }
        try await s.waitListening()
        await eventually("agent started its orphans") {
            (try? await s.get("/logs?tail=5").text)?.contains("orphans started") == true
        }
        let supervisorPID = s.process.processIdentifier
        let agentPID = pid_t(try await s.status()["pid"].intValue ?? 0)
        XCTAssertGreaterThan(agentPID, 0)
        // The three orphans exit after 0.3 s as children of the supervisor (subreaper), which reaps them.
        await eventually("orphans reaped", timeout: 10) {
            let metrics = (try? await s.get("/metrics").text) ?? ""
            return metrics.contains("agent_supervisor_orphans_reaped_total 3")
        }
        XCTAssertEqual(Self.zombieChildren(of: supervisorPID), [])

        let started = Date()
        kill(supervisorPID, SIGTERM)
        let code = await s.waitExit(timeout: 10)
        XCTAssertEqual(code, 0, s.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(started), 5, "stopped within the grace period")
        XCTAssertEqual(kill(agentPID, 0), -1, "agent still alive")
        XCTAssertTrue(s.stderr.contains(#""msg":"shutting down""#), s.stderr)
    }

    func testAgentIgnoringSIGTERMIsKilledAndExitCodeIsThree() async throws {
        let s = try Running(["--listen", "127.0.0.1:0", "--grace-period", "1s", "--",
                             "bash", "-c", "trap '' TERM INT; echo stubborn; while :; do sleep 0.1; done"])
        defer { s.kill() }
        try await s.waitListening()
        await eventually("agent running") { (try? await s.get("/logs?tail=2").text)?.contains("stubborn") == true }
        let agentPID = pid_t(try await s.status()["pid"].intValue ?? 0)
        let started = Date()
        kill(s.process.processIdentifier, SIGINT)
        let code = await s.waitExit(timeout: 10)
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertEqual(code, 3, s.stderr)
        XCTAssertGreaterThanOrEqual(elapsed, 1)
        XCTAssertLessThan(elapsed, 5)
        XCTAssertEqual(kill(agentPID, 0), -1)
        XCTAssertEqual(Self.zombieChildren(of: s.process.processIdentifier), [])
    }

    /// The agent's environment (a pod's `spec.env`, a spawn's `env`) is the CLI's: none of it may configure
    /// the supervisor, whose token and log file it could otherwise redirect.
    func testTheAgentsEnvironmentNeverConfiguresTheSupervisor() async throws {
        let dir = try Fixtures.temporaryDirectory()
        let hijacked = dir + "/hijacked.log"
        let s = try Running(["--listen", "127.0.0.1:0", "--", "bash", "-c", "echo LOGFILE=$AGENT_LOG_FILE TOKEN=${SUPERVISOR_TOKEN:-none}; exec sleep 300"],
                            environment: ["AGENT_LOG_FILE": hijacked, "SUPERVISOR_TOKEN_FILE": "/nonexistent/token",
                                          "AGENT_RESTART_POLICY": "Sometimes", "AGENT_SUPERVISOR_LISTEN": "not-an-address",
                                          "AGENT_GRACE_PERIOD": "forever", "AGENT_LOG_LEVEL": "nonsense", "AGENT_COLS": "0"])
        defer { s.kill() }
        try await s.waitListening()
        await eventually("the agent printed its environment") {
            (try? await s.get("/logs?tail=5").text)?.contains("LOGFILE=") == true
        }
        let logs = try await s.get("/logs?tail=5").text
        // The variables reach the CLI untouched; the supervisor's own token does not.
        XCTAssertTrue(logs.contains("LOGFILE=\(hijacked) TOKEN=none"), logs)
        XCTAssertFalse(FileManager.default.fileExists(atPath: hijacked), "AGENT_LOG_FILE made the supervisor write a file")
        // Listening at all shows it: AGENT_COLS=0, AGENT_RESTART_POLICY=Sometimes or an unreadable
        // SUPERVISOR_TOKEN_FILE, had they been read, would each have ended it with exit code 2.
    }

    /// A descendant that left the agent's process group (setsid) and ignores SIGTERM used to outlive a
    /// standalone supervisor.
    func testProcessesTheAgentLeftOutsideItsGroupEndWithTheSupervisor() async throws {
        let dir = try Fixtures.temporaryDirectory()
        let pidFile = dir + "/daemon.pid"
        let script = "setsid bash -c 'trap \"\" TERM HUP; echo $$ > \(pidFile); exec sleep 1000' & echo daemon-started; exec sleep 1000"
        let s = try Running(["--listen", "127.0.0.1:0", "--grace-period", "1s", "--", "bash", "-c", script])
        defer { s.kill() }
        try await s.waitListening()
        var daemon: pid_t = 0
        await eventually("the daemon wrote its pid") {
            daemon = pid_t(((try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            return daemon > 0
        }
        XCTAssertEqual(ProcStat.read(daemon)?.isGone, false)
        XCTAssertNotEqual(getsid(daemon), getsid(s.process.processIdentifier), "the daemon is in a session of its own")

        kill(s.process.processIdentifier, SIGTERM)
        let code = await s.waitExit(timeout: 15)
        XCTAssertNotNil(code, s.stderr)
        XCTAssertTrue(ProcStat.read(daemon)?.isGone ?? true, "pid \(daemon) outlived the supervisor")
        XCTAssertTrue(s.stderr.contains("ended processes the agent left running"), s.stderr)
    }

    func testTenMegabytesWithoutNewlineStaysWithinTheMemoryBound() async throws {
        let s = try Running(["--listen", "127.0.0.1:0", "--", "bash", "-c",
                             "sleep 1; head -c 10000000 /dev/zero | tr '\\0' x; echo; echo BIG-DONE; exec sleep 300"])
        defer { s.kill() }
        try await s.waitListening()
        let pid = s.process.processIdentifier
        let baseline = Self.residentKB(pid)
        await eventually("10 MB consumed", timeout: 60) {
            (try? await s.get("/logs?tail=2").text)?.contains("BIG-DONE") == true
        }
        let peak = Self.residentKB(pid, field: "VmHWM")
        // Buffers are bounded (1 MiB scrollback, 1 MiB of lines, a 1 MiB hand-off batch): the peak stays
        // within a few tens of MB of the idle size however long the line is.
        XCTAssertLessThan(peak - baseline, 48 * 1024, "baseline \(baseline) KB, peak \(peak) KB")
        let logs = try await s.get("/logs?tail=100000").text
        XCTAssertLessThanOrEqual(logs.utf8.count, (1 << 20) + 20_000)
        let health = try await s.get("/healthz")
        XCTAssertEqual(health.status, 200)
        kill(pid, SIGTERM)
        let code = await s.waitExit(timeout: 10)
        XCTAssertEqual(code, 0)
    }

    func testExitWithAgentPassesTheAgentsCode() async throws {
        let s = try Running(["--listen", "127.0.0.1:0", "--restart-policy", "Never", "--exit-with-agent", "--",
                             "sh", "-c", "echo bye; exit 4"])
        defer { s.kill() }
        let code = await s.waitExit(timeout: 15)
        XCTAssertEqual(code, 4, s.stderr)
        let missing = try Running(["--listen", "127.0.0.1:0", "--restart-policy", "Never", "--exit-with-agent", "--",
                                   "/definitely/not/here"])
        defer { missing.kill() }
        let missingCode = await missing.waitExit(timeout: 15)
        XCTAssertEqual(missingCode, 127)
    }

    func testBadFlagsAndStartupFailures() async throws {
        for args in [["--restart-policy", "Sometimes", "--", "true"], ["--listen", "127.0.0.1:0"],
                     ["--cols", "0", "--", "true"], ["--agent-type", "robot", "--", "true"], ["--bogus", "--", "true"],
                     ["--workdir", "/nonexistent", "--", "true"], ["--max-viewers", "0", "--", "true"],
                     ["--max-event-streams", "many", "--", "true"]] {
            let s = try Running(args)
            let code = await s.waitExit(timeout: 10)
            XCTAssertEqual(code, 2, "\(args): \(s.stderr)")
            XCTAssertTrue(s.stderr.hasPrefix("agent-supervisor: "), s.stderr)
        }
        let noToken = try Running(["--listen", "127.0.0.1:0", "--", "true"], environment: ["SUPERVISOR_TOKEN": ""])
        let noTokenCode = await noToken.waitExit(timeout: 10)
        XCTAssertEqual(noTokenCode, 2)
        XCTAssertTrue(noToken.stderr.contains("SUPERVISOR_TOKEN"))

        let help = try Running(["--help"])
        let helpCode = await help.waitExit(timeout: 10)
        XCTAssertEqual(helpCode, 0)
        XCTAssertTrue(help.stdout.contains("--restart-policy"))
        XCTAssertTrue(help.stdout.contains("--max-viewers"))
        XCTAssertFalse(help.stdout.contains("[$"), "no flag falls back to a variable: \(help.stdout)")

        let first = try Running(["--listen", "127.0.0.1:0", "--", "sleep", "300"])
        defer { first.kill() }
        try await first.waitListening()
        let clash = try Running(["--listen", "127.0.0.1:\(first.port)", "--", "sleep", "300"])
        let clashCode = await clash.waitExit(timeout: 10)
        XCTAssertEqual(clashCode, 1, clash.stderr)
    }
}
