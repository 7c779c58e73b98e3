import Foundation
import XCTest
import RuntimeCore
@testable import KubeEmulator

final class APIErrorTests: XCTestCase {
    func testStatusShape() {
        let e = APIError.notFound(Fixtures.pods, name: "x")
        XCTAssertEqual(e.status, [
            "kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Failure",
            "message": "pods \"x\" not found", "reason": "NotFound", "details": ["name": "x", "kind": "pods"], "code": 404,
        ])
    }

    func testGroupedResourceMessages() throws {
        let (_, ags) = try Fixtures.storeWithCRD()
        XCTAssertEqual(APIError.notFound(ags, name: "x").message, "agentsessions.parallax.ai \"x\" not found")
        XCTAssertEqual(APIError.alreadyExists(ags, name: "x").status["details"], ["name": "x", "group": "parallax.ai", "kind": "agentsessions"])
    }

    func testInvalidAggregatesMessagesAndKeepsCauses() {
        let one = APIError.invalid(Fixtures.pods, name: "p", [FieldError(.required, "spec.containers")])
        XCTAssertEqual(one.message, "Pod \"p\" is invalid: spec.containers: Required value")
        let two = APIError.invalid(Fixtures.pods, name: "p", [
            FieldError(.required, "spec.containers"),
            FieldError(.invalid, "metadata.name", value: "A", detail: "bad"),
            FieldError(.required, "spec.containers"),
        ])
        XCTAssertEqual(two.message, "Pod \"p\" is invalid: [spec.containers: Required value, metadata.name: Invalid value: \"A\": bad]")
        XCTAssertEqual(two.causes.count, 3)
        XCTAssertEqual(two.status["details"]["causes"][1], ["reason": "FieldValueInvalid", "message": "Invalid value: \"A\": bad", "field": "metadata.name"])
        XCTAssertEqual(two.status["details"]["kind"], "Pod")
        XCTAssertEqual(two.code, 422)
    }

    func testFieldErrorBodies() {
        XCTAssertEqual(FieldError(.invalid, "f", value: 5, detail: "d").body, "Invalid value: 5: d")
        XCTAssertEqual(FieldError(.invalid, "f", value: 1.5, detail: "d").body, "Invalid value: 1.5: d")
        XCTAssertEqual(FieldError(.invalid, "f", value: .null, detail: "d").body, "Invalid value: \"null\": d")
        XCTAssertEqual(FieldError(.invalid, "f", value: "a\"b\n", detail: "d").body, "Invalid value: \"a\\\"b\\n\": d")
        XCTAssertEqual(FieldError(.tooLong, "f", value: "xxxx", detail: "may not be longer than 3").body, "Too long: may not be longer than 3")
        XCTAssertEqual(FieldError(.forbidden, "f", detail: "nope").description, "f: Forbidden: nope")
        XCTAssertEqual(FieldError(.duplicate, "f", value: "a").body, "Duplicate value: \"a\"")
        XCTAssertEqual(FieldError.notSupported("f", "x", ["a", "b"]).body, "Unsupported value: \"x\": supported values: \"a\", \"b\"")
    }

    func testOtherConstructors() {
        XCTAssertEqual(APIError.expired("too old").status["reason"], "Expired")
        XCTAssertEqual(APIError.expired("too old").code, 410)
        XCTAssertEqual(APIError.unsupportedPatch().code, 415)
        XCTAssertEqual(APIError.methodNotAllowed("no").reason, "MethodNotAllowed")
        XCTAssertEqual(APIError.badRequest("b").status["details"], .null)
        XCTAssertEqual(APIError(code: 429, reason: "TooManyRequests", message: "slow down", retryAfterSeconds: 2).status["details"],
                       ["retryAfterSeconds": 2])
        XCTAssertEqual(APIError.successStatus(Fixtures.secrets, name: "s", uid: "u"),
                       ["kind": "Status", "apiVersion": "v1", "metadata": [:], "status": "Success",
                        "details": ["name": "s", "kind": "secrets", "uid": "u"]])
    }
}
