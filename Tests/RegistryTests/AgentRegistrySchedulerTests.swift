import AgentTestSupport
import Foundation
import RuntimeCore
import XCTest

@testable import Registry

/// Renewals, lost leases and etcd outages.
final class AgentRegistrySchedulerTests: XCTestCase {
    func testKeepAliveHoldsTheKeyForManyTTLsOnTheSameLease() async throws {
        let client = try await sharedClient()
        let prefix = uniquePrefix()
        let key = prefix + "/services/agent/team-a.steady"
        let (registry, events) = makeRegistry(client: client, prefix: prefix)
        guard case .registered(let lease) = try await registry.register(testDescriptor("team-a.steady", ttl: 2)) else {
            return XCTFail()
        }
        let before = client.statistics.requestsByPath["/v3/lease/keepalive"] ?? 0
        // Watch it for 4 TTLs: it must never be missing, never change lease.
        let start = ContinuousClock.now
        while ContinuousClock.now - start < .seconds(8) {
            let kv = try await client.get(key)
            XCTAssertEqual(kv?.lease, lease)
            let ttl = try await client.leaseTimeToLive(lease)
            XCTAssertGreaterThan(ttl.ttl, 0)
            try await Task.sleep(for: .milliseconds(250))
        }
        let renewals = (client.statistics.requestsByPath["/v3/lease/keepalive"] ?? 0) - before
        // Every TTL/3 = 0.67 s over 8 s: about 12 (renewals may come up to a tenth of the TTL early).
        XCTAssertGreaterThanOrEqual(renewals, 10)
        XCTAssertLessThanOrEqual(renewals, 16)
        XCTAssertEqual(events.lost, 0)
        XCTAssertTrue(events.repairs.isEmpty)
    }

    func testManyAgentsShareBatchedRenewals() async throws {
        let client = try await sharedClient()
        let prefix = uniquePrefix()
        let (registry, _) = makeRegistry(client: client, prefix: prefix)
        await withTaskGroup(of: Void.self) { group in
            for i in 0..<100 { group.addTask { _ = try? await registry.register(testDescriptor("batch.a\(i)", ttl: 3)) } }
        }
        let all = await registry.all()
        XCTAssertEqual(all.filter(\.status.isRegistered).count, 100)
        let before = client.statistics.requestsByPath["/v3/lease/keepalive"] ?? 0
        let start = ContinuousClock.now
        try await Task.sleep(for: .seconds(3))
        let renewals = (client.statistics.requestsByPath["/v3/lease/keepalive"] ?? 0) - before
        let elapsed = (ContinuousClock.now - start).inSeconds
        // 100 leases renewed every second would be ~300 requests one by one; batches make it a handful.
        XCTAssertLessThanOrEqual(Double(renewals), elapsed * 3 + 3, "renewals: \(renewals) in \(elapsed)s")
        let count = try await client.range(.prefix(prefix + "/services/agent/", countOnly: true)).count
        XCTAssertEqual(count, 100)
    }

    func testALeaseRevokedBehindOurBackIsRepaired() async throws {
        let client = try await sharedClient()
        let prefix = uniquePrefix()
        let key = prefix + "/services/agent/team-a.repair"
        let (registry, events) = makeRegistry(client: client, prefix: prefix)
        guard case .registered(let lease) = try await registry.register(testDescriptor("team-a.repair", ttl: 2)) else {
            return XCTFail()
        }
        try await client.revokeLease(lease)  // etcd forgets the lease; the key goes with it
        let repaired = await eventually(.seconds(5)) { !events.repairs.isEmpty }
        XCTAssertTrue(repaired, "\(events.items)")
        let repair = try XCTUnwrap(events.repairs.first)
        XCTAssertEqual(repair.old, lease)
        let kv = try await client.get(key)
        XCTAssertEqual(kv?.lease, repair.new)
        XCTAssertTrue(LeaseOwnership().owns(lease: repair.new, agentId: "team-a.repair"))
        XCTAssertEqual(events.lost, 1)
        let status = await registry.info("team-a.repair")?.status
        XCTAssertEqual(status, .registered(lease: repair.new))
    }

    func testAKeyDeletedBehindOurBackIsWrittenAgain() async throws {
        let client = try await sharedClient()
        let prefix = uniquePrefix()
        let key = prefix + "/services/agent/team-a.deleted"
        let (registry, _) = makeRegistry(client: client, prefix: prefix)
        guard case .registered(let lease) = try await registry.register(testDescriptor("team-a.deleted", ttl: 10)) else {
            return XCTFail()
        }
        let watching = await eventually { await registry.watchedFromRevision > 0 }
        XCTAssertTrue(watching)
        try await client.delete(key)
        let back = await eventually { (try? await client.get(key))?.lease == lease }
        XCTAssertTrue(back, "the value is written again on the same (still live) lease")
    }

