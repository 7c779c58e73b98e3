import Foundation
import XCTest
import RuntimeCore
@testable import KubeEmulator

final class StoreWatchTests: XCTestCase {
    private let cm = Fixtures.configmaps

    private func drain(_ w: WatchSubscription) -> [WatchEvent] {
        var out: [WatchEvent] = []
        while let e = w.next(timeout: .milliseconds(50)) { out.append(e) }
        return out
    }

    private func summary(_ events: [WatchEvent]) -> [String] {
        events.map { "\($0.type.rawValue) \($0.object.name)" }
    }

    func testInitialEventsThenLive() throws {
        let s = Fixtures.store()
        _ = try s.create(cm, namespace: "default", object: Fixtures.configMap("a"))
        let w = try s.watch(cm, namespace: "default")
        defer { w.cancel() }
        XCTAssertEqual(summary(drain(w)), ["ADDED a"])
        var b = try s.create(cm, namespace: "default", object: Fixtures.configMap("b")).object
        b["data"] = ["k": "v"]
        _ = try s.update(cm, namespace: "default", name: "b", object: b)
        _ = try s.delete(cm, namespace: "default", name: "a")
        let events = drain(w)
        XCTAssertEqual(summary(events), ["ADDED b", "MODIFIED b", "DELETED a"])
        XCTAssertEqual(events[0].object["kind"], "ConfigMap", "watch events carry kind and apiVersion")
        XCTAssertEqual(events[2].object.resourceVersion, s.resourceVersion, "DELETED carries the deletion's resourceVersion")
    }

    func testResourceVersionZeroMeansInitialEventsToo() throws {
        let s = Fixtures.store()
        _ = try s.create(cm, namespace: "default", object: Fixtures.configMap("a"))
        let w = try s.watch(cm, namespace: nil, options: WatchOptions(resourceVersion: "0"))
        defer { w.cancel() }
        XCTAssertEqual(summary(drain(w)), ["ADDED a"])
    }

    func testReplayFromResourceVersion() throws {
        let s = Fixtures.store()
        let a = try s.create(cm, namespace: "default", object: Fixtures.configMap("a")).object
        _ = try s.create(cm, namespace: "default", object: Fixtures.configMap("b"))
        _ = try s.delete(cm, namespace: "default", name: "a")
        let w = try s.watch(cm, namespace: "default", options: WatchOptions(resourceVersion: a.resourceVersion))
        defer { w.cancel() }
        XCTAssertEqual(summary(drain(w)), ["ADDED b", "DELETED a"])
    }

    func testTooOldResourceVersionIsGone() throws {
        let s = Fixtures.store(historySize: 2)
        let a = try s.create(cm, namespace: "default", object: Fixtures.configMap("a")).object
        for i in 0..<3 { _ = try s.create(cm, namespace: "default", object: Fixtures.configMap("x\(i)")) }
        let e = assertAPIError(410, "Expired") {
            try s.watch(self.cm, namespace: "default", options: WatchOptions(resourceVersion: a.resourceVersion))
        }
        let x1 = try s.get(cm, namespace: "default", name: "x1")
        XCTAssertEqual(e?.message, "too old resource version: \(a.resourceVersion) (\(Int(x1.resourceVersion)! - 1))")
        XCTAssertEqual(WatchEvent.error(e!).json["type"], "ERROR")
        XCTAssertEqual(WatchEvent.error(e!).json["object"]["code"], 410)
        // The newest retained versions still replay.
        let w = try s.watch(cm, namespace: "default", options: WatchOptions(resourceVersion: x1.resourceVersion))
        XCTAssertEqual(summary(drain(w)), ["ADDED x2"])
        w.cancel()
    }

    func testSelectorTransitions() throws {
        let s = Fixtures.store()
        _ = try s.create(cm, namespace: "default", object: Fixtures.configMap("a", labels: ["app": "web"]))
        let w = try s.watch(cm, namespace: "default", options: WatchOptions(labelSelector: "app=web"))
        defer { w.cancel() }
        XCTAssertEqual(summary(drain(w)), ["ADDED a"])
        _ = try s.patch(cm, namespace: "default", name: "a", type: .merge, body: ["metadata": ["labels": ["app": "db"]]])
        let gone = drain(w)
        XCTAssertEqual(summary(gone), ["DELETED a"])
        XCTAssertEqual(gone[0].object.labels, ["app": "web"], "DELETED carries the previous content")
        XCTAssertEqual(gone[0].object.resourceVersion, s.resourceVersion, "... with the new resourceVersion")
        _ = try s.patch(cm, namespace: "default", name: "a", type: .merge, body: ["data": ["x": "y"]])
        XCTAssertEqual(drain(w), [])
        _ = try s.patch(cm, namespace: "default", name: "a", type: .merge, body: ["metadata": ["labels": ["app": "web"]]])
        XCTAssertEqual(summary(drain(w)), ["ADDED a"])
    }

    func testFieldSelectorWatchOfOneObject() throws {
        let s = Fixtures.store()
        let w = try s.watch(cm, namespace: "default", options: WatchOptions(fieldSelector: "metadata.name=b"))
        defer { w.cancel() }
        _ = try s.create(cm, namespace: "default", object: Fixtures.configMap("a"))
        _ = try s.create(cm, namespace: "default", object: Fixtures.configMap("b"))
        XCTAssertEqual(summary(drain(w)), ["ADDED b"])
    }

