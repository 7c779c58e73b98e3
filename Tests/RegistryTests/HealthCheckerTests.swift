import AgentTestSupport
import Foundation
import RuntimeCore
import XCTest

@testable import Registry

final class HealthCheckerTests: XCTestCase {
    private func makeChecker(interval: Duration = .milliseconds(100), timeout: Duration = .milliseconds(300),
                             maxConcurrent: Int = 8, metrics: MetricsRegistry? = nil) -> (HealthChecker, Recorder<HealthReport>) {
        let checker = HealthChecker(options: HealthCheckOptions(interval: interval, timeout: timeout, failureThreshold: 3,
                                                                maxConcurrentChecks: maxConcurrent),
                                    metrics: metrics, logger: quietLogger)
        let reports = Recorder(checker.reports)
        addTeardownBlock {
            await checker.shutdown()
            reports.stop()
        }
        return (checker, reports)
    }

    private func makeSupervisor(holdEachRequest: Duration = .zero) throws -> FakeSupervisor {
        let s = try FakeSupervisor(holdEachRequest: holdEachRequest)
        addTeardownBlock { await s.stop() }
        return s
    }

    func testUnknownThenHealthyThenUnhealthyAfterThreeFailuresThenHealthyAgain() async throws {
        let supervisor = try makeSupervisor()
        let metrics = MetricsRegistry()
        let (checker, reports) = makeChecker(metrics: metrics)
        await checker.watch(agentId: "a", endpoint: supervisor.endpoint, token: supervisor.token)
        let initial = await checker.report(for: "a")
        XCTAssertEqual(initial?.status, .unknown)

        let healthy = await eventually { reports.items.last?.status == .healthy }
        XCTAssertTrue(healthy)
        XCTAssertEqual(reports.items.last?.state, "running")
        XCTAssertEqual(reports.items.map(\.status), [.healthy], "one report per change, not per check")

        supervisor.set(.error(500))
        let unhealthy = await eventually { reports.items.last?.status == .unhealthy }
        XCTAssertTrue(unhealthy)
        let last = try XCTUnwrap(reports.items.last)
        XCTAssertEqual(last.consecutiveFailures, 3, "unhealthy exactly at the third failure in a row")
        XCTAssertEqual(last.error, "GET /status answered HTTP 500")

        supervisor.set(.state("running"))
        let recovered = await eventually { reports.items.last?.status == .healthy }
        XCTAssertTrue(recovered)
        XCTAssertEqual(reports.items.map(\.status), [.healthy, .unhealthy, .healthy])
        let checks = metrics.counter("agent_health_checks_total", help: "", labelNames: ["result"])
        XCTAssertGreaterThanOrEqual(checks.value(labels: ["failure"]), 3)
        XCTAssertGreaterThanOrEqual(checks.value(labels: ["success"]), 2)
    }

    func testTwoFailuresDoNotMakeAnAgentUnhealthy() async throws {
        let supervisor = try makeSupervisor()
        let (checker, reports) = makeChecker(interval: .milliseconds(300))
        await checker.watch(agentId: "a", endpoint: supervisor.endpoint, token: supervisor.token)
        let healthy = await eventually { reports.items.last?.status == .healthy }
        XCTAssertTrue(healthy)
        supervisor.set(.error(503))
        let twoFailures = await eventually { (await checker.report(for: "a"))?.consecutiveFailures == 2 }
        XCTAssertTrue(twoFailures)
        supervisor.set(.state("running"))
        let reset = await eventually { (await checker.report(for: "a"))?.consecutiveFailures == 0 }
        XCTAssertTrue(reset)
        XCTAssertEqual(reports.items.map(\.status), [.healthy])
    }

    func testTimeoutsAndWrongTokensCountAsFailures() async throws {
        let supervisor = try makeSupervisor()
        let metrics = MetricsRegistry()
        let (checker, reports) = makeChecker(timeout: .milliseconds(200), metrics: metrics)
        supervisor.set(.slow(.seconds(1)))
        await checker.watch(agentId: "slow", endpoint: supervisor.endpoint, token: supervisor.token)
        await checker.watch(agentId: "badtoken", endpoint: supervisor.endpoint, token: "wrong")
        let both = await eventually(.seconds(15)) {
            Set(reports.items.filter { $0.status == .unhealthy }.map(\.agentId)) == ["slow", "badtoken"]
        }
        XCTAssertTrue(both, "\(reports.items)")
        let slow = await checker.report(for: "slow")
        XCTAssertTrue(slow?.error?.contains("timed out") ?? false, "\(String(describing: slow?.error))")
        let bad = await checker.report(for: "badtoken")
        XCTAssertEqual(bad?.error, "GET /status answered HTTP 401")
        let checks = metrics.counter("agent_health_checks_total", help: "", labelNames: ["result"])
        XCTAssertGreaterThanOrEqual(checks.value(labels: ["timeout"]), 3)
    }

    func testLoginRequiredAndExitedStatesAreReported() async throws {
        let supervisor = try makeSupervisor()
        let (checker, reports) = makeChecker()
        await checker.watch(agentId: "a", endpoint: supervisor.endpoint + "/", token: supervisor.token)
        let healthy = await eventually { reports.items.last?.state == "running" }
        XCTAssertTrue(healthy)
        supervisor.set(.state("login_required"))
        let login = await eventually { reports.items.last?.state == "login_required" }
        XCTAssertTrue(login)
        XCTAssertEqual(reports.items.last?.status, .healthy, "the supervisor answers: it is healthy, but needs a login")
        XCTAssertEqual(reports.items.last?.login?.url, "https://auth.example/device")
        XCTAssertEqual(reports.items.last?.login?.code, "ABCD-1234")

        supervisor.set(.state("exited"))
        let down = await eventually { reports.items.last?.status == .unhealthy }
        XCTAssertTrue(down, "a supervisor whose CLI exited fails its checks")
        XCTAssertEqual(reports.items.last?.state, "exited")
        XCTAssertEqual(reports.items.last?.error, "supervisor reports state exited")
    }

    func testUnreachableSupervisorGoesUnhealthyAndUnwatchStopsChecks() async throws {
        let (checker, reports) = makeChecker()
        await checker.watch(agentId: "gone", endpoint: "http://127.0.0.1:\(try freeLoopbackPort())", token: "t")
        let unhealthy = await eventually { reports.items.last?.status == .unhealthy }
        XCTAssertTrue(unhealthy)
        XCTAssertTrue(reports.items.last?.error?.contains("connection failed") ?? false)
        await checker.unwatch(agentId: "gone")
        let watched = await checker.watchedAgents
        XCTAssertEqual(watched, [])
    }

    func testChecksOfManyAgentsRunWithBoundedConcurrency() async throws {
        let supervisor = try makeSupervisor(holdEachRequest: .milliseconds(50))
        let (checker, reports) = makeChecker(interval: .milliseconds(200), timeout: .seconds(2), maxConcurrent: 4)
        for i in 0..<40 { await checker.watch(agentId: "agent-\(i)", endpoint: supervisor.endpoint, token: supervisor.token) }
        let allHealthy = await eventually(.seconds(15)) { Set(reports.items.map(\.agentId)).count == 40 }
        XCTAssertTrue(allHealthy)
        XCTAssertLessThanOrEqual(supervisor.maxInFlight, 4, "never more than maxConcurrentChecks at once")
        XCTAssertGreaterThanOrEqual(supervisor.maxInFlight, 2)
    }
}
