import Foundation
import RuntimeCore
import XCTest

@testable import Registry

final class EtcdKVTests: XCTestCase {
    func testPutGetAndPrevKV() async throws {
        let client = try await sharedClient()
        let p = uniquePrefix()
        let first = try await client.put(p + "/a", "one", prevKV: true)
        XCTAssertNil(first.prevKV, "a new key has no previous value")
        XCTAssertGreaterThan(first.header.revision, 0)
        let second = try await client.put(p + "/a", "two", prevKV: true)
        XCTAssertEqual(second.prevKV?.valueString, "one")
        XCTAssertEqual(second.header.revision, first.header.revision + 1)

        let kvFound = try await client.get(p + "/a")
        let kv = try XCTUnwrap(kvFound)
        XCTAssertEqual(kv.key, p + "/a")
        XCTAssertEqual(kv.valueString, "two")
        XCTAssertEqual(kv.createRevision, first.header.revision)
        XCTAssertEqual(kv.modRevision, second.header.revision)
        XCTAssertEqual(kv.version, 2)
        XCTAssertEqual(kv.lease, 0, "the gateway omits lease 0; it reads back as 0")
        let missing = try await client.get(p + "/missing")
        XCTAssertNil(missing)
    }

    func testUnicodeKeysAndBinaryValuesRoundTripThroughBase64() async throws {
        let client = try await sharedClient()
        let key = uniquePrefix() + "/ägent-ü/日本"
        let bytes = Data([0, 1, 2, 0xff, 0xfe, 10, 13])
        try await client.put(EtcdPutRequest(key: key, value: bytes))
        let kvFound = try await client.get(key)
        let kv = try XCTUnwrap(kvFound)
        XCTAssertEqual(kv.key, key)
        XCTAssertEqual(kv.value, bytes)
        // An empty value is omitted by the gateway and must read back as empty, not fail.
        try await client.put(key, "")
        let empty = try await client.get(key)
        XCTAssertEqual(empty?.value, Data())
    }

    func testPrefixRangeLimitKeysOnlyCountOnly() async throws {
        let client = try await sharedClient()
        let p = uniquePrefix()
        for i in 0..<5 { try await client.put("\(p)/k\(i)", "v\(i)") }
        try await client.put(p + "0", "outside the prefix")  // '0' sorts right after '/', must not match

        let all = try await client.getPrefix(p + "/")
        XCTAssertEqual(all.kvs.map(\.key), (0..<5).map { "\(p)/k\($0)" })
        XCTAssertEqual(all.count, 5)
        XCTAssertFalse(all.more)

        let limited = try await client.range(.prefix(p + "/", limit: 2))
        XCTAssertEqual(limited.kvs.count, 2)
        XCTAssertTrue(limited.more)
        XCTAssertEqual(limited.count, 5)

        let keysOnly = try await client.range(.prefix(p + "/", keysOnly: true))
        XCTAssertEqual(keysOnly.kvs.count, 5)
        XCTAssertTrue(keysOnly.kvs.allSatisfy { $0.value.isEmpty })

        let countOnly = try await client.range(.prefix(p + "/", countOnly: true))
        XCTAssertEqual(countOnly.count, 5)
        XCTAssertTrue(countOnly.kvs.isEmpty)
    }

    func testRangeAtRevisionAndCompactedRevision() async throws {
        let client = try await sharedClient()
        let key = uniquePrefix() + "/history"
        let r1 = try await client.put(key, "old")
        try await client.put(key, "new")
        let past = try await client.range(EtcdRangeRequest(key: key, revision: r1.header.revision))
        XCTAssertEqual(past.kvs.first?.valueString, "old")

        let r3 = try await client.put(key, "newest")
        try await client.compact(revision: r3.header.revision)
        do {
            _ = try await client.range(EtcdRangeRequest(key: key, revision: r1.header.revision))
            XCTFail("reading a compacted revision must fail")
        } catch {
            guard case .compacted = error else { return XCTFail("expected .compacted, got \(error)") }
            XCTAssertTrue(error.description.contains("compacted"))
        }
    }

    func testDeleteKeyAndPrefixWithPrevKVs() async throws {
        let client = try await sharedClient()
        let p = uniquePrefix()
        for i in 0..<3 { try await client.put("\(p)/d\(i)", "v\(i)") }
        let none = try await client.delete(p + "/nothing")
        XCTAssertEqual(none, 0, "deleted: 0 is omitted by the gateway and reads back as 0")
        let one = try await client.delete(EtcdDeleteRequest(key: p + "/d0", prevKV: true))
        XCTAssertEqual(one.deleted, 1)
        XCTAssertEqual(one.prevKVs.map(\.valueString), ["v0"])
        let rest = try await client.delete(.prefix(p + "/", prevKV: true))
        XCTAssertEqual(rest.deleted, 2)
        XCTAssertEqual(Set(rest.prevKVs.map(\.key)), ["\(p)/d1", "\(p)/d2"])
        let after = try await client.getPrefix(p + "/")
        XCTAssertTrue(after.kvs.isEmpty)
    }
}
