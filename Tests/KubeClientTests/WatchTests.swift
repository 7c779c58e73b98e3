import CurlHTTP
import Foundation
import RuntimeCore
import XCTest

@testable import KubeClient

final class WatchTests: XCTestCase {
    func event(_ type: String, _ name: String, rv: String) -> String {
        #"{"type":"\#(type)","object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"\#(name)","namespace":"a","resourceVersion":"\#(rv)","annotations":{"brace":"}{\"x"}}}}"#
    }

    func testFramerHandlesAnyChunking() throws {
        let stream = [event("ADDED", "a", rv: "1"), event("MODIFIED", "b", rv: "2"), event("DELETED", "c", rv: "3")]
            .joined(separator: "\n") + "\n"
        let bytes = Array(stream.utf8)
        // Every split point, and byte-by-byte.
        for chunkSize in [1, 2, 3, 7, 50, 100, bytes.count] {
            var framer = JSONStreamFramer()
            var frames: [Data] = []
            var i = 0
            while i < bytes.count {
                frames += framer.feed(Data(bytes[i..<min(i + chunkSize, bytes.count)]))
                i += chunkSize
            }
            XCTAssertEqual(frames.count, 3, "chunk size \(chunkSize)")
            XCTAssertEqual(try frames.map { try JSON.parse($0)["object"]["metadata"]["name"].stringValue }, ["a", "b", "c"])
            XCTAssertFalse(framer.hasPartialValue)
            XCTAssertEqual(framer.bufferedByteCount, 0)
        }
    }

