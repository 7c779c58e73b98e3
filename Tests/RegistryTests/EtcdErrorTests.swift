import Foundation
import XCTest

@testable import Registry

final class EtcdErrorTests: XCTestCase {
    func testGatewayErrorBodiesMapToCases() {
        func map(_ status: Int, _ body: String) -> EtcdError { .fromGateway(status: status, body: Data(body.utf8)) }
        XCTAssertEqual(map(401, #"{"error":"etcdserver: invalid auth token","message":"etcdserver: invalid auth token","code":16}"#),
                       .authenticationFailed("etcdserver: invalid auth token"))
        XCTAssertEqual(map(400, #"{"error":"x","message":"etcdserver: user name is empty","code":3}"#),
                       .authenticationFailed("etcdserver: user name is empty"))
        XCTAssertEqual(map(403, #"{"message":"etcdserver: permission denied","code":7}"#),
                       .permissionDenied("etcdserver: permission denied"))
        XCTAssertEqual(map(400, #"{"message":"etcdserver: mvcc: required revision has been compacted","code":11}"#),
                       .compacted(compactRevision: 0))
        XCTAssertEqual(map(503, "upstream down"), .server(code: 14, message: "upstream down", httpStatus: 503))
        XCTAssertTrue(map(503, "x").isTransient)
        XCTAssertFalse(map(404, #"{"message":"etcdserver: requested lease not found","code":5}"#).isTransient)
    }

    func testDescriptionsAreOneLine() {
        let all: [EtcdError] = [
            .unavailable(endpoints: ["http://a:1", "http://b:2"], reason: "connection failed"),
            .timedOut(endpoint: "http://a:1", path: "/v3/kv/range"), .tls(endpoint: "https://a", reason: "bad cert"),
            .authenticationFailed("x"), .permissionDenied("y"), .leaseNotFound(255), .compacted(compactRevision: 4),
            .server(code: 9, message: "m", httpStatus: 412), .invalidResponse("z"), .invalidConfiguration("c"), .cancelled,
        ]
        for e in all {
            XCTAssertTrue(e.description.hasPrefix("etcd"), e.description)
            XCTAssertFalse(e.description.contains("\n"))
        }
        XCTAssertEqual(EtcdError.leaseNotFound(255).description, "etcd lease 255 (ff) not found")
        XCTAssertEqual(EtcdError.server(code: 9, message: "m", httpStatus: 412).description,
                       "etcd error 9 (FailedPrecondition, HTTP 412): m")
    }
}
