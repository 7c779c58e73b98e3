import AgentTestSupport
import Foundation
import KubeClient
import Registry
import RuntimeCore
import XCTest

@testable import Operator

/// The reconciler against an in-process kube-emulator (no kubelet, fake registry): objects, writes,
/// conditions and Events for each path through a reconcile.
final class SessionReconcilerTests: XCTestCase {
    var cluster: InProcessCluster!
    var h: ReconcilerHarness!

    func start(config: OperatorConfig = OperatorConfig(), quotaRetry: Duration = .seconds(30)) async throws {
        cluster = try await InProcessCluster()
        h = ReconcilerHarness(cluster: cluster, config: config, quotaRetry: quotaRetry)
        await h.start()
    }

    override func tearDown() async throws {
        await h?.stop()
        cluster?.stop()
    }

    func testHappyPathCreatesSecretAndPodWithFourWrites() async throws {
        try await start()
        let writesBefore = cluster.requests("POST") + cluster.requests("PATCH") + cluster.requests("PUT") + cluster.requests("DELETE")
        try await cluster.create(makeSession())
        let s = try await h.waitFor("fix-login-bug", "status written") { $0.status?.phase == "Pending" && $0.status?.podName != nil }
        XCTAssertEqual(s.metadata.finalizers, ["parallax.ai/agent-cleanup"])
        XCTAssertEqual(s.status?.observedGeneration, 1)
        XCTAssertEqual(s.status?.conditions?.isTrue("Admitted"), true)
        XCTAssertEqual(s.status?.agentId, "team-a.fix-login-bug")
        let pod = try await cluster.client.get(Pod.self, name: "fix-login-bug", namespace: "team-a")
        XCTAssertTrue(SessionLabels.isControlled(pod, by: s))
        let secret = try await cluster.client.get(Secret.self, name: "fix-login-bug-credentials", namespace: "team-a")
        let token = try XCTUnwrap(CredentialsSecret.token(in: secret))
        XCTAssertEqual(token.count, 64)
        XCTAssertEqual(secret.data?["mcp-api-key"], Data())

        // Let the watch events of our own writes come back and be reconciled: nothing more is written.
        try await Task.sleep(for: .milliseconds(700))
        let eventWrites = try await h.events(for: "fix-login-bug").count
        let writes = cluster.requests("POST") + cluster.requests("PATCH") + cluster.requests("PUT") + cluster.requests("DELETE") - writesBefore
        XCTAssertEqual(writes - 1 /* our create */ - Double(eventWrites), 4, "finalizer, Secret, pod, status")
        let again = try await cluster.client.get(Secret.self, name: "fix-login-bug-credentials", namespace: "team-a")
        XCTAssertEqual(CredentialsSecret.token(in: again), token, "the token is stable")
        let reasons = Set(try await h.events(for: "fix-login-bug").compactMap(\.reason))
        XCTAssertEqual(reasons, ["Admitted", "PodCreated"])
    }

    func testKeyIsCopiedAndAMissingKeySecretIsAConditionThenRecovers() async throws {
        try await start()
        try await cluster.create(makeSession { $0.mcp = .init(serverUrl: "https://m", keySecretRef: .init(name: "raven-key")) })
        let s = try await h.waitFor("fix-login-bug", "KeySecretNotFound") { $0.status?.conditions?.condition("Ready")?.reason == "KeySecretNotFound" }
        XCTAssertEqual(s.status?.phase, "Pending")
        XCTAssertTrue(s.status?.message?.contains("Secret raven-key (spec.mcp.keySecretRef) does not exist") ?? false)
        let noPod = try? await cluster.client.get(Pod.self, name: "fix-login-bug", namespace: "team-a")
        XCTAssertNil(noPod, "no pod without credentials")
        try await waitFor("KeySecretNotFound event") { try await self.h.events(for: "fix-login-bug").first { $0.reason == "KeySecretNotFound" } }

        _ = try await cluster.client.create(Secret(metadata: ObjectMeta(name: "raven-key", namespace: "team-a"),
                                                   data: ["api-key": Data("sk-123".utf8)]))
        try await h.waitFor("fix-login-bug", timeout: .seconds(15), "recovered") { $0.status?.podName != nil }
        let secret = try await cluster.client.get(Secret.self, name: "fix-login-bug-credentials", namespace: "team-a")
        XCTAssertEqual(secret.data?["mcp-api-key"], Data("sk-123".utf8))
    }

