import Foundation
import RuntimeCore
import XCTest

@testable import KubeClient

final class StatusTests: XCTestCase {
    func testDecodesStatusWithCauses() throws {
        let s = try JSON.parse("""
            {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
             "message": "AgentSession.parallax.ai \\"x\\" is invalid: spec.agentType: Unsupported value: \\"vim\\"",
             "reason": "Invalid", "code": 422,
             "details": {"name": "x", "group": "parallax.ai", "kind": "AgentSession",
                         "causes": [{"reason": "FieldValueNotSupported", "message": "Unsupported value: \\"vim\\"", "field": "spec.agentType"}]}}
            """).decode(Status.self)
        XCTAssertEqual(s.reason, .invalid)
        XCTAssertEqual(s.code, 422)
        XCTAssertEqual(s.details?.causes?.first?.field, "spec.agentType")
        XCTAssertEqual(s.description, "Invalid: AgentSession.parallax.ai \"x\" is invalid: spec.agentType: Unsupported value: \"vim\"")
        XCTAssertFalse(s.isSuccess)
        let unknown = try JSON.parse(#"{"reason": "SomethingNew", "code": 499}"#).decode(Status.self)
        XCTAssertEqual(unknown.reason?.rawValue, "SomethingNew")
    }

    func testReasonForCode() {
        XCTAssertEqual(StatusReason.forCode(404), .notFound)
        XCTAssertEqual(StatusReason.forCode(409), .conflict)
        XCTAssertEqual(StatusReason.forCode(410), .gone)
        XCTAssertEqual(StatusReason.forCode(429), .tooManyRequests)
        XCTAssertEqual(StatusReason.forCode(504), .timeout)
        XCTAssertEqual(StatusReason.forCode(418), .unknown)
    }

    func testConditionSetMovesTransitionTimeOnlyOnStatusChange() {
        let t0 = Time(rfc3339: "2024-01-01T00:00:00Z")!
        let t1 = Time(rfc3339: "2024-01-01T01:00:00Z")!
        var conds: [Condition] = []
        XCTAssertTrue(conds.set(Condition(type: "Ready", status: "False", observedGeneration: 1, reason: "Starting"), now: t0))
        XCTAssertEqual(conds.condition("Ready")?.lastTransitionTime, t0)
        XCTAssertFalse(conds.set(Condition(type: "Ready", status: "False", observedGeneration: 1, reason: "Starting"), now: t1),
                       "no change, no write")
        XCTAssertTrue(conds.set(Condition(type: "Ready", status: "False", observedGeneration: 2, reason: "PodPending", message: "m"), now: t1))
        XCTAssertEqual(conds.condition("Ready")?.lastTransitionTime, t0, "same status keeps the transition time")
        XCTAssertTrue(conds.set(Condition(type: "Ready", status: "True", observedGeneration: 2, reason: "Ready"), now: t1))
        XCTAssertEqual(conds.condition("Ready")?.lastTransitionTime, t1)
        XCTAssertTrue(conds.isTrue("Ready"))
        XCTAssertFalse(conds.isTrue("Registered"))
        XCTAssertTrue(conds.remove("Ready"))
        XCTAssertFalse(conds.remove("Ready"))
    }

    func testConditionCodable() throws {
        let c = try JSON.parse(#"{"type": "PodReady", "status": "True", "lastTransitionTime": "2024-01-01T00:00:00Z"}"#).decode(Condition.self)
        XCTAssertEqual(c.reason, "")
        XCTAssertEqual(try JSON(encoding: c), ["type": "PodReady", "status": "True", "lastTransitionTime": "2024-01-01T00:00:00Z",
                                              "reason": "", "message": ""])
    }
}