    func testFramerSeveralValuesInOneChunkAndNoSeparators() throws {
        var framer = JSONStreamFramer()
        let frames = framer.feed(Data((event("ADDED", "a", rv: "1") + event("ADDED", "b", rv: "2") + "\r\n" + #"{"type":"BOOKMARK","#).utf8))
        XCTAssertEqual(frames.count, 2)
        XCTAssertTrue(framer.hasPartialValue)
        let rest = framer.feed(Data(#""object":{"metadata":{"resourceVersion":"9"}}}"#.utf8))
        XCTAssertEqual(rest.count, 1)
        guard case .bookmark(let rv) = try WatchEvent<Pod>.decode(rest[0]) else { return XCTFail() }
        XCTAssertEqual(rv, "9")
    }

    func testDecodesEveryEventType() throws {
        func decode(_ s: String) throws -> WatchEvent<Pod> { try WatchEvent<Pod>.decode(Data(s.utf8)) }
        guard case .added(let p) = try decode(event("ADDED", "x", rv: "5")) else { return XCTFail() }
        XCTAssertEqual(p.metadata.resourceVersion, "5")
        XCTAssertEqual(p.metadata.annotations?["brace"], "}{\"x")
        guard case .modified = try decode(event("MODIFIED", "x", rv: "6")) else { return XCTFail() }
        guard case .deleted = try decode(event("DELETED", "x", rv: "7")) else { return XCTFail() }
        guard case .error(let s) = try decode(#"{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version: 1 (5)","reason":"Expired","code":410}}"#)
        else { return XCTFail() }
        XCTAssertEqual(s.code, 410)
        XCTAssertEqual(s.reason, .expired)
        // A bookmark carries only metadata; it must not need a full Pod.
        guard case .bookmark(let rv) = try decode(#"{"type":"BOOKMARK","object":{"kind":"Pod","apiVersion":"v1","metadata":{"resourceVersion":"12"}}}"#)
        else { return XCTFail() }
        XCTAssertEqual(rv, "12")
        XCTAssertThrowsError(try decode(#"{"type":"WEIRD","object":{}}"#)) { XCTAssertTrue("\($0)".contains("unknown watch event type")) }
        XCTAssertThrowsError(try decode(#"{"type":"ADDED","object":{"spec":{}}}"#)) { XCTAssertTrue("\($0)".hasPrefix("kube response: watch event: object")) }
    }

    func makeStream(_ chunks: [String], endWith error: (any Error)? = nil) -> (KubeHTTPStream, Locked<Bool>) {
        let cancelled = Locked(false)
        let body = AsyncThrowingStream<Data, any Error> { c in
            for ch in chunks { c.yield(Data(ch.utf8)) }
            c.finish(throwing: error)
        }
        return (KubeHTTPStream(status: 200, body: body, cancel: { cancelled.withLock { $0 = true } }), cancelled)
    }

    func testWatchStreamDecodesChunkedBody() async throws {
        let all = event("ADDED", "a", rv: "1") + "\n" + event("MODIFIED", "a", rv: "2") + "\n"
        let mid = all.index(all.startIndex, offsetBy: 37)
        let (response, _) = makeStream([String(all[..<mid]), String(all[mid...])])
        var seen: [String] = []
        for try await e in WatchStream<Pod>(response: response) { seen.append(e.type + ":" + (e.object?.metadata.resourceVersion ?? "")) }
        XCTAssertEqual(seen, ["ADDED:1", "MODIFIED:2"])
    }

    func testWatchStreamReportsTruncationAndTransportErrors() async throws {
        let (truncated, _) = makeStream([#"{"type":"ADDED","object":{"#])
        do {
            for try await _ in WatchStream<Pod>(response: truncated) {}
            XCTFail("expected an error")
        } catch {
            XCTAssertEqual("\(error)", "kube response: watch stream ended inside an event")
        }
        let (dropped, _) = makeStream([event("ADDED", "a", rv: "1") + "\n"], endWith: HTTPClientError.transport(code: 56, message: "reset"))
        var got = 0
        do {
            for try await _ in WatchStream<Pod>(response: dropped) { got += 1 }
            XCTFail("expected an error")
        } catch let e as KubeError {
            XCTAssertTrue(e.isTransport)
        }
        XCTAssertEqual(got, 1)
    }

    func testClientWatchBuildsRequestAndDecodesErrors() async throws {
        let transport = FakeTransport { _, _ in .failure(.cancelled) }
        transport.streamHandler = { req in
            if req.url.contains("resourceVersion=1") {
                let body = AsyncThrowingStream<Data, any Error> { c in
                    c.yield(statusJSON(410, "Expired", "too old resource version: 1 (50)").data())
                    c.finish()
                }
                return .success(KubeHTTPStream(status: 410, body: body))
            }
            let body = AsyncThrowingStream<Data, any Error> { c in
                c.yield(Data(#"{"type":"ADDED","object":{"metadata":{"name":"p","resourceVersion":"7"}}}"#.utf8))
                c.finish()
            }
            return .success(KubeHTTPStream(status: 200, body: body))
        }
        let client = KubeClient(config: testConfig(), transport: transport)
        var names: [String] = []
        for try await e in try await client.watch(Pod.self, namespace: "a", labelSelector: "app=x", resourceVersion: "5", timeoutSeconds: 30) {
            names.append(e.object?.metadata.name ?? "")
        }
        XCTAssertEqual(names, ["p"])
        let req = try XCTUnwrap(transport.requests.first)
        XCTAssertEqual(req.pathAndQuery,
                       "/api/v1/namespaces/a/pods?watch=1&labelSelector=app%3Dx&resourceVersion=5&allowWatchBookmarks=true&timeoutSeconds=30")
        XCTAssertEqual(req.timeout, .seconds(90))
        do {
            _ = try await client.watch(Pod.self, resourceVersion: "1")
            XCTFail("expected 410")
        } catch {
            XCTAssertTrue(error.isGone)
            XCTAssertTrue(error.isExpired)
            XCTAssertEqual(error.code, 410)
        }
        XCTAssertEqual(transport.requests.last?.pathAndQuery, "/api/v1/pods?watch=1&resourceVersion=1&allowWatchBookmarks=true")
        XCTAssertNil(transport.requests.last?.timeout)
    }
}
