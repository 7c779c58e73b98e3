import AgentTestSupport
import Foundation
import RuntimeCore
import XCTest

@testable import Registry

final class EtcdLeaseTests: XCTestCase {
    func testGrantKeepAliveTimeToLiveRevoke() async throws {
        let client = try await sharedClient()
        let key = uniquePrefix() + "/leased"
        let grant = try await client.grantLease(ttl: 20)
        XCTAssertNotEqual(grant.id, 0)
        XCTAssertEqual(grant.ttl, 20)
        try await client.put(EtcdPutRequest(key: key, value: Data("x".utf8), lease: grant.id))
        let kv = try await client.get(key)
        XCTAssertEqual(kv?.lease, grant.id)

        let ttl = try await client.keepAlive(lease: grant.id)
        XCTAssertEqual(ttl, 20)
        let info = try await client.leaseTimeToLive(grant.id, keys: true)
        XCTAssertTrue(info.exists)
        XCTAssertEqual(info.grantedTTL, 20)
        XCTAssertGreaterThan(info.ttl, 15)
        XCTAssertEqual(info.keys, [key])
        let all = try await client.leases()
        XCTAssertTrue(all.contains(grant.id))

        try await client.revokeLease(grant.id)
        let gone = try await client.get(key)
        XCTAssertNil(gone, "revoking a lease deletes its keys")
        let after = try await client.leaseTimeToLive(grant.id)
        XCTAssertFalse(after.exists)
        XCTAssertEqual(after.ttl, -1)
        do {
            try await client.revokeLease(grant.id)
            XCTFail("revoking twice must fail")
        } catch {
            XCTAssertEqual(error, .leaseNotFound(grant.id))
        }
    }

    func testKeepAliveNoticesALostLease() async throws {
        let client = try await sharedClient()
        let grant = try await client.grantLease(ttl: 10)
        try await client.revokeLease(grant.id)
        do {
            try await client.keepAlive(lease: grant.id)
            XCTFail("renewing a revoked lease must report it lost")
        } catch {
            XCTAssertEqual(error, .leaseNotFound(grant.id))
            XCTAssertTrue(error.description.contains("not found"))
        }
    }

    func testLeaseExpiresWithoutKeepAliveAndTakesItsKey() async throws {
        let client = try await sharedClient()
        let key = uniquePrefix() + "/expiring"
        let grant = try await client.grantLease(ttl: 1)
        try await client.put(EtcdPutRequest(key: key, value: Data("x".utf8), lease: grant.id))
        let expired = try await eventually(.seconds(5)) { try await client.get(key) == nil }
        XCTAssertTrue(expired, "the key must vanish when its lease expires")
        let results = try await client.keepAlive(leases: [grant.id])
        XCTAssertEqual(results[grant.id], 0, "etcd answers without TTL for an expired lease")
    }

    func testBatchedKeepAliveRenewsManyLeasesInOneRequest() async throws {
        let client = try await sharedClient()
        var alive: [Int64] = []
        for _ in 0..<50 { alive.append(try await client.grantLease(ttl: 30).id) }
        let dead = try await client.grantLease(ttl: 30).id
        try await client.revokeLease(dead)
        let before = client.statistics.requestsByPath["/v3/lease/keepalive"] ?? 0
        let results = try await client.keepAlive(leases: alive + [dead])
        let requests = (client.statistics.requestsByPath["/v3/lease/keepalive"] ?? 0) - before
        // One request when etcd's gateway reads the whole body before answering; when it cuts the body
        // short, each follow-up still carries at least the 18 renewals of its first 512 bytes.
        XCTAssertGreaterThanOrEqual(requests, 1)
        XCTAssertLessThanOrEqual(requests, 3, "51 renewals")
        XCTAssertEqual(results.count, 51, "every lease answered")
        for id in alive { XCTAssertEqual(results[id], 30) }
        XCTAssertEqual(results[dead], 0)
        for id in alive { try await client.revokeLease(id) }
    }

    func testLargeBatchesAreAnsweredCompletelyEvenWhenTheGatewayCutsTheBody() async throws {
        let client = try await sharedClient()
        var granted: [Int64] = []
        for _ in 0..<300 { granted.append(try await client.grantLease(ttl: 60).id) }
        let ids = granted
        addTeardownBlock { for id in ids { try? await client.revokeLease(id) } }
        for _ in 0..<10 {
            let results = try await client.keepAlive(leases: ids)
            XCTAssertEqual(results.count, 300)
            XCTAssertTrue(results.values.allSatisfy { $0 == 60 })
        }
    }

    func testGrantWithChosenIdAndDuplicate() async throws {
        let client = try await sharedClient()
        let ownership = LeaseOwnership(identity: "test-\(UUID())")
        let id = ownership.newLeaseId(for: "agent")
        let grant = try await client.grantLease(ttl: 5, id: id)
        XCTAssertEqual(grant.id, id)
        XCTAssertTrue(ownership.owns(lease: grant.id, agentId: "agent"))
        do {
            _ = try await client.grantLease(ttl: 5, id: id)
            XCTFail("a taken id must be refused")
        } catch {
            guard case .server(let code, let message, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(code, GRPCCode.failedPrecondition)
            XCTAssertTrue(message.contains("exists"), message)
        }
        try await client.revokeLease(id)
    }
}
