import AgentTestSupport
import Foundation
import KubeClient
import XCTest

@testable import Operator

final class EventRecorderTests: XCTestCase {
    func testEventsAreWrittenAndRepeatsCounted() async throws {
        let cluster = try await InProcessCluster()
        defer { cluster.stop() }
        let recorder = EventRecorder(client: cluster.client, instance: "op-1", logger: quietLogger)
        let task = Task { await recorder.run() }
        let ref = ObjectReference(apiVersion: "parallax.ai/v1alpha1", kind: "AgentSession", namespace: "team-a", name: "s", uid: "u1")
        recorder.record(ref, type: .warning, reason: "KeySecretNotFound", message: "Secret raven-key does not exist")
        let created = try await waitFor("event created") { () async throws -> Event? in
            try await cluster.client.list(Event.self, namespace: "team-a").items.first
        }
        XCTAssertEqual(created.type, "Warning")
        XCTAssertEqual(created.count, 1)
        XCTAssertEqual(created.involvedObject, ref)
        XCTAssertEqual(created.source?.component, "agent-operator")
        XCTAssertEqual(created.reportingInstance, "op-1")
        for _ in 0..<3 { recorder.record(ref, type: .warning, reason: "KeySecretNotFound", message: "Secret raven-key does not exist") }
        try await waitFor("count 4") { () async throws -> Bool? in
            let all = try await cluster.client.list(Event.self, namespace: "team-a").items
            return all.count == 1 && all[0].count == 4 ? true : nil
        }
        // A burst of repeats: writes of one Event never overlap or reorder, so the count ends exact.
        for _ in 0..<20 { recorder.record(ref, type: .warning, reason: "KeySecretNotFound", message: "Secret raven-key does not exist") }
        try await waitFor("count 24") { () async throws -> Bool? in
            let all = try await cluster.client.list(Event.self, namespace: "team-a").items
            return all.count == 1 && all[0].count == 24 ? true : nil
        }
        recorder.stop()
        await task.value
    }
}
