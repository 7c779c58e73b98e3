import Foundation
import RuntimeCore
import XCTest

@testable import KubeClient

final class ResourceTests: XCTestCase {
    let sessions = DynamicResource(group: "parallax.ai", version: "v1alpha1", plural: "agentsessions", kind: "AgentSession")

    func testPathsForCoreAndGroupResources() {
        XCTAssertEqual(Pod.resource.path(), "/api/v1/pods")
        XCTAssertEqual(Pod.resource.path(namespace: "a"), "/api/v1/namespaces/a/pods")
        XCTAssertEqual(Pod.resource.path(namespace: "a", name: "p"), "/api/v1/namespaces/a/pods/p")
        XCTAssertEqual(Pod.resource.path(namespace: "a", name: "p", subresource: "status"), "/api/v1/namespaces/a/pods/p/status")
        XCTAssertEqual(sessions.path(namespace: "a", name: "s", subresource: "status"),
                       "/apis/parallax.ai/v1alpha1/namespaces/a/agentsessions/s/status")
        XCTAssertEqual(sessions.path(), "/apis/parallax.ai/v1alpha1/agentsessions")
        let crds = DynamicResource(apiVersion: "apiextensions.k8s.io/v1", plural: "customresourcedefinitions",
                                   kind: "CustomResourceDefinition", namespaced: false)
        XCTAssertEqual(crds.path(namespace: "ignored", name: "agentsessions.parallax.ai"),
                       "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/agentsessions.parallax.ai")
        XCTAssertEqual(DynamicResource(apiVersion: "v1", plural: "configmaps", kind: "ConfigMap").groupVersionPath, "/api/v1")
    }

    func testDescriptorAccessors() {
        XCTAssertEqual(Pod.apiVersion, "v1")
        XCTAssertEqual(Lease.apiVersion, "coordination.k8s.io/v1")
        XCTAssertEqual(Lease.group, "coordination.k8s.io")
        XCTAssertEqual(Lease.plural, "leases")
        XCTAssertEqual(Lease.kind, "Lease")
        XCTAssertTrue(Lease.namespaced)
        XCTAssertFalse(Namespace.namespaced)
        XCTAssertEqual(sessions.description, "agentsessions.parallax.ai")
        XCTAssertEqual(Pod.resource.description, "pods")
    }

    func testEscaping() {
        XCTAssertEqual(PathEscaping.segment("a b/c"), "a%20b%2Fc")
        XCTAssertEqual(PathEscaping.segment("system:node:x"), "system:node:x")
        XCTAssertEqual(PathEscaping.query([("labelSelector", "app=web,tier in (a,b)"), ("limit", "500")]),
                       "?labelSelector=app%3Dweb%2Ctier%20in%20%28a%2Cb%29&limit=500")
        XCTAssertEqual(PathEscaping.query([]), "")
        XCTAssertEqual(PathEscaping.queryComponent("ü"), "%C3%BC")
    }
}
