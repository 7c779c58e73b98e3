import Foundation
import XCTest
import RuntimeCore
import Synchronization
@testable import KubeEmulator

final class StoreDeleteTests: XCTestCase {
    private let cm = Fixtures.configmaps

    func testDeleteWithoutFinalizersRemovesAndReturnsStatusForConfigMaps() throws {
        let s = Fixtures.store()
        let created = try s.create(cm, namespace: "default", object: Fixtures.configMap("a")).object
        let r = try s.delete(cm, namespace: "default", name: "a")
        XCTAssertTrue(r.completed)
        XCTAssertEqual(r.body["status"], "Success")
        XCTAssertEqual(r.body["details"], ["name": "a", "kind": "configmaps", "uid": .string(created.uid)])
        assertAPIError(404) { try s.get(self.cm, namespace: "default", name: "a") }
        assertAPIError(404) { try s.delete(self.cm, namespace: "default", name: "a") }
    }

    func testPodsReturnTheDeletedObject() throws {
        let s = Fixtures.store()
        _ = try s.create(Fixtures.pods, namespace: "default", object: Fixtures.pod("p"))
        let r = try s.delete(Fixtures.pods, namespace: "default", name: "p")
        XCTAssertTrue(r.completed)
        XCTAssertEqual(r.body["kind"], "Pod")
    }

    func testFinalizersMarkThenLastRemovalDeletes() throws {
        let s = Fixtures.store()
        var body = Fixtures.configMap("a")
        body.metadata["finalizers"] = ["example.com/a", "example.com/b"]
        _ = try s.create(cm, namespace: "default", object: body)
        let r = try s.delete(cm, namespace: "default", name: "a")
        XCTAssertFalse(r.completed)
        XCTAssertEqual(r.object.metadata["deletionTimestamp"], "2023-11-14T22:13:20Z")
        XCTAssertEqual(r.object.metadata["deletionGracePeriodSeconds"], 0)
        XCTAssertEqual(r.object.metadata["generation"], 2)
        // Deleting again changes nothing.
        XCTAssertEqual(try s.delete(cm, namespace: "default", name: "a").object.resourceVersion, r.object.resourceVersion)

        var one = r.object
        one.metadata["finalizers"] = ["example.com/b"]
        let still = try s.update(cm, namespace: "default", name: "a", object: one).object
        XCTAssertEqual(still.finalizers, ["example.com/b"])
        XCTAssertNoThrow(try s.get(cm, namespace: "default", name: "a"))

        _ = try s.patch(cm, namespace: "default", name: "a", type: .merge, body: ["metadata": ["finalizers": nil]])
        assertAPIError(404) { try s.get(self.cm, namespace: "default", name: "a") }
    }

    func testPreconditions() throws {
        let s = Fixtures.store()
        let created = try s.create(cm, namespace: "default", object: Fixtures.configMap("a")).object
        let e = assertAPIError(409, "Conflict") {
            try s.delete(self.cm, namespace: "default", name: "a", options: DeleteOptions(preconditionUID: "other"))
        }
        XCTAssertEqual(e?.message, "Operation cannot be fulfilled on configmaps \"a\": Precondition failed: UID in precondition: other, UID in object meta: \(created.uid)")
        assertAPIError(409) {
            try s.delete(self.cm, namespace: "default", name: "a", options: DeleteOptions(preconditionResourceVersion: "1"))
        }
        XCTAssertTrue(try s.delete(cm, namespace: "default", name: "a",
                                   options: DeleteOptions(preconditionUID: created.uid, preconditionResourceVersion: created.resourceVersion)).completed)
    }

    func testDryRunDeleteKeepsTheObject() throws {
        let s = Fixtures.store()
        _ = try s.create(cm, namespace: "default", object: Fixtures.configMap("a"))
        _ = try s.delete(cm, namespace: "default", name: "a", options: DeleteOptions(dryRun: true))
        XCTAssertNoThrow(try s.get(cm, namespace: "default", name: "a"))
    }

