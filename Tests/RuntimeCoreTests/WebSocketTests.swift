import AgentTestSupport
import CurlHTTP
import Foundation
import Synchronization
import XCTest

@testable import RuntimeCore

/// WebSocket server (civetweb) and client (civetweb's client API) together.
final class WebSocketTests: XCTestCase {
    /// Echoes messages upper-cased to every connected socket; refuses connections without `?token=t`.
    final class Broadcast: WebSocketHandler {
        let sockets = Mutex<Set<WebSocketConnection>>([])
        func authorize(_ request: HTTPRequest) -> HTTPResponse? {
            request.query("token") == "t" ? nil : .error(401, code: "Unauthorized", message: "missing token")
        }
        func connected(_ socket: WebSocketConnection) {
            _ = sockets.withLock { $0.insert(socket) }
            socket.send(text: "hello \(socket.request.path)")
        }
        func received(_ socket: WebSocketConnection, opcode: WebSocketOpcode, data: Data) {
            let reply = String(decoding: data, as: UTF8.self).uppercased()
            for s in sockets.withLock({ Array($0) }) { s.send(binary: Data(reply.utf8)) }
        }
        func closed(_ socket: WebSocketConnection) { _ = sockets.withLock { $0.remove(socket) } }
    }

    func testUpgradesBeyondTheLimitGet503WhileRequestsStillAnswer() async throws {
        let handler = Broadcast()
        let router = Router([("GET", "/healthz", .async({ _ in .text("ok") }))])
        // Two places for WebSockets on four workers: two stay for everything else.
        let server = HTTPServer(configuration: .init(listen: "127.0.0.1:0", threads: 4), handler: router.handler)
        server.webSocket("/ws/*", subprotocols: ["tty"], limit: 2,
                         overLimit: .error(503, code: "TooMany", message: "two at most"), handler: handler)
        try server.start()
        defer { server.stop() }
        let port = server.port

        let first = try RawHTTPConnection(port: port), second = try RawHTTPConnection(port: port)
        let answers = await onThread { [first.upgrade(path: "/ws/a?token=t", token: nil)?.status,
                                        second.upgrade(path: "/ws/a?token=t", token: nil)?.status] }
        XCTAssertEqual(answers, [101, 101])
        XCTAssertEqual(server.openWebSockets("/ws/*"), 2)
        let third = await onThread { () -> (status: Int, text: String)? in
            (try? RawHTTPConnection(port: port))?.upgrade(path: "/ws/a?token=t", token: nil, readToEnd: true)
        }
        XCTAssertEqual(third?.status, 503)
        XCTAssertEqual(third.flatMap { RawHTTPConnection.jsonBody($0.text) }?["error"]["code"], "TooMany")
        // A refused upgrade that was not authorised is refused for that reason, not for the limit.
        let unauthorised = await onThread { (try? RawHTTPConnection(port: port))?.upgrade(path: "/ws/a", token: nil)?.status }
        XCTAssertEqual(unauthorised, 401)
        let health = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz", timeout: .seconds(3)))
        XCTAssertEqual(health.status, 200)

        // A closed connection gives its place back.
        first.close()
        let deadline = ContinuousClock.now + .seconds(10)
        var again: Int?
        while ContinuousClock.now < deadline {
            again = await onThread { (try? RawHTTPConnection(port: port))?.upgrade(path: "/ws/a?token=t", token: nil)?.status }
            if again == 101 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        XCTAssertEqual(again, 101)
        second.close()
    }

    func testTwoClientsSeeBroadcastsAndUnauthorizedIsRefused() async throws {
        let handler = Broadcast()
        let server = HTTPServer(configuration: .init(listen: "127.0.0.1:0", threads: 8), handler: Router([]).handler)
        server.webSocket("/ws/*", subprotocols: ["tty"], handler: handler)
        try server.start()
        defer { server.stop() }

        let a = try await WebSocketClient.connect(host: "127.0.0.1", port: server.port, path: "/ws/one?token=t")
        let b = try await WebSocketClient.connect(host: "127.0.0.1", port: server.port, path: "/ws/one?token=t")
        var ia = a.messages.makeAsyncIterator()
        var ib = b.messages.makeAsyncIterator()
        let greeting = await ia.next()
        XCTAssertEqual(greeting.map { String(decoding: $0.data, as: UTF8.self) }, "hello /ws/one")
        _ = await ib.next()
        a.send(text: "ping from a")
        let ra = await ia.next(), rb = await ib.next()
        XCTAssertEqual(ra.map { String(decoding: $0.data, as: UTF8.self) }, "PING FROM A")
        XCTAssertEqual(rb.map { String(decoding: $0.data, as: UTF8.self) }, "PING FROM A")
        XCTAssertEqual(rb?.opcode, .binary)
        a.close()
        b.close()

        do {
            _ = try await WebSocketClient.connect(host: "127.0.0.1", port: server.port, path: "/ws/one")
            XCTFail("connection without token must be refused")
        } catch {
            XCTAssertTrue(error.message.contains("401") || !error.message.isEmpty, error.message)
        }
    }
}
