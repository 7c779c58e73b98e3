import Foundation
import KubeClient
import XCTest

@testable import Operator

final class SessionLabelsTests: XCTestCase {
    func isValidLabelValue(_ v: String) -> Bool {
        guard v.count <= 63 else { return false }
        if v.isEmpty { return true }
        let alnum: (Character) -> Bool = { $0.isASCII && ($0.isLetter || $0.isNumber) }
        return v.allSatisfy { alnum($0) || "-_.".contains($0) } && alnum(v.first!) && alnum(v.last!)
    }

    func testValidValuesAreKept() {
        for v in ["ws-42", "fix-login-bug", "a.b_c", "X1"] { XCTAssertEqual(SessionLabels.labelValue(v), v) }
        XCTAssertEqual(SessionLabels.labelValue(""), "")
    }

    func testInvalidValuesAreSanitisedAndStayDistinct() {
        let long = String(repeating: "a", count: 200)
        let long2 = long + "b"
        for v in [long, long2, "Raven workspace #1", "-lead", "trail-", "ünïcode", "///"] {
            let out = SessionLabels.labelValue(v)
            XCTAssertTrue(isValidLabelValue(out), "\(v) → \(out)")
        }
        XCTAssertNotEqual(SessionLabels.labelValue(long), SessionLabels.labelValue(long2))
        XCTAssertEqual(SessionLabels.labelValue("Raven workspace #1"), SessionLabels.labelValue("Raven workspace #1"), "stable")
    }

    func testOwnerKeyMapsOwnedObjectsBack() {
        let s = makeSession()
        var pod = Pod(metadata: ObjectMeta(name: "fix-login-bug", namespace: "team-a"))
        XCTAssertNil(SessionLabels.ownerKey(of: pod))
        pod.metadata.ownerReferences = [SessionLabels.ownerReference(to: s)]
        XCTAssertEqual(SessionLabels.ownerKey(of: pod), "team-a/fix-login-bug")
        XCTAssertTrue(SessionLabels.isControlled(pod, by: s))
        XCTAssertFalse(SessionLabels.isControlled(pod, by: makeSession(uid: "another")))
        pod.metadata.ownerReferences = [OwnerReference(apiVersion: "apps/v1", kind: "ReplicaSet", name: "x", uid: "u", controller: true)]
        XCTAssertNil(SessionLabels.ownerKey(of: pod))
    }
}
