import Foundation
import XCTest
import RuntimeCore
@testable import KubeEmulator

final class ListSemanticsTests: XCTestCase {
    func testBuiltinMergeKeys() {
        let pods = MergeSchema(resource: BuiltinResources.core[1])
        XCTAssertEqual(pods.strategy(for: ["spec", "containers"]), .map(["name"]))
        XCTAssertEqual(pods.strategy(for: ["spec", "containers", "env"]), .map(["name"]))
        XCTAssertEqual(pods.strategy(for: ["spec", "containers", "ports"]), .map(["containerPort"]))
        XCTAssertEqual(pods.strategy(for: ["spec", "containers", "volumeMounts"]), .map(["mountPath"]))
        XCTAssertEqual(pods.strategy(for: ["spec", "volumes"]), .map(["name"]))
        XCTAssertEqual(pods.strategy(for: ["spec", "imagePullSecrets"]), .map(["name"]))
        XCTAssertEqual(pods.strategy(for: ["status", "conditions"]), .map(["type"]))
        XCTAssertEqual(pods.strategy(for: ["spec", "tolerations"]), .atomic)
        XCTAssertEqual(pods.strategy(for: ["spec", "containers", "args"]), .atomic)
        XCTAssertEqual(pods.strategy(for: ["metadata", "finalizers"]), .set)
        XCTAssertEqual(pods.strategy(for: ["metadata", "ownerReferences"]), .map(["uid"]))
        XCTAssertEqual(MergeSchema(resource: BuiltinResources.core[4]).strategy(for: ["spec", "ports"]), .map(["port"]))
    }

    func testCustomResourceListTypes() throws {
        let (_, ags) = try Fixtures.storeWithCRD()
        let schema = MergeSchema(resource: ags)
        XCTAssertEqual(schema.strategy(for: ["spec", "env"]), .map(["name"]))
        XCTAssertEqual(schema.strategy(for: ["spec", "capabilities"]), .atomic)
        XCTAssertEqual(schema.strategy(for: ["spec", "nothing", "deeper"]), .atomic)
        XCTAssertEqual(schema.strategy(for: ["metadata", "finalizers"]), .set)
    }
}
