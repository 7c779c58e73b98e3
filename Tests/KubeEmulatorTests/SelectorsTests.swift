import Foundation
import XCTest
import RuntimeCore
@testable import KubeEmulator

final class SelectorsTests: XCTestCase {
    private func matches(_ selector: String, _ labels: [String: String]) throws -> Bool {
        try LabelSelector(parsing: selector).matches(labels)
    }

    func testLabelOperators() throws {
        let l = ["app": "web", "tier": "front", "n": "5"]
        XCTAssertTrue(try matches("", l))
        XCTAssertTrue(try matches("app=web", l))
        XCTAssertTrue(try matches("app==web", l))
        XCTAssertFalse(try matches("app!=web", l))
        XCTAssertTrue(try matches("missing!=x", l))
        XCTAssertTrue(try matches("app in (db, web)", l))
        XCTAssertFalse(try matches("app notin (db,web)", l))
        XCTAssertTrue(try matches("missing notin (a)", l))
        XCTAssertTrue(try matches("app", l))
        XCTAssertFalse(try matches("!app", l))
        XCTAssertTrue(try matches("!missing", l))
        XCTAssertTrue(try matches("n>4,n<6", l))
        XCTAssertTrue(try matches(" app = web , tier in (front) ", l))
        XCTAssertFalse(try matches("app=web,tier=back", l))
        XCTAssertTrue(try matches("app.kubernetes.io/name notin (x)", l))
        XCTAssertTrue(try matches("app=", ["app": ""]))
    }

    func testLabelParseErrors() {
        for bad in ["app in (a", "app in a", "=x", "app=a b", "app=web,", "a b", "app>x", "bad key=v", "app==(x)"] {
            XCTAssertThrowsError(try LabelSelector(parsing: bad), bad) { e in
                XCTAssertEqual((e as? APIError)?.code, 400, bad)
            }
        }
    }

    func testFieldSelectors() throws {
        let f = try FieldSelector(parsing: "metadata.name=a,status.phase!=Running")
        XCTAssertTrue(f.matches(["metadata.name": "a", "status.phase": "Pending"]))
        XCTAssertFalse(f.matches(["metadata.name": "a", "status.phase": "Running"]))
        XCTAssertEqual(try FieldSelector(parsing: #"metadata.name=a\,b"#).requirements.first?.value, "a,b")
        XCTAssertThrowsError(try FieldSelector(parsing: "nonsense"))
        XCTAssertNoThrow(try FieldSelector(parsing: "spec.nodeName=n").validate(for: Fixtures.pods))
        XCTAssertThrowsError(try FieldSelector(parsing: "spec.nodeName=n").validate(for: Fixtures.configmaps)) { e in
            XCTAssertEqual((e as? APIError)?.message, "field label not supported: spec.nodeName")
        }
    }

    func testFieldValues() {
        let pod = Fixtures.pod("p", ns: "ns", nodeName: "n1")
        let v = FieldLabels.values(pod, Fixtures.pods)
        XCTAssertEqual(v["spec.nodeName"], "n1")
        XCTAssertEqual(v["metadata.namespace"], "ns")
        XCTAssertEqual(v["spec.hostNetwork"], "false")
        let event: JSON = ["metadata": ["name": "e"], "involvedObject": ["kind": "Pod", "name": "p", "uid": "u"],
                           "reason": "Started", "type": "Normal", "source": ["component": "kubelet"]]
        let ev = FieldLabels.values(event, Fixtures.events)
        XCTAssertEqual(ev["involvedObject.name"], "p")
        XCTAssertEqual(ev["source"], "kubelet")
        XCTAssertEqual(FieldLabels.values(["type": "Opaque", "metadata": ["name": "s"]], Fixtures.secrets)["type"], "Opaque")
    }

    func testSelectableFieldsOfCustomResources() throws {
        var crd = Fixtures.agentSessionCRD
        var versions = crd["spec"]["versions"].arrayValue!
        versions[0]["selectableFields"] = [["jsonPath": ".spec.agentType"]]
        crd["spec"]["versions"] = .array(versions)
        let s = Fixtures.store()
        _ = try s.create(Fixtures.crds, namespace: nil, object: crd)
        let ags = try XCTUnwrap(s.registry.lookup(group: "parallax.ai", version: "v1alpha1", plural: "agentsessions"))
        _ = try s.create(ags, namespace: "default", object: Fixtures.session("a", agentType: "claude"))
        _ = try s.create(ags, namespace: "default", object: Fixtures.session("b", agentType: "codex"))
        XCTAssertEqual(try s.list(ags, namespace: nil, options: ListOptions(fieldSelector: "spec.agentType=codex")).items.map(\.name), ["b"])
    }
}
