import Foundation
import XCTest

import AgentTestSupport
import CurlHTTP
@testable import RuntimeCore

/// Exercises the civetweb server through the libcurl client: both halves of our HTTP stack at once.
final class HTTPServerTests: XCTestCase {
    var server: HTTPServer!
    let client = HTTPClient.shared
    var base: String { "http://127.0.0.1:\(server.port)" }

    override func setUpWithError() throws {
        let router = Router([
            ("GET", "/hello", .async({ _ in .json(["hello": "world"]) })),
            ("POST", "/echo", .async({ req in HTTPResponse(status: 201, headers: [("Content-Type", req.contentType ?? "")], body: req.body) })),
            ("GET", "/agents/:id/logs", .async({ req in .text("logs of \(req.pathParameters["id"]!) tail=\(req.query("tail") ?? "-")") })),
            ("GET", "/files/*", .async({ req in .text(req.pathParameters["*"] ?? "") })),
            ("GET", "/stream", .streaming({ _, w in
                w.startStream(headers: [("Content-Type", "application/json")])
                for i in 0..<5 { w.write("{\"n\":\(i)}\n") }
                w.finish()
            })),
            ("GET", "/sse", .streaming({ _, w in
                w.startEventStream()
                w.sendEvent("state", data: "{\"state\":\"running\"}")
                w.sendEvent("output", data: "line1\nline2")
                w.finish()
            })),
            ("GET", "/healthz", .async({ _ in .text("ok") })),
        ], middleware: bearerAuth(tokens: { ["s3cret", "other"] }, open: ["/healthz"]))
        var config = HTTPServer.Configuration(listen: "127.0.0.1:0", threads: 48, maxBodyBytes: 1024)
        config.requestTimeout = .seconds(5)
        server = HTTPServer(configuration: config, handler: router.handler)
        try server.start()
        XCTAssertGreaterThan(server.port, 0)
    }

    override func tearDown() { server.stop() }

    func authed(_ path: String, method: String = "GET", body: Data? = nil, headers: [(String, String)] = [])
        -> HTTPClientRequest
    {
        HTTPClientRequest(method: method, url: base + path, headers: [("Authorization", "Bearer s3cret")] + headers, body: body)
    }

