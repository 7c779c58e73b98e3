import Foundation
import RuntimeCore
import XCTest

@testable import KubeClient

final class ObjectMetaTests: XCTestCase {
    let metaJSON = """
        {"name": "web", "namespace": "team-a", "uid": "u-1", "resourceVersion": "42", "generation": 3,
         "creationTimestamp": "2024-05-01T10:00:00Z", "deletionTimestamp": "2024-05-02T10:00:00Z",
         "deletionGracePeriodSeconds": 30, "labels": {"app": "web"}, "annotations": {"note": "x"},
         "ownerReferences": [{"apiVersion": "parallax.ai/v1alpha1", "kind": "AgentSession", "name": "s", "uid": "owner-1",
                              "controller": true, "blockOwnerDeletion": true}],
         "finalizers": ["parallax.ai/cleanup"],
         "managedFields": [{"manager": "kubectl", "operation": "Update", "fieldsV1": {"f:metadata": {}}}]}
        """

    func testDecodesEverythingAndDropsManagedFields() throws {
        let m = try JSON.parse(metaJSON).decode(ObjectMeta.self)
        XCTAssertEqual(m.name, "web")
        XCTAssertEqual(m.generation, 3)
        XCTAssertEqual(m.creationTimestamp?.description, "2024-05-01T10:00:00Z")
        XCTAssertTrue(m.isDeleting)
        XCTAssertEqual(m.deletionGracePeriodSeconds, 30)
        XCTAssertEqual(m.controllerReference?.uid, "owner-1")
        XCTAssertEqual(m.ownerReferences?.first?.blockOwnerDeletion, true)
        let back = try JSON(encoding: m)
        XCTAssertTrue(back["managedFields"].isNull, "managedFields is never sent")
        var expected = try JSON.parse(metaJSON)
        expected["managedFields"] = nil
        XCTAssertEqual(back, expected, "everything else round-trips")
    }

    func testFinalizerHelpers() {
        var m = ObjectMeta(name: "x")
        XCTAssertTrue(m.addFinalizer("a"))
        XCTAssertFalse(m.addFinalizer("a"))
        XCTAssertTrue(m.addFinalizer("b"))
        XCTAssertEqual(m.finalizers, ["a", "b"])
        XCTAssertTrue(m.removeFinalizer("a"))
        XCTAssertFalse(m.removeFinalizer("a"))
        XCTAssertTrue(m.removeFinalizer("b"))
        XCTAssertNil(m.finalizers)
    }

    func testListDecodingToleratesNullItems() throws {
        let l = try JSON.parse(#"{"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "7", "continue": "tok", "remainingItemCount": 3}, "items": null}"#)
            .decode(ObjectList<Pod>.self)
        XCTAssertTrue(l.items.isEmpty)
        XCTAssertEqual(l.metadata.resourceVersion, "7")
        XCTAssertEqual(l.metadata.continue, "tok")
        XCTAssertEqual(l.metadata.remainingItemCount, 3)
        XCTAssertEqual(try JSON.parse("{}").decode(ObjectList<Pod>.self).items.count, 0)
    }

    func testUnstructuredObjectsKeepUnknownFields() throws {
        var obj = try JSON.parse("""
            {"apiVersion": "parallax.ai/v1alpha1", "kind": "AgentSession",
             "metadata": {"name": "s", "namespace": "team-a", "resourceVersion": "5", "labels": {"a": "1"},
                          "managedFields": [{"manager": "m"}]},
             "spec": {"agentType": "codex", "futureField": {"nested": [1, 2, 3]}},
             "status": {"phase": "Ready", "unknownStatus": true}}
            """)
        XCTAssertEqual(obj.name, "s")
        XCTAssertEqual(obj.key, "team-a/s")
        var meta = obj.metadata
        meta.labels?["b"] = "2"
        obj.metadata = meta
        obj["spec"]["agentType"] = "claude"
        XCTAssertEqual(obj["spec"]["futureField"]["nested"], [1, 2, 3])
        XCTAssertEqual(obj["status"]["unknownStatus"], true)
        XCTAssertEqual(obj["metadata"]["labels"], ["a": "1", "b": "2"])
        XCTAssertEqual(obj["metadata"]["resourceVersion"], "5")
        XCTAssertTrue(obj["metadata"]["managedFields"].isNull)
        XCTAssertEqual(obj["kind"], "AgentSession")
    }

    func testObjectKeys() {
        XCTAssertEqual(ObjectKey.make(namespace: "ns", name: "n"), "ns/n")
        XCTAssertEqual(ObjectKey.make(namespace: nil, name: "n"), "n")
        XCTAssertEqual(ObjectKey.make(namespace: "", name: "n"), "n")
        XCTAssertTrue(ObjectKey.split("ns/n") == ("ns", "n"))
        XCTAssertTrue(ObjectKey.split("n") == (nil, "n"))
    }
}
