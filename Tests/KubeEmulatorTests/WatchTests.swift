import Foundation
import XCTest
import RuntimeCore
@testable import KubeEmulator

final class WatchTests: XCTestCase {
    private func entry(_ rv: Int64, _ type: WatchEvent.EventType = .added, labels: [String: String] = [:], previous: JSON? = nil) -> HistoryEntry {
        var o = Fixtures.configMap("o", labels: labels)
        o.metadata["resourceVersion"] = .string(String(rv))
        return HistoryEntry(rv: rv, type: type, object: o, previous: previous)
    }

    func testHistoryRingEvictsOldest() {
        var h = WatchHistory(capacity: 3, startingAt: 0)
        for rv in [10, 11, 12] as [Int64] { h.append(entry(rv)) }
        XCTAssertEqual(h.since(0)?.map(\.rv), [10, 11, 12])
        h.append(entry(13))
        h.append(entry(14))
        XCTAssertEqual(h.ordered.map(\.rv), [12, 13, 14])
        XCTAssertEqual(h.evictedThrough, 11)
        XCTAssertNil(h.since(10))
        XCTAssertEqual(h.since(11)?.map(\.rv), [12, 13, 14])
        XCTAssertEqual(h.since(14)?.map(\.rv), [])
        XCTAssertEqual(h.oldestServable, 11)
    }

    func testTransitionsComputedPerSubscriber() throws {
        let sub = WatchSubscription(resource: Fixtures.configmaps, namespace: nil, labelSelector: try LabelSelector(parsing: "a=1"),
                                    fieldSelector: .everything, bufferLimit: 10, startRV: 0)
        let matching = entry(1, labels: ["a": "1"]).object
        let other = entry(1, labels: ["a": "2"]).object
        XCTAssertEqual(sub.event(for: entry(2, .modified, labels: ["a": "2"], previous: matching))?.type, .deleted)
        XCTAssertEqual(sub.event(for: entry(2, .modified, labels: ["a": "1"], previous: other))?.type, .added)
        XCTAssertEqual(sub.event(for: entry(2, .modified, labels: ["a": "1"], previous: matching))?.type, .modified)
        XCTAssertNil(sub.event(for: entry(2, .modified, labels: ["a": "2"], previous: other)))
        XCTAssertNil(sub.event(for: entry(2, .deleted, labels: ["a": "2"])))
        XCTAssertEqual(sub.event(for: entry(2, .deleted, labels: ["a": "1"]))?.type, .deleted)
    }

    func testNextTimesOutAndEventJSON() {
        let sub = WatchSubscription(resource: Fixtures.configmaps, namespace: nil, labelSelector: .everything,
                                    fieldSelector: .everything, bufferLimit: 10, startRV: 7)
        let start = Date()
        XCTAssertNil(sub.next(timeout: .milliseconds(100)))
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(start), 0.09)
        XCTAssertFalse(sub.isClosed)
        XCTAssertEqual(sub.bookmark().json, ["type": "BOOKMARK", "object": ["kind": "ConfigMap", "apiVersion": "v1",
                                                                           "metadata": ["resourceVersion": "7"]]])
        sub.cancel()
        sub.cancel()
        XCTAssertTrue(sub.isClosed)
        XCTAssertNil(sub.next(timeout: .seconds(10)), "returns at once when closed")
    }

    func testNamespaceFilter() {
        let sub = WatchSubscription(resource: Fixtures.configmaps, namespace: "other", labelSelector: .everything,
                                    fieldSelector: .everything, bufferLimit: 10, startRV: 0)
        XCTAssertNil(sub.event(for: entry(1)))
    }
}
