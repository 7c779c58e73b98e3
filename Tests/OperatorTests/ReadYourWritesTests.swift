import Foundation
import KubeClient
import XCTest

@testable import Operator

final class ReadYourWritesTests: XCTestCase {
    func pod(_ rv: String, uid: String = "u1") -> Pod { Pod(metadata: ObjectMeta(name: "p", namespace: "ns", uid: uid, resourceVersion: rv)) }

    func testOwnWritesAreVisibleUntilTheCacheCatchesUp() {
        let store = Store<Pod>()
        let rw = ReadYourWrites(store: store)
        XCTAssertNil(rw.get("ns/p"))
        rw.wrote(pod("5"))
        XCTAssertEqual(rw.get("ns/p")?.metadata.resourceVersion, "5", "cache empty: our write")
        store.upsert(pod("4"))
        XCTAssertEqual(rw.get("ns/p")?.metadata.resourceVersion, "5", "cache older: our write")
        store.upsert(pod("7"))
        XCTAssertEqual(rw.get("ns/p")?.metadata.resourceVersion, "7", "cache newer: cache")
        XCTAssertEqual(rw.overlayCount, 0, "overlay dropped once caught up")
    }

    func testDeletionsHideTheCachedObject() {
        let store = Store<Pod>()
        let rw = ReadYourWrites(store: store)
        store.upsert(pod("3"))
        rw.deleted("ns/p", uid: "u1")
        XCTAssertNil(rw.get("ns/p"))
        store.upsert(pod("9", uid: "u2"))
        XCTAssertEqual(rw.get("ns/p")?.metadata.uid, "u2", "a new object of the same name shows")
    }

    func testAWriteAnsweredAfterItsDeletionEventIsNotResurrected() {
        let store = Store<Pod>()
        let rw = ReadYourWrites(store: store)
        rw.forget("ns/p", uid: "u1")
        rw.wrote(pod("5"))
        XCTAssertNil(rw.get("ns/p"))
        rw.wrote(pod("6", uid: "u2"))
        XCTAssertEqual(rw.get("ns/p")?.metadata.uid, "u2")
    }

    func testEntriesExpire() async {
        let store = Store<Pod>()
        let rw = ReadYourWrites(store: store, maxAge: .milliseconds(50))
        rw.wrote(pod("5"))
        XCTAssertNotNil(rw.get("ns/p"))
        try? await Task.sleep(for: .milliseconds(80))
        XCTAssertNil(rw.get("ns/p"))
    }

    func testNonNumericVersionsLetTheCacheWin() {
        let store = Store<Pod>()
        let rw = ReadYourWrites(store: store)
        rw.wrote(pod("abc"))
        store.upsert(pod("xyz"))
        XCTAssertEqual(rw.get("ns/p")?.metadata.resourceVersion, "xyz")
    }
}
