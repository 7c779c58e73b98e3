import AgentTestSupport
import Foundation
import RuntimeCore
import XCTest

@testable import Registry

/// The health checker's reports driving the registry, end to end against etcd and a fake supervisor.
final class AgentRegistryHealthTests: XCTestCase {
    func testHealthTransitionsAndLoginRequiredReachEtcd() async throws {
        let client = try await sharedClient()
        let prefix = uniquePrefix()
        let key = prefix + "/services/agent/team-a.flip"
        let supervisor = try FakeSupervisor()
        addTeardownBlock { await supervisor.stop() }
        let (registry, events) = makeRegistry(client: client, prefix: prefix)
        let checker = HealthChecker(options: HealthCheckOptions(interval: .milliseconds(100), timeout: .milliseconds(500)),
                                    logger: quietLogger)
        addTeardownBlock { await checker.shutdown() }
        // What the operator does: every report goes to the registry.
        let bridge = Task {
            for await report in checker.reports { await registry.apply(report) }
        }
        addTeardownBlock { bridge.cancel() }

        var d = testDescriptor("team-a.flip", ttl: 5)
        d.endpoint = supervisor.endpoint
        guard case .registered(let lease) = try await registry.register(d) else { return XCTFail() }
        await checker.watch(agentId: d.agentId, endpoint: d.endpoint, token: supervisor.token)

        func stored() async -> ParallaxAgentRecord? {
            guard let kv = try? await client.get(key) else { return nil }
            return try? ParallaxAgentRecord.decode(kv.value)
        }
        let healthy = await eventually { await stored()?.health.status == .healthy }
        XCTAssertTrue(healthy)
        let registeredAt = await stored()?.registeredAt

        supervisor.set(.error(500))
        let unhealthy = await eventually { await stored()?.health.status == .unhealthy }
        XCTAssertTrue(unhealthy)
        let sameLease = try await client.get(key)?.lease
        XCTAssertEqual(sameLease, lease, "health changes rewrite the value on the same lease")

        supervisor.set(.state("running"))
        let back = await eventually { await stored()?.health.status == .healthy }
        XCTAssertTrue(back)

        supervisor.set(.state("login_required"))
        let gone = await eventually { (try? await client.get(key)) == .some(nil) }
        XCTAssertTrue(gone, "an agent waiting for a login is not registered")
        let revoked = await eventually { (try? await client.leaseTimeToLive(lease).exists) == false }
        XCTAssertTrue(revoked)
        let waiting = await registry.agentsWaitingForLogin
        XCTAssertEqual(waiting, ["team-a.flip"])
        let sawDeregistered = await eventually { events.items.contains(.deregistered(agentId: "team-a.flip")) }
        XCTAssertTrue(sawDeregistered, "events: \(events.items)")

        supervisor.set(.state("running"))
        let again = await eventually { await stored()?.metadata.state == "running" }
        XCTAssertTrue(again, "registered again once the login is done")
        let after = await stored()
        XCTAssertEqual(after?.registeredAt, registeredAt, "registeredAt is the agent's first registration")
        XCTAssertEqual(after?.health.status, .healthy)
        let sawRegisteredTwice = await eventually { events.registered == ["team-a.flip", "team-a.flip"] }
        XCTAssertTrue(sawRegisteredTwice, "events: \(events.items)")
        let stillWaiting = await registry.agentsWaitingForLogin
        XCTAssertEqual(stillWaiting, [])
    }

    func testApplyIgnoresUnknownAgentsAndUnchangedReports() async throws {
        let client = try await sharedClient()
        let (registry, _) = makeRegistry(client: client, prefix: uniquePrefix())
        let report = HealthReport(agentId: "nobody", status: .healthy, state: "running", login: nil, checkedAt: Date(),
                                  consecutiveFailures: 0, error: nil)
        let none = await registry.apply(report)
        XCTAssertEqual(none, .none)
        try await registry.register(testDescriptor("someone", ttl: 5))
        var r = report
        r.agentId = "someone"
        let first = await registry.apply(r)
        guard case .updated(let status) = first else { return XCTFail("\(first)") }
        XCTAssertTrue(status.isRegistered)
        let second = await registry.apply(r)
        XCTAssertEqual(second, .none, "nothing Parallax sees changed")
    }
}
