import Foundation
import XCTest
import RuntimeCore
@testable import KubeEmulator

final class GarbageCollectorTests: XCTestCase {
    private let cm = Fixtures.configmaps

    /// An owner ConfigMap and dependents that reference it.
    private func family(_ s: APIStore, dependents: Int = 2, block: Bool = false) throws -> JSON {
        let owner = try s.create(cm, namespace: "default", object: Fixtures.configMap("owner")).object
        for i in 0..<dependents {
            var d = Fixtures.configMap("dep\(i)")
            d.metadata["ownerReferences"] = [Fixtures.ownerRef(owner, block: block)]
            _ = try s.create(cm, namespace: "default", object: d)
        }
        return owner
    }

    private func names(_ s: APIStore) throws -> [String] {
        try s.list(cm, namespace: "default").items.map(\.name)
    }

    func testBackgroundDeletesDependentsAfterTheOwner() throws {
        let s = Fixtures.store()
        _ = try family(s)
        let r = try s.delete(cm, namespace: "default", name: "owner")
        XCTAssertTrue(r.completed)
        XCTAssertEqual(try names(s), [])
    }

    func testDependentWithAnotherLiveOwnerSurvivesAndLosesTheDanglingReference() throws {
        let s = Fixtures.store()
        let owner = try family(s, dependents: 0)
        let other = try s.create(cm, namespace: "default", object: Fixtures.configMap("other")).object
        var d = Fixtures.configMap("shared")
        d.metadata["ownerReferences"] = [Fixtures.ownerRef(owner), Fixtures.ownerRef(other)]
        _ = try s.create(cm, namespace: "default", object: d)
        _ = try s.delete(cm, namespace: "default", name: "owner")
        let shared = try s.get(cm, namespace: "default", name: "shared")
        XCTAssertEqual(shared.ownerReferences.map { $0["name"] }, ["other"])
    }

    func testOrphanKeepsDependentsWithoutTheReference() throws {
        let s = Fixtures.store()
        _ = try family(s)
        _ = try s.delete(cm, namespace: "default", name: "owner", options: DeleteOptions(propagationPolicy: .orphan))
        XCTAssertEqual(try names(s), ["dep0", "dep1"])
        XCTAssertTrue(try s.get(cm, namespace: "default", name: "dep0").metadata["ownerReferences"].isNull)
    }

    func testForegroundWaitsForBlockingDependents() throws {
        let s = Fixtures.store()
        _ = try family(s, dependents: 1, block: true)
        // A blocking dependent held by its own finalizer keeps the owner in foreground deletion.
        var held = try s.get(cm, namespace: "default", name: "dep0")
        held.metadata["finalizers"] = ["example.com/hold"]
        _ = try s.update(cm, namespace: "default", name: "dep0", object: held)

        let r = try s.delete(cm, namespace: "default", name: "owner", options: DeleteOptions(propagationPolicy: .foreground))
        XCTAssertFalse(r.completed)
        let owner = try s.get(cm, namespace: "default", name: "owner")
        XCTAssertTrue(owner.isBeingDeleted)
        XCTAssertEqual(owner.finalizers, ["foregroundDeletion"])
        XCTAssertTrue(try s.get(cm, namespace: "default", name: "dep0").isBeingDeleted)

        _ = try s.patch(cm, namespace: "default", name: "dep0", type: .merge, body: ["metadata": ["finalizers": nil]])
        XCTAssertEqual(try names(s), [])
    }

    func testForegroundWithNonBlockingDependentsFinishesAtOnce() throws {
        let s = Fixtures.store()
        _ = try family(s, dependents: 2, block: false)
        _ = try s.delete(cm, namespace: "default", name: "owner", options: DeleteOptions(propagationPolicy: .foreground))
        XCTAssertEqual(try names(s), [])
    }

    func testDanglingOwnerReferenceIsCollected() throws {
        let s = Fixtures.store()
        var d = Fixtures.configMap("orphan")
        d.metadata["ownerReferences"] = [["apiVersion": "v1", "kind": "ConfigMap", "name": "gone", "uid": "0000"]]
        _ = try s.create(cm, namespace: "default", object: d)
        XCTAssertEqual(try names(s), [])
    }

    func testUnresolvableOwnerKindKeepsTheDependent() throws {
        let s = Fixtures.store()
        var d = Fixtures.configMap("kept")
        d.metadata["ownerReferences"] = [["apiVersion": "example.com/v1", "kind": "Unknown", "name": "x", "uid": "1111"]]
        _ = try s.create(cm, namespace: "default", object: d)
        XCTAssertEqual(try names(s), ["kept"])
    }

    func testChainsAreCollectedTransitively() throws {
        let s = Fixtures.store()
        let owner = try family(s, dependents: 1)
        let dep0 = try s.get(cm, namespace: "default", name: "dep0")
        var grandchild = Fixtures.configMap("grandchild")
        grandchild.metadata["ownerReferences"] = [Fixtures.ownerRef(dep0)]
        _ = try s.create(cm, namespace: "default", object: grandchild)
        _ = owner
        _ = try s.delete(cm, namespace: "default", name: "owner")
        XCTAssertEqual(try names(s), [])
    }

    func testCustomResourceOwnsPodAndSecret() throws {
        let (s, ags) = try Fixtures.storeWithCRD()
        let session = try s.create(ags, namespace: "default", object: Fixtures.session("x")).object
        var pod = Fixtures.pod("x")
        pod.metadata["ownerReferences"] = [Fixtures.ownerRef(session, block: true, controller: true)]
        _ = try s.create(Fixtures.pods, namespace: "default", object: pod)
        var secret: JSON = ["metadata": ["name": "x-credentials"], "stringData": ["supervisor-token": "t"]]
        secret.metadata["ownerReferences"] = [Fixtures.ownerRef(session)]
        _ = try s.create(Fixtures.secrets, namespace: "default", object: secret)
        _ = try s.delete(ags, namespace: "default", name: "x")
        XCTAssertEqual(try s.list(Fixtures.pods, namespace: "default").items.count, 0)
        XCTAssertEqual(try s.list(Fixtures.secrets, namespace: "default").items.count, 0)
    }

    func testDroppingTheReferenceReleasesAForegroundOwner() throws {
        let s = Fixtures.store()
        _ = try family(s, dependents: 1, block: true)
        var held = try s.get(cm, namespace: "default", name: "dep0")
        held.metadata["finalizers"] = ["example.com/hold"]
        _ = try s.update(cm, namespace: "default", name: "dep0", object: held)
        _ = try s.delete(cm, namespace: "default", name: "owner", options: DeleteOptions(propagationPolicy: .foreground))
        XCTAssertNoThrow(try s.get(cm, namespace: "default", name: "owner"))
        _ = try s.patch(cm, namespace: "default", name: "dep0", type: .merge, body: ["metadata": ["ownerReferences": nil]])
        XCTAssertEqual(try names(s), ["dep0"])
    }
}
