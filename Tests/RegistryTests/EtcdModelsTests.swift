import Foundation
import RuntimeCore
import XCTest

@testable import Registry

/// The gateway's JSON conventions, without a server.
final class EtcdModelsTests: XCTestCase {
    func testAbsentZeroFieldsReadAsZero() throws {
        let json = try JSON.parse(#"{"header":{"cluster_id":"15118495548433857066","raft_term":"2"},"kvs":[{"key":"Zm9v"}]}"#)
        let r = EtcdRangeResponse(json: json)
        XCTAssertEqual(r.header.clusterId, 15_118_495_548_433_857_066, "uint64 beyond Int64.max survives")
        XCTAssertEqual(r.header.revision, 0)
        XCTAssertEqual(r.count, 0)
        XCTAssertFalse(r.more)
        XCTAssertEqual(r.kvs, [EtcdKeyValue(key: "foo")])
    }

    func testInt64AsStringOrNumberAndCamelCase() throws {
        let kv = EtcdKeyValue(json: try JSON.parse(#"{"key":"YQ==","createRevision":7,"mod_revision":"9","lease":"-5"}"#))
        XCTAssertEqual(kv.createRevision, 7)
        XCTAssertEqual(kv.modRevision, 9)
        XCTAssertEqual(kv.lease, -5)
    }

    func testPrefixRangeEnd() {
        XCTAssertEqual(EtcdEncode.prefixRangeEnd(Data("/a/".utf8)), Data("/a0".utf8))
        XCTAssertEqual(EtcdEncode.prefixRangeEnd(Data([0x61, 0xff])), Data([0x62]))
        XCTAssertEqual(EtcdEncode.prefixRangeEnd(Data([0xff, 0xff])), Data([0]))
        XCTAssertEqual(EtcdEncode.prefixRangeEnd(Data()), Data([0]))
    }

    func testRequestsEncodeInt64AsStringsAndOmitDefaults() {
        let put = EtcdPutRequest(key: "k", value: Data("v".utf8), lease: Int64.max).json
        XCTAssertEqual(put["lease"], .string("9223372036854775807"))
        XCTAssertEqual(put["key"], .string("aw=="))
        XCTAssertEqual(EtcdRangeRequest(key: "k").json, ["key": "aw=="])
        let cmp = EtcdCompare(key: "k", .createRevision(0)).json
        XCTAssertEqual(cmp["target"], "CREATE")
        XCTAssertEqual(cmp["result"], "EQUAL")
        XCTAssertEqual(cmp["create_revision"], "0")
    }

    func testTxnResponseOfEmptyPutAnswer() throws {
        let json = try JSON.parse(#"{"header":{"revision":"3"},"succeeded":true,"responses":[{"response_put":{"header":{}}}]}"#)
        let r = try EtcdTxnResponse(json: json)
        XCTAssertTrue(r.succeeded)
        XCTAssertNotNil(r.responses.first?.putResponse)
        XCTAssertThrowsError(try EtcdTxnResponse(json: try JSON.parse(#"{"responses":[{"response_what":{}}]}"#)))
    }

    func testWatchResponseFlags() throws {
        let created = EtcdWatchResponse(json: try JSON.parse(#"{"header":{"revision":"5"},"created":true}"#))
        XCTAssertTrue(created.created)
        XCTAssertFalse(created.isProgressNotification)
        let compacted = EtcdWatchResponse(json: try JSON.parse(#"{"header":{},"canceled":true,"compact_revision":"6"}"#))
        XCTAssertEqual(compacted.compactRevision, 6)
        let progress = EtcdWatchResponse(json: try JSON.parse(#"{"header":{"revision":"9"}}"#))
        XCTAssertTrue(progress.isProgressNotification)
        let event = EtcdWatchEvent(json: try JSON.parse(#"{"type":"DELETE","kv":{"key":"YQ==","mod_revision":"4"}}"#))
        XCTAssertEqual(event.kind, .delete)
        XCTAssertEqual(EtcdWatchEvent(json: try JSON.parse(#"{"kv":{"key":"YQ=="}}"#)).kind, .put, "PUT is the omitted zero value")
    }
}
