import AgentTestSupport
import CurlHTTP
import Foundation
import RuntimeCore
import XCTest

@testable import Pod

/// `GET /attach`: ttyd-framed WebSocket terminals, several at once.
final class AttachHandlerTests: XCTestCase {
    /// Collects what a viewer receives (the `'0'` output frames, prefix removed).
    final class Viewer: @unchecked Sendable {
        let client: WebSocketClient
        private let received = TextBox()
        private let badFrames = TextBox()
        private var task: Task<Void, Never>?

        init(port: Int, token: String) async throws {
            client = try await WebSocketClient.connect(host: "127.0.0.1", port: port, path: "/attach?token=\(token)")
            task = Task { [client, received, badFrames] in
                for await message in client.messages {
                    guard message.data.first == UInt8(ascii: "0") else { badFrames.append("x"); continue }
                    received.append(String(decoding: message.data.dropFirst(), as: UTF8.self))
                }
            }
        }

        var text: String { received.text }
        var nonOutputFrames: Int { badFrames.text.count }

        func send(_ command: Character, _ payload: String) {
            client.send(binary: Data((String(command) + payload).utf8))
        }

        func close() {
            client.close()
            task?.cancel()
        }
    }

    /// The adversarial case: an agent flooding output and 16 viewers that never read it used to hold all of
    /// civetweb's workers, so `/healthz` went unanswered (and a kubelet would restart the agent).
    func testViewersThatNeverReadCannotStarveProbesAndOneTooManyGets503() async throws {
        let flood = "head -c 8000000 /dev/urandom | base64; echo flood-done; exec sleep 600"
        let h = try SupervisorHarness(["bash", "-c", flood])
        defer { Task { await h.shutdown() } }
        let port = h.port, token = h.token, cap = h.api.limits.viewers
        XCTAssertEqual(cap, 16)

        let viewers = (0..<cap).compactMap { _ in try? RawHTTPConnection(port: port) }
        XCTAssertEqual(viewers.count, cap)
        let answers = await onThread { viewers.map { $0.upgrade(path: "/attach", token: token)?.status } }
        XCTAssertEqual(answers, Array(repeating: 101, count: cap))
        defer { viewers.forEach { $0.close() } }

        let extra = await onThread { (try? RawHTTPConnection(port: port))?.upgrade(path: "/attach", token: token, readToEnd: true) }
        XCTAssertEqual(extra?.status, 503)
        XCTAssertEqual(extra.flatMap { RawHTTPConnection.jsonBody($0.text) }?["error"]["code"], "TooManyViewers")

        // While the output floods and after it is quiet, probes and short requests answer at once.
        for path in ["/healthz", "/readyz", "/status", "/screen"] {
            let r = try await HTTPClient.shared.execute(HTTPClientRequest(
                url: h.base + path, headers: [("Authorization", "Bearer \(token)"), ("Connection", "close")], timeout: .seconds(2)))
            XCTAssertTrue([200, 503].contains(r.status), "\(path): \(r.status)")
        }
        await eventually("the flood ended", timeout: 60) { (try? await h.get("/logs?tail=5"))?.text.contains("flood-done") == true }
        let health = try await HTTPClient.shared.execute(HTTPClientRequest(url: h.base + "/healthz", timeout: .seconds(2)))
        XCTAssertEqual(health.status, 200)
        XCTAssertEqual(h.api.server.openWebSockets("/attach"), cap)

        // Viewers that leave give their places back.
        viewers.forEach { $0.close() }
        await eventually("places given back") {
            await onThread { (try? RawHTTPConnection(port: port))?.upgrade(path: "/attach", token: token)?.status } == 101
        }
    }

