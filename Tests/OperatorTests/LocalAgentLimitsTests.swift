import AgentTestSupport
import Foundation
import RuntimeCore
import XCTest

@testable import Operator

/// Local mode's limits (AgentLimits.swift): byte sizes, the wrapper's arguments, the cgroup v2 files
/// written (against a directory shaped like a delegated cgroup; this machine has cgroup v1 only), and
/// `agent-operator exec-limited` applying rlimits before exec.
final class LocalAgentLimitsTests: XCTestCase {
    func testByteSizes() {
        XCTAssertEqual(AgentLimits.parseBytes("512Mi"), 512 << 20)
        XCTAssertEqual(AgentLimits.parseBytes("4Gi"), 4 << 30)
        XCTAssertEqual(AgentLimits.parseBytes("1G"), 1_000_000_000)
        XCTAssertEqual(AgentLimits.parseBytes("123"), 123)
        XCTAssertEqual(AgentLimits.parseBytes("0"), 0)
        XCTAssertNil(AgentLimits.parseBytes("lots"))
        XCTAssertNil(AgentLimits.parseBytes("-1Mi"))
        XCTAssertNil(AgentLimits.parseBytes("99999999999Ti"))
    }

    func testWrapperArguments() {
        let limits = AgentLimits(cpuSeconds: 60, memoryBytes: 1 << 30, maxProcesses: 100)
        XCTAssertEqual(limits.execArguments(cgroup: nil),
                       ["--cpu-seconds", "60", "--address-space-bytes", "1073741824", "--max-processes", "100"])
        // With a cgroup, memory and processes are the cgroup's job (memory.max, pids.max).
        XCTAssertEqual(limits.execArguments(cgroup: "/sys/fs/cgroup/x/agent-a"), ["--cpu-seconds", "60", "--cgroup", "/sys/fs/cgroup/x/agent-a"])
        XCTAssertEqual(AgentLimits().execArguments(cgroup: nil), [])
    }

    func testCgroupFilesAreWritten() throws {
        let dir = try TempDirectory(prefix: "cgroup-shape")
        defer { dir.remove() }
        let root = dir.path
        XCTAssertThrowsError(try AgentCgroup.create(root: root, name: "a", limits: AgentLimits())) {
            XCTAssertTrue("\($0)".contains("does not enable memory"))
        }
        try "cpu memory pids\n".write(toFile: root + "/cgroup.subtree_control", atomically: true, encoding: .utf8)
        // The kernel creates these files in a new cgroup; here the test does.
        let agent = AgentCgroup.path(root: root, name: "a")
        try FileManager.default.createDirectory(atPath: agent, withIntermediateDirectories: true)
        for f in ["memory.max", "memory.swap.max", "pids.max", "cgroup.procs"] {
            try "max\n".write(toFile: agent + "/" + f, atomically: true, encoding: .utf8)
        }
        try "".write(toFile: agent + "/cgroup.procs", atomically: true, encoding: .utf8)
        let path = try AgentCgroup.create(root: root, name: "a", limits: AgentLimits(memoryBytes: 256 << 20, maxProcesses: 64))
        XCTAssertEqual(path, agent)
        XCTAssertEqual(try String(contentsOfFile: agent + "/memory.max", encoding: .utf8), String(256 << 20))
        XCTAssertEqual(try String(contentsOfFile: agent + "/memory.swap.max", encoding: .utf8), "0")
        XCTAssertEqual(try String(contentsOfFile: agent + "/pids.max", encoding: .utf8), "64")
        XCTAssertEqual(AgentCgroup.members(agent), [])
    }

    func testExecLimitedSetsLimitsThenExecs() async throws {
        let binary: String
        do { binary = try BuiltBinaries.path("agent-operator") } catch { throw XCTSkip("\(error)") }
        let r = try await runToCompletion(binary, ["exec-limited", "--cpu-seconds", "30", "--address-space-bytes", String(768 << 20),
                                                   "--", "sh", "-c", "ulimit -t; ulimit -v; ulimit -c"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout.split(separator: "\n").map(String.init), ["30", String(768 << 10), "0"])
        let missing = try await runToCompletion(binary, ["exec-limited", "--", "/nonexistent/cli"])
        XCTAssertEqual(missing.status, 127)
        XCTAssertTrue(missing.stderr.contains("exec-limited: /nonexistent/cli"), missing.stderr)
        let bad = try await runToCompletion(binary, ["exec-limited", "--cpu-seconds", "x", "--", "true"])
        XCTAssertEqual(bad.status, 2)
    }
}
