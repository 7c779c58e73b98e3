import AgentTestSupport
import Foundation
import Registry
import RuntimeCore
import XCTest

@testable import Operator

/// `agent-operator local` as a process: a daemon killed with -9 and restarted (live agents adopted,
/// dead ones cleaned up, nothing orphaned, checked in /proc), clean shutdown with and without
/// `--keep-agents`, limits on the CLI, bad flags, and no secret in any log.
final class LocalDaemonTests: XCTestCase {
    /// One daemon process on a random port over `root`.
    final class Daemon: @unchecked Sendable {
        let process: ManagedProcess
        let api: APIClient

        init(root: String, tokenFile: String, token: String, etcd: String?, extra: [String] = [], directory: String) async throws {
            var args = ["local", "--api-addr", "127.0.0.1:0", "--api-token-file", tokenFile, "--workdir-root", root,
                        "--registry-ttl", "5", "--grace-period", "2s", "--log-format", "json", "--log-level", "debug"]
            if let etcd { args += ["--etcd-endpoints", etcd] }
            process = try ManagedProcess(name: "agent-operator-local", executable: try BuiltBinaries.path("agent-operator"),
                                         arguments: args + extra, logDirectory: directory)
            try await process.waitForLog("listening on 127.0.0.1:")
            let log = process.log
            let range = try XCTUnwrap(log.range(of: #"listening on 127\.0\.0\.1:[0-9]+"#, options: .regularExpression))
            let port = log[range].split(separator: ":").last.map(String.init) ?? "0"
            api = APIClient(base: "http://127.0.0.1:\(port)", token: token)
        }
    }

    private struct Env {
        let dir: TempDirectory
        let etcd: EtcdProcess
        let root: String
        let tokenFile: String
        let token: String
        var marker: String { String(fnv1a64(Data(root.utf8)) & 0xffff_ffff, radix: 16) }

        /// Processes carrying the agent marker of this root, by agent name.
        func agentProcesses() -> [String: [pid_t]] {
            ProcessTools.processes(withEnvironment: LocalBackend.markerVariable, prefix: marker + "/")
        }
    }

    /// Registers the teardown of a test with several daemons: stops them (printing their logs if the test did
    /// not get to set `passed`), kills any agent left, stops etcd and removes the directory.
    private func cleanUpAfterwards(_ env: Env) -> (daemons: LockedBox<[Daemon]>, passed: LockedBox<Bool>) {
        let daemons = LockedBox([Daemon]())
        let passed = LockedBox(false)
        addTeardownBlock { [env] in
            for d in daemons.current { await d.process.stop() }
            if !passed.current { for d in daemons.current { print("---- daemon log ----\n" + d.process.logTail(5000)) } }
            for pids in env.agentProcesses().values { for p in pids { kill(p, SIGKILL) } }
            await env.etcd.stop()
            env.dir.remove()
        }
        return (daemons, passed)
    }

    private func environment() async throws -> Env {
        do {
            let dir = try TempDirectory(prefix: "local-daemon")
            let etcd = try await EtcdProcess.started(directory: dir.path)
            let token = "daemon-token-" + CredentialsSecret.newToken().prefix(20)
            let tokenFile = dir.path + "/tokens"
            try (token + "\n").write(toFile: tokenFile, atomically: true, encoding: .utf8)
            return Env(dir: dir, etcd: etcd, root: dir.path + "/root", tokenFile: tokenFile, token: token)
        } catch TestSupportError.missingBinary(let what) {
            throw XCTSkip("local daemon test needs \(what)")
        }
    }

    private func registryKeys(_ env: Env) async throws -> [String] {
        let c = try env.etcd.client()
        defer { c.shutdown() }
        return try await c.getPrefix("/parallax/services/agent/").kvs.map(\.key)
    }

    func testKilledDaemonRestartsAdoptsLiveAgentsAndCleansUpDeadOnes() async throws {
        let env = try await environment()
        let (daemons, passed) = cleanUpAfterwards(env)
        let first = try await Daemon(root: env.root, tokenFile: env.tokenFile, token: env.token, etcd: env.etcd.endpoint,
                                     directory: env.dir.path)
        daemons.withLock { $0.append(first) }
        let keepSpawn = try await first.api.spawn("keep-1")
        XCTAssertEqual(keepSpawn.status, 201, keepSpawn.text)
        // A CLI that survives its terminal's hangup, so killing its supervisor really leaves an orphan.
        let diesSpawn = try await first.api.spawn("dies-1", command: ["sh", "-c", "trap '' HUP; echo up; while :; do sleep 1; done"])
        XCTAssertEqual(diesSpawn.status, 201, diesSpawn.text)
        for id in ["keep-1", "dies-1"] {
            try await first.api.waitFor(id, "Ready and registered") { $0["phase"] == "Ready" && $0["registered"] == true }
        }
        let layout = try LocalLayout(root: env.root)
        let tokens = ["keep-1", "dies-1"].compactMap { layout.token($0) }
        XCTAssertEqual(tokens.count, 2)
        let records = layout.loadAll().records
        let keep = try XCTUnwrap(records.first { $0.name == "keep-1" })
        let dies = try XCTUnwrap(records.first { $0.name == "dies-1" })
        let diesCLI = try XCTUnwrap(env.agentProcesses()["\(env.marker)/dies-1"]?.filter { $0 != dies.supervisorPid })
        XCTAssertFalse(diesCLI.isEmpty)

        // The daemon dies hard; then one supervisor dies hard too (its CLI is orphaned meanwhile).
        await first.process.kill9()
        kill(dies.supervisorPid, SIGKILL)
        try await waitFor("dies-1 supervisor gone") { ProcessTools.isAlive(dies.supervisorPid) ? nil : true }
        XCTAssertTrue(ProcessTools.isAlive(keep.supervisorPid, startTicks: keep.supervisorStartTicks), "keep-1 survives the daemon")
        XCTAssertTrue(diesCLI.contains { ProcessTools.isAlive($0) }, "the orphaned CLI runs until the restart")

        // Restart: keep-1 is adopted (same supervisor, key taken over), dies-1 is cleaned up.
        let second = try await Daemon(root: env.root, tokenFile: env.tokenFile, token: env.token, etcd: env.etcd.endpoint,
                                      directory: env.dir.path)
        daemons.withLock { $0.append(second) }
        let adopted = try await second.api.waitFor("keep-1", "adopted, Ready, registered") {
            $0["phase"] == "Ready" && $0["registered"] == true
        }
        XCTAssertEqual(adopted["endpoint"].stringValue, keep.endpoint)
        let gone = try await second.api.agent("dies-1")
        XCTAssertNil(gone, "the dead agent is not listed")
        try await waitFor("orphaned CLI of dies-1 killed") { diesCLI.allSatisfy { !ProcessTools.isAlive($0) } ? true : nil }
        XCTAssertNil(env.agentProcesses()["\(env.marker)/dies-1"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: layout.stateDirectory("dies-1")))
        XCTAssertTrue(second.process.log.contains("cleaning up an agent whose supervisor is gone"))
        try await waitFor("only keep-1 registered") { () async throws -> Bool? in
            try await registryKeys(env) == ["/parallax/services/agent/keep-1"] ? true : nil
        }
        // The adopted agent still works end to end.
        let input = try await second.api.call("POST", "/agents/keep-1/input", json: ["text": "still here", "enter": true])
        XCTAssertEqual(input.status, 200, input.text)
        try await waitFor("echo") { () async throws -> Bool? in
            try await second.api.call("GET", "/agents/keep-1/logs").text.contains("you said: still here") ? true : nil
        }

        // A clean stop (SIGTERM): exit 0, every agent stopped and deregistered, nothing left in /proc.
        let status = await second.process.stop(signal: SIGTERM)
        XCTAssertEqual(status, 0)
        XCTAssertEqual(env.agentProcesses().count, 0, "left behind: \(env.agentProcesses())")
        XCTAssertFalse(ProcessTools.isAlive(keep.supervisorPid, startTicks: keep.supervisorStartTicks))
        let keysAfter = try await registryKeys(env)
        XCTAssertEqual(keysAfter, [])

        // No secret in any log: daemons' output, and the token files' values nowhere.
        let logs = daemons.current.map { $0.process.log }.joined(separator: "\n")
        XCTAssertFalse(logs.contains(env.token), "API token logged")
        for t in tokens { XCTAssertFalse(logs.contains(t), "supervisor token logged") }
        passed.withLock { $0 = true }
    }

    func testKeepAgentsLeavesThemForTheNextDaemon() async throws {
        let env = try await environment()
        let (daemons, passed) = cleanUpAfterwards(env)
        let first = try await Daemon(root: env.root, tokenFile: env.tokenFile, token: env.token, etcd: env.etcd.endpoint,
                                     extra: ["--keep-agents"], directory: env.dir.path)
        daemons.withLock { $0.append(first) }
        let v1 = try await first.api.spawn("stay-1").status
        XCTAssertEqual(v1, 201)
        try await first.api.waitFor("stay-1", "registered") { $0["registered"] == true }
        let v2 = await first.process.stop(signal: SIGTERM)
        XCTAssertEqual(v2, 0)
        XCTAssertNotNil(env.agentProcesses()["\(env.marker)/stay-1"], "--keep-agents leaves the agent running")
        let keysBetween = try await registryKeys(env)
        XCTAssertEqual(keysBetween, ["/parallax/services/agent/stay-1"], "its key stays until the TTL")

        let second = try await Daemon(root: env.root, tokenFile: env.tokenFile, token: env.token, etcd: env.etcd.endpoint,
                                      directory: env.dir.path)
        daemons.withLock { $0.append(second) }
        try await second.api.waitFor("stay-1", "adopted and registered") { $0["registered"] == true && $0["phase"] == "Ready" }
        // A second daemon on the same root is refused while this one runs.
        let third = try ManagedProcess(name: "third", executable: try BuiltBinaries.path("agent-operator"),
                                       arguments: ["local", "--api-addr", "127.0.0.1:0", "--api-token-file", env.tokenFile,
                                                   "--workdir-root", env.root], logDirectory: env.dir.path)
        try await waitFor("third daemon exits") { third.exitStatus }
        XCTAssertEqual(third.exitStatus, 1)
        XCTAssertTrue(third.log.contains("another agent-operator local"), third.log)

        let v3 = await second.process.stop(signal: SIGTERM)
        XCTAssertEqual(v3, 0)
        XCTAssertEqual(env.agentProcesses().count, 0)
        let keysAfter = try await registryKeys(env)
        XCTAssertEqual(keysAfter, [])
        passed.withLock { $0 = true }
    }

    func testLimitsApplyToTheAgentCLI() async throws {
        let env = try await environment()
        let passed = LockedBox(false)
        let daemon = try await Daemon(root: env.root, tokenFile: env.tokenFile, token: env.token, etcd: nil,
                                      extra: ["--agent-memory", "512Mi", "--agent-cpu-seconds", "600", "--agent-max-processes", "4096"],
                                      directory: env.dir.path)
        addTeardownBlock { [env] in
            await daemon.process.stop()
            if !passed.current { print("---- daemon log ----\n" + daemon.process.logTail(5000)) }
            await env.etcd.stop()
            env.dir.remove()
        }
        let v4 = try await daemon.api.spawn("limited").status
        XCTAssertEqual(v4, 201)
        try await daemon.api.waitFor("limited", "Ready") { $0["phase"] == "Ready" }
        let record = try XCTUnwrap(LocalLayout(root: env.root).loadAll().records.first)
        let cli = try await waitFor("the CLI") { () -> pid_t? in
            env.agentProcesses()["\(env.marker)/limited"]?.first { $0 != record.supervisorPid }
        }
        let limits = try String(contentsOfFile: "/proc/\(cli)/limits", encoding: .utf8)
        func soft(_ name: String) -> String? {
            limits.split(separator: "\n").first { $0.hasPrefix(name) }?.split(separator: " ", omittingEmptySubsequences: true)
                .dropFirst(name.split(separator: " ").count).first.map(String.init)
        }
        XCTAssertEqual(soft("Max address space"), String(512 << 20), limits)
        XCTAssertEqual(soft("Max cpu time"), "600", limits)
        XCTAssertEqual(soft("Max processes"), "4096", limits)
        XCTAssertEqual(soft("Max core file size"), "0", limits)
        // The supervisor itself is not limited.
        let supervisorLimits = try String(contentsOfFile: "/proc/\(record.supervisorPid)/limits", encoding: .utf8)
        XCTAssertFalse(supervisorLimits.contains(String(512 << 20)))
        let v5 = await daemon.process.stop(signal: SIGTERM)
        XCTAssertEqual(v5, 0)
        XCTAssertEqual(env.agentProcesses().count, 0)
        passed.withLock { $0 = true }
    }

    func testBadFlagsExitTwoWithOneLine() async throws {
        let dir = try TempDirectory(prefix: "local-flags")
        defer { dir.remove() }
        let binary: String
        do { binary = try BuiltBinaries.path("agent-operator") } catch { throw XCTSkip("\(error)") }
        try "".write(toFile: dir.path + "/empty", atomically: true, encoding: .utf8)
        try "t0ken-1234567890\n".write(toFile: dir.path + "/tokens", atomically: true, encoding: .utf8)
        let cases: [([String], String)] = [
            (["local", "--workdir-root", dir.path + "/r"], "--api-token-file is required"),
            (["local", "--api-token-file", dir.path + "/tokens"], "--workdir-root is required"),
            (["local", "--api-token-file", dir.path + "/empty", "--workdir-root", dir.path + "/r"], "holds no token"),
            (["local", "--api-token-file", dir.path + "/missing", "--workdir-root", dir.path + "/r"], "cannot be read"),
            (["local", "--api-token-file", dir.path + "/tokens", "--workdir-root", "relative"], "absolute"),
            (["local", "--api-token-file", dir.path + "/tokens", "--workdir-root", dir.path + "/r", "--agent-memory", "lots"], "--agent-memory"),
            (["local", "--api-token-file", dir.path + "/tokens", "--workdir-root", dir.path + "/r", "--supervisor-binary", "/nope"], "supervisor-binary"),
        ]
        for (args, message) in cases {
            let r = try await runToCompletion(binary, args)
            XCTAssertEqual(r.status, 2, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        }
    }
}
