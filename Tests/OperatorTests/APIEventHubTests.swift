import Foundation
import RuntimeCore
import Synchronization
import XCTest

@testable import Operator

/// The change feed of `GET /events` (AgentEventHub.swift): one event per visible change, login events,
/// the current state for new subscribers, refreshes on the backend's callback.
final class APIEventHubTests: XCTestCase {
    /// A backend whose list the test sets.
    final class ListBackend: AgentBackend, @unchecked Sendable {
        let runtimeName = "test"
        let agents = Mutex<[AgentInfo]>([])
        let callbacks = Mutex<[@Sendable () -> Void]>([])
        var isReady: Bool { true }
        func set(_ list: [AgentInfo]) {
            agents.withLock { $0 = list }
            for c in callbacks.withLock({ $0 }) { c() }
        }
        func spawn(_ request: SpawnRequest) async throws(APIError) -> AgentInfo { throw .internal("no") }
        func stop(agentId: String) async throws(APIError) -> AgentInfo { throw .notFound(agentId) }
        func list() async -> [AgentInfo] { agents.withLock { $0 } }
        func get(agentId: String) async throws(APIError) -> AgentInfo { throw .notFound(agentId) }
        func supervisor(agentId: String) async throws(APIError) -> SupervisorTarget { throw .notFound(agentId) }
        func inputDelivered(agentId: String) async {}
        func onChange(_ callback: @escaping @Sendable () -> Void) { callbacks.withLock { $0.append(callback) } }
    }

    private func agent(_ id: String, _ phase: String, login: AgentInfo.Login? = nil) -> AgentInfo {
        AgentInfo(agentId: id, agentType: "codex", workspaceId: "ws", phase: phase, login: login, namespace: "ns", name: id, runtime: "test")
    }

    func testDiffNamesEveryChangeOnce() {
        let login = AgentInfo.Login(url: "https://x/device", code: "ABCD-EFGH1")
        let old = ["a": agent("a", "Starting"), "b": agent("b", "Ready"), "c": agent("c", "Authenticating", login: login)]
        let new = ["a": agent("a", "Authenticating", login: login), "b": agent("b", "Ready"), "c": agent("c", "Ready"),
                   "d": agent("d", "Pending")]
        let events = AgentEventHub.diff(old: old, new: new)
        XCTAssertEqual(events.map { "\($0.name):\($0.agentId):\($0.data["type"].stringValue ?? "")" },
                       ["agent:a:modified", "login_required:a:", "agent:c:modified", "login_completed:c:", "agent:d:added"])
        XCTAssertEqual(events[0].data["previousPhase"], "Starting")
        XCTAssertEqual(events[1].data["url"], "https://x/device")
        XCTAssertEqual(events[1].data["code"], "ABCD-EFGH1")
        let removed = AgentEventHub.diff(old: new, new: [:])
        XCTAssertEqual(removed.filter { $0.data["type"] == "deleted" }.count, 4)
        // A new code while still waiting is announced again; nothing changed, nothing sent.
        let newCode = ["a": agent("a", "Authenticating", login: AgentInfo.Login(url: "https://x/device", code: "ZZZZ-YYYY1"))]
        XCTAssertEqual(AgentEventHub.diff(old: ["a": new["a"]!], new: newCode).map(\.name), ["agent", "login_required"])
        XCTAssertTrue(AgentEventHub.diff(old: new, new: new).isEmpty)
    }

    func testSubscribersGetTheStateThenChanges() async throws {
        let backend = ListBackend()
        backend.set([agent("a", "Authenticating", login: AgentInfo.Login(url: "https://x", code: "ABCD-12345"))])
        let hub = AgentEventHub(backend: backend, refreshInterval: .seconds(30))
        let task = Task { await hub.run() }
        defer { task.cancel() }
        let (sub, initial) = await hub.subscribe()
        XCTAssertEqual(initial.map(\.name), ["agent", "login_required"])
        XCTAssertEqual(initial.first?.data["type"], "existing")
        let filtered = await hub.subscribe(agentId: "b")
        XCTAssertTrue(filtered.1.isEmpty)
        // The callback triggers a refresh at once (the periodic one is 30 s away).
        backend.set([agent("a", "Ready"), agent("b", "Starting")])
        var got: [AgentEventHub.Event] = []
        let deadline = Date(timeIntervalSinceNow: 5)
        while got.count < 3, Date() < deadline {
            let next = await withCheckedContinuation { c in Thread { c.resume(returning: sub.next(timeout: 0.2)) }.start() }
            got += next ?? []
        }
        XCTAssertEqual(got.map(\.name).sorted(), ["agent", "agent", "login_completed"])
        let onlyB = await withCheckedContinuation { c in Thread { c.resume(returning: filtered.0.next(timeout: 2)) }.start() }
        XCTAssertEqual(onlyB?.map(\.agentId), ["b"])
        hub.unsubscribe(sub)
        hub.unsubscribe(filtered.0)
        XCTAssertEqual(hub.subscriberCount, 0)
        XCTAssertNil(sub.next(timeout: 0.01), "a closed subscription ends")
    }
}