    func testEtcdDownLongerThanTheTTLThenBackIsRepairedWithANewLeaseAndTheOldRevoked() async throws {
        let etcd = try await startDedicatedEtcd()
        let client = try EtcdClient(configuration: EtcdConfiguration(endpoints: [etcd.endpoint], requestTimeout: .seconds(1),
                                                                     connectTimeout: .milliseconds(300)))
        addTeardownBlock { client.shutdown() }
        let (registry, events) = makeRegistry(client: client, prefix: "/parallax")
        let key = "/parallax/services/agent/team-a.outage"
        guard case .registered(let oldLease) = try await registry.register(testDescriptor("team-a.outage", ttl: 2)) else {
            return XCTFail()
        }
        await etcd.kill9()
        // Wait until the registry concludes the lease cannot have survived (no renewal within the TTL).
        let noticed = await eventually(.seconds(10)) { events.lost > 0 }
        XCTAssertTrue(noticed, "\(events.items)")
        XCTAssertFalse(events.failures.isEmpty, "renewal failures are reported")
        let pending = await registry.info("team-a.outage")?.status
        XCTAssertFalse(pending?.isRegistered ?? true, "not registered while etcd is gone: \(String(describing: pending))")

        // etcd comes back with the same data: it restores the old lease (and even extends it).
        try await etcd.start()
        let repaired = await eventually(.seconds(15)) { !events.repairs.isEmpty }
        XCTAssertTrue(repaired, "\(events.items)")
        let repair = try XCTUnwrap(events.repairs.first)
        XCTAssertEqual(repair.old, oldLease)
        XCTAssertNotEqual(repair.new, oldLease)
        let kv = try await client.get(key)
        XCTAssertEqual(kv?.lease, repair.new, "value rewritten on the new lease")
        XCTAssertNoThrow(try ParallaxAgentRecord.decode(try XCTUnwrap(kv).value))
        let oldGone = await eventually { (try? await client.leaseTimeToLive(oldLease).exists) == false }
        XCTAssertTrue(oldGone, "the old lease is revoked")
    }

    func testAShortEtcdRestartKeepsTheSameLease() async throws {
        let etcd = try await startDedicatedEtcd()
        let client = try EtcdClient(configuration: EtcdConfiguration(endpoints: [etcd.endpoint], requestTimeout: .seconds(1),
                                                                     connectTimeout: .milliseconds(300)))
        addTeardownBlock { client.shutdown() }
        let (registry, events) = makeRegistry(client: client, prefix: "/parallax")
        guard case .registered(let lease) = try await registry.register(testDescriptor("team-a.blip", ttl: 6)) else {
            return XCTFail()
        }
        try await etcd.restart()
        let renewed = await eventually(.seconds(10)) {
            (try? await client.leaseTimeToLive(lease))?.ttl ?? 0 > 0
                && (client.statistics.requestsByPath["/v3/lease/keepalive"] ?? 0) > 0
        }
        XCTAssertTrue(renewed)
        // Let a few renewals happen after the restart.
        let before = client.statistics.requestsByPath["/v3/lease/keepalive"] ?? 0
        let more = await eventually(.seconds(10)) { (client.statistics.requestsByPath["/v3/lease/keepalive"] ?? 0) > before + 1 }
        XCTAssertTrue(more)
        let kv = try await client.get("/parallax/services/agent/team-a.blip")
        XCTAssertEqual(kv?.lease, lease)
        XCTAssertTrue(events.repairs.isEmpty, "\(events.items)")
        XCTAssertEqual(events.lost, 0)
    }

    func testUnreachableEtcdIsAClearPendingStatusAndRegistersOnceEtcdIsUp() async throws {
        let etcd = try dedicatedEtcd()
        let client = try EtcdClient(configuration: EtcdConfiguration(endpoints: [etcd.endpoint], requestTimeout: .seconds(1),
                                                                     connectTimeout: .milliseconds(300)))
        addTeardownBlock { client.shutdown() }
        let (registry, events) = makeRegistry(client: client, prefix: "/parallax")
        let status = try await registry.register(testDescriptor("team-a.early", ttl: 2))
        guard case .pending(let reason) = status else { return XCTFail("\(status)") }
        XCTAssertTrue(reason.hasPrefix("etcd unavailable (\(etcd.endpoint)): "), reason)
        let retried = await eventually { events.failures.count >= 3 }
        XCTAssertTrue(retried, "the registry keeps retrying")

        try await etcd.start()
        let registered = await eventually(.seconds(10)) { await registry.info("team-a.early")?.status.isRegistered == true }
        XCTAssertTrue(registered, "\(events.items)")
        let sawRegistered = await eventually { events.registered == ["team-a.early"] }
        XCTAssertTrue(sawRegistered, "events: \(events.items)")
        let kv = try await client.get("/parallax/services/agent/team-a.early")
        XCTAssertNotNil(kv)
    }
}
