import Foundation
import RuntimeCore
import XCTest

@testable import KubeClient

final class KubeErrorTests: XCTestCase {
    func error(_ code: Int, _ reason: String, _ message: String = "m") -> KubeError {
        KubeError.fromResponse(code: code, body: statusJSON(code, reason, message).data())
    }

    func testHelpers() {
        XCTAssertTrue(error(404, "NotFound").isNotFound)
        XCTAssertTrue(error(409, "AlreadyExists").isAlreadyExists)
        XCTAssertFalse(error(409, "AlreadyExists").isConflict)
        XCTAssertTrue(error(409, "Conflict").isConflict)
        XCTAssertTrue(error(410, "Gone").isGone)
        XCTAssertTrue(error(410, "Expired").isGone)
        XCTAssertTrue(error(410, "Expired").isExpired)
        XCTAssertTrue(error(422, "Invalid").isInvalid)
        XCTAssertTrue(error(403, "Forbidden").isForbidden)
        XCTAssertTrue(error(401, "Unauthorized").isUnauthorized)
        XCTAssertTrue(error(400, "BadRequest").isBadRequest)
        XCTAssertTrue(error(405, "MethodNotAllowed").isMethodNotAllowed)
        XCTAssertTrue(error(429, "TooManyRequests").isTooManyRequests)
        XCTAssertTrue(error(504, "Timeout").isTimeout)
        XCTAssertTrue(error(504, "ServerTimeout").isServerTimeout)
        XCTAssertTrue(error(500, "InternalError").isInternalError)
        XCTAssertTrue(KubeError.transport(.timedOut("x")).isTransport)
        XCTAssertTrue(KubeError.cancelled.isCancelled)
        XCTAssertFalse(KubeError.cancelled.isNotFound)
        XCTAssertNil(KubeError.cancelled.code)
    }

    func testStatusWithoutReasonFallsBackToCode() {
        let e = KubeError.fromResponse(code: 404, body: Data(#"{"kind":"Status","message":"nope"}"#.utf8))
        XCTAssertTrue(e.isNotFound)
        XCTAssertEqual(e.status?.code, 404)
        let html = KubeError.fromResponse(code: 502, body: Data("<html>\n<body>Bad Gateway</body>\n</html>".utf8))
        XCTAssertEqual(html.code, 502)
        XCTAssertEqual(html.description, "kube api 502 <html> <body>Bad Gateway</body> </html>")
        XCTAssertEqual(KubeError.fromResponse(code: 500, body: Data()).description, "kube api 500 InternalError: HTTP 500")
    }

    func testInvalidCarriesCausesAndRetryHints() {
        var s = statusJSON(422, "Invalid", "AgentSession \"x\" is invalid")
        s["details"] = ["causes": [["reason": "FieldValueRequired", "message": "Required value", "field": "spec.agentType"]],
                        "retryAfterSeconds": 3]
        let e = KubeError.fromResponse(code: 422, body: s.data())
        XCTAssertEqual(e.causes.first?.field, "spec.agentType")
        XCTAssertEqual(e.retryAfterSeconds, 3)
        XCTAssertEqual(e.message, "AgentSession \"x\" is invalid")
        XCTAssertEqual(e.description, "kube api 422 Invalid: AgentSession \"x\" is invalid")
    }

    func testDescriptionsAreOneLine() {
        let all: [KubeError] = [
            error(404, "NotFound", "pods \"x\"\nnot found"), .transport(.connectionFailed("refused")), .decoding("bad"),
            .invalidRequest("r"), .credentials("c"), .cancelled,
        ]
        for e in all { XCTAssertFalse(e.description.contains("\n"), e.description) }
        XCTAssertEqual(error(404, "NotFound", "pods \"x\" not found").description, "kube api 404 NotFound: pods \"x\" not found")
    }
}
