import AgentTestSupport
import Foundation
import RuntimeCore
import XCTest

@testable import Registry

/// Ownership: keys that are not ours are never overwritten; ours are taken over.
final class AgentRegistrySyncTests: XCTestCase {
    func testAKeyWithoutLeaseWrittenBySomeoneElseIsNotOverwritten() async throws {
        let client = try await sharedClient()
        let prefix = uniquePrefix()
        let key = prefix + "/services/agent/team-a.taken"
        try await client.put(key, #"{"id":"team-a.taken","note":"written by hand"}"#)
        let (registry, events) = makeRegistry(client: client, prefix: prefix)
        let status = try await registry.register(testDescriptor("team-a.taken"))
        XCTAssertEqual(status, .conflict(ownerLease: 0))
        let value = try await client.get(key)?.valueString
        XCTAssertEqual(value, #"{"id":"team-a.taken","note":"written by hand"}"#)
        let sawConflict = await eventually { events.conflicts == [0] }
        XCTAssertTrue(sawConflict, "events: \(events.items)")
        let leases = try await client.leases()
        XCTAssertFalse(leases.contains { LeaseOwnership().owns(lease: $0, agentId: "team-a.taken") },
                       "the lease granted for the attempt was revoked")
    }

    func testSomeoneElsesLiveKeyIsLeftAloneUntilItsLeaseExpires() async throws {
        let client = try await sharedClient()
        let prefix = uniquePrefix()
        let key = prefix + "/services/agent/team-a.busy"
        let foreign = try await client.grantLease(ttl: 2)  // etcd picks the id: not carrying our tag
        try await client.put(EtcdPutRequest(key: key, value: Data(#"{"owner":"parallax"}"#.utf8), lease: foreign.id))
        let (registry, events) = makeRegistry(client: client, prefix: prefix)
        let status = try await registry.register(testDescriptor("team-a.busy"))
        XCTAssertEqual(status, .conflict(ownerLease: foreign.id))
        let untouched = try await client.get(key)
        XCTAssertEqual(untouched?.lease, foreign.id)
        XCTAssertEqual(untouched?.valueString, #"{"owner":"parallax"}"#)

        // The foreign lease is not renewed; once it expires the registry takes the (now absent) key.
        let registered = await eventually(.seconds(8)) { await registry.info("team-a.busy")?.status.isRegistered == true }
        XCTAssertTrue(registered, "\(events.items)")
        let mine = try await client.get(key)
        XCTAssertNotEqual(mine?.lease, foreign.id)
        XCTAssertNoThrow(try ParallaxAgentRecord.decode(try XCTUnwrap(mine).value))
        let sawRegistered = await eventually { events.registered == ["team-a.busy"] }
        XCTAssertTrue(sawRegistered, "events: \(events.items)")
    }

    func testARestartedRegistryWithTheSameIdentityTakesItsKeysOverWithoutAGap() async throws {
        let client = try await sharedClient()
        let prefix = uniquePrefix()
        let key = prefix + "/services/agent/team-a.adopt"
        let (first, _) = makeRegistry(client: client, prefix: prefix)
        guard case .registered(let oldLease) = try await first.register(testDescriptor("team-a.adopt", ttl: 10)) else {
            return XCTFail()
        }
        let original = try await client.get(key)
        await first.shutdown()  // an operator restart: keys stay, nobody renews them

        let (second, events) = makeRegistry(client: client, prefix: prefix)
        let status = try await second.register(testDescriptor("team-a.adopt", ttl: 10))
        guard case .registered(let newLease) = status else { return XCTFail("\(status)") }
        XCTAssertNotEqual(newLease, oldLease)
        let adopted = try await client.get(key)
        XCTAssertEqual(adopted?.lease, newLease)
        XCTAssertEqual(adopted?.createRevision, original?.createRevision, "the key was never deleted")
        XCTAssertEqual(try ParallaxAgentRecord.decode(try XCTUnwrap(adopted).value).registeredAt,
                       try ParallaxAgentRecord.decode(try XCTUnwrap(original).value).registeredAt,
                       "registeredAt survives the takeover")
        let sawRegistered = await eventually { events.registered == ["team-a.adopt"] }
        XCTAssertTrue(sawRegistered, "events: \(events.items)")
        let oldRevoked = await eventually { (try? await client.leaseTimeToLive(oldLease).exists) == false }
        XCTAssertTrue(oldRevoked, "the previous process's lease is revoked")
    }

    func testAnotherIdentityIsAConflict() async throws {
        let client = try await sharedClient()
        let prefix = uniquePrefix()
        let (clusterA, _) = makeRegistry(client: client, prefix: prefix, identity: "agent-runtime/cluster-a")
        let (clusterB, eventsB) = makeRegistry(client: client, prefix: prefix, identity: "agent-runtime/cluster-b")
        guard case .registered(let lease) = try await clusterA.register(testDescriptor("shared.id", ttl: 10)) else {
            return XCTFail()
        }
        let status = try await clusterB.register(testDescriptor("shared.id", ttl: 10))
        XCTAssertEqual(status, .conflict(ownerLease: lease))
        let sawConflict = await eventually { eventsB.conflicts == [lease] }
        XCTAssertTrue(sawConflict, "events: \(eventsB.items)")
        let kv = try await client.get(prefix + "/services/agent/shared.id")
        XCTAssertEqual(kv?.lease, lease)
    }

    func testAKeyOverwrittenBySomeoneElseIsNotTakenBack() async throws {
        let client = try await sharedClient()
        let prefix = uniquePrefix()
        let key = prefix + "/services/agent/team-a.stolen"
        let (registry, events) = makeRegistry(client: client, prefix: prefix)
        guard case .registered(let lease) = try await registry.register(testDescriptor("team-a.stolen", ttl: 10)) else {
            return XCTFail()
        }
        try await client.put(key, #"{"owner":"someone else"}"#)
        let conflict = await eventually { events.conflicts == [0] }
        XCTAssertTrue(conflict, "\(events.items)")
        let value = try await client.get(key)?.valueString
        XCTAssertEqual(value, #"{"owner":"someone else"}"#)
        let revoked = await eventually { (try? await client.leaseTimeToLive(lease).exists) == false }
        XCTAssertTrue(revoked, "our lease, now holding nothing, is revoked")
        let status = await registry.info("team-a.stolen")?.status
        XCTAssertEqual(status, .conflict(ownerLease: 0))
    }
}
