import Foundation
import XCTest
import RuntimeCore
@testable import KubeEmulator

final class CRDRulesTests: XCTestCase {
    func testCreatingACRDServesItsResourceAndEstablishesIt() throws {
        let s = Fixtures.store()
        let crd = try s.create(Fixtures.crds, namespace: nil, object: Fixtures.agentSessionCRD).object
        let conditions = crd["status"]["conditions"].arrayValue ?? []
        XCTAssertEqual(conditions.map { $0["type"] }, ["NamesAccepted", "Established"])
        XCTAssertTrue(conditions.allSatisfy { $0["status"] == "True" })
        XCTAssertEqual(crd["status"]["acceptedNames"]["kind"], "AgentSession")
        XCTAssertEqual(crd["status"]["acceptedNames"]["listKind"], "AgentSessionList")
        XCTAssertEqual(crd["status"]["storedVersions"], ["v1alpha1"])
        XCTAssertEqual(crd.finalizers, [CRDRules.cleanupFinalizer])

        let info = try XCTUnwrap(s.registry.lookup(group: "parallax.ai", version: "v1alpha1", plural: "agentsessions"))
        XCTAssertTrue(info.namespaced)
        XCTAssertTrue(info.hasStatus)
        XCTAssertEqual(info.shortNames, ["ags"])
        XCTAssertEqual(info.printerColumns.map(\.name), ["Type", "Phase", "Ready", "Age"])
        XCTAssertEqual(s.registry.lookup(group: "parallax.ai", kind: "AgentSession")?.plural, "agentsessions")
        XCTAssertEqual(s.registry.groups().last?.name, "parallax.ai")
    }

    func testCRDValidation() {
        let s = Fixtures.store()
        var bad = Fixtures.agentSessionCRD
        bad.metadata["name"] = "wrong.parallax.ai"
        bad["spec"]["scope"] = "Galaxy"
        let e = assertAPIError(422, "Invalid") { try s.create(Fixtures.crds, namespace: nil, object: bad) }
        XCTAssertEqual(e?.causes.map(\.field), ["metadata.name", "spec.scope"])
        XCTAssertEqual(e?.causes.first?.message, "Invalid value: \"wrong.parallax.ai\": must be spec.names.plural+\".\"+spec.group")
        XCTAssertEqual(e?.causes.last?.message, "Unsupported value: \"Galaxy\": supported values: \"Cluster\", \"Namespaced\"")
        XCTAssertTrue(e?.message.hasPrefix("CustomResourceDefinition.apiextensions.k8s.io \"wrong.parallax.ai\" is invalid: [") ?? false)
    }

    func testDeletingACRDDeletesItsObjectsAndStopsServing() throws {
        let (s, ags) = try Fixtures.storeWithCRD()
        _ = try s.create(ags, namespace: "default", object: Fixtures.session("a"))
        _ = try s.create(ags, namespace: "default", object: Fixtures.session("b"))
        let w = try s.watch(ags, namespace: nil)
        defer { w.cancel() }
        _ = try s.delete(Fixtures.crds, namespace: nil, name: "agentsessions.parallax.ai")
        XCTAssertNil(s.registry.lookup(group: "parallax.ai", version: "v1alpha1", plural: "agentsessions"))
        assertAPIError(404) { try s.get(Fixtures.crds, namespace: nil, name: "agentsessions.parallax.ai") }
        var types: [WatchEvent.EventType] = []
        while let e = w.next(timeout: .milliseconds(50)) { types.append(e.type) }
        XCTAssertEqual(types, [.added, .added, .deleted, .deleted])
        // Recreated, it starts empty.
        _ = try s.create(Fixtures.crds, namespace: nil, object: Fixtures.agentSessionCRD)
        XCTAssertEqual(try s.list(ags, namespace: nil).items.count, 0)
    }

