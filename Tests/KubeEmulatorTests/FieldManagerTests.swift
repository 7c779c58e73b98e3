import Foundation
import XCTest
import RuntimeCore
@testable import KubeEmulator

final class FieldManagerTests: XCTestCase {
    private func apply(_ s: APIStore, _ r: ResourceInfo, _ body: JSON, manager: String, force: Bool = false,
                       subresource: String? = nil) throws -> WriteResult {
        try s.patch(r, namespace: "default", name: body.name, type: .apply(fieldManager: manager, force: force), body: body,
                    subresource: subresource)
    }

    func testApplyCreatesThenUpdates() throws {
        let (s, ags) = try Fixtures.storeWithCRD()
        let first = try apply(s, ags, Fixtures.session("x"), manager: "op")
        XCTAssertTrue(first.created)
        XCTAssertEqual(first.object["spec"]["workdir"], "/workspace")
        let again = try apply(s, ags, Fixtures.session("x"), manager: "op")
        XCTAssertFalse(again.created)
        XCTAssertEqual(again.object.resourceVersion, first.object.resourceVersion, "re-applying the same intent writes nothing")
        let changed = try apply(s, ags, Fixtures.session("x", agentType: "claude"), manager: "op")
        XCTAssertEqual(changed.object["spec"]["agentType"], "claude")
        XCTAssertEqual(changed.object.metadata["generation"], 2)
    }

    func testConflictsBetweenManagersAndForce() throws {
        let (s, ags) = try Fixtures.storeWithCRD()
        _ = try apply(s, ags, Fixtures.session("x", extra: ["workdir": "/a"]), manager: "alice")
        let e = assertAPIError(409, "Conflict") {
            try self.apply(s, ags, Fixtures.session("x", extra: ["workdir": "/b"]), manager: "bob")
        }
        XCTAssertEqual(e?.causes, [APIError.Cause(reason: "FieldManagerConflict", message: "conflict with \"alice\"", field: ".spec.workdir")])
        XCTAssertEqual(e?.message, "Apply failed with 1 conflict: conflict with \"alice\": .spec.workdir")
        // Same value: shared ownership, no conflict.
        XCTAssertNoThrow(try apply(s, ags, Fixtures.session("x", extra: ["workdir": "/a"]), manager: "carol"))
        // Force takes the field over.
        let forced = try apply(s, ags, Fixtures.session("x", extra: ["workdir": "/b"]), manager: "bob", force: true)
        XCTAssertEqual(forced.object["spec"]["workdir"], "/b")
        let back = assertAPIError(409) { try self.apply(s, ags, Fixtures.session("x", extra: ["workdir": "/a"]), manager: "alice") }
        XCTAssertEqual(back?.causes.first?.message, "conflict with \"bob\"")
    }

    func testSeveralConflictsAreListedPerManager() throws {
        let (s, ags) = try Fixtures.storeWithCRD()
        _ = try apply(s, ags, Fixtures.session("x", extra: ["workdir": "/a", "displayName": "a"]), manager: "alice")
        let e = assertAPIError(409) {
            try self.apply(s, ags, Fixtures.session("x", agentType: "claude", extra: ["workdir": "/b", "displayName": "b"]), manager: "bob")
        }
        XCTAssertEqual(e?.causes.map(\.field), [".spec.agentType", ".spec.displayName", ".spec.workdir"])
        XCTAssertEqual(e?.message, "Apply failed with 3 conflicts: conflicts with \"alice\":\n- .spec.agentType\n- .spec.displayName\n- .spec.workdir")
    }

    func testFieldsDroppedFromTheIntentAreRemoved() throws {
        let (s, ags) = try Fixtures.storeWithCRD()
        var body = Fixtures.session("x", extra: ["displayName": "shown", "env": [["name": "A", "value": "1"], ["name": "B", "value": "2"]]])
        body.metadata["labels"] = ["keep": "1", "drop": "1"]
        _ = try apply(s, ags, body, manager: "op")
        var smaller = Fixtures.session("x", extra: ["env": [["name": "A", "value": "1"]]])
        smaller.metadata["labels"] = ["keep": "1"]
        let r = try apply(s, ags, smaller, manager: "op").object
        XCTAssertEqual(r.labels, ["keep": "1"])
        XCTAssertTrue(r["spec"]["displayName"].isNull)
        XCTAssertEqual(r["spec"]["env"], [["name": "A", "value": "1"]])
        XCTAssertEqual(r["spec"]["workdir"], "/workspace", "defaulted fields nobody applied stay")
    }

