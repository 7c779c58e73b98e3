import Foundation
import XCTest
import RuntimeCore
@testable import KubeEmulator

final class CoreRulesTests: XCTestCase {
    func testSecretStringDataIsMergedIntoData() throws {
        let s = Fixtures.store()
        let secret = try s.create(Fixtures.secrets, namespace: "default", object: [
            "metadata": ["name": "s"], "data": ["a": "YWE="], "stringData": ["b": "bb", "a": "override"],
        ]).object
        XCTAssertEqual(secret["data"], ["a": "b3ZlcnJpZGU=", "b": "YmI="])
        XCTAssertTrue(secret["stringData"].isNull)
        XCTAssertEqual(secret["type"], "Opaque")
    }

    func testSecretDataMustBeBase64() {
        let s = Fixtures.store()
        let e = assertAPIError(400, "BadRequest") {
            try s.create(Fixtures.secrets, namespace: "default", object: ["metadata": ["name": "s"], "data": ["a": "not base64!"]])
        }
        XCTAssertEqual(e?.message, "Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data at input byte 3")
        XCTAssertNil(SecretRules.invalidBase64Offset("YWJj"))
        XCTAssertNil(SecretRules.invalidBase64Offset(""))
        XCTAssertNotNil(SecretRules.invalidBase64Offset("YWJ"))
        XCTAssertNotNil(SecretRules.invalidBase64Offset("YQ==YQ=="))
    }

    func testSecretKeysTypeAndImmutability() throws {
        let s = Fixtures.store()
        let e = assertAPIError(422) {
            try s.create(Fixtures.secrets, namespace: "default", object: ["metadata": ["name": "s"], "stringData": ["bad/key": "x"]])
        }
        XCTAssertEqual(e?.causes.first?.field, "data[bad/key]")
        var secret = try s.create(Fixtures.secrets, namespace: "default",
                                  object: ["metadata": ["name": "s"], "stringData": ["k": "v"], "immutable": true]).object
        secret["type"] = "kubernetes.io/tls"
        secret["data"] = ["k": "dw=="]
        let u = assertAPIError(422) { try s.update(Fixtures.secrets, namespace: "default", name: "s", object: secret) }
        XCTAssertEqual(u?.causes.map(\.field), ["type", "data"])
    }

    func testConfigMapKeysAndImmutability() throws {
        let s = Fixtures.store()
        assertAPIError(422) { try s.create(Fixtures.configmaps, namespace: "default", object: Fixtures.configMap("c", data: ["a b": "x"])) }
        var cm = Fixtures.configMap("c", data: ["a": "1"])
        cm["immutable"] = true
        var created = try s.create(Fixtures.configmaps, namespace: "default", object: cm).object
        created["data"] = ["a": "2"]
        assertAPIError(422) { try s.update(Fixtures.configmaps, namespace: "default", name: "c", object: created) }
    }

    func testNamespaceSpecAndLabelAreServerOwned() throws {
        let s = Fixtures.store()
        var ns = try s.create(Fixtures.namespaces, namespace: nil, object: Fixtures.namespace("team")).object
        ns["spec"] = ["finalizers": []]
        ns.metadata["labels"] = ["owner": "me"]
        let updated = try s.update(Fixtures.namespaces, namespace: nil, name: "team", object: ns).object
        XCTAssertEqual(updated["spec"]["finalizers"], ["kubernetes"])
        XCTAssertEqual(updated.labels, ["owner": "me", "kubernetes.io/metadata.name": "team"])
    }

    func testClaimsStartPending() throws {
        let s = Fixtures.store()
        let pvc = try s.create(BuiltinResources.core[7], namespace: "default", object: [
            "metadata": ["name": "ws"], "spec": ["accessModes": ["ReadWriteOnce"], "resources": ["requests": ["storage": "1Gi"]]],
        ]).object
        XCTAssertEqual(pvc["status"]["phase"], "Pending")
    }
}
