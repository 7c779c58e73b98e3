import Foundation
import RuntimeCore
import XCTest

@testable import Registry

final class EtcdTxnTests: XCTestCase {
    private func txn(_ client: EtcdClient, _ compare: EtcdCompare, key: String) async throws -> Bool {
        try await client.txn(EtcdTxnRequest(compare: [compare], success: [], failure: [])).succeeded
    }

    func testCreateRevisionZeroMeansAbsent() async throws {
        let client = try await sharedClient()
        let key = uniquePrefix() + "/k"
        let created = try await client.txn(EtcdTxnRequest(
            compare: [.absent(key)],
            success: [.put(EtcdPutRequest(key: key, value: Data("first".utf8)))],
            failure: [.range(EtcdRangeRequest(key: key))]))
        XCTAssertTrue(created.succeeded)
        XCTAssertNotNil(created.responses.first?.putResponse)

        let again = try await client.txn(EtcdTxnRequest(
            compare: [.absent(key)],
            success: [.put(EtcdPutRequest(key: key, value: Data("second".utf8)))],
            failure: [.range(EtcdRangeRequest(key: key))]))
        XCTAssertFalse(again.succeeded, "succeeded: false is omitted by the gateway and reads back as false")
        XCTAssertEqual(again.responses.first?.rangeResponse?.kvs.first?.valueString, "first")
        let value = try await client.get(key)?.valueString
        XCTAssertEqual(value, "first")
    }

    func testEveryTargetWithEveryResult() async throws {
        let client = try await sharedClient()
        let key = uniquePrefix() + "/k"
        try await client.put(key, "b")
        let put2 = try await client.put(key, "b")  // version 2
        let kvFound = try await client.get(key)
        let kv = try XCTUnwrap(kvFound)
        XCTAssertEqual(kv.version, 2)
        let lease = try await client.grantLease(ttl: 30)
        defer { Task { try? await client.revokeLease(lease.id) } }
        let mod = put2.header.revision

        let cases: [(EtcdCompare.Target, EtcdCompare.Result, Bool)] = [
            (.version(2), .equal, true), (.version(1), .equal, false), (.version(1), .notEqual, true),
            (.version(1), .greater, true), (.version(3), .less, true), (.version(2), .greater, false),
            (.createRevision(kv.createRevision), .equal, true), (.createRevision(0), .equal, false),
            (.createRevision(0), .greater, true), (.createRevision(kv.createRevision + 1), .less, true),
            (.modRevision(mod), .equal, true), (.modRevision(mod - 1), .equal, false),
            (.modRevision(mod - 1), .greater, true), (.modRevision(mod + 1), .less, true),
            (.modRevision(mod), .notEqual, false),
            (.value(Data("b".utf8)), .equal, true), (.value(Data("a".utf8)), .greater, true),
            (.value(Data("c".utf8)), .less, true), (.value(Data("x".utf8)), .notEqual, true),
            (.lease(0), .equal, true), (.lease(lease.id), .equal, false), (.lease(lease.id), .notEqual, true),
        ]
        for (target, result, expected) in cases {
            let ok = try await txn(client, EtcdCompare(key: key, target, result), key: key)
            XCTAssertEqual(ok, expected, "\(target) \(result.rawValue)")
        }

        try await client.put(EtcdPutRequest(key: key, value: Data("b".utf8), lease: lease.id))
        let leased = try await txn(client, .leased(key, to: lease.id), key: key)
        XCTAssertTrue(leased)
        let unleased = try await txn(client, EtcdCompare(key: key, .lease(0)), key: key)
        XCTAssertFalse(unleased)
    }