    func testDeleteCollectionBySelector() throws {
        let s = Fixtures.store()
        for i in 0..<4 {
            _ = try s.create(cm, namespace: "default", object: Fixtures.configMap("c\(i)", labels: ["even": i % 2 == 0 ? "yes" : "no"]))
        }
        let deleted = try s.deleteCollection(cm, namespace: "default", listOptions: ListOptions(labelSelector: "even=yes"))
        XCTAssertEqual(deleted["kind"], "ConfigMapList")
        XCTAssertEqual(deleted["items"].arrayValue?.map(\.name), ["c0", "c2"])
        XCTAssertEqual(try s.list(cm, namespace: "default", options: ListOptions(labelSelector: "even")).items.map(\.name), ["c1", "c3"])
    }

    func testPodOnNodeIsHandedToTheKubeletAndFinalized() throws {
        let s = Fixtures.store()
        let seen = Mutex<[PodTermination]>([])
        s.podDeletionHandler = { t in seen.withLock { $0.append(t) } }
        let pod = try s.create(Fixtures.pods, namespace: "default", object: Fixtures.pod("p", nodeName: "node-1")).object
        let r = try s.delete(Fixtures.pods, namespace: "default", name: "p")
        XCTAssertFalse(r.completed)
        XCTAssertEqual(r.object.metadata["deletionGracePeriodSeconds"], 30)
        XCTAssertEqual(r.object.metadata["deletionTimestamp"], .string(KubeTime.format(Fixtures.epoch.addingTimeInterval(30))))
        XCTAssertEqual(seen.withLock { $0 }, [PodTermination(namespace: "default", name: "p", uid: pod.uid, gracePeriodSeconds: 30)])

        s.finalizePodDeletion(namespace: "default", name: "p", uid: "someone-else")
        XCTAssertNoThrow(try s.get(Fixtures.pods, namespace: "default", name: "p"))
        s.finalizePodDeletion(namespace: "default", name: "p", uid: pod.uid)
        assertAPIError(404) { try s.get(Fixtures.pods, namespace: "default", name: "p") }
    }

    func testGracePeriodZeroAndUnscheduledPodsGoAtOnce() throws {
        let s = Fixtures.store()
        s.podDeletionHandler = { _ in }
        _ = try s.create(Fixtures.pods, namespace: "default", object: Fixtures.pod("unscheduled"))
        XCTAssertTrue(try s.delete(Fixtures.pods, namespace: "default", name: "unscheduled").completed)
        _ = try s.create(Fixtures.pods, namespace: "default", object: Fixtures.pod("forced", nodeName: "n"))
        XCTAssertTrue(try s.delete(Fixtures.pods, namespace: "default", name: "forced",
                                   options: DeleteOptions(gracePeriodSeconds: 0)).completed)
        _ = try s.create(Fixtures.pods, namespace: "default", object: Fixtures.pod("terminating", nodeName: "n"))
        XCTAssertFalse(try s.delete(Fixtures.pods, namespace: "default", name: "terminating").completed)
        XCTAssertTrue(try s.delete(Fixtures.pods, namespace: "default", name: "terminating",
                                   options: DeleteOptions(gracePeriodSeconds: 0)).completed)
    }

    func testPodWithFinalizerWaitsForBothKubeletAndFinalizer() throws {
        let s = Fixtures.store()
        s.podDeletionHandler = { _ in }
        var pod = Fixtures.pod("p", nodeName: "n")
        pod.metadata["finalizers"] = ["example.com/keep"]
        _ = try s.create(Fixtures.pods, namespace: "default", object: pod)
        let marked = try s.delete(Fixtures.pods, namespace: "default", name: "p").object
        // Removing the finalizer during the grace period does not delete the pod yet.
        var noFinalizer = marked
        noFinalizer.metadata["finalizers"] = nil
        _ = try s.update(Fixtures.pods, namespace: "default", name: "p", object: noFinalizer)
        XCTAssertNoThrow(try s.get(Fixtures.pods, namespace: "default", name: "p"))
        s.finalizePodDeletion(namespace: "default", name: "p")
        assertAPIError(404) { try s.get(Fixtures.pods, namespace: "default", name: "p") }
    }

