import AgentTestSupport
import Foundation
import RuntimeCore
import XCTest

@testable import Registry

/// Registration, updates on the same lease, deregistration, metrics.
final class AgentRegistryTests: XCTestCase {
    func testRegisterWritesTheParallaxValueOnOneLeaseInOneTransaction() async throws {
        let client = try await sharedClient()
        let prefix = uniquePrefix()
        let metrics = MetricsRegistry()
        let (registry, events) = makeRegistry(client: client, prefix: prefix, metrics: metrics)
        let before = client.statistics.requestsByPath
        let status = try await registry.register(testDescriptor("team-a.fix-login-bug", ttl: 3))
        guard case .registered(let lease) = status else { return XCTFail("\(status)") }
        let after = client.statistics.requestsByPath
        XCTAssertEqual((after["/v3/lease/grant"] ?? 0) - (before["/v3/lease/grant"] ?? 0), 1)
        XCTAssertEqual((after["/v3/kv/txn"] ?? 0) - (before["/v3/kv/txn"] ?? 0), 1, "one transaction writes the key")

        let key = prefix + "/services/agent/team-a.fix-login-bug"
        let found = try await client.get(key)
        let kv = try XCTUnwrap(found)
        XCTAssertEqual(kv.lease, lease)
        XCTAssertTrue(LeaseOwnership().owns(lease: lease, agentId: "team-a.fix-login-bug"))
        try ParallaxAgentRecordTests.assertParallaxShape(kv.value)
        let record = try ParallaxAgentRecord.decode(kv.value)
        XCTAssertEqual(record.id, "team-a.fix-login-bug")
        XCTAssertEqual(record.ttl, 3)
        XCTAssertEqual(record.health.status, .unknown)
        XCTAssertEqual(record.health.checkInterval, 10000)
        XCTAssertEqual(record.metadata.capabilities, ["code", "review"])
        let ttl = try await client.leaseTimeToLive(lease)
        XCTAssertEqual(ttl.grantedTTL, 3)

        let sawRegistered = await eventually { events.registered == ["team-a.fix-login-bug"] }
        XCTAssertTrue(sawRegistered, "events: \(events.items)")
        XCTAssertEqual(metrics.gauge("agent_registry_registered", help: "", labelNames: ["namespace"]).value(labels: ["team-a"]), 1)
        let info = await registry.info("team-a.fix-login-bug")
        XCTAssertEqual(info?.key, key)
        XCTAssertEqual(info?.record, record)
    }

    func testHealthAndStateChangesRewriteTheValueOnTheSameLease() async throws {
        let client = try await sharedClient()
        let prefix = uniquePrefix()
        let (registry, _) = makeRegistry(client: client, prefix: prefix)
        let id = "team-a.health"
        let key = prefix + "/services/agent/" + id
        guard case .registered(let lease) = try await registry.register(testDescriptor(id, ttl: 5)) else { return XCTFail() }
        let first = try await client.get(key)

        let checkedAt = Date(timeIntervalSince1970: 1_800_000_000.123)
        let status = try await registry.setHealth(id, .healthy, checkedAt: checkedAt)
        XCTAssertEqual(status, .registered(lease: lease))
        let second = try await client.get(key)
        let record = try ParallaxAgentRecord.decode(try XCTUnwrap(second).value)
        XCTAssertEqual(record.health.status, .healthy)
        XCTAssertEqual(record.health.lastCheck, Timestamp.iso8601(checkedAt))
        XCTAssertEqual(second?.lease, lease, "same lease")
        XCTAssertEqual(second?.createRevision, first?.createRevision, "rewritten, not recreated")
        XCTAssertGreaterThan(second?.modRevision ?? 0, first?.modRevision ?? 0)

        // An unchanged health, or registering the same descriptor again, writes nothing.
        let txns = client.statistics.requestsByPath["/v3/kv/txn"] ?? 0
        try await registry.setHealth(id, .healthy)
        let again = try await registry.register(testDescriptor(id, ttl: 5))
        XCTAssertEqual(again, .registered(lease: lease))
        XCTAssertEqual(client.statistics.requestsByPath["/v3/kv/txn"] ?? 0, txns)

        try await registry.setState(id, "stopping")
        let third = try await client.get(key)
        XCTAssertEqual(try ParallaxAgentRecord.decode(try XCTUnwrap(third).value).metadata.state, "stopping")
        XCTAssertEqual(third?.lease, lease)

        var d = testDescriptor(id, ttl: 5)
        d.endpoint = "http://10.9.9.9:8077"
        try await registry.update(d)
        let fourth = try await client.get(key)
        let updated = try ParallaxAgentRecord.decode(try XCTUnwrap(fourth).value)
        XCTAssertEqual(updated.endpoint, "http://10.9.9.9:8077")
        XCTAssertEqual(updated.health.status, .healthy, "health survives a descriptor update")
        XCTAssertEqual(updated.registeredAt, record.registeredAt)
    }

    func testDeregisterDeletesTheKeyAndRevokesTheLease() async throws {
        let client = try await sharedClient()
        let prefix = uniquePrefix()
        let metrics = MetricsRegistry()
        let (registry, events) = makeRegistry(client: client, prefix: prefix, metrics: metrics)
        guard case .registered(let lease) = try await registry.register(testDescriptor("team-a.gone")) else { return XCTFail() }
        let known = await registry.deregister("team-a.gone")
        XCTAssertTrue(known)
        let kv = try await client.get(prefix + "/services/agent/team-a.gone")
        XCTAssertNil(kv)
        let ttl = try await client.leaseTimeToLive(lease)
        XCTAssertFalse(ttl.exists, "the lease is revoked")
        let sawDeregistered = await eventually { events.items.last == .deregistered(agentId: "team-a.gone") }
        XCTAssertTrue(sawDeregistered, "events: \(events.items)")
        XCTAssertEqual(metrics.gauge("agent_registry_registered", help: "", labelNames: ["namespace"]).value(labels: ["team-a"]), 0)
        let again = await registry.deregister("team-a.gone")
        XCTAssertFalse(again)
        let info = await registry.info("team-a.gone")
        XCTAssertNil(info)
    }

    func testInvalidDescriptorsAndUnknownAgentsAreRefused() async throws {
        let client = try await sharedClient()
        let (registry, _) = makeRegistry(client: client, prefix: uniquePrefix())
        do {
            try await registry.register(testDescriptor("bad/id"))
            XCTFail()
        } catch {
            XCTAssertEqual(error, .invalidAgent("agentId bad/id contains '/'"))
        }
        do {
            try await registry.setHealth("nobody", .healthy)
            XCTFail()
        } catch {
            XCTAssertEqual(error, .unknownAgent("nobody"))
        }
        await registry.shutdown()
        do {
            try await registry.register(testDescriptor("late"))
            XCTFail()
        } catch {
            XCTAssertEqual(error, .shutDown)
        }
    }
}
