import Foundation
import RuntimeCore
import XCTest

@testable import KubeClient

final class RequestOptionsTests: XCTestCase {
    func testListOptions() {
        XCTAssertEqual(ListOptions().queryItems.map { "\($0.0)=\($0.1)" }, ["limit=500"])
        let o = ListOptions(labelSelector: "a=b", fieldSelector: "metadata.name=x", limit: 10, continueToken: "c",
                            resourceVersion: "0", resourceVersionMatch: "NotOlderThan")
        XCTAssertEqual(o.queryItems.map { "\($0.0)=\($0.1)" },
                       ["labelSelector=a=b", "fieldSelector=metadata.name=x", "limit=10", "continue=c", "resourceVersion=0",
                        "resourceVersionMatch=NotOlderThan"])
        XCTAssertTrue(ListOptions(limit: nil).queryItems.isEmpty)
    }

    func testWatchOptions() {
        XCTAssertEqual(WatchOptions().queryItems.map { "\($0.0)=\($0.1)" }, ["watch=1", "allowWatchBookmarks=true"])
        XCTAssertEqual(WatchOptions(resourceVersion: "7", allowWatchBookmarks: false, timeoutSeconds: 5).queryItems.map { "\($0.0)=\($0.1)" },
                       ["watch=1", "resourceVersion=7", "timeoutSeconds=5"])
    }

    func testDeleteOptionsBody() {
        XCTAssertEqual(DeleteOptions().body, ["apiVersion": "v1", "kind": "DeleteOptions"])
        XCTAssertEqual(DeleteOptions(propagationPolicy: .background, preconditionResourceVersion: "9").body,
                       ["apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Background",
                        "preconditions": ["resourceVersion": "9"]])
        XCTAssertEqual(DeleteOptions(propagationPolicy: .orphan).body["propagationPolicy"], "Orphan")
    }

    func testPatchBodies() throws {
        XCTAssertEqual(Patch.merge(["a": 1]).contentType, "application/merge-patch+json")
        let ops: [JSONPatchOperation] = [
            .add("/metadata/labels/\(JSONPatchOperation.escape("parallax.ai/x"))", "v"), .remove("/spec/x"),
            .test("/metadata/resourceVersion", "5"), .add("/a", .null),
            JSONPatchOperation(op: "move", path: "/b", from: "/a"),
        ]
        XCTAssertEqual(try JSON.parse(Patch.json(ops).body), [
            ["op": "add", "path": "/metadata/labels/parallax.ai~1x", "value": "v"],
            ["op": "remove", "path": "/spec/x"],
            ["op": "test", "path": "/metadata/resourceVersion", "value": "5"],
            .object(["op": "add", "path": "/a", "value": .null]),
            ["op": "move", "path": "/b", "from": "/a"],
        ])
        XCTAssertEqual(JSONPatchOperation.escape("a~b/c"), "a~0b~1c")
        XCTAssertEqual(try JSON.parse(Patch.apply(["kind": "Pod"]).body), ["kind": "Pod"])
    }

    func testPatchAndWriteOptions() {
        XCTAssertEqual(PatchOptions(fieldManager: "m", force: true, dryRun: true, fieldValidation: "Strict").queryItems.map { "\($0.0)=\($0.1)" },
                       ["dryRun=All", "fieldManager=m", "force=true", "fieldValidation=Strict"])
        XCTAssertEqual(WriteOptions(dryRun: true, fieldManager: "m").queryItems.map { "\($0.0)=\($0.1)" }, ["dryRun=All", "fieldManager=m"])
    }
}