    func testEventStreamsBeyondTheCapGet503() async throws {
        var limits = SupervisorAPI.Limits()
        limits.eventStreams = 2
        let h = try SupervisorHarness(["bash", Fixtures.path("echo_cli.sh")], limits: limits)
        defer { Task { await h.shutdown() } }
        let port = h.port, token = h.token
        let request = "GET /events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\n\r\n"
        let streams = (0..<2).compactMap { _ in try? RawHTTPConnection(port: port) }
        defer { streams.forEach { $0.close() } }
        let opened = await onThread { streams.map { s in s.send(request); return s.readResponse()?.status } }
        XCTAssertEqual(opened, [200, 200])
        let third = await onThread { () -> (status: Int, text: String)? in
            guard let c = try? RawHTTPConnection(port: port) else { return nil }
            c.send(request.replacingOccurrences(of: "\r\n\r\n", with: "\r\nConnection: close\r\n\r\n"))
            return c.readResponse(readToEnd: true)
        }
        XCTAssertEqual(third?.status, 503)
        XCTAssertEqual(third.flatMap { RawHTTPConnection.jsonBody($0.text) }?["error"]["code"], "TooManyStreams")
        let health = try await HTTPClient.shared.execute(HTTPClientRequest(url: h.base + "/healthz", timeout: .seconds(2)))
        XCTAssertEqual(health.status, 200)
    }

    func testTwoViewersShareOutputInputAndResize() async throws {
        let h = try SupervisorHarness(["bash", Fixtures.path("echo_cli.sh")])
        defer { Task { await h.shutdown() } }
        await eventually("agent ready") { (try? await h.screen())?.contains("echo-cli ready") == true }

        let a = try await Viewer(port: h.port, token: h.token)
        let b = try await Viewer(port: h.port, token: h.token)
        defer { a.close(); b.close() }
        // Scrollback replay on connect.
        await eventually("replay to A") { a.text.contains("echo-cli ready") }
        await eventually("replay to B") { b.text.contains("echo-cli ready") }
        XCTAssertEqual(h.supervisor.hub.viewerCount, 2)

        // Input from one viewer reaches the agent; both see the answer.
        a.send("0", "hello from a\r")
        await eventually("A sees the echo") { a.text.contains("ECHO:hello from a") }
        await eventually("B sees the echo") { b.text.contains("ECHO:hello from a") }

        // Resize from A ('1' + JSON) changes what `stty size` prints inside the agent.
        a.send("1", #"{"columns":100,"rows":30}"#)
        await eventually("kernel size") { h.supervisor.kernelWindowSize == WindowSize(cols: 100, rows: 30) }
        b.send("0", "size\r")
        await eventually("agent sees 30x100") { a.text.contains("SIZE 30 100") && b.text.contains("SIZE 30 100") }

        // ttyd's hello message ({"AuthToken", "columns", "rows"}) also sizes the terminal.
        b.send("{", #""AuthToken":"","columns":90,"rows":25}"#)
        await eventually("kernel size from hello") { h.supervisor.kernelWindowSize == WindowSize(cols: 90, rows: 25) }
        a.send("0", "size\r")
        await eventually("agent sees 25x90") { b.text.contains("SIZE 25 90") }
        XCTAssertEqual(a.nonOutputFrames, 0)

        // A viewer leaving does not disturb the other.
        a.close()
        await eventually("viewer detached") { h.supervisor.hub.viewerCount == 1 }
        b.send("0", "still here\r")
        await eventually("B still works") { b.text.contains("ECHO:still here") }
    }

    func testAttachNeedsTheToken() async throws {
        let h = try SupervisorHarness(["bash", Fixtures.path("echo_cli.sh")])
        defer { Task { await h.shutdown() } }
        do {
            _ = try await WebSocketClient.connect(host: "127.0.0.1", port: h.port, path: "/attach")
            XCTFail("attach without a token must be refused")
        } catch {}
        do {
            _ = try await WebSocketClient.connect(host: "127.0.0.1", port: h.port, path: "/attach?token=wrong")
            XCTFail("attach with a wrong token must be refused")
        } catch {}
    }
}