    func testDefaultNamespacesCannotBeDeleted() {
        let s = Fixtures.store()
        let e = assertAPIError(403, "Forbidden") { try s.delete(Fixtures.namespaces, namespace: nil, name: "default") }
        XCTAssertEqual(e?.message, "namespaces \"default\" is forbidden: this namespace may not be deleted")
    }

    func testNamespaceDeletionRemovesContentsThenNamespace() throws {
        let s = Fixtures.store()
        _ = try s.create(Fixtures.namespaces, namespace: nil, object: Fixtures.namespace("team"))
        _ = try s.create(cm, namespace: "team", object: Fixtures.configMap("a", ns: "team"))
        var held = Fixtures.configMap("held", ns: "team")
        held.metadata["finalizers"] = ["example.com/hold"]
        _ = try s.create(cm, namespace: "team", object: held)

        let r = try s.delete(Fixtures.namespaces, namespace: nil, name: "team")
        XCTAssertEqual(r.object["status"]["phase"], "Terminating")
        assertAPIError(404) { try s.get(self.cm, namespace: "team", name: "a") }
        let e = assertAPIError(403, "Forbidden") { try s.create(self.cm, namespace: "team", object: Fixtures.configMap("b", ns: "team")) }
        XCTAssertEqual(e?.message, "configmaps \"b\" is forbidden: unable to create new content in namespace team because it is being terminated")
        XCTAssertEqual(try s.get(Fixtures.namespaces, namespace: nil, name: "team")["status"]["phase"], "Terminating")

        _ = try s.patch(cm, namespace: "team", name: "held", type: .merge, body: ["metadata": ["finalizers": nil]])
        assertAPIError(404) { try s.get(Fixtures.namespaces, namespace: nil, name: "team") }
    }

    func testEmptyNamespaceGoesImmediately() throws {
        let s = Fixtures.store()
        _ = try s.create(Fixtures.namespaces, namespace: nil, object: Fixtures.namespace("tmp"))
        _ = try s.delete(Fixtures.namespaces, namespace: nil, name: "tmp")
        assertAPIError(404) { try s.get(Fixtures.namespaces, namespace: nil, name: "tmp") }
    }

    func testPodBindingAndEviction() throws {
        let s = Fixtures.store()
        _ = try s.create(Fixtures.pods, namespace: "default", object: Fixtures.pod("p"))
        _ = try s.createPodSubresource(namespace: "default", name: "p", subresource: "binding", body: ["target": ["name": "node-1"]])
        XCTAssertEqual(try s.get(Fixtures.pods, namespace: "default", name: "p")["spec"]["nodeName"], "node-1")
        assertAPIError(409) { try s.createPodSubresource(namespace: "default", name: "p", subresource: "binding", body: ["target": ["name": "node-2"]]) }
        _ = try s.createPodSubresource(namespace: "default", name: "p", subresource: "eviction", body: [:])
        assertAPIError(404) { try s.get(Fixtures.pods, namespace: "default", name: "p") }
    }

    func testAbsurdGracePeriodIsClamped() throws {
        let s = Fixtures.store()
        s.podDeletionHandler = { _ in }
        _ = try s.create(Fixtures.pods, namespace: "default", object: Fixtures.pod("p", nodeName: "n"))
        let r = try s.delete(Fixtures.pods, namespace: "default", name: "p", options: DeleteOptions(gracePeriodSeconds: Int.max))
        XCTAssertEqual(r.object.metadata["deletionGracePeriodSeconds"].intValue, Int64(APIStore.maxGracePeriod))
    }
}