    func testMultipleComparesAreAndedAndBranchesRunAllOps() async throws {
        let client = try await sharedClient()
        let p = uniquePrefix()
        try await client.put(p + "/a", "1")
        let r = try await client.txn(EtcdTxnRequest(
            compare: [EtcdCompare(key: p + "/a", .value(Data("1".utf8))), .absent(p + "/b")],
            success: [.put(EtcdPutRequest(key: p + "/b", value: Data("2".utf8))),
                      .delete(EtcdDeleteRequest(key: p + "/a", prevKV: true)),
                      .range(.prefix(p + "/"))],
            failure: []))
        XCTAssertTrue(r.succeeded)
        XCTAssertEqual(r.responses.count, 3)
        XCTAssertNotNil(r.responses[0].putResponse)
        XCTAssertEqual(r.responses[1].deleteResponse?.deleted, 1)
        XCTAssertEqual(r.responses[1].deleteResponse?.prevKVs.first?.valueString, "1")
        XCTAssertEqual(r.responses[2].rangeResponse?.kvs.map(\.key), [p + "/b"])

        // One false compare fails the whole transaction; nothing of `success` runs.
        let r2 = try await client.txn(EtcdTxnRequest(
            compare: [.absent(p + "/c"), .absent(p + "/b")],
            success: [.put(EtcdPutRequest(key: p + "/c", value: Data()))],
            failure: [.range(EtcdRangeRequest(key: p + "/b"))]))
        XCTAssertFalse(r2.succeeded)
        let c = try await client.get(p + "/c")
        XCTAssertNil(c)
    }

    func testCompareOverARange() async throws {
        let client = try await sharedClient()
        let p = uniquePrefix()
        let end = EtcdEncode.prefixRangeEnd(Data((p + "/").utf8))
        let empty = try await txn(client, EtcdCompare(key: p + "/", .createRevision(0), rangeEnd: end), key: p)
        XCTAssertTrue(empty, "no key in the range")
        try await client.put(p + "/x", "1")
        let notEmpty = try await txn(client, EtcdCompare(key: p + "/", .createRevision(0), rangeEnd: end), key: p)
        XCTAssertFalse(notEmpty)
    }

    func testNestedTransactionAndLeaseRangeCompare() async throws {
        let client = try await sharedClient()
        let key = uniquePrefix() + "/nested"
        let ownership = LeaseOwnership(identity: "txn-test-\(UUID())")
        let mine = try await client.grantLease(ttl: 30, id: ownership.newLeaseId(for: "a"))
        let theirs = try await client.grantLease(ttl: 30)
        addTeardownBlock {
            try? await client.revokeLease(mine.id)
            try? await client.revokeLease(theirs.id)
        }
        // "if ours then overwrite, else if absent then create, else read": one atomic request.
        func claim(_ value: String) async throws -> EtcdTxnResponse {
            try await client.txn(EtcdTxnRequest(
                compare: ownership.ownedCompares(key: key, agentId: "a"),
                success: [.put(EtcdPutRequest(key: key, value: Data(value.utf8), lease: mine.id, prevKV: true))],
                failure: [.txn(EtcdTxnRequest(
                    compare: [.absent(key)],
                    success: [.put(EtcdPutRequest(key: key, value: Data(value.utf8), lease: mine.id))],
                    failure: [.range(EtcdRangeRequest(key: key))]))]))
        }
        let created = try await claim("1")
        XCTAssertFalse(created.succeeded)
        XCTAssertEqual(created.responses.first?.txnResponse?.succeeded, true, "absent: created by the nested branch")

        let overwritten = try await claim("2")
        XCTAssertTrue(overwritten.succeeded, "our lease is inside our range")
        XCTAssertEqual(overwritten.responses.first?.putResponse?.prevKV?.valueString, "1")

        try await client.put(EtcdPutRequest(key: key, value: Data("theirs".utf8), lease: theirs.id))
        let refused = try await claim("3")
        XCTAssertFalse(refused.succeeded)
        let nested = try XCTUnwrap(refused.responses.first?.txnResponse)
        XCTAssertFalse(nested.succeeded)
        XCTAssertEqual(nested.responses.first?.rangeResponse?.kvs.first?.lease, theirs.id)
        let value = try await client.get(key)?.valueString
        XCTAssertEqual(value, "theirs")
    }
}