    func testJSONRouteAndPathParameters() async throws {
        let r = try await client.execute(authed("/hello"))
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.header("content-type"), "application/json")
        XCTAssertEqual(try JSON.parse(r.body)["hello"], "world")
        let logs = try await client.execute(authed("/agents/a-1/logs?tail=20"))
        XCTAssertEqual(String(decoding: logs.body, as: UTF8.self), "logs of a-1 tail=20")
        let rest = try await client.execute(authed("/files/a/b/c.txt"))
        XCTAssertEqual(String(decoding: rest.body, as: UTF8.self), "a/b/c.txt")
    }

    func testEchoKeepsBodyAndContentType() async throws {
        let r = try await client.execute(authed("/echo", method: "POST", body: Data("{\"x\":1}".utf8), headers: [("Content-Type", "application/json")]))
        XCTAssertEqual(r.status, 201)
        XCTAssertEqual(String(decoding: r.body, as: UTF8.self), "{\"x\":1}")
    }

    func testAuthUnknownRouteMethodAndSizeLimits() async throws {
        let noToken = try await client.execute(HTTPClientRequest(url: base + "/hello"))
        XCTAssertEqual(noToken.status, 401)
        XCTAssertEqual(try JSON.parse(noToken.body)["error"]["code"], "Unauthorized")
        let wrong = try await client.execute(HTTPClientRequest(url: base + "/hello", headers: [("Authorization", "Bearer s3cres")]))
        XCTAssertEqual(wrong.status, 401)
        let second = try await client.execute(HTTPClientRequest(url: base + "/hello", headers: [("Authorization", "Bearer other")]))
        XCTAssertEqual(second.status, 200)
        let open = try await client.execute(HTTPClientRequest(url: base + "/healthz"))
        XCTAssertEqual(open.status, 200)
        let missing = try await client.execute(authed("/nope"))
        XCTAssertEqual(missing.status, 404)
        let method = try await client.execute(authed("/hello", method: "DELETE"))
        XCTAssertEqual(method.status, 405)
        let big = try await client.execute(authed("/echo", method: "POST", body: Data(repeating: 65, count: 4096)))
        XCTAssertEqual(big.status, 413)
        // The server still answers after refusing a body it did not read.
        let after = try await client.execute(authed("/hello"))
        XCTAssertEqual(after.status, 200)
    }

    func testChunkedStreamArrivesInOrder() async throws {
        let s = try await client.stream(authed("/stream"))
        XCTAssertEqual(s.status, 200)
        let body = String(decoding: try await s.collect(), as: UTF8.self)
        XCTAssertEqual(body.split(separator: "\n").count, 5)
        XCTAssertTrue(body.hasPrefix("{\"n\":0}\n"))
    }

    func testServerSentEvents() async throws {
        let s = try await client.stream(authed("/sse"))
        XCTAssertEqual(s.headers["content-type"], "text/event-stream")
        let text = String(decoding: try await s.collect(), as: UTF8.self)
        XCTAssertTrue(text.contains("event: state\ndata: {\"state\":\"running\"}\n\n"))
        XCTAssertTrue(text.contains("event: output\ndata: line1\ndata: line2\n\n"))
    }

    func testRequestsCivetwebRefusesItselfGetTheJSONErrorShape() async throws {
        let port = server.port
        // A 100 KB Authorization header is more than civetweb reads (16 KiB of request line and headers).
        let answer = await onThread { () -> (status: Int, text: String)? in
            guard let c = try? RawHTTPConnection(port: port) else { return nil }
            c.send("GET /hello HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(String(repeating: "x", count: 100_000))\r\n\r\n")
            return c.readResponse(readToEnd: true)
        }
        let (status, text) = try XCTUnwrap(answer)
        XCTAssertEqual(status, 400)
        XCTAssertTrue(text.lowercased().contains("content-type: application/json"), text)
        let error = try XCTUnwrap(RawHTTPConnection.jsonBody(text), text)["error"]
        XCTAssertEqual(error["code"], "BadRequest")
        XCTAssertTrue(error["message"].stringValue?.contains("16 KiB") ?? false, "\(error)")
        // A malformed request line gets the same shape.
        let garbage = await onThread { () -> (status: Int, text: String)? in
            guard let c = try? RawHTTPConnection(port: port) else { return nil }
            c.send("NOT-HTTP\r\n\r\n")
            return c.readResponse(readToEnd: true)
        }
        if let (status, text) = garbage {  // civetweb may also just close such a connection
            XCTAssertEqual(RawHTTPConnection.jsonBody(text)?["error"]["code"].stringValue.map { !$0.isEmpty }, true, "\(status) \(text)")
        }
        let after = try await client.execute(authed("/hello"))
        XCTAssertEqual(after.status, 200)
    }

    func testATokenInTheQueryCountsOnlyOnWebSocketUpgrades() async throws {
        // Tokens in URLs end up in proxies' logs: a plain request must send the header.
        let r = try await client.execute(HTTPClientRequest(url: base + "/hello?token=s3cret"))
        XCTAssertEqual(r.status, 401)
        XCTAssertTrue(try JSON.parse(r.body)["error"]["message"].stringValue?.contains("WebSocket upgrades only") ?? false)
        let upgrade = HTTPRequest(method: "GET", path: "/hello", rawQuery: "token=s3cret", headers: ["upgrade": "websocket"])
        XCTAssertEqual(upgrade.presentedToken, "s3cret")
        XCTAssertNil(bearerAuth(tokens: { ["s3cret"] }, open: [])(upgrade))
        let plain = HTTPRequest(method: "GET", path: "/hello", rawQuery: "token=s3cret")
        XCTAssertNil(plain.presentedToken)
        XCTAssertEqual(bearerAuth(tokens: { ["s3cret"] }, open: [])(plain)?.status, 401)
    }

    func testConstantTimeEquals() {
        XCTAssertTrue(constantTimeEquals("abc", "abc"))
        XCTAssertFalse(constantTimeEquals("abc", "abd"))
        XCTAssertFalse(constantTimeEquals("abc", "abcd"))
        XCTAssertFalse(constantTimeEquals("", "a"))
        XCTAssertTrue(constantTimeEquals("", ""))
    }
}
