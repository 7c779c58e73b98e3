import XCTest

@testable import RuntimeCore

/// Request helpers: query decoding, headers, bearer tokens.
final class HTTPMessagesTests: XCTestCase {
    func testQueryDecoding() {
        let q = HTTPRequest.parseQuery("tail=20&name=a+b&word=%E4%B8%AD%2Fx&pct=100%25&flag&empty=")
        XCTAssertEqual(q.map(\.name), ["tail", "name", "word", "pct", "flag", "empty"])
        XCTAssertEqual(q.map(\.value), ["20", "a b", "中/x", "100%", "", ""])
    }

    func testMalformedEscapesAreKeptAsText() {
        XCTAssertEqual(HTTPRequest.percentDecode("50%"), "50%")
        XCTAssertEqual(HTTPRequest.percentDecode("%zz+1"), "%zz 1")
        XCTAssertEqual(HTTPRequest.percentDecode("%FF%FE"), "%FF%FE", "not UTF-8")
    }

    func testHeadersAndBearerToken() {
        let r = HTTPRequest(method: "GET", path: "/", headers: ["authorization": "Bearer  abc ", "content-type": "Application/JSON; charset=utf-8"])
        XCTAssertEqual(r.bearerToken, "abc")
        XCTAssertEqual(r.contentType, "application/json")
        XCTAssertNil(HTTPRequest(method: "GET", path: "/", headers: ["authorization": "Basic eA=="]).bearerToken)
    }
}
