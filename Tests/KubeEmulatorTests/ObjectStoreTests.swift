import Foundation
import XCTest
import RuntimeCore
@testable import KubeEmulator

final class ObjectStoreTests: XCTestCase {
    func testFreshClusterHasDefaultNamespacesServiceAccountsAndKubernetesService() throws {
        let s = Fixtures.store()
        let names = try s.list(Fixtures.namespaces, namespace: nil).items.map(\.name)
        XCTAssertEqual(names, ["default", "kube-node-lease", "kube-public", "kube-system"])
        let ns = try s.get(Fixtures.namespaces, namespace: nil, name: "default")
        XCTAssertEqual(ns["status"]["phase"], "Active")
        XCTAssertEqual(ns["spec"]["finalizers"], ["kubernetes"])
        XCTAssertEqual(ns.metadata["labels"]["kubernetes.io/metadata.name"], "default")
        XCTAssertNoThrow(try s.get(Fixtures.serviceaccounts, namespace: "kube-system", name: "default"))
        let svc = try s.get(Fixtures.services, namespace: "default", name: "kubernetes")
        XCTAssertEqual(svc["spec"]["clusterIP"], "10.96.0.1")
    }

    func testCreateSetsServerMetadata() throws {
        let s = Fixtures.store()
        let created = try s.create(Fixtures.configmaps, namespace: "default", object: Fixtures.configMap("a")).object
        XCTAssertEqual(created["kind"], "ConfigMap")
        XCTAssertEqual(created["apiVersion"], "v1")
        XCTAssertEqual(created.metadata["namespace"], "default")
        XCTAssertEqual(created.metadata["generation"], 1)
        XCTAssertEqual(created.metadata["creationTimestamp"], "2023-11-14T22:13:20Z")
        XCTAssertNotNil(UUID(uuidString: created.uid))
        XCTAssertEqual(created.uid, created.uid.lowercased())
        XCTAssertEqual(created.resourceVersion, s.resourceVersion)
        XCTAssertEqual(try s.get(Fixtures.configmaps, namespace: "default", name: "a"), created)
    }

    func testServerFieldsInTheBodyAreIgnored() throws {
        let s = Fixtures.store()
        var body = Fixtures.configMap("a")
        body.metadata["uid"] = "not-mine"
        body.metadata["resourceVersion"] = "999"
        body.metadata["managedFields"] = [["manager": "x"]]
        body.metadata["deletionTimestamp"] = "2020-01-01T00:00:00Z"
        let created = try s.create(Fixtures.configmaps, namespace: "default", object: body).object
        XCTAssertNotEqual(created.uid, "not-mine")
        XCTAssertTrue(created.metadata["managedFields"].isNull)
        XCTAssertFalse(created.isBeingDeleted)
    }

    func testResourceVersionsIncreaseGlobally() throws {
        let s = Fixtures.store()
        let a = try s.create(Fixtures.configmaps, namespace: "default", object: Fixtures.configMap("a")).object
        let b = try s.create(Fixtures.secrets, namespace: "default",
                             object: ["metadata": ["name": "b"], "data": [:]]).object
        XCTAssertEqual(Int(b.resourceVersion)!, Int(a.resourceVersion)! + 1)
    }

    func testGenerateNameAppendsFiveCharactersAndRetries() throws {
        let s = Fixtures.store()
        var names = Set<String>()
        for _ in 0..<20 {
            let o = try s.create(Fixtures.configmaps, namespace: "default",
                                 object: ["metadata": ["generateName": "job-"]]).object
            XCTAssertTrue(o.name.hasPrefix("job-"))
            XCTAssertEqual(o.name.count, 9)
            XCTAssertTrue(o.name.dropFirst(4).allSatisfy { RandomNames.alphabet.contains($0) })
            names.insert(o.name)
        }
        XCTAssertEqual(names.count, 20)
    }

    func testNameOrGenerateNameRequired() {
        let s = Fixtures.store()
        let e = assertAPIError(422, "Invalid") { try s.create(Fixtures.configmaps, namespace: "default", object: ["data": [:]]) }
        XCTAssertEqual(e?.causes.first?.field, "metadata.name")
        XCTAssertEqual(e?.causes.first?.message, "Required value: name or generateName is required")
    }

