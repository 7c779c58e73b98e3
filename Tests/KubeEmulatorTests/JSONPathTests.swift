import Foundation
import XCTest
import RuntimeCore
@testable import KubeEmulator

final class JSONPathTests: XCTestCase {
    private let doc: JSON = [
        "metadata": ["name": "x", "labels": ["app.kubernetes.io/name": "web"]],
        "spec": ["containers": [["name": "a", "image": "a:1"], ["name": "b", "image": "b:1"]], "replicas": 3],
        "status": ["conditions": [["type": "Ready", "status": "True"], ["type": "Scheduled", "status": "False"]]],
    ]

    private func eval(_ path: String) -> [JSON]? { JSONPath(path)?.evaluate(doc) }

    func testPaths() {
        XCTAssertEqual(eval(".metadata.name"), ["x"])
        XCTAssertEqual(eval("{.metadata.name}"), ["x"])
        XCTAssertEqual(eval("$.spec.replicas"), [3])
        XCTAssertEqual(eval(".spec.containers[0].image"), ["a:1"])
        XCTAssertEqual(eval(".spec.containers[-1].name"), ["b"])
        XCTAssertEqual(eval(".spec.containers[*].name"), ["a", "b"])
        XCTAssertEqual(eval(".spec.containers.*.name"), ["a", "b"])
        XCTAssertEqual(eval(".metadata.labels['app.kubernetes.io/name']"), ["web"])
        XCTAssertEqual(eval("..image"), ["a:1", "b:1"])
        XCTAssertEqual(eval(".status.conditions[?(@.type==\"Ready\")].status"), ["True"])
        XCTAssertEqual(eval(".status.conditions[?(@.type == 'Scheduled')].status"), ["False"])
        XCTAssertEqual(eval(".status.conditions[?(@.type!=\"Ready\")].type"), ["Scheduled"])
        XCTAssertEqual(eval(".spec.containers[?(@.image)].name"), ["a", "b"])
        XCTAssertEqual(eval(".status.missing"), [])
        XCTAssertEqual(eval(".spec.containers[9]"), [])
    }

    func testNumericFilters() {
        let d: JSON = ["items": [["n": 1], ["n": 5], ["n": 10]]]
        XCTAssertEqual(JSONPath(".items[?(@.n>=5)].n")?.evaluate(d), [5, 10])
        XCTAssertEqual(JSONPath(".items[?(@.n<5)].n")?.evaluate(d), [1])
    }

    func testInvalidExpressions() {
        for bad in [".a[", ".a[x]", "a.b", ".a[?(@.b==)]", ".a['b"] {
            XCTAssertNil(JSONPath(bad), bad)
        }
    }
}
