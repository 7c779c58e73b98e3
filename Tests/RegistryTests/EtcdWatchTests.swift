import Foundation
import RuntimeCore
import XCTest

@testable import Registry

/// The raw, single-stream watch (`openWatch`) and its line splitting.
final class EtcdWatchTests: XCTestCase {
    func testSplitterHandlesLinesAcrossChunks() {
        var s = NDJSONSplitter()
        XCTAssertEqual(s.feed(Data("{\"a\":".utf8)), [])
        XCTAssertEqual(s.feed(Data("1}\n{\"b\"".utf8)), [Data("{\"a\":1}".utf8)])
        XCTAssertEqual(s.feed(Data(":2}\n\n{\"c\":3}\n".utf8)), [Data("{\"b\":2}".utf8), Data("{\"c\":3}".utf8)])
        XCTAssertEqual(s.remainder, Data())
    }

    func testWatchDeliversCreatedThenPutAndDeleteEventsWithPrevKV() async throws {
        let client = try await sharedClient()
        let p = uniquePrefix()
        let stream = try await client.openWatch(.prefix(p + "/", prevKV: true))
        defer { stream.cancel() }
        var iterator = stream.responses.makeAsyncIterator()
        let created = try await iterator.next()
        XCTAssertEqual(created?.created, true)

        try await client.put(p + "/a", "1")
        try await client.put(p + "/a", "2")
        try await client.delete(p + "/a")
        var events: [EtcdWatchEvent] = []
        while events.count < 3, let message = try await iterator.next() { events += message.events }
        XCTAssertEqual(events.map(\.kind), [.put, .put, .delete])
        XCTAssertEqual(events[0].kv.valueString, "1")
        XCTAssertEqual(events[0].kv.version, 1)
        XCTAssertNil(events[0].prevKV)
        XCTAssertEqual(events[1].prevKV?.valueString, "1")
        XCTAssertEqual(events[2].kv.key, p + "/a")
        XCTAssertEqual(events[2].prevKV?.valueString, "2")
        XCTAssertEqual(events[2].kv.version, 0, "a deleted key has version 0")
    }

    func testWatchFromACompactedRevisionIsCancelledWithTheCompactRevision() async throws {
        let client = try await sharedClient()
        let key = uniquePrefix() + "/c"
        let first = try await client.put(key, "1")
        let last = try await client.put(key, "2")
        try await client.compact(revision: last.header.revision)
        let stream = try await client.openWatch(EtcdWatchRequest(key: key, startRevision: first.header.revision))
        defer { stream.cancel() }
        var compact: Int64 = 0
        for try await message in stream.responses where message.compactRevision > 0 {
            compact = message.compactRevision
            XCTAssertTrue(message.canceled)
            break
        }
        XCTAssertGreaterThanOrEqual(compact, last.header.revision)
    }
}
