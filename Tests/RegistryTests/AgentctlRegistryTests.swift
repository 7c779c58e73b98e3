import AgentTestSupport
import Foundation
import RuntimeCore
import XCTest

@testable import Registry

/// `agentctl registry list|get|watch` against a real etcd: output and exit codes.
final class AgentctlRegistryTests: XCTestCase {
    private func agentctl() throws -> String {
        guard let path = OwnerProcessTests.agentctl else { throw XCTSkip("agentctl binary not found next to the test bundle") }
        return path
    }

    private func seed() async throws -> (EtcdClient, String, String, AgentRegistry) {
        let client = try await sharedClient()
        let endpoint = try await SharedEtcd.instance.endpoint()
        let prefix = uniquePrefix()
        let (registry, _) = makeRegistry(client: client, prefix: prefix)
        try await registry.register(testDescriptor("team-a.one", ttl: 30))
        try await registry.register(testDescriptor("team-a.two", ttl: 30))
        try await registry.setHealth("team-a.two", .healthy)
        try await client.put(prefix + "/services/agent/foreign", "not json")
        return (client, endpoint, prefix, registry)
    }

    func testListAsJSONAndTable() async throws {
        let bin = try agentctl()
        let (_, endpoint, prefix, _) = try await seed()
        let json = try await runToCompletion(bin, ["registry", "list", "--etcd-endpoints", endpoint, "--registry-prefix", prefix, "-o", "json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let doc = try JSON.parse(json.stdout)
        let agents = try XCTUnwrap(doc["agents"].arrayValue)
        XCTAssertEqual(agents.map { $0["agentId"].stringValue ?? "" }, ["foreign", "team-a.one", "team-a.two"])
        XCTAssertEqual(agents[0]["parallaxRecord"], false)
        XCTAssertEqual(agents[0]["value"], "not json")
        XCTAssertEqual(agents[2]["value"]["health"]["status"], "healthy")
        XCTAssertEqual(agents[2]["value"]["type"], "agent")
        XCTAssertGreaterThan(doc["revision"].intValue ?? 0, 0)

        let table = try await runToCompletion(bin, ["registry", "list", "--etcd-endpoints", endpoint, "--registry-prefix", prefix])
        XCTAssertEqual(table.status, 0, table.stderr)
        let lines = table.stdout.split(separator: "\n")
        XCTAssertTrue(lines.first?.hasPrefix("AGENT ID") ?? false, table.stdout)
        XCTAssertTrue(lines.contains { $0.hasPrefix("team-a.two") && $0.contains("healthy") && $0.contains("codex") })
        XCTAssertTrue(lines.contains { $0.contains("not a Parallax agent record") || $0.contains("(not JSON)") })
    }

    func testGetAndItsExitCodes() async throws {
        let bin = try agentctl()
        let (_, endpoint, prefix, _) = try await seed()
        let found = try await runToCompletion(bin, ["registry", "get", "team-a.one", "--etcd-endpoints", endpoint,
                                                    "--registry-prefix", prefix, "-o", "json"])
        XCTAssertEqual(found.status, 0, found.stderr)
        let doc = try JSON.parse(found.stdout)
        XCTAssertEqual(doc["key"], .string(prefix + "/services/agent/team-a.one"))
        XCTAssertEqual(doc["leaseGrantedTTL"], 30)
        try ParallaxAgentRecordTests.assertParallaxShape(doc["value"].data())

        let details = try await runToCompletion(bin, ["registry", "get", "team-a.one", "--etcd-endpoints", endpoint,
                                                      "--registry-prefix", prefix])
        XCTAssertEqual(details.status, 0, details.stderr)
        XCTAssertTrue(details.stdout.contains("Endpoint:"), details.stdout)

        let missing = try await runToCompletion(bin, ["registry", "get", "nobody", "--etcd-endpoints", endpoint, "--registry-prefix", prefix])
        XCTAssertEqual(missing.status, 3, missing.stderr)
        XCTAssertEqual(missing.stderr, "agentctl: agent nobody is not registered (no key \(prefix)/services/agent/nobody)\n")

        let usage = try await runToCompletion(bin, ["registry", "get", "--etcd-endpoints", endpoint])
        XCTAssertEqual(usage.status, 2)
        let badFlag = try await runToCompletion(bin, ["registry", "list", "--nope"])
        XCTAssertEqual(badFlag.status, 2)
        XCTAssertEqual(badFlag.stderr, "agentctl: unknown flag --nope (see --help)\n")
        let badOutput = try await runToCompletion(bin, ["registry", "list", "-o", "yaml"])
        XCTAssertEqual(badOutput.status, 2)
        let halfAuth = try await runToCompletion(bin, ["registry", "list", "--etcd-username", "agent"])
        XCTAssertEqual(halfAuth.status, 2)
        XCTAssertEqual(halfAuth.stderr, "agentctl: --etcd-username needs --etcd-password-file (etcd auth takes both)\n")
        let unreadablePassword = try await runToCompletion(bin, ["registry", "list", "--etcd-username", "agent",
                                                                 "--etcd-password-file", "/nonexistent/password"])
        XCTAssertEqual(unreadablePassword.status, 2, unreadablePassword.stderr)
        let unknown = try await runToCompletion(bin, ["frobnicate"])
        XCTAssertEqual(unknown.status, 2)

        let dead = "http://127.0.0.1:\(try freeLoopbackPort())"
        let unreachable = try await runToCompletion(bin, ["registry", "list", "--etcd-endpoints", dead])
        XCTAssertEqual(unreachable.status, 1)
        XCTAssertTrue(unreachable.stderr.hasPrefix("agentctl: etcd unavailable (\(dead)): "), unreachable.stderr)
        XCTAssertEqual(unreachable.stderr.split(separator: "\n").count, 1, "one line")

        let version = try await runToCompletion(bin, ["--version"])
        XCTAssertEqual(version.stdout, "agentctl \(agentRuntimeVersion)\n")
        let help = try await runToCompletion(bin, ["registry", "--help"])
        XCTAssertEqual(help.status, 0)
        XCTAssertTrue(help.stdout.contains("--etcd-endpoints"))
        XCTAssertFalse(help.stdout.contains("hold "), "the test helper verb stays out of the help")
    }

    func testWatchPrintsExistingAgentsThenChangesAndExitsZeroOnSIGTERM() async throws {
        let bin = try agentctl()
        let (client, endpoint, prefix, registry) = try await seed()
        let out = NSTemporaryDirectory() + "watch-" + UUID().uuidString
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: out) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: bin)
        p.arguments = ["registry", "watch", "--etcd-endpoints", endpoint, "--registry-prefix", prefix, "-o", "json"]
        let handle = FileHandle(forWritingAtPath: out)!
        p.standardOutput = handle
        try p.run()
        addTeardownBlock { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        func lines() -> [JSON] {
            ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { try? JSON.parse(String($0)) }
        }
        let existing = await eventually { lines().count == 3 }
        XCTAssertTrue(existing)
        XCTAssertEqual(Set(lines().map { $0["type"].stringValue ?? "" }), ["EXISTING"])

        await registry.deregister("team-a.one")  // lease revoked: etcd deletes the key
        try await client.put(prefix + "/services/agent/team-a.three", "{}")
        let changes = await eventually { lines().count == 5 }
        XCTAssertTrue(changes)
        let tail = lines().suffix(2)
        XCTAssertEqual(tail.map { $0["type"].stringValue ?? "" }, ["DELETE", "PUT"])
        XCTAssertEqual(tail.first?["agentId"], "team-a.one")
        XCTAssertEqual(tail.first?["value"]["id"], "team-a.one", "a DELETE shows what was removed")

        kill(p.processIdentifier, SIGTERM)
        let exited = await eventually { !p.isRunning }
        XCTAssertTrue(exited)
        XCTAssertEqual(p.terminationStatus, 0)
    }
}