    func testQuotaExceededStaysPendingAndIsAdmittedWhenAPlaceFrees() async throws {
        var config = OperatorConfig()
        config.quotas.maxSessionsPerNamespace = 2
        try await start(config: config)
        for i in 0..<3 { try await cluster.create(makeSession("s\(i)", uid: "")) }
        try await waitFor("two admitted, one not", timeout: .seconds(10)) { () async throws -> Bool? in
            let all = try await self.cluster.client.list(AgentSession.self, namespace: "team-a").items
            let admitted = all.filter { $0.status?.conditions?.isTrue("Admitted") == true }
            let rejected = all.filter { $0.status?.conditions?.condition("Admitted")?.reason == "QuotaExceeded" }
            return admitted.count == 2 && rejected.count == 1 ? true : nil
        }
        let all = try await cluster.client.list(AgentSession.self, namespace: "team-a").items
        let waiting = try XCTUnwrap(all.first { $0.status?.conditions?.condition("Admitted")?.reason == "QuotaExceeded" })
        XCTAssertEqual(waiting.status?.phase, "Pending")
        XCTAssertEqual(waiting.status?.conditions?.condition("Admitted")?.message, "namespace team-a already has 2 of its 2 sessions")
        let pod = try? await cluster.client.get(Pod.self, name: waiting.name, namespace: "team-a")
        XCTAssertNil(pod)
        try await waitFor("QuotaExceeded event") { try await self.h.events(for: waiting.name).first { $0.reason == "QuotaExceeded" } }

        let admitted = try XCTUnwrap(all.first { $0.name != waiting.name })
        try await cluster.client.delete(AgentSession.self, name: admitted.name, namespace: "team-a")
        try await h.waitFor(waiting.name, "admitted after a deletion") { $0.status?.conditions?.isTrue("Admitted") == true }
    }

    func testPolicyViolationIsTerminalAndHarmless() async throws {
        try await start()
        try await cluster.create(makeSession("absurd") { $0.resources = ResourceRequirements(requests: ["cpu": "100000"]) })
        try await cluster.create(makeSession("fine", uid: ""))
        let s = try await h.waitFor("absurd", "PolicyViolation") { $0.status?.conditions?.condition("Admitted")?.reason == "PolicyViolation" }
        XCTAssertEqual(s.status?.phase, "Pending")
        XCTAssertTrue(s.status?.conditions?.condition("Admitted")?.message.contains("exceeds the policy maximum 8") ?? false)
        try await waitFor("PolicyViolation event") { try await self.h.events(for: "absurd").first { $0.reason == "PolicyViolation" && $0.type == "Warning" } }
        try await h.waitFor("fine", "the other session is unaffected") { $0.status?.podName != nil }
        let pod = try? await cluster.client.get(Pod.self, name: "absurd", namespace: "team-a")
        XCTAssertNil(pod)
    }

    func testSuspendRemovesThePodAndResumeBringsItBack() async throws {
        try await start()
        try await cluster.create(makeSession())
        try await h.waitFor("fix-login-bug", "pod") { $0.status?.podName != nil }
        _ = try await cluster.client.patch(AgentSession.self, name: "fix-login-bug", namespace: "team-a", .merge(["spec": ["suspend": true]]))
        let s = try await h.waitFor("fix-login-bug", "Stopped") { $0.status?.phase == "Stopped" }
        XCTAssertEqual(s.status?.conditions?.condition("Ready")?.reason, "Suspended")
        XCTAssertEqual(s.status?.observedGeneration, 2)
        try await waitFor("pod gone") { () async throws -> Bool? in
            (try? await self.cluster.client.get(Pod.self, name: "fix-login-bug", namespace: "team-a")) == nil ? true : nil
        }
        try await waitFor("Stopped event") { try await self.h.events(for: "fix-login-bug").first { $0.reason == "Stopped" } }
        _ = try await cluster.client.patch(AgentSession.self, name: "fix-login-bug", namespace: "team-a", .merge(["spec": ["suspend": false]]))
        try await h.waitFor("fix-login-bug", "resumed") { $0.status?.phase == "Pending" && $0.status?.podName != nil }
    }

    func testDeletionCleansUpAndReleasesTheFinalizer() async throws {
        try await start()
        try await cluster.create(makeSession())
        try await h.waitFor("fix-login-bug", "pod") { $0.status?.podName != nil }
        try await cluster.client.delete(AgentSession.self, name: "fix-login-bug", namespace: "team-a")
        try await waitFor("session gone") { () async throws -> Bool? in
            (try? await self.h.session("fix-login-bug")) == nil ? true : nil
        }
        let pod = try? await cluster.client.get(Pod.self, name: "fix-login-bug", namespace: "team-a")
        let secret = try? await cluster.client.get(Secret.self, name: "fix-login-bug-credentials", namespace: "team-a")
        XCTAssertNil(pod)
        XCTAssertNil(secret)
    }

