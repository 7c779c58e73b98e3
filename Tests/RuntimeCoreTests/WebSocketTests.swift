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
