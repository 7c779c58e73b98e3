import AgentTestSupport
import Foundation
import KubeClient
import RuntimeCore
import Synchronization
import XCTest

@testable import Operator

final class SessionMetricsTests: XCTestCase {
    func testSeriesFollowTheCacheAndOnlyWhileLeading() {
        let registry = MetricsRegistry()
        let sessions = Mutex([AgentSession]())
        let m = SessionMetrics(registry: registry, policy: SessionPolicy(config: OperatorConfig()), sessions: { sessions.withLock { $0 } })
        var a = makeSession("a")
        a.status = AgentSessionStatus()
        a.status?.phase = "Ready"
        a.status?.agentId = "team-a.a"
        a.status?.startTime = "2026-01-01T00:00:00.000Z"
        sessions.withLock { $0 = [a, makeSession("b")] }
        XCTAssertFalse(registry.exposition().contains("agent_session_info"), "not leading: nothing")
        m.setActive(true)
        let text = registry.exposition()
        XCTAssertTrue(text.contains(#"agent_sessions{namespace="team-a",phase="Ready",agent_type="codex"} 1"#), text)
        XCTAssertTrue(text.contains(#"agent_sessions{namespace="team-a",phase="Pending",agent_type="codex"} 1"#), text)
        XCTAssertTrue(text.contains(#"agent_session_info{namespace="team-a",name="a",agent_id="team-a.a",agent_type="codex",workspace="ws-42"} 1"#), text)
        XCTAssertTrue(text.contains(#"agent_session_start_time_seconds{namespace="team-a",name="a",workspace="ws-42",agent_type="codex"} 1767225600"#), text)
        XCTAssertTrue(text.contains(#"agent_session_resource_requests{namespace="team-a",name="b",workspace="ws-42",resource="cpu"} 0.25"#), text)
        XCTAssertTrue(text.contains(#"agent_session_resource_requests{namespace="team-a",name="b",workspace="ws-42",resource="memory"} 536870912"#), text)
        sessions.withLock { $0 = [makeSession("b")] }
        XCTAssertFalse(registry.exposition().contains(#"name="a""#), "a deleted session's series are gone")
    }

    func testReadySecondsAccumulatePerWorkspace() async throws {
        let registry = MetricsRegistry()
        let m = SessionMetrics(registry: registry, policy: SessionPolicy(config: OperatorConfig()), sessions: { [] })
        m.setActive(true)
        m.observe(key: "ns/a", namespace: "ns", workspace: "w", agentType: "codex", ready: true)
        m.observe(key: "ns/b", namespace: "ns", workspace: "w", agentType: "codex", ready: true)
        try await Task.sleep(for: .milliseconds(200))
        m.observe(key: "ns/a", namespace: "ns", workspace: "w", agentType: "codex", ready: false)
        m.forget(key: "ns/b")
        let total = m.readySeconds(namespace: "ns", workspace: "w", agentType: "codex")
        XCTAssertEqual(total, 0.4, accuracy: 0.15)
        try await Task.sleep(for: .milliseconds(100))
        XCTAssertEqual(m.readySeconds(namespace: "ns", workspace: "w", agentType: "codex"), total, accuracy: 0.001, "nothing Ready: it stops")
        XCTAssertGreaterThan(MetricsText.sum(registry.exposition(), name: "agent_session_ready_seconds_total", labels: [#"workspace="w""#]), 0.2)
    }
}
