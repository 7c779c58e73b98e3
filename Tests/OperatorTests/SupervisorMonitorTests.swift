import AgentTestSupport
import CurlHTTP
import Foundation
import Registry
import RuntimeCore
import Synchronization
import XCTest

@testable import Operator

/// The monitor against a scripted supervisor (an HTTP server answering /status like agent-supervisor).
final class SupervisorMonitorTests: XCTestCase {
    final class FakeSupervisor: @unchecked Sendable {
        let state = Mutex("starting")
        let fail = Mutex(false)
        let hits = Mutex(0)
        var server: HTTPServer!

        init(token: String) throws {
            let router = Router([("GET", "/status", .streaming { [unowned self] req, w in
                self.hits.withLock { $0 += 1 }
                guard req.bearerToken == token else { return w.send(.error(401, code: "Unauthorized", message: "no")) }
                if self.fail.withLock({ $0 }) { return w.send(.error(500, code: "Boom", message: "down")) }
                let st = self.state.withLock { $0 }
                var body: JSON = ["state": .string(st), "agentType": "codex", "restarts": 0, "lastActivityAt": "2026-01-01T00:00:00.000Z"]
                if st == "login_required" { body["login"] = ["url": "https://auth/device", "code": "C0DE", "message": "Sign in"] }
                w.send(.json(body))
            })])
            server = HTTPServer(configuration: .init(listen: "127.0.0.1:0", threads: 4), handler: router.handler)
            try server.start()
        }
        var endpoint: String { "http://127.0.0.1:\(server.port)" }
    }

    func testStatesHealthAndChangeNotifications() async throws {
        let sup = try FakeSupervisor(token: "t0k")
        defer { sup.server.stop() }
        var options = OperatorConfig.HealthChecks()
        options.interval = .milliseconds(300)
        options.failureThreshold = 2
        let changes = LockedList()
        let metrics = MetricsRegistry()
        let monitor = SupervisorMonitor(options: options, http: HTTPClient.shared, metrics: metrics, logger: quietLogger) { changes.append($0) }
        let task = Task { await monitor.run() }
        defer { task.cancel() }
        monitor.watch("ns/a", endpoint: sup.endpoint, token: "t0k")
        try await waitFor("first answer") { monitor.observation("ns/a")?.state == "starting" ? true : nil }
        XCTAssertEqual(monitor.observation("ns/a")?.health, .healthy)

        sup.state.withLock { $0 = "login_required" }
        // While starting, polls are fast (0.5 s doubling), so the prompt shows within a second or two.
        let o = try await waitFor("login", timeout: .seconds(5)) { () -> SupervisorObservation? in
            let o = monitor.observation("ns/a")
            return o?.state == "login_required" ? o : nil
        }
        XCTAssertEqual(o.status?.login?.url, "https://auth/device")
        XCTAssertEqual(o.status?.login?.code, "C0DE")

        sup.state.withLock { $0 = "running" }
        monitor.checkNow("ns/a")
        try await waitFor("running at once", timeout: .seconds(2)) { monitor.observation("ns/a")?.state == "running" ? true : nil }

        sup.fail.withLock { $0 = true }
        try await waitFor("unhealthy after 2 failures", timeout: .seconds(5)) { monitor.observation("ns/a")?.health == .unhealthy ? true : nil }
        XCTAssertNotNil(monitor.observation("ns/a")?.lastError)
        XCTAssertGreaterThanOrEqual(changes.items.filter { $0 == "ns/a" }.count, 4, "starting, login, running, unhealthy")
        XCTAssertGreaterThan(MetricsText.sum(metrics.exposition(), name: "agent_health_checks_total", labels: [#"result="failure""#]), 0)

        monitor.unwatch("ns/a")
        let hits = sup.hits.withLock { $0 }
        try await Task.sleep(for: .milliseconds(700))
        XCTAssertEqual(sup.hits.withLock { $0 }, hits, "no checks after unwatch")
    }

    func testWrongTokenIsAFailureNotACrash() async throws {
        let sup = try FakeSupervisor(token: "right")
        defer { sup.server.stop() }
        var options = OperatorConfig.HealthChecks()
        options.interval = .milliseconds(100)
        options.failureThreshold = 1
        let monitor = SupervisorMonitor(options: options, http: HTTPClient.shared, metrics: nil, logger: quietLogger) { _ in }
        let task = Task { await monitor.run() }
        defer { task.cancel() }
        monitor.watch("ns/a", endpoint: sup.endpoint, token: "wrong")
        try await waitFor("unhealthy") { monitor.observation("ns/a")?.health == .unhealthy ? true : nil }
        XCTAssertEqual(monitor.observation("ns/a")?.lastError, "GET /status answered HTTP 401")
        XCTAssertNil(monitor.observation("ns/a")?.status)
    }
}
