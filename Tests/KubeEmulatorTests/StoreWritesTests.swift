import Foundation
import XCTest
import RuntimeCore
@testable import KubeEmulator

final class StoreWritesTests: XCTestCase {
    private let cm = Fixtures.configmaps

    func testStaleResourceVersionConflicts() throws {
        let s = Fixtures.store()
        let v1 = try s.create(cm, namespace: "default", object: Fixtures.configMap("a")).object
        var first = v1
        first["data"] = ["k": "1"]
        _ = try s.update(cm, namespace: "default", name: "a", object: first)
        var stale = v1
        stale["data"] = ["k": "2"]
        let e = assertAPIError(409, "Conflict") { try s.update(cm, namespace: "default", name: "a", object: stale) }
        XCTAssertEqual(e?.message, "Operation cannot be fulfilled on configmaps \"a\": the object has been modified; "
                       + "please apply your changes to the latest version and try again")
    }

    func testConflictMessageForCustomResources() throws {
        let (s, ags) = try Fixtures.storeWithCRD()
        let created = try s.create(ags, namespace: "default", object: Fixtures.session("x")).object
        var stale = created
        stale.metadata["resourceVersion"] = "1"
        let e = assertAPIError(409) { try s.update(ags, namespace: "default", name: "x", object: stale) }
        XCTAssertEqual(e?.message, "Operation cannot be fulfilled on agentsessions.parallax.ai \"x\": the object has been modified; "
                       + "please apply your changes to the latest version and try again")
        XCTAssertEqual(e?.status["details"], ["name": "x", "group": "parallax.ai", "kind": "agentsessions"])
    }

    func testEmptyResourceVersionIsUnconditional() throws {
        let s = Fixtures.store()
        _ = try s.create(cm, namespace: "default", object: Fixtures.configMap("a"))
        let r = try s.update(cm, namespace: "default", name: "a", object: Fixtures.configMap("a", data: ["x": "y"]))
        XCTAssertEqual(r.object["data"], ["x": "y"])
        XCTAssertFalse(r.created)
    }

    func testUpdateOfMissingObjectIsNotFound() {
        let s = Fixtures.store()
        assertAPIError(404) { try s.update(self.cm, namespace: "default", name: "a", object: Fixtures.configMap("a")) }
    }

    func testNameMismatchIsBadRequest() throws {
        let s = Fixtures.store()
        _ = try s.create(cm, namespace: "default", object: Fixtures.configMap("a"))
        let e = assertAPIError(400) { try s.update(self.cm, namespace: "default", name: "a", object: Fixtures.configMap("b")) }
        XCTAssertEqual(e?.message, "the name of the object (b) does not match the name on the URL (a)")
    }

    func testNoOpUpdateWritesNothing() throws {
        let s = Fixtures.store()
        let created = try s.create(cm, namespace: "default", object: Fixtures.configMap("a", data: ["k": "v"])).object
        let rv = s.resourceVersion
        let r = try s.update(cm, namespace: "default", name: "a", object: created)
        XCTAssertEqual(r.object.resourceVersion, created.resourceVersion)
        XCTAssertEqual(s.resourceVersion, rv)
    }

    func testImmutableMetadataIsKept() throws {
        let s = Fixtures.store()
        let created = try s.create(cm, namespace: "default", object: Fixtures.configMap("a")).object
        var body = created
        body.metadata["uid"] = "other"
        body.metadata["creationTimestamp"] = "2001-01-01T00:00:00Z"
        body["data"] = ["k": "v"]
        let updated = try s.update(cm, namespace: "default", name: "a", object: body).object
        XCTAssertEqual(updated.uid, created.uid)
        XCTAssertEqual(updated.metadata["creationTimestamp"], created.metadata["creationTimestamp"])
    }