    func testAlreadyExists() throws {
        let s = Fixtures.store()
        _ = try s.create(Fixtures.configmaps, namespace: "default", object: Fixtures.configMap("a"))
        let e = assertAPIError(409, "AlreadyExists") {
            try s.create(Fixtures.configmaps, namespace: "default", object: Fixtures.configMap("a"))
        }
        XCTAssertEqual(e?.message, "configmaps \"a\" already exists")
        XCTAssertEqual(e?.status["details"]["kind"], "configmaps")
    }

    func testNamespaceMustExist() {
        let s = Fixtures.store()
        let e = assertAPIError(404, "NotFound") {
            try s.create(Fixtures.configmaps, namespace: "nope", object: Fixtures.configMap("a", ns: "nope"))
        }
        XCTAssertEqual(e?.message, "namespaces \"nope\" not found")
    }

    func testNamespaceMismatchIsBadRequest() {
        let s = Fixtures.store()
        assertAPIError(400, "BadRequest") {
            try s.create(Fixtures.configmaps, namespace: "kube-system", object: Fixtures.configMap("a", ns: "default"))
        }
    }

    func testGetMissingIsNotFoundWithDetails() {
        let s = Fixtures.store()
        let e = assertAPIError(404, "NotFound") { try s.get(Fixtures.pods, namespace: "default", name: "x") }
        XCTAssertEqual(e?.message, "pods \"x\" not found")
        XCTAssertEqual(e?.status["details"], ["name": "x", "kind": "pods"])
    }

    func test300CharacterNameIsRejected() {
        let s = Fixtures.store()
        let long = String(repeating: "a", count: 300)
        let e = assertAPIError(422, "Invalid") {
            try s.create(Fixtures.configmaps, namespace: "default", object: Fixtures.configMap(long))
        }
        XCTAssertEqual(e?.causes.first?.field, "metadata.name")
        XCTAssertEqual(e?.causes.first?.message, "Invalid value: \"\(long)\": must be no more than 253 characters")
        XCTAssertTrue(e?.message.hasPrefix("ConfigMap \"\(long)\" is invalid: metadata.name: Invalid value:") ?? false)
    }

    func testInvalidNamesPerResourceRule() {
        let s = Fixtures.store()
        let ns = assertAPIError(422) { try s.create(Fixtures.namespaces, namespace: nil, object: Fixtures.namespace("a.b")) }
        XCTAssertEqual(ns?.causes.first?.message, "Invalid value: \"a.b\": " + Validation.dns1123LabelMessage)
        let svc = assertAPIError(422) {
            try s.create(Fixtures.services, namespace: "default",
                         object: ["metadata": ["name": "1abc"], "spec": ["ports": [["port": 80]]]])
        }
        XCTAssertEqual(svc?.causes.first?.message, "Invalid value: \"1abc\": " + Validation.dns1035LabelMessage)
    }

    func testDryRunPersistsNothing() throws {
        let s = Fixtures.store()
        let rv = s.resourceVersion
        let r = try s.create(Fixtures.configmaps, namespace: "default", object: Fixtures.configMap("a"),
                             options: WriteOptions(dryRun: true))
        XCTAssertEqual(r.object.name, "a")
        XCTAssertEqual(s.resourceVersion, rv)
        assertAPIError(404) { try s.get(Fixtures.configmaps, namespace: "default", name: "a") }
    }

    func testClusterScopedCreateDropsNamespace() throws {
        let s = Fixtures.store()
        var ns = Fixtures.namespace("team-a")
        ns.metadata["namespace"] = "default"
        let created = try s.create(Fixtures.namespaces, namespace: nil, object: ns).object
        XCTAssertTrue(created.metadata["namespace"].isNull)
        XCTAssertNoThrow(try s.get(Fixtures.serviceaccounts, namespace: "team-a", name: "default"))
    }

    func testConcurrentWritersAllSucceedWithDistinctVersions() throws {
        let s = Fixtures.store()
        let n = 200
        DispatchQueue.concurrentPerform(iterations: n) { i in
            _ = try? s.create(Fixtures.configmaps, namespace: "default", object: Fixtures.configMap("c\(i)"))
        }
        let items = try s.list(Fixtures.configmaps, namespace: "default").items
        XCTAssertEqual(items.count, n)
        XCTAssertEqual(Set(items.map(\.resourceVersion)).count, n)
    }
}
