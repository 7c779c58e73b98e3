import Foundation
import XCTest
import RuntimeCore
@testable import KubeEmulator

final class ValidationTests: XCTestCase {
    func testDNSRules() {
        XCTAssertTrue(Validation.isDNS1123Label("a-1"))
        XCTAssertFalse(Validation.isDNS1123Label("-a"))
        XCTAssertFalse(Validation.isDNS1123Label("A"))
        XCTAssertTrue(Validation.isDNS1123Subdomain("a.b-c.d"))
        XCTAssertFalse(Validation.isDNS1123Subdomain("a..b"))
        XCTAssertFalse(Validation.isDNS1035Label("1a"))
        XCTAssertTrue(Validation.isDNS1035Label("a1"))
    }

    func testNameErrors() {
        XCTAssertEqual(Validation.nameErrors(String(repeating: "a", count: 254), rule: .subdomain).map(\.detail),
                       ["must be no more than 253 characters"])
        XCTAssertEqual(Validation.nameErrors(String(repeating: "a", count: 64), rule: .label).map(\.detail),
                       ["must be no more than 63 characters"])
        XCTAssertEqual(Validation.nameErrors("Bad", rule: .subdomain).first?.description,
                       "metadata.name: Invalid value: \"Bad\": " + Validation.dns1123SubdomainMessage)
        XCTAssertEqual(Validation.nameErrors("job-", rule: .subdomain, prefix: true), [])
        XCTAssertEqual(Validation.nameErrors("job-", rule: .subdomain).count, 1)
        XCTAssertEqual(Validation.nameErrors("a/b", rule: .pathSegment).count, 1)
    }

    func testLabelsAndAnnotations() {
        let obj: JSON = ["metadata": [
            "labels": ["app.kubernetes.io/name": "ok", "bad key": "v", "k": "bad value", "long": .string(String(repeating: "x", count: 64))],
            "annotations": ["example.com/anything": "any value is fine here"],
        ]]
        let errs = Validation.metadataErrors(obj)
        XCTAssertEqual(errs.map(\.field), ["metadata.labels", "metadata.labels", "metadata.labels"])
        XCTAssertEqual(errs[0].value, "bad key")
        XCTAssertEqual(errs[0].detail, Validation.qualifiedNameMessage)
        XCTAssertEqual(errs[1].detail, Validation.labelValueMessage)
        XCTAssertEqual(errs[2].detail, "must be no more than 63 characters")
    }

    func testAnnotationSizeLimit() {
        let big: JSON = ["metadata": ["annotations": ["a": .string(String(repeating: "x", count: 300_000))]]]
        XCTAssertEqual(Validation.metadataErrors(big).first?.description, "metadata.annotations: Too long: must have at most 262144 bytes")
    }

    func testOwnerReferences() {
        let obj: JSON = ["metadata": ["ownerReferences": [
            ["apiVersion": "v1", "kind": "ConfigMap", "name": "a", "uid": "1", "controller": true],
            ["apiVersion": "v1", "kind": "ConfigMap", "name": "b", "uid": "2", "controller": true],
            ["kind": "ConfigMap", "name": "c", "uid": "3"],
        ]]]
        let fields = Validation.metadataErrors(obj).map(\.field)
        XCTAssertEqual(fields, ["metadata.ownerReferences[2].apiVersion", "metadata.ownerReferences"])
    }
}
