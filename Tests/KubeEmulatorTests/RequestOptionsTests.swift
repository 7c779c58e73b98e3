import Foundation
import XCTest
import RuntimeCore
@testable import KubeEmulator

final class RequestOptionsTests: XCTestCase {
    func testWriteOptions() throws {
        let o = try WriteOptions(query: ["dryRun": "All", "fieldManager": "kubectl", "fieldValidation": "Strict"])
        XCTAssertTrue(o.dryRun)
        XCTAssertEqual(o.fieldManager, "kubectl")
        XCTAssertEqual(o.fieldValidation, .strict)
        XCTAssertEqual(try WriteOptions(query: [:]).fieldValidation, .warn)
        assertAPIError(400) { try WriteOptions(query: ["dryRun": "Some"]) }
        assertAPIError(400) { try WriteOptions(query: ["fieldValidation": "Loose"]) }
    }

    func testDeleteOptionsFromQueryAndBody() throws {
        let q = try DeleteOptions(query: ["propagationPolicy": "Foreground", "gracePeriodSeconds": "5"], body: nil)
        XCTAssertEqual(q.propagationPolicy, .foreground)
        XCTAssertEqual(q.gracePeriodSeconds, 5)
        let b = try DeleteOptions(query: [:], body: [
            "kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Orphan", "gracePeriodSeconds": 0,
            "preconditions": ["uid": "u", "resourceVersion": "7"], "dryRun": ["All"],
        ])
        XCTAssertEqual(b.propagationPolicy, .orphan)
        XCTAssertEqual(b.gracePeriodSeconds, 0)
        XCTAssertEqual(b.preconditionUID, "u")
        XCTAssertEqual(b.preconditionResourceVersion, "7")
        XCTAssertTrue(b.dryRun)
        XCTAssertEqual(try DeleteOptions(query: ["orphanDependents": "true"], body: nil).propagationPolicy, .orphan)
        let e = assertAPIError(422) { try DeleteOptions(query: ["propagationPolicy": "Sideways"], body: nil) }
        XCTAssertEqual(e?.causes.first?.field, "propagationPolicy")
    }

    func testListResultJSON() {
        let r = ListResult(items: [["metadata": ["name": "a"]]], resourceVersion: "5", continueToken: "t", remainingItemCount: 2)
        XCTAssertEqual(r.json(for: Fixtures.pods), [
            "kind": "PodList", "apiVersion": "v1",
            "metadata": ["resourceVersion": "5", "continue": "t", "remainingItemCount": 2],
            "items": [["metadata": ["name": "a"]]],
        ])
    }
}