    func testStatusSubresourceRulesAndGeneration() throws {
        let (s, ags) = try Fixtures.storeWithCRD()
        var body = Fixtures.session("x")
        body["status"] = ["phase": "Ready"]
        let created = try s.create(ags, namespace: "default", object: body).object
        XCTAssertTrue(created["status"].isNull, "create ignores status when it is a subresource")
        XCTAssertEqual(created.metadata["generation"], 1)

        // Main resource: status changes ignored, spec change bumps generation.
        var main = created
        main["status"] = ["phase": "Error"]
        main["spec"]["suspend"] = true
        let afterMain = try s.update(ags, namespace: "default", name: "x", object: main).object
        XCTAssertTrue(afterMain["status"].isNull)
        XCTAssertEqual(afterMain["spec"]["suspend"], true)
        XCTAssertEqual(afterMain.metadata["generation"], 2)

        // Status: only status taken, generation unchanged.
        var status = afterMain
        status["status"] = ["phase": "Ready", "observedGeneration": 2]
        status["spec"]["suspend"] = false
        status.metadata["labels"] = ["ignored": "yes"]
        let afterStatus = try s.update(ags, namespace: "default", name: "x", object: status, subresource: "status").object
        XCTAssertEqual(afterStatus["status"]["phase"], "Ready")
        XCTAssertEqual(afterStatus["spec"]["suspend"], true)
        XCTAssertTrue(afterStatus.metadata["labels"].isNull)
        XCTAssertEqual(afterStatus.metadata["generation"], 2)

        // Metadata-only change: no generation bump.
        var labels = afterStatus
        labels.metadata["labels"] = ["a": "b"]
        XCTAssertEqual(try s.update(ags, namespace: "default", name: "x", object: labels).object.metadata["generation"], 2)
    }

    func testWithoutStatusSubresourceEveryNonMetadataChangeBumpsGeneration() throws {
        let s = Fixtures.store()
        let created = try s.create(cm, namespace: "default", object: Fixtures.configMap("a")).object
        var body = created
        body["data"] = ["k": "v"]
        XCTAssertEqual(try s.update(cm, namespace: "default", name: "a", object: body).object.metadata["generation"], 2)
        assertAPIError(404) { try s.update(self.cm, namespace: "default", name: "a", object: body, subresource: "status") }
    }

    func testMergePatch() throws {
        let s = Fixtures.store()
        _ = try s.create(cm, namespace: "default", object: Fixtures.configMap("a", data: ["a": "1", "b": "2"]))
        let r = try s.patch(cm, namespace: "default", name: "a", type: .merge, body: ["data": ["a": nil, "c": "3"]])
        XCTAssertEqual(r.object["data"], ["b": "2", "c": "3"])
    }

    func testMergePatchWithStaleResourceVersionConflicts() throws {
        let s = Fixtures.store()
        _ = try s.create(cm, namespace: "default", object: Fixtures.configMap("a"))
        assertAPIError(409) {
            try s.patch(self.cm, namespace: "default", name: "a", type: .merge,
                        body: ["metadata": ["resourceVersion": "1"], "data": ["x": "y"]])
        }
    }

    func testJSONPatchTestFailureIs422() throws {
        let s = Fixtures.store()
        _ = try s.create(cm, namespace: "default", object: Fixtures.configMap("a", data: ["a": "1"]))
        let e = assertAPIError(422) {
            try s.patch(self.cm, namespace: "default", name: "a", type: .jsonPatch,
                        body: [["op": "test", "path": "/data/a", "value": "2"]])
        }
        XCTAssertEqual(e?.message, "testing value /data/a failed: test failed")
        let ok = try s.patch(cm, namespace: "default", name: "a", type: .jsonPatch,
                             body: [["op": "test", "path": "/data/a", "value": "1"], ["op": "add", "path": "/data/b", "value": "2"]])
        XCTAssertEqual(ok.object["data"], ["a": "1", "b": "2"])
    }