    func testCRDDeletionWaitsForCustomResourceFinalizers() throws {
        let (s, ags) = try Fixtures.storeWithCRD()
        var held = Fixtures.session("held")
        held.metadata["finalizers"] = ["parallax.ai/cleanup"]
        _ = try s.create(ags, namespace: "default", object: held)
        let r = try s.delete(Fixtures.crds, namespace: nil, name: "agentsessions.parallax.ai")
        XCTAssertFalse(r.completed)
        let crd = try s.get(Fixtures.crds, namespace: nil, name: "agentsessions.parallax.ai")
        XCTAssertTrue((crd["status"]["conditions"].arrayValue ?? []).contains { $0["type"] == "Terminating" })
        XCTAssertTrue(try s.get(ags, namespace: "default", name: "held").isBeingDeleted)
        let e = assertAPIError(405) { try s.create(ags, namespace: "default", object: Fixtures.session("new")) }
        XCTAssertEqual(e?.message, "create not allowed while custom resource definition is terminating")
        _ = try s.patch(ags, namespace: "default", name: "held", type: .merge, body: ["metadata": ["finalizers": nil]])
        assertAPIError(404) { try s.get(Fixtures.crds, namespace: nil, name: "agentsessions.parallax.ai") }
    }

    func testSeveralVersionsShareStorage() throws {
        let s = Fixtures.store()
        var crd = Fixtures.agentSessionCRD
        var v1 = crd["spec"]["versions"][0]
        v1["name"] = "v1"
        v1["storage"] = false
        crd["spec"]["versions"] = .array([crd["spec"]["versions"][0], v1])
        _ = try s.create(Fixtures.crds, namespace: nil, object: crd)
        let alpha = try XCTUnwrap(s.registry.lookup(group: "parallax.ai", version: "v1alpha1", plural: "agentsessions"))
        let ga = try XCTUnwrap(s.registry.lookup(group: "parallax.ai", version: "v1", plural: "agentsessions"))
        XCTAssertEqual(s.registry.groups().first { $0.name == "parallax.ai" }?.versions, ["v1", "v1alpha1"])
        _ = try s.create(alpha, namespace: "default", object: Fixtures.session("x"))
        XCTAssertEqual(try s.get(ga, namespace: "default", name: "x")["apiVersion"], "parallax.ai/v1")
        var body = Fixtures.session("y")
        body["apiVersion"] = "parallax.ai/v1"
        XCTAssertEqual(try s.create(ga, namespace: "default", object: body).object["apiVersion"], "parallax.ai/v1")
        XCTAssertEqual(try s.list(alpha, namespace: nil).items.map(\.name), ["x", "y"])
    }

    func testUpdatingTheSchemaTakesEffect() throws {
        let (s, _) = try Fixtures.storeWithCRD()
        var crd = try s.get(Fixtures.crds, namespace: nil, name: "agentsessions.parallax.ai")
        var versions = crd["spec"]["versions"].arrayValue!
        versions[0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["agentType"] = ["type": "string", "enum": ["claude"]]
        crd["spec"]["versions"] = .array(versions)
        _ = try s.update(Fixtures.crds, namespace: nil, name: crd.name, object: crd)
        let updated = try XCTUnwrap(s.registry.lookup(group: "parallax.ai", version: "v1alpha1", plural: "agentsessions"))
        assertAPIError(422) { try s.create(updated, namespace: "default", object: Fixtures.session("x", agentType: "codex")) }
    }

    func testNameConflictIsNotAccepted() throws {
        let s = Fixtures.store()
        var crd = Fixtures.agentSessionCRD
        crd["spec"]["group"] = ""
        crd.metadata["name"] = "pods."
        // An empty group is invalid in the first place.
        assertAPIError(422) { try s.create(Fixtures.crds, namespace: nil, object: crd) }
        var clash = Fixtures.agentSessionCRD
        clash.metadata["name"] = "sessions.parallax.ai"
        clash["spec"]["names"]["plural"] = "sessions"
        clash["spec"]["names"]["singular"] = "session"
        _ = try s.create(Fixtures.crds, namespace: nil, object: Fixtures.agentSessionCRD)
        let second = try s.create(Fixtures.crds, namespace: nil, object: clash).object
        let accepted = (second["status"]["conditions"].arrayValue ?? []).first { $0["type"] == "NamesAccepted" }
        XCTAssertEqual(accepted?["status"], "False")
        XCTAssertNil(s.registry.lookup(group: "parallax.ai", version: "v1alpha1", plural: "sessions"))
    }
}
