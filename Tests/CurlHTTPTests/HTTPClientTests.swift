import Foundation
import XCTest

import CurlHTTP
import RuntimeCore

/// The libcurl client's own behaviour: one multi loop shared by concurrent requests, typed errors, cancellation.
/// (Request and response handling against every kind of route is in RuntimeCoreTests/HTTPServerTests.)
final class HTTPClientTests: XCTestCase {
    var server: HTTPServer!
    let client = HTTPClient.shared

    override func setUpWithError() throws {
        let router = Router([
            ("GET", "/hello", .async({ _ in .json(["hello": "world"]) })),
            ("GET", "/forever", .streaming({ _, w in
                w.startStream(headers: [])
                while w.write("tick\n"), !w.isServerStopping { usleep(20_000) }
            })),
        ])
        server = HTTPServer(configuration: .init(listen: "127.0.0.1:0", threads: 8), handler: router.handler)
        try server.start()
    }

    override func tearDown() { server.stop() }

    func testConcurrentRequestsShareTheClientLoop() async throws {
        let c = client
        let url = "http://127.0.0.1:\(server.port)/hello"
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<50 {
                group.addTask {
                    try await c.execute(HTTPClientRequest(url: url)).status
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        XCTAssertEqual(statuses, Array(repeating: 200, count: 50))
    }

    func testConnectionRefusedIsATypedError() async throws {
        do {
            _ = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:1/x", timeout: .seconds(2)))
            XCTFail("expected an error")
        } catch {
            guard case .connectionFailed = error else { return XCTFail("got \(error)") }
        }
    }

    func testCancellingAStreamEndsIt() async throws {
        let s = try await client.stream(HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/forever", timeout: nil))
        var chunks = 0
        for try await _ in s.body {
            chunks += 1
            if chunks == 3 { s.cancel() }
        }
        XCTAssertGreaterThanOrEqual(chunks, 3)
    }
}

/// A client that was shut down fails new requests at once (it used to wait forever).
final class HTTPClientShutdownTests: XCTestCase {
    func testRequestAfterShutdownFailsFast() async throws {
        let client = HTTPClient(name: "short-lived")
        client.shutdown()
        do {
            _ = try await client.execute(HTTPClientRequest(url: "http://127.0.0.1:1/", timeout: .seconds(30)))
            XCTFail("expected an error")
        } catch {
            guard case .cancelled = error else { return XCTFail("got \(error)") }
        }
    }
}
