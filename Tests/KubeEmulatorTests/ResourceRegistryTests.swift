import Foundation
import XCTest
import RuntimeCore
@testable import KubeEmulator

final class ResourceRegistryTests: XCTestCase {
    func testBuiltinLookups() throws {
        let r = ResourceRegistry()
        let pods = try XCTUnwrap(r.lookup(group: "", version: "v1", plural: "pods"))
        XCTAssertEqual(pods.kind, "Pod")
        XCTAssertEqual(pods.shortNames, ["po"])
        XCTAssertTrue(pods.hasStatus)
        XCTAssertEqual(pods.apiVersion, "v1")
        XCTAssertEqual(r.lookup(apiVersion: "coordination.k8s.io/v1", kind: "Lease")?.plural, "leases")
        XCTAssertEqual(r.lookup(apiVersion: "events.k8s.io/v1", kind: "Event")?.group, "events.k8s.io")
        XCTAssertEqual(r.lookup(group: "apiextensions.k8s.io", kind: "CustomResourceDefinition")?.shortNames, ["crd", "crds"])
        XCTAssertNil(r.lookup(group: "", version: "v1", plural: "deployments"))
        XCTAssertFalse(try XCTUnwrap(r.lookup(group: "", version: "v1", plural: "namespaces")).namespaced)
    }

    func testGroupsInOrderWithPreferredVersions() {
        let r = ResourceRegistry()
        XCTAssertEqual(r.groups().map(\.name), ["", "apiextensions.k8s.io", "coordination.k8s.io", "events.k8s.io", "networking.k8s.io"])
        XCTAssertEqual(r.groups().first?.preferredVersion, "v1")
        XCTAssertEqual(r.resources(group: "", version: "v1").map(\.plural).first, "configmaps")
    }

    func testRegisterAndUnregisterByOwner() {
        let r = ResourceRegistry()
        let a = ResourceInfo(group: "example.com", version: "v1beta1", kind: "Widget", plural: "widgets", namespaced: true, isCustom: true)
        let b = ResourceInfo(group: "example.com", version: "v1", kind: "Widget", plural: "widgets", namespaced: true, isCustom: true)
        r.register([a, b], owner: "widgets.example.com")
        XCTAssertEqual(r.groups().last, APIGroupInfo(name: "example.com", versions: ["v1", "v1beta1"]))
        XCTAssertEqual(r.lookup(group: "example.com", kind: "Widget")?.version, "v1")
        XCTAssertEqual(r.conflicts(group: "example.com", plural: "widgets", kind: "Other", owner: "other.example.com"), "\"widgets\" is already in use")
        XCTAssertNil(r.conflicts(group: "example.com", plural: "widgets", kind: "Widget", owner: "widgets.example.com"))
        r.register([b], owner: "widgets.example.com")
        XCTAssertNil(r.lookup(group: "example.com", version: "v1beta1", plural: "widgets"))
        r.unregister(owner: "widgets.example.com")
        XCTAssertNil(r.lookup(group: "example.com", version: "v1", plural: "widgets"))
        XCTAssertFalse(r.groups().contains { $0.name == "example.com" })
    }

    func testVersionPriority() {
        let sorted = ["v1alpha1", "v2", "foo", "v1beta2", "v1", "v1beta1", "v10", "v2alpha3"].sorted(by: APIVersions.compare)
        XCTAssertEqual(sorted, ["v10", "v2", "v1", "v1beta2", "v1beta1", "v2alpha3", "v1alpha1", "foo"])
        XCTAssertEqual(APIVersions.split("apps/v1").group, "apps")
        XCTAssertEqual(APIVersions.split("v1").group, "")
    }

    func testConcurrentReadsAndWrites() {
        let r = ResourceRegistry()
        DispatchQueue.concurrentPerform(iterations: 200) { i in
            let info = ResourceInfo(group: "g\(i % 5).example.com", version: "v1", kind: "K\(i)", plural: "k\(i)", namespaced: true, isCustom: true)
            r.register([info], owner: "k\(i)")
            _ = r.groups()
            _ = r.lookup(group: "g1.example.com", kind: "K1")
            if i % 2 == 0 { r.unregister(owner: "k\(i)") }
        }
        XCTAssertEqual(r.all().filter(\.isCustom).count, 100)
    }
}