    func testStrategicMergePatchOnPodMergesContainersByName() throws {
        let s = Fixtures.store()
        var pod = Fixtures.pod("p")
        pod["spec"]["containers"] = [["name": "a", "image": "img:1"], ["name": "b", "image": "img:1"]]
        _ = try s.create(Fixtures.pods, namespace: "default", object: pod)
        let r = try s.patch(Fixtures.pods, namespace: "default", name: "p", type: .strategicMerge,
                            body: ["spec": ["containers": [["name": "b", "image": "img:2"]]]])
        let containers = r.object["spec"]["containers"].arrayValue ?? []
        XCTAssertEqual(containers.map { $0["image"] }, ["img:1", "img:2"])
    }

    func testStrategicMergePatchOnCustomResourceIs415() throws {
        let (s, ags) = try Fixtures.storeWithCRD()
        _ = try s.create(ags, namespace: "default", object: Fixtures.session("x"))
        let e = assertAPIError(415, "UnsupportedMediaType") {
            try s.patch(ags, namespace: "default", name: "x", type: .strategicMerge, body: ["spec": ["suspend": true]])
        }
        XCTAssertTrue(e?.message.contains("application/merge-patch+json") ?? false)
    }

    func testPatchProducingMalformedObjectIsRejectedNotCrashing() throws {
        let s = Fixtures.store()
        _ = try s.create(cm, namespace: "default", object: Fixtures.configMap("a"))
        assertAPIError(400) { try s.patch(self.cm, namespace: "default", name: "a", type: .merge, body: ["metadata": ["labels": "oops"]]) }
        assertAPIError(400) { try s.patch(self.cm, namespace: "default", name: "a", type: .merge, body: "just a string") }
        assertAPIError(400) { try s.patch(self.cm, namespace: "default", name: "a", type: .jsonPatch, body: ["op": "add"]) }
        assertAPIError(422) {
            try s.patch(self.cm, namespace: "default", name: "a", type: .jsonPatch, body: [["op": "replace", "path": "/nope/x", "value": 1]])
        }
        assertAPIError(400) {
            try s.patch(self.cm, namespace: "default", name: "a", type: .jsonPatch, body: [["op": "replace", "path": "", "value": [1]]])
        }
    }

    func testStatusPatchOnlyTouchesStatus() throws {
        let (s, ags) = try Fixtures.storeWithCRD()
        _ = try s.create(ags, namespace: "default", object: Fixtures.session("x"))
        let r = try s.patch(ags, namespace: "default", name: "x", type: .merge,
                            body: ["spec": ["agentType": "claude"], "status": ["phase": "Starting"]], subresource: "status")
        XCTAssertEqual(r.object["status"]["phase"], "Starting")
        XCTAssertEqual(r.object["spec"]["agentType"], "codex")
    }

    func testUnknownFieldsOfCustomResourcesPerFieldValidation() throws {
        let (s, ags) = try Fixtures.storeWithCRD()
        let body = Fixtures.session("x", extra: ["bogus": 1])
        let strict = assertAPIError(400, "BadRequest") {
            try s.create(ags, namespace: "default", object: body, options: WriteOptions(fieldValidation: .strict))
        }
        XCTAssertEqual(strict?.message, "strict decoding error: unknown field \"spec.bogus\"")
        let warned = try s.create(ags, namespace: "default", object: body, options: WriteOptions(fieldValidation: .warn))
        XCTAssertEqual(warned.warnings, ["unknown field \"spec.bogus\""])
        XCTAssertTrue(warned.object["spec"]["bogus"].isNull)
    }

    func testFinalizersCannotBeAddedWhileDeleting() throws {
        let s = Fixtures.store()
        var body = Fixtures.configMap("a")
        body.metadata["finalizers"] = ["example.com/one"]
        _ = try s.create(cm, namespace: "default", object: body)
        let marked = try s.delete(cm, namespace: "default", name: "a").object
        var add = marked
        add.metadata["finalizers"] = ["example.com/one", "example.com/two"]
        let e = assertAPIError(422) { try s.update(self.cm, namespace: "default", name: "a", object: add) }
        XCTAssertEqual(e?.causes.first?.field, "metadata.finalizers")
        XCTAssertEqual(e?.causes.first?.reason, "FieldValueForbidden")
    }
}
