import Foundation
import RuntimeCore
import XCTest

@testable import KubeClient

/// RuntimeCore's JSONValueEncoder/JSONValueDecoder (what KubeClient decodes and encodes with) give the
/// same models, the same JSON and the same error messages as Foundation's JSONDecoder/JSONEncoder.
final class ValueCodersTests: XCTestCase {
    private func foundationDecode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }

    private func ours<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try JSONValueDecoder().decode(T.self, from: try JSON.parse(text))
    }

    func testDecodesTheSameModelsAsFoundation() throws {
        let podText = PodTests.podJSON
        XCTAssertEqual(try ours(Pod.self, podText), try foundationDecode(Pod.self, podText))
        let secret = #"{"metadata": {"name": "s", "namespace": "n", "uid": "u1"}, "type": "Opaque", "data": {"k": "aGVsbG8="}}"#
        XCTAssertEqual(try ours(Secret.self, secret), try foundationDecode(Secret.self, secret))
        XCTAssertEqual(try ours(Secret.self, secret).data?["k"], Data("hello".utf8))
        let event = #"""
            {"metadata": {"name": "e", "namespace": "n", "creationTimestamp": "2024-05-01T10:00:00Z"},
             "involvedObject": {"kind": "Pod", "name": "p"}, "reason": "Started", "count": 3,
             "firstTimestamp": "2024-05-01T10:00:00Z", "lastTimestamp": null}
            """#
        XCTAssertEqual(try ours(Event.self, event), try foundationDecode(Event.self, event))
        let list = #"{"metadata": {"resourceVersion": "7"}, "items": [\#(secret), \#(secret)]}"#
        let a = try ours(ObjectList<Secret>.self, list), b = try foundationDecode(ObjectList<Secret>.self, list)
        XCTAssertEqual(a.items, b.items)
        XCTAssertEqual(a.metadata.resourceVersion, "7")
        // Whole numbers written as 2.0 still decode into integer fields; JSON members are kept as they are.
        XCTAssertEqual(try ours([String: Int].self, #"{"a": 2.0, "b": -3}"#), ["a": 2, "b": -3])
        XCTAssertEqual(try ours([String: JSON].self, #"{"a": {"x": [1, "y", null]}}"#), ["a": ["x": [1, "y", nil]]])
    }

    func testEncodesTheSameJSONAsFoundation() throws {
        let pod = try foundationDecode(Pod.self, PodTests.podJSON)
        XCTAssertEqual(try JSONValueEncoder().encode(pod), try JSON.parse(JSONEncoder().encode(pod)))
        var secret = Secret(metadata: ObjectMeta(name: "s", namespace: "n", labels: ["a": "b"]))
        secret.data = ["k": Data([0, 1, 2, 255])]
        XCTAssertEqual(try JSONValueEncoder().encode(secret), try JSON.parse(JSONEncoder().encode(secret)))
        let date = Date(timeIntervalSinceReferenceDate: 12.5)
        XCTAssertEqual(try JSONValueEncoder().encode(["d": date]), try JSON.parse(JSONEncoder().encode(["d": date])))
        XCTAssertThrowsError(try JSONValueEncoder().encode([Double.nan])) { XCTAssert($0 is EncodingError) }
    }

    func testErrorsDescribeTheSamePathAsFoundation() throws {
        let documents = [
            #"{"metadata": {"name": 5}}"#,
            #"{"metadata": {"name": "p"}, "spec": {"containers": [{"name": "a"}, {"name": null}]}}"#,
            #"{"metadata": {"name": "p"}, "spec": {"containers": [{"name": "a", "ports": [{"containerPort": "x"}]}]}}"#,
            #"{"metadata": "nope"}"#,
        ]
        for text in documents {
            var foundation = "", ourError = ""
            do { _ = try foundationDecode(Pod.self, text) } catch let e as DecodingError { foundation = KubeClient.describe(e) }
            do { _ = try ours(Pod.self, text) } catch let e as DecodingError { ourError = KubeClient.describe(e) }
            XCTAssertFalse(foundation.isEmpty, text)
            XCTAssertEqual(ourError, foundation, text)
        }
    }
}