    func testDriftedPodIsRecreated() async throws {
        try await start()
        try await cluster.create(makeSession())
        try await h.waitFor("fix-login-bug", "pod") { $0.status?.podName != nil }
        let first = try await cluster.client.get(Pod.self, name: "fix-login-bug", namespace: "team-a")
        _ = try await cluster.client.patch(AgentSession.self, name: "fix-login-bug", namespace: "team-a", .merge(["spec": ["args": ["--new"]]]))
        let second = try await waitFor("a new pod", timeout: .seconds(15)) { () async throws -> Pod? in
            let p = try? await self.cluster.client.get(Pod.self, name: "fix-login-bug", namespace: "team-a")
            return p.flatMap { $0.metadata.uid != first.metadata.uid ? $0 : nil }
        }
        XCTAssertEqual(second.spec?.containers.first?.args?.suffix(2), ["codex", "--new"])
        try await waitFor("PodRecreated event") { try await self.h.events(for: "fix-login-bug").first { $0.reason == "PodRecreated" } }
    }

    func testFailedPodIsRecreatedWithBackoff() async throws {
        try await start()
        try await cluster.create(makeSession())
        try await h.waitFor("fix-login-bug", "pod") { $0.status?.podName != nil }
        let first = try await cluster.client.get(Pod.self, name: "fix-login-bug", namespace: "team-a")
        try await h.setPodStatus("fix-login-bug", PodStatus(phase: "Failed", message: "evicted: node pressure", reason: "Evicted"))
        let s = try await h.waitFor("fix-login-bug", "Error") { $0.status?.phase == "Error" }
        XCTAssertEqual(s.status?.conditions?.condition("Ready")?.reason, "PodFailed")
        _ = try await waitFor("recreated after the backoff", timeout: .seconds(20)) { () async throws -> Pod? in
            let p = try? await self.cluster.client.get(Pod.self, name: "fix-login-bug", namespace: "team-a")
            return p.flatMap { $0.metadata.uid != first.metadata.uid ? $0 : nil }
        }
        let e = try await h.events(for: "fix-login-bug").first { $0.reason == "PodFailed" }
        XCTAssertTrue(e?.message?.contains("evicted: node pressure") ?? false)
    }

    func testAForeignPodIsNeverTouched() async throws {
        try await start()
        _ = try await cluster.client.create(Pod(metadata: ObjectMeta(name: "taken", namespace: "team-a"),
                                                spec: PodSpec(containers: [Container(name: "c", image: "busybox")])))
        try await cluster.create(makeSession("taken"))
        let s = try await h.waitFor("taken", "PodConflict") { $0.status?.conditions?.condition("Ready")?.reason == "PodConflict" }
        XCTAssertEqual(s.status?.phase, "Error")
        let pod = try await cluster.client.get(Pod.self, name: "taken", namespace: "team-a")
        XCTAssertNil(pod.metadata.ownerReferences)
    }

    func testMaxDurationFinishesTheSessionAndTTLDeletesIt() async throws {
        try await start()
        try await cluster.create(makeSession { $0.lifetime = .init(maxDurationSeconds: 60, ttlSecondsAfterFinished: 2) })
        try await h.waitFor("fix-login-bug", "pod") { $0.status?.podName != nil }
        // The kubelet started the pod an hour ago.
        try await h.setPodStatus("fix-login-bug", PodStatus(phase: "Pending", startTime: Time(Date().addingTimeInterval(-3600))))
        let s = try await h.waitFor("fix-login-bug", "finished") { $0.status?.phase == "Stopped" && $0.status?.finishedAt != nil }
        XCTAssertEqual(s.status?.conditions?.condition("Ready")?.reason, "MaxDurationExceeded")
        try await waitFor("Stopped event") { try await self.h.events(for: "fix-login-bug").first { $0.reason == "Stopped" } }
        let pod = try? await cluster.client.get(Pod.self, name: "fix-login-bug", namespace: "team-a")
        XCTAssertNil(pod)
        try await waitFor("deleted after ttlSecondsAfterFinished", timeout: .seconds(10)) { () async throws -> Bool? in
            (try? await self.h.session("fix-login-bug")) == nil ? true : nil
        }
    }
}
