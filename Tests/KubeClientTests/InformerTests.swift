import Foundation
import RuntimeCore
import XCTest

@testable import KubeClient

final class InformerTests: XCTestCase {
    func testDeliversChangesAndRebuildsAfterRelist() async throws {
        let s = ScriptedSource()
        s.lists = [.success(([pod("a", rv: "1"), pod("b", rv: "2")], "10")), .success(([pod("b", rv: "30"), pod("d", rv: "31")], "31"))]
        s.watches = [.events([.added(pod("c", rv: "11")), .modified(pod("a", rv: "12")), .deleted(pod("b", rv: "13")),
                              .error(Status(reason: .expired, code: 410))], end: nil)]
        let informer = Informer(watcher: Watcher(source: s.source, logger: quietLogger, sleep: { _ in }))
        let log = Recorder<String>()
        informer.addHandler(InformerHandler(
            onAdd: { log.append("add \($0.name)@\($0.metadata.resourceVersion!)") },
            onUpdate: { old, new in log.append("update \(new.name) \(old.metadata.resourceVersion!)->\(new.metadata.resourceVersion!)") },
            onDelete: { log.append("delete \($0.name)") }))
        let keys = informer.keys()
        XCTAssertFalse(informer.hasSynced)
        let run = Task { await informer.run() }
        await informer.waitForSync()
        XCTAssertTrue(informer.hasSynced)
        await assertEventually { log.items.count == 9 }
        XCTAssertEqual(Array(log.items.prefix(2)).sorted(), ["add a@1", "add b@2"])
        XCTAssertEqual(Array(log.items[2..<5]), ["add c@11", "update a 1->12", "delete b"])
        // The relist: b came back, d is new, a and c vanished while we were not watching.
        XCTAssertEqual(Array(log.items[5...]).sorted(), ["add b@30", "add d@31", "delete a", "delete c"])
        XCTAssertEqual(Set(informer.store.keys), ["a/b", "a/d"])
        var seenKeys: [String] = []
        for await k in keys {
            seenKeys.append(k)
            if seenKeys.count == 9 { break }
        }
        XCTAssertEqual(Set(seenKeys), ["a/a", "a/b", "a/c", "a/d"])
        run.cancel()
        await run.value
    }

    func testLateHandlerGetsExistingObjectsAndResyncRedelivers() async throws {
        let s = ScriptedSource()
        s.lists = [.success(([pod("a", rv: "1")], "1"))]
        let informer = Informer(watcher: Watcher(source: s.source, logger: quietLogger), resyncPeriod: .milliseconds(50))
        let run = Task { await informer.run() }
        await informer.waitForSync()
        let log = Recorder<String>()
        informer.addHandler(InformerHandler(onAdd: { log.append("add \($0.name)") },
                                            onUpdate: { _, new in log.append("resync \(new.name)") }))
        XCTAssertEqual(log.items.first, "add a")
        await assertEventually { log.items.filter { $0 == "resync a" }.count >= 2 }
        run.cancel()
        await run.value
    }

    func testWaitForSyncReturnsOnCancellation() async {
        let s = ScriptedSource()  // the list never answers
        let informer = Informer(watcher: Watcher(source: s.source, logger: quietLogger))
        let waiter = Task { await informer.waitForSync() }
        try? await Task.sleep(for: .milliseconds(20))
        waiter.cancel()
        await waiter.value
        XCTAssertFalse(informer.hasSynced)
    }

    func testEventsStreamEndsWhenRunStops() async {
        let s = ScriptedSource()
        s.lists = [.success(([pod("a", rv: "1")], "1"))]
        let informer = Informer(watcher: Watcher(source: s.source, logger: quietLogger))
        let events = informer.events()
        let run = Task { await informer.run() }
        var got: [String] = []
        for await e in events {
            got.append(e.key)
            run.cancel()
        }
        XCTAssertEqual(got, ["a/a"])
    }
}
