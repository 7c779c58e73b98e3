import Foundation
import RuntimeCore
import XCTest

@testable import KubeClient

final class StoreTests: XCTestCase {
    func testUpsertRemoveAndIndexes() throws {
        let store = Store<Pod>()
        XCTAssertNil(store.upsert(pod("a", rv: "1", labels: ["app": "web"], owner: "o1")))
        XCTAssertNil(store.upsert(pod("b", rv: "1", ns: "other", labels: ["app": "db"], owner: "o1")))
        XCTAssertNil(store.upsert(pod("c", rv: "1", labels: ["app": "web", "tier": "front"])))
        XCTAssertEqual(store.count, 3)
        XCTAssertEqual(store.get(name: "a", namespace: "a")?.metadata.resourceVersion, "1")
        XCTAssertEqual(store.get(key: "other/b")?.name, "b")
        XCTAssertEqual(Set(store.list(namespace: "a").map(\.name)), ["a", "c"])
        XCTAssertEqual(Set(store.list(selector: try Selector(parsing: "app=web")).map(\.name)), ["a", "c"])
        XCTAssertEqual(store.list(namespace: "a", selector: try Selector(parsing: "tier")).map(\.name), ["c"])
        XCTAssertEqual(Set(store.byIndex("ownerUID", "o1").map(\.name)), ["a", "b"])
        XCTAssertEqual(Set(store.byIndex("label", "app=web").map(\.name)), ["a", "c"])
        XCTAssertEqual(store.keys(index: "namespace", value: "other"), ["other/b"])

        // Updating moves index entries.
        let old = store.upsert(pod("a", rv: "2", labels: ["app": "db"]))
        XCTAssertEqual(old?.metadata.resourceVersion, "1")
        XCTAssertEqual(Set(store.byIndex("label", "app=db").map(\.name)), ["a", "b"])
        XCTAssertEqual(store.byIndex("ownerUID", "o1").map(\.name), ["b"])
        XCTAssertEqual(store.remove(key: "other/b")?.name, "b")
        XCTAssertNil(store.remove(key: "other/b"))
        XCTAssertTrue(store.byIndex("ownerUID", "o1").isEmpty)
        XCTAssertEqual(store.count, 2)
    }

    func testReplaceReportsDifferences() {
        let store = Store<Pod>()
        store.upsert(pod("keep", rv: "1"))
        store.upsert(pod("gone", rv: "1", labels: ["x": "y"]))
        let changes = store.replace(with: [pod("keep", rv: "2"), pod("new", rv: "3")])
        XCTAssertEqual(changes.added.map(\.name), ["new"])
        XCTAssertEqual(changes.updated.map { "\($0.old.metadata.resourceVersion!)->\($0.new.metadata.resourceVersion!)" }, ["1->2"])
        XCTAssertEqual(changes.deleted.map(\.name), ["gone"])
        XCTAssertEqual(Set(store.keys), ["a/keep", "a/new"])
        XCTAssertTrue(store.byIndex("label", "x=y").isEmpty)
    }

    func testClusterScopedKeysAndCustomIndexer() {
        let store = Store<Namespace>(indexers: [Indexer(name: "phase") { [$0.status?.phase ?? "none"] }])
        store.upsert(Namespace(metadata: ObjectMeta(name: "team-a"), status: NamespaceStatus(phase: "Active")))
        XCTAssertEqual(store.keys, ["team-a"])
        XCTAssertEqual(store.byIndex("phase", "Active").map(\.name), ["team-a"])
        XCTAssertNotNil(store.get(name: "team-a"))
    }

    func testConcurrentAccess() async {
        let store = Store<Pod>()
        await withTaskGroup(of: Void.self) { group in
            for w in 0..<4 {
                group.addTask {
                    for i in 0..<250 {
                        store.upsert(pod("p\(w)-\(i)", rv: "\(i)", labels: ["w": "\(w)"]))
                        _ = store.list(selector: Selector(matching: ["w": "\(w)"]))
                    }
                }
            }
        }
        XCTAssertEqual(store.count, 1000)
        XCTAssertEqual(store.byIndex("label", "w=2").count, 250)
    }
}
