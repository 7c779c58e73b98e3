import Foundation
import XCTest
import RuntimeCore
@testable import KubeEmulator

final class JSONPatchTests: XCTestCase {
    private func apply(_ doc: String, _ patch: String) throws -> JSON {
        try JSONPatch.apply(try JSON.parse(patch), to: try JSON.parse(doc))
    }

    func testOperations() throws {
        XCTAssertEqual(try apply(#"{"a":1}"#, #"[{"op":"add","path":"/b","value":2}]"#), ["a": 1, "b": 2])
        XCTAssertEqual(try apply(#"{"a":[1,2]}"#, #"[{"op":"add","path":"/a/1","value":9}]"#), ["a": [1, 9, 2]])
        XCTAssertEqual(try apply(#"{"a":[1,2]}"#, #"[{"op":"add","path":"/a/-","value":3}]"#), ["a": [1, 2, 3]])
        XCTAssertEqual(try apply(#"{"a":1,"b":2}"#, #"[{"op":"remove","path":"/a"}]"#), ["b": 2])
        XCTAssertEqual(try apply(#"{"a":[1,2,3]}"#, #"[{"op":"remove","path":"/a/0"}]"#), ["a": [2, 3]])
        XCTAssertEqual(try apply(#"{"a":1}"#, #"[{"op":"replace","path":"/a","value":{"x":null}}]"#), ["a": ["x": nil]])
        XCTAssertEqual(try apply(#"{"a":{"b":1},"c":{}}"#, #"[{"op":"move","from":"/a/b","path":"/c/d"}]"#), ["a": [:], "c": ["d": 1]])
        XCTAssertEqual(try apply(#"{"a":[1]}"#, #"[{"op":"copy","from":"/a","path":"/b"}]"#), ["a": [1], "b": [1]])
        XCTAssertEqual(try apply(#"{"a":{"b":1}}"#, #"[{"op":"test","path":"/a","value":{"b":1.0}}]"#), ["a": ["b": 1]])
        XCTAssertEqual(try apply(#"{}"#, #"[{"op":"add","path":"","value":[1]}]"#), [1])
    }

    func testPointerEscaping() throws {
        let doc = #"{"metadata":{"annotations":{"example.com/x~y":"1"}}}"#
        XCTAssertEqual(try apply(doc, #"[{"op":"replace","path":"/metadata/annotations/example.com~1x~0y","value":"2"}]"#),
                       ["metadata": ["annotations": ["example.com/x~y": "2"]]])
    }

    func testFailuresAre422AndMalformedPatchesAre400() throws {
        func code(_ doc: String, _ patch: String) -> Int? {
            do { _ = try apply(doc, patch); return nil } catch let e as APIError { return e.code } catch { return -1 }
        }
        XCTAssertEqual(code(#"{"a":1}"#, #"[{"op":"test","path":"/a","value":2}]"#), 422)
        XCTAssertEqual(code(#"{"a":1}"#, #"[{"op":"remove","path":"/b"}]"#), 422)
        XCTAssertEqual(code(#"{"a":1}"#, #"[{"op":"replace","path":"/b","value":1}]"#), 422)
        XCTAssertEqual(code(#"{"a":[1]}"#, #"[{"op":"add","path":"/a/5","value":1}]"#), 422)
        XCTAssertEqual(code(#"{"a":[1]}"#, #"[{"op":"add","path":"/a/01","value":1}]"#), 422)
        XCTAssertEqual(code(#"{"a":1}"#, #"[{"op":"add","path":"/x/y","value":1}]"#), 422)
        XCTAssertEqual(code(#"{"a":{}}"#, #"[{"op":"move","from":"/a","path":"/a/b"}]"#), 422)
        XCTAssertEqual(code(#"{"a":1}"#, #"{"op":"add"}"#), 400)
        XCTAssertEqual(code(#"{"a":1}"#, #"[{"path":"/a"}]"#), 400)
        XCTAssertEqual(code(#"{"a":1}"#, #"[{"op":"add","path":"/b"}]"#), 400)
        XCTAssertEqual(code(#"{"a":1}"#, #"[{"op":"frobnicate","path":"/a"}]"#), 400)
        XCTAssertEqual(code(#"{"a":1}"#, #"[{"op":"add","path":"a","value":1}]"#), 400)
    }

    func testAtomicity() throws {
        // A failing operation leaves nothing applied (the caller gets an error, never a half-patched object).
        XCTAssertThrowsError(try apply(#"{"a":1}"#, #"[{"op":"add","path":"/b","value":2},{"op":"test","path":"/a","value":3}]"#))
    }
}