    func testSendInitialEventsEndsWithAnnotatedBookmark() throws {
        let s = Fixtures.store()
        _ = try s.create(cm, namespace: "default", object: Fixtures.configMap("a"))
        let w = try s.watch(cm, namespace: "default", options: WatchOptions(sendInitialEvents: true, allowBookmarks: true))
        defer { w.cancel() }
        let events = drain(w)
        XCTAssertEqual(events.map(\.type), [.added, .bookmark])
        XCTAssertEqual(events[1].object, ["kind": "ConfigMap", "apiVersion": "v1",
                                          "metadata": ["resourceVersion": .string(s.resourceVersion),
                                                       "annotations": ["k8s.io/initial-events-end": "true"]]])
    }

    func testBookmarkCarriesProgress() throws {
        let s = Fixtures.store()
        let w = try s.watch(cm, namespace: "default", options: WatchOptions(labelSelector: "nothing=matches"))
        defer { w.cancel() }
        _ = try s.create(cm, namespace: "default", object: Fixtures.configMap("a"))
        XCTAssertNil(w.next(timeout: .milliseconds(20)))
        XCTAssertFalse(w.isClosed)
        let b = w.bookmark()
        XCTAssertEqual(b.type, .bookmark)
        XCTAssertEqual(b.object.resourceVersion, s.resourceVersion)
        XCTAssertNil(b.object.metadata["annotations"].objectValue)
    }

    func testSlowSubscriberIsClosedWithoutBlockingWriters() throws {
        let s = Fixtures.store(bufferSize: 3)
        let w = try s.watch(cm, namespace: "default")
        for i in 0..<10 { _ = try s.create(cm, namespace: "default", object: Fixtures.configMap("c\(i)")) }
        XCTAssertEqual(s.watchCount, 0, "the overflowing watch was dropped")
        XCTAssertEqual(drain(w).count, 3, "what was buffered is still delivered")
        XCTAssertTrue(w.isClosed)
    }

    func testCancelWakesTheReaderAndUnsubscribes() throws {
        let s = Fixtures.store()
        let w = try s.watch(cm, namespace: "default")
        XCTAssertEqual(s.watchCount, 1)
        let done = expectation(description: "reader returned")
        Thread.detachNewThread {
            _ = w.next(timeout: .seconds(30))
            done.fulfill()
        }
        Thread.sleep(forTimeInterval: 0.05)
        w.cancel()
        wait(for: [done], timeout: 5)
        XCTAssertTrue(w.isClosed)
        XCTAssertEqual(s.watchCount, 0)
    }

    func testBlockingReaderGetsEventsFromAnotherThread() throws {
        let s = Fixtures.store()
        let w = try s.watch(cm, namespace: "default", options: WatchOptions(resourceVersion: s.resourceVersion))
        defer { w.cancel() }
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.05) {
            _ = try? s.create(Fixtures.configmaps, namespace: "default", object: Fixtures.configMap("late"))
        }
        let e = w.next(timeout: .seconds(5))
        XCTAssertEqual(e?.type, .added)
        XCTAssertEqual(e?.object.name, "late")
    }

    func testWatchOfCustomResourcesUsesRequestedVersion() throws {
        let (s, ags) = try Fixtures.storeWithCRD()
        let w = try s.watch(ags, namespace: nil)
        defer { w.cancel() }
        _ = try s.create(ags, namespace: "default", object: Fixtures.session("x"))
        let e = try XCTUnwrap(w.next(timeout: .seconds(1)))
        XCTAssertEqual(e.object["apiVersion"], "parallax.ai/v1alpha1")
        XCTAssertEqual(e.object["spec"]["workdir"], "/workspace")
    }

    func testWatchOptionsFromQueryAndBadResourceVersion() throws {
        let o = WatchOptions(query: ["resourceVersion": "12", "allowWatchBookmarks": "true", "sendInitialEvents": "false"])
        XCTAssertEqual(o.resourceVersion, "12")
        XCTAssertTrue(o.allowBookmarks)
        XCTAssertEqual(o.sendInitialEvents, false)
        let s = Fixtures.store()
        assertAPIError(400) { try s.watch(self.cm, namespace: nil, options: WatchOptions(resourceVersion: "abc")) }
    }

    func testCompactionExpiresOlderVersions() throws {
        let s = Fixtures.store()
        let a = try s.create(cm, namespace: "default", object: Fixtures.configMap("a")).object
        _ = try s.create(cm, namespace: "default", object: Fixtures.configMap("a2"))
        let token = try XCTUnwrap(try s.list(cm, namespace: nil, options: ListOptions(limit: 1)).continueToken)
        _ = try s.create(cm, namespace: "default", object: Fixtures.configMap("b"))
        s.compactHistory()
        assertAPIError(410, "Expired") { try s.watch(self.cm, namespace: nil, options: WatchOptions(resourceVersion: a.resourceVersion)) }
        assertAPIError(410, "Expired") { try s.list(self.cm, namespace: nil, options: ListOptions(limit: 1, continueToken: token)) }
        let w = try s.watch(cm, namespace: nil, options: WatchOptions(resourceVersion: s.resourceVersion))
        defer { w.cancel() }
        _ = try s.create(cm, namespace: "default", object: Fixtures.configMap("c"))
        XCTAssertEqual(w.next(timeout: .seconds(1))?.object.name, "c")
    }
}
