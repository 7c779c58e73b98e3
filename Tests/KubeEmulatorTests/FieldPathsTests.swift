import Foundation
import XCTest
import RuntimeCore
@testable import KubeEmulator

final class FieldPathsTests: XCTestCase {
    private let schema = MergeSchema(resource: BuiltinResources.core[1])
    private let pod: JSON = [
        "apiVersion": "v1", "kind": "Pod",
        "metadata": ["name": "p", "uid": "u", "labels": ["app": "x"], "finalizers": ["f"]],
        "spec": ["containers": [["name": "a", "image": "i", "args": ["x", "y"]]], "nodeSelector": [:]],
        "status": ["phase": "Running"],
    ]

    func testExtraction() {
        let paths = FieldPaths.values(of: pod, scope: .main(excludeStatus: true), schema: schema).keys.map(\.description).sorted()
        XCTAssertEqual(paths, [
            ".metadata.finalizers[=\"f\"]", ".metadata.labels.app",
            ".spec.containers[name=\"a\"]", ".spec.containers[name=\"a\"].args", ".spec.containers[name=\"a\"].image",
            ".spec.containers[name=\"a\"].name", ".spec.nodeSelector",
        ])
        let status = FieldPaths.values(of: pod, scope: .status, schema: schema).keys.map(\.description)
        XCTAssertEqual(status, [".status.phase"])
    }

    func testValueAndRemove() {
        let image = FieldPath(elements: [.field("spec"), .field("containers"), .key(["name": "a"]), .field("image")])
        XCTAssertEqual(FieldPaths.value(at: image, in: pod), "i")
        XCTAssertTrue(FieldPath(elements: [.field("spec"), .field("containers"), .key(["name": "a"]), .field("name")]).isMergeKeyOfElement)
        XCTAssertFalse(image.isMergeKeyOfElement)
        var doc = pod
        FieldPaths.remove(image, from: &doc)
        XCTAssertTrue(doc["spec"]["containers"][0]["image"].isNull)
        FieldPaths.remove(FieldPath(elements: [.field("spec"), .field("containers"), .key(["name": "a"])]), from: &doc)
        XCTAssertEqual(doc["spec"]["containers"], [])
        FieldPaths.remove(FieldPath(elements: [.field("metadata"), .field("finalizers"), .value("f")]), from: &doc)
        XCTAssertEqual(doc.metadata["finalizers"], [])
        FieldPaths.remove(FieldPath(elements: [.field("nothing"), .field("here")]), from: &doc)
    }
}
