import AgentTestSupport
import Foundation
import RuntimeCore
import XCTest

@testable import Registry

/// Registrations owned by a separate process (`agentctl registry hold`): when the owner dies, etcd
/// removes its keys within the TTL.
final class OwnerProcessTests: XCTestCase {
    /// `agentctl`, built next to the test bundle by `swift build --build-tests` / `swift test`.
    static var agentctl: String? {
        if let p = ProcessInfo.processInfo.environment["AGENTCTL_BINARY"] { return p }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let candidate = URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("agentctl").path
        return FileManager.default.isExecutableFile(atPath: candidate) ? candidate : nil
    }

    /// Starts `agentctl registry hold` and waits until it reports the registration.
    private func hold(_ endpoint: String, prefix: String, agentId: String, ttl: Int) async throws -> (Process, String) {
        guard let agentctl = Self.agentctl else {
            throw XCTSkip("agentctl binary not found next to the test bundle; build it (swift build) or set AGENTCTL_BINARY")
        }
        let out = NSTemporaryDirectory() + "hold-" + UUID().uuidString
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: out) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: agentctl)
        p.arguments = ["registry", "hold", "--etcd-endpoints", endpoint, "--registry-prefix", prefix, "--agent-id", agentId,
                       "--ttl", String(ttl)]
        let handle = FileHandle(forWritingAtPath: out)!
        p.standardOutput = handle
        p.standardError = handle
        try p.run()
        addTeardownBlock { if p.isRunning { kill(p.processIdentifier, SIGKILL) } }
        let ready = await eventually(.seconds(10)) {
            ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").contains("registered ")
        }
        XCTAssertTrue(ready, (try? String(contentsOfFile: out, encoding: .utf8)) ?? "")
        return (p, out)
    }

    func testKillingTheOwnerWithSIGKILLRemovesTheKeyWithinTheTTL() async throws {
        let client = try await sharedClient()
        let endpoint = try await SharedEtcd.instance.endpoint()
        let prefix = uniquePrefix()
        let key = prefix + "/services/agent/team-a.doomed"
        let ttl = 2
        let (owner, _) = try await hold(endpoint, prefix: prefix, agentId: "team-a.doomed", ttl: ttl)
        let held = try await client.get(key)
        let kv = try XCTUnwrap(held)
        try ParallaxAgentRecordTests.assertParallaxShape(kv.value)

        // The owner keeps it alive past its TTL...
        let start = ContinuousClock.now
        while ContinuousClock.now - start < .seconds(Double(ttl) * 1.5) {
            let present = try await client.get(key)
            XCTAssertNotNil(present)
            try await Task.sleep(for: .milliseconds(200))
        }
        // ...until it is killed: nobody revokes anything, etcd expires the lease.
        kill(owner.processIdentifier, SIGKILL)
        let killedAt = ContinuousClock.now
        let gone = await eventually(.seconds(Double(ttl) + 3)) { (try? await client.get(key)) == .some(nil) }
        XCTAssertTrue(gone)
        let took = ContinuousClock.now - killedAt
        // etcd checks expiry every 500 ms, so allow that on top of the TTL.
        XCTAssertLessThanOrEqual(took, .seconds(Double(ttl) + 1), "key outlived its owner by \(took)")
    }

    func testSIGTERMDeregistersAtOnce() async throws {
        let client = try await sharedClient()
        let endpoint = try await SharedEtcd.instance.endpoint()
        let prefix = uniquePrefix()
        let key = prefix + "/services/agent/team-a.polite"
        let (owner, out) = try await hold(endpoint, prefix: prefix, agentId: "team-a.polite", ttl: 30)
        let lease = try await client.get(key)?.lease ?? 0
        XCTAssertNotEqual(lease, 0)
        kill(owner.processIdentifier, SIGTERM)
        let exited = await eventually(.seconds(10)) { !owner.isRunning }
        XCTAssertTrue(exited)
        XCTAssertEqual(owner.terminationStatus, 0)
        let kv = try await client.get(key)
        XCTAssertNil(kv, "deregistered, not left to expire in 30 s")
        let ttl = try await client.leaseTimeToLive(lease)
        XCTAssertFalse(ttl.exists)
        XCTAssertTrue(((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").contains("deregistered"))
    }
}
