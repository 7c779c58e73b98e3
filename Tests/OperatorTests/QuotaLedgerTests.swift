import Foundation
import XCTest

@testable import Operator

final class QuotaLedgerTests: XCTestCase {
    func testNamespaceAndWorkspaceQuotas() {
        let ledger = QuotaLedger()
        let q = OperatorConfig.Quotas(maxSessionsPerNamespace: 2, maxSessionsPerWorkspace: 3, namespaces: ["big": 10])
        XCTAssertEqual(ledger.admit(key: "a/1", namespace: "a", workspace: "w", quotas: q), .admitted)
        XCTAssertEqual(ledger.admit(key: "a/2", namespace: "a", workspace: "w", quotas: q), .admitted)
        guard case .exceeded(let why) = ledger.admit(key: "a/3", namespace: "a", workspace: "w", quotas: q) else { return XCTFail() }
        XCTAssertEqual(why, "namespace a already has 2 of its 2 sessions")
        XCTAssertEqual(ledger.admit(key: "big/1", namespace: "big", workspace: "w", quotas: q), .admitted)
        guard case .exceeded(let ws) = ledger.admit(key: "big/2", namespace: "big", workspace: "w", quotas: q) else { return XCTFail() }
        XCTAssertEqual(ws, "workspace w already has 3 of its 3 sessions")
        XCTAssertEqual(ledger.admit(key: "big/3", namespace: "big", workspace: "other", quotas: q), .admitted)
        XCTAssertEqual(ledger.admit(key: "big/4", namespace: "big", workspace: "", quotas: q), .admitted, "no workspace, no workspace quota")
    }

    func testAdmittedSessionsKeepTheirPlaceAndReleaseFreesIt() {
        let released = LockedList()
        let ledger = QuotaLedger(onRelease: { ns, ws in released.append("\(ns)|\(ws)") })
        let q = OperatorConfig.Quotas(maxSessionsPerNamespace: 1)
        XCTAssertEqual(ledger.admit(key: "a/1", namespace: "a", workspace: "w", quotas: q), .admitted)
        XCTAssertEqual(ledger.admit(key: "a/1", namespace: "a", workspace: "w", quotas: q), .admitted, "idempotent")
        XCTAssertEqual(ledger.admit(key: "a/1", namespace: "a", workspace: "w", quotas: .init(maxSessionsPerNamespace: 0)), .admitted)
        XCTAssertNotEqual(ledger.admit(key: "a/2", namespace: "a", workspace: "w", quotas: q), .admitted)
        XCTAssertTrue(ledger.release(key: "a/1"))
        XCTAssertFalse(ledger.release(key: "a/1"))
        XCTAssertEqual(released.items, ["a|w"])
        XCTAssertEqual(ledger.admit(key: "a/2", namespace: "a", workspace: "w", quotas: q), .admitted)
    }

    /// A thousand concurrent admissions against a quota of 10 admit exactly 10.
    func testConcurrentAdmissionsNeverOverAdmit() async {
        let ledger = QuotaLedger()
        let q = OperatorConfig.Quotas(maxSessionsPerNamespace: 10)
        let admitted = await withTaskGroup(of: Bool.self) { group -> Int in
            for i in 0..<1000 {
                group.addTask { ledger.admit(key: "ns/\(i)", namespace: "ns", workspace: "", quotas: q) == .admitted }
            }
            var n = 0
            for await ok in group where ok { n += 1 }
            return n
        }
        XCTAssertEqual(admitted, 10)
        XCTAssertEqual(ledger.count(namespace: "ns"), 10)
    }

    func testSeedAndWorkspaceChange() {
        let ledger = QuotaLedger()
        ledger.seed(key: "a/1", namespace: "a", workspace: "w1")
        XCTAssertEqual(ledger.count(workspace: "w1"), 1)
        let q = OperatorConfig.Quotas(maxSessionsPerWorkspace: 1)
        XCTAssertEqual(ledger.admit(key: "a/1", namespace: "a", workspace: "w2", quotas: q), .admitted)
        XCTAssertEqual(ledger.count(workspace: "w1"), 0)
        XCTAssertEqual(ledger.count(workspace: "w2"), 1)
        ledger.reset()
        XCTAssertFalse(ledger.holds("a/1"))
    }
}

/// A thread-safe list for callbacks.
final class LockedList: @unchecked Sendable {
    private let lock = NSLock()
    private var _items: [String] = []
    func append(_ s: String) { lock.withLock { _items.append(s) } }
    var items: [String] { lock.withLock { _items } }
}