    func testFieldsOwnedByAnotherManagerSurviveRemoval() throws {
        let (s, ags) = try Fixtures.storeWithCRD()
        _ = try apply(s, ags, Fixtures.session("x", extra: ["displayName": "d"]), manager: "alice")
        _ = try apply(s, ags, Fixtures.session("x", extra: ["displayName": "d"]), manager: "bob")
        let r = try apply(s, ags, Fixtures.session("x"), manager: "alice").object
        XCTAssertEqual(r["spec"]["displayName"], "d")
    }

    func testUpdatesTakeOwnershipAndConflictWithAppliers() throws {
        let (s, ags) = try Fixtures.storeWithCRD()
        _ = try apply(s, ags, Fixtures.session("x", extra: ["workdir": "/a"]), manager: "op")
        _ = try s.patch(ags, namespace: "default", name: "x", type: .merge, body: ["spec": ["workdir": "/edited"]],
                        options: WriteOptions(fieldManager: "kubectl-edit"))
        let e = assertAPIError(409) { try self.apply(s, ags, Fixtures.session("x", extra: ["workdir": "/a"]), manager: "op") }
        XCTAssertEqual(e?.causes.first?.message, "conflict with \"kubectl-edit\" using parallax.ai/v1alpha1")
        // The applier lost the field, so leaving it out no longer removes the edit.
        let r = try apply(s, ags, Fixtures.session("x"), manager: "op").object
        XCTAssertEqual(r["spec"]["workdir"], "/edited")
    }

    func testApplyOnBuiltinsMergesKeyedLists() throws {
        let s = Fixtures.store()
        var pod = Fixtures.pod("p")
        pod["spec"]["containers"] = [["name": "a", "image": "a:1"]]
        _ = try apply(s, Fixtures.pods, pod, manager: "op")
        var sidecar = Fixtures.pod("p")
        sidecar["spec"]["containers"] = [["name": "a", "image": "a:1"]]
        _ = try apply(s, Fixtures.pods, sidecar, manager: "other")
        let got = try s.get(Fixtures.pods, namespace: "default", name: "p")
        XCTAssertEqual(got["spec"]["containers"].arrayValue?.count, 1)
        XCTAssertEqual(got["spec"]["containers"][0]["terminationMessagePath"], "/dev/termination-log")
    }

    func testStatusApply() throws {
        let (s, ags) = try Fixtures.storeWithCRD()
        _ = try apply(s, ags, Fixtures.session("x"), manager: "op")
        var status = Fixtures.session("x", agentType: "claude")
        status["status"] = ["phase": "Ready"]
        let r = try apply(s, ags, status, manager: "op-status", subresource: "status").object
        XCTAssertEqual(r["status"]["phase"], "Ready")
        XCTAssertEqual(r["spec"]["agentType"], "codex")
        assertAPIError(404) { try self.apply(s, ags, Fixtures.session("y"), manager: "op", subresource: "status") }
    }

    func testApplyRequirements() throws {
        let (s, ags) = try Fixtures.storeWithCRD()
        let e = assertAPIError(422, "Invalid") { try self.apply(s, ags, Fixtures.session("x"), manager: "") }
        XCTAssertEqual(e?.message, "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch")
        var noKind = Fixtures.session("x")
        noKind["kind"] = nil
        assertAPIError(400) { try self.apply(s, ags, noKind, manager: "op") }
        let mismatch = assertAPIError(400) {
            try s.patch(ags, namespace: "default", name: "x", type: .apply(fieldManager: "op", force: false), body: Fixtures.session("y"))
        }
        XCTAssertEqual(mismatch?.message, "the name of the object (y) does not match the name on the URL (x)")
    }

    func testPatchTypeFromContentType() {
        XCTAssertEqual(PatchType(contentType: "application/merge-patch+json; charset=utf-8"), .merge)
        XCTAssertEqual(PatchType(contentType: "application/json-patch+json"), .jsonPatch)
        XCTAssertEqual(PatchType(contentType: "application/strategic-merge-patch+json"), .strategicMerge)
        XCTAssertEqual(PatchType(contentType: "application/apply-patch+yaml", fieldManager: "m", force: true), .apply(fieldManager: "m", force: true))
        XCTAssertNil(PatchType(contentType: "text/plain"))
    }
}
