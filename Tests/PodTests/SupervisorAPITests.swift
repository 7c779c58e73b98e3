import CurlHTTP
import Foundation
import RuntimeCore
import XCTest

@testable import Pod

/// The HTTP API: auth, errors, endpoints, and abuse (floods, garbage, huge lines).
final class SupervisorAPITests: XCTestCase {
    func testAuthAndErrorShapes() async throws {
        let h = try SupervisorHarness(["bash", Fixtures.path("echo_cli.sh")])
        defer { Task { await h.shutdown() } }
        await eventually("running") { (try? await h.state()) == "running" }

        // Open endpoints.
        let health = try await h.request("GET", "/healthz", token: .some(nil))
        XCTAssertEqual(health.status, 200)
        let ready = try await h.request("GET", "/readyz", token: .some(nil))
        XCTAssertEqual(ready.status, 200)
        let metrics = try await h.request("GET", "/metrics", token: .some(nil))
        XCTAssertEqual(metrics.status, 200)
        XCTAssertTrue(metrics.text.contains(#"agent_supervisor_state{state="running"} 1"#), metrics.text)
        XCTAssertTrue(metrics.text.contains(#"agent_supervisor_state{state="login_required"} 0"#))
        XCTAssertTrue(metrics.text.contains("agent_supervisor_output_bytes_total "))
        XCTAssertTrue(metrics.text.contains("agent_supervisor_input_bytes_total "))
        XCTAssertTrue(metrics.text.contains("process_resident_memory_bytes "))

        // 401 without or with a wrong token, in the error shape.
        for token: String? in [nil, "wrong", h.token + "x"] {
            let r = try await h.request("GET", "/status", token: .some(token))
            XCTAssertEqual(r.status, 401)
            XCTAssertEqual(r.json["error"]["code"].stringValue, "Unauthorized")
        }
        let unauthorizedInput = try await h.request("POST", "/input", body: Data(#"{"text":"x"}"#.utf8), token: .some(nil))
        XCTAssertEqual(unauthorizedInput.status, 401)

        // 404 unknown endpoint, 405 wrong method.
        let missing = try await h.get("/nope")
        XCTAssertEqual(missing.status, 404)
        XCTAssertEqual(missing.json["error"]["code"].stringValue, "NotFound")
        let wrongMethod = try await h.request("GET", "/input")
        XCTAssertEqual(wrongMethod.status, 405)

        // 400 bad JSON and bad values.
        for (path, body) in [("/input", "{not json"), ("/input", #"{"text": 5}"#), ("/input", "[1]"),
                             ("/resize", #"{"cols": "wide"}"#), ("/resize", #"{"cols": 0, "rows": 10}"#),
                             ("/signal", #"{"signal": "SIGFOO"}"#), ("/signal", "nope")] {
            let r = try await h.request("POST", path, body: Data(body.utf8))
            XCTAssertEqual(r.status, 400, "\(path) \(body): \(r.text)")
            XCTAssertEqual(r.json["error"]["code"].stringValue, "BadRequest")
        }
        let badTail = try await h.get("/logs?tail=-1")
        XCTAssertEqual(badTail.status, 400)

        // 413 oversized body.
        let huge = try await h.request("POST", "/input", body: Data(repeating: 0x61, count: 2 << 20),
                                       contentType: "application/octet-stream")
        XCTAssertEqual(huge.status, 413)
        XCTAssertEqual(huge.json["error"]["code"].stringValue, "PayloadTooLarge")

        // The attach endpoint without an upgrade.
        let plainAttach = try await h.get("/attach")
        XCTAssertEqual(plainAttach.status, 400)
    }

    func testStatusScreenLogsInputResizeSignal() async throws {
        let h = try SupervisorHarness(["bash", Fixtures.path("echo_cli.sh")])
        defer { Task { await h.shutdown() } }
        await eventually("ready") { (try? await h.screen())?.contains("echo-cli ready") == true }

        let s = try await h.status()
        for key in ["state", "agentType", "pid", "restarts", "exitCode", "startedAt", "lastActivityAt", "login", "bytesIn", "bytesOut"] {
            XCTAssertNotNil(s.objectValue?[key], "status lacks \(key)")
        }
        XCTAssertEqual(s["agentType"].stringValue, "custom")

        // JSON input with enter, and raw octet-stream input.
        let a = try await h.post("/input", ["text": "héllo", "enter": true])
        XCTAssertEqual(a.status, 200)
        XCTAssertEqual(a.json["bytes"].intValue, 7)
        let b = try await h.request("POST", "/input", body: Data("raw bytes\r".utf8), contentType: "application/octet-stream")
        XCTAssertEqual(b.status, 200)
        await eventually("echoes") {
            let logs = (try? await h.get("/logs?tail=10").text) ?? ""
            return logs.contains("ECHO:héllo\n") && logs.contains("ECHO:raw bytes\n")
        }
        let raw = try await h.get("/logs?tail=50&raw=1").text
        XCTAssertTrue(raw.contains("ECHO:héllo"))

        // Resize reaches the kernel and the screen model.
        let r = try await h.post("/resize", ["cols": 100, "rows": 30])
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(h.supervisor.kernelWindowSize, WindowSize(cols: 100, rows: 30))
        _ = try await h.post("/input", ["text": "size", "enter": true])
        await eventually("new size") { (try? await h.get("/logs?tail=5").text)?.contains("SIZE 30 100") == true }
        let awaited1 = try await h.status()["cols"].intValue
        XCTAssertEqual(awaited1, 100)

        // A signal to the agent's process group: bash dies of SIGINT? It ignores it in a read; use SIGTERM.
        let sig = try await h.post("/signal", ["signal": "SIGTERM"])
        XCTAssertEqual(sig.status, 200)
        await eventually("agent restarted after the signal") { (try? await h.status()["restarts"].intValue ?? 0) ?? 0 >= 1 }
        let st = try await h.status()
        XCTAssertEqual(st["exitSignal"].stringValue, "SIGTERM")
        XCTAssertEqual(st["exitCode"].intValue, 143)
    }

    func testEventsStreamSendsStateAndOutput() async throws {
        let h = try SupervisorHarness(["bash", Fixtures.path("echo_cli.sh")])
        defer { Task { await h.shutdown() } }
        await eventually("running") { (try? await h.state()) == "running" }
        let stream = try await HTTPClient.shared.stream(HTTPClientRequest(
            url: h.base + "/events", headers: [("Authorization", "Bearer \(h.token)")], timeout: .seconds(30)))
        XCTAssertEqual(stream.status, 200)
        XCTAssertEqual(stream.headers["content-type"], "text/event-stream")
        let collected = TextBox()
        let reader = Task {
            for try await chunk in stream.body { collected.append(String(decoding: chunk, as: UTF8.self)) }
        }
        await eventually("initial state event") { collected.text.contains("event: state\ndata: {") }
        _ = try await h.post("/input", ["text": "from-events", "enter": true])
        await eventually("output event") { collected.text.contains("event: output\ndata: ") && collected.text.contains("ECHO:from-events") }
        XCTAssertFalse(collected.text.contains("\u{1B}["), "output events are ANSI-stripped")
        _ = try await h.post("/signal", ["signal": "TERM"])
        await eventually("state change event") { collected.text.contains(#""state":"failed""#) || collected.text.contains(#""state":"starting""#) }
        stream.cancel()
        reader.cancel()
    }

    func testInputFloodDoesNotStallOutput() async throws {
        let h = try SupervisorHarness(["bash", Fixtures.path("ticker.sh")]) { $0.inputQueueBytes = 256 * 1024 }
        defer { Task { await h.shutdown() } }
        await eventually("ticking") { (try? await h.get("/logs?tail=2").text)?.contains("tick") == true }

        func lastTick() async throws -> Int {
            let lines = try await h.get("/logs?tail=3").text.split(separator: "\n")
            return lines.compactMap { $0.hasPrefix("tick ") ? Int($0.dropFirst(5)) : nil }.max() ?? -1
        }
        let flooding = Task {
            var codes: [Int: Int] = [:]
            let body = Data(repeating: UInt8(ascii: "a"), count: 128 * 1024)
            let end = Date().addingTimeInterval(3)
            await withTaskGroup(of: [Int].self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        var seen: [Int] = []
                        while Date() < end {
                            let r = try? await h.request("POST", "/input", body: body, contentType: "application/octet-stream")
                            seen.append(r?.status ?? -1)
                        }
                        return seen
                    }
                }
                for await list in group { for c in list { codes[c, default: 0] += 1 } }
            }
            return codes
        }
        // While the flood runs, ticks keep coming and the API answers quickly.
        var previous = try await lastTick()
        for _ in 0..<5 {
            try await Task.sleep(for: .milliseconds(400))
            let started = Date()
            let tick = try await lastTick()
            XCTAssertLessThan(Date().timeIntervalSince(started), 1.0, "API slow during the flood")
            XCTAssertGreaterThan(tick, previous + 5, "output stalled during the input flood")
            previous = tick
        }
        let codes = await flooding.value
        XCTAssertGreaterThan(codes[200, default: 0], 0, "\(codes)")
        XCTAssertGreaterThan(codes[503, default: 0], 0, "the agent never reads: the queue must fill and refuse \(codes)")
        XCTAssertEqual(Set(codes.keys).subtracting([200, 503]), [], "\(codes)")
    }

    func testBinaryGarbageAndHugeLinesDoNotBreakTheSupervisor() async throws {
        let script = """
            head -c 3000000 /dev/urandom
            printf '\\033c'
            echo GARBAGE-DONE
            head -c 10000000 /dev/zero | tr '\\0' x
            printf '\\r\\nHUGE-DONE\\r\\n'
            exec sleep 300
            """
        let h = try SupervisorHarness(["bash", "-c", script]) { c in
            c.output.logLines = 1000
            c.output.logBytes = 256 * 1024
            c.output.scrollbackBytes = 256 * 1024
        }
        defer { Task { await h.shutdown() } }
        await eventually("all output consumed", timeout: 60) {
            let bytes = (try? await h.status()["bytesOut"].intValue ?? 0) ?? 0
            let tail = (try? await h.get("/logs?tail=3").text) ?? ""
            return bytes >= 13_000_000 && tail.contains("HUGE-DONE")
        }
        let health = try await h.request("GET", "/healthz", token: .some(nil))
        XCTAssertEqual(health.status, 200)
        let screen = try await h.screen()
        XCTAssertTrue(screen.contains("HUGE-DONE"), screen)
        let logs = try await h.get("/logs?tail=100000").text
        XCTAssertLessThanOrEqual(logs.utf8.count, 256 * 1024 + 100_000)
        XCTAssertTrue(logs.split(separator: "\n").allSatisfy { $0.utf8.count <= 4096 })
        let raw = try await h.get("/logs?tail=100000&raw=1").text
        XCTAssertLessThanOrEqual(raw.utf8.count, 256 * 1024 * 4)  // at most the ring, plus U+FFFD expansion
        await eventually("running once the output settles") { (try? await h.state()) == "running" }
    }
}

/// Text gathered from a stream by a reader task.
final class TextBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value = ""
    func append(_ s: String) { lock.lock(); value += s; lock.unlock() }
    var text: String { lock.lock(); defer { lock.unlock() }; return value }
}
