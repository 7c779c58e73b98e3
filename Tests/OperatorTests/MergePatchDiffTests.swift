import Foundation
import RuntimeCore
import XCTest

@testable import Operator

final class MergePatchDiffTests: XCTestCase {
    func testDiffs() {
        XCTAssertNil(MergePatchDiff.diff(["a": 1], ["a": 1]))
        XCTAssertEqual(MergePatchDiff.diff(["a": 1, "b": 2], ["a": 1, "b": 3]), ["b": 3])
        XCTAssertEqual(MergePatchDiff.diff(["a": 1, "login": ["url": "u", "code": "c"]], ["a": 1]), ["login": nil])
        XCTAssertEqual(MergePatchDiff.diff(["login": ["url": "u", "code": "c"]], ["login": ["url": "u"]]), ["login": ["code": nil]])
        XCTAssertEqual(MergePatchDiff.diff(["c": [1, 2]], ["c": [1]]), ["c": [1]], "arrays are replaced")
        XCTAssertEqual(MergePatchDiff.diff([:], ["x": nil]), nil, "nulls are not added")
    }

    /// Applying the patch with RFC 7386 semantics gives the new document.
    func testPatchApplies() {
        let old: JSON = ["phase": "Authenticating", "login": ["url": "u", "code": "c", "since": "t"], "restarts": 0, "podIP": "1.2.3.4"]
        let new: JSON = ["phase": "Ready", "restarts": 0, "podIP": "1.2.3.4", "registryKey": "/k"]
        let patch = MergePatchDiff.diff(old, new)!
        XCTAssertEqual(apply(patch, to: old), new)
    }

    func apply(_ patch: JSON, to target: JSON) -> JSON {
        guard case .object(let p) = patch else { return patch }
        var t = target.objectValue ?? [:]
        for (k, v) in p {
            if v.isNull { t.removeValue(forKey: k) } else { t[k] = apply(v, to: t[k] ?? .null) }
        }
        return .object(t)
    }
}
