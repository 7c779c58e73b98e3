import Foundation
import KubeClient
import RuntimeCore
import XCTest

@testable import Operator

final class AgentSessionTests: XCTestCase {
    func testEverySampleDecodes() throws {
        for t in ["claude", "codex", "gemini", "aider", "custom"] {
            let json = try yaml(try repoFile("manifests/samples/agentsession-\(t).yaml"))
            let s = try json.decode(AgentSession.self)
            XCTAssertEqual(s.spec.agentType, t)
            XCTAssertNil(s.specError, t)
            XCTAssertEqual(s.metadata.namespace, "team-a")
        }
    }

    func testContractExampleDecodesFully() throws {
        let json = try yaml("""
            apiVersion: parallax.ai/v1alpha1
            kind: AgentSession
            metadata: {name: fix-login-bug, namespace: team-a, uid: u1, generation: 3}
            spec:
              agentType: codex
              capabilities: [code, review]
              workspaceId: ws-42
              env: [{name: FOO, value: bar}, {name: K, valueFrom: {secretKeyRef: {name: s, key: k}}}]
              workspace: {size: "", storageClassName: "", existingClaim: ""}
              mcp: {serverUrl: https://raven.example/api/mcp-standard, keySecretRef: {name: raven-key, key: api-key}, executionId: ""}
              resources: {requests: {cpu: 500m, memory: 1Gi}, limits: {cpu: 2}}
              tolerations: [{key: gpu, operator: Exists, effect: NoSchedule}]
              suspend: false
              restartPolicy: OnFailure
              lifetime: {maxDurationSeconds: 0, idleTimeoutSeconds: 0, ttlSecondsAfterFinished: 0}
              registry: {enabled: true, ttlSeconds: 30}
              login: {callbackUrl: ""}
            status:
              phase: Ready
              observedGeneration: 3
              conditions: [{type: Ready, status: "True", lastTransitionTime: "2026-01-01T00:00:00Z", reason: AgentReady, message: ok}]
              podIP: 10.1.2.3
              login: {url: "", code: "", message: "", since: ""}
            """)
        let s = try json.decode(AgentSession.self)
        XCTAssertNil(s.specError)
        XCTAssertEqual(s.spec.env.count, 2)
        XCTAssertEqual(s.spec.env[1].valueFrom?.secretKeyRef?.name, "s")
        XCTAssertEqual(s.spec.mcp?.keySecretRef?.name, "raven-key")
        XCTAssertEqual(s.spec.resources?.limits?["cpu"], "2")
        XCTAssertEqual(s.spec.tolerations.first?.key, "gpu")
        XCTAssertEqual(s.spec.registry?.ttlSeconds, 30)
        XCTAssertEqual(s.status?.phase, "Ready")
        XCTAssertEqual(s.status?.conditions?.isTrue("Ready"), true)
    }

    /// A spec the model cannot read must not fail the object (it would break the informer's list):
    /// it becomes specError, reported as a PolicyViolation.
    func testUnreadableSpecIsKeptAsSpecError() throws {
        let json: JSON = ["apiVersion": "parallax.ai/v1alpha1", "kind": "AgentSession",
                          "metadata": ["name": "bad", "namespace": "x"],
                          "spec": ["agentType": "codex", "workspaceId": "w", "resources": ["requests": ["cpu": "lots"]]],
                          "status": ["phase": 42]]
        let s = try json.decode(AgentSession.self)
        XCTAssertEqual(s.spec.agentType, "codex")
        XCTAssertEqual(s.spec.workspaceId, "w")
        XCTAssertNotNil(s.specError)
        XCTAssertTrue(s.specError!.contains("spec.resources.requests"), s.specError!)
        XCTAssertNil(s.status, "an unreadable status is recomputed, not an error")
        guard case .failure(let v) = SessionPolicy(config: OperatorConfig()).evaluate(s) else { return XCTFail("admitted") }
        XCTAssertTrue(v.description.contains("spec cannot be read"))
    }

    func testListWithOneBadItemStillDecodes() throws {
        let list: JSON = ["items": [
            ["metadata": ["name": "a", "namespace": "x"], "spec": ["agentType": "codex"]],
            ["metadata": ["name": "b", "namespace": "x"], "spec": ["agentType": 7, "env": "nope"]],
        ]]
        let decoded = try list.decode(ObjectList<AgentSession>.self)
        XCTAssertEqual(decoded.items.count, 2)
        XCTAssertNotNil(decoded.items[1].specError)
    }

    func testEncodingOmitsDefaultsAndRoundTrips() throws {
        var s = makeSession()
        s.status = AgentSessionStatus()
        s.status?.phase = "Pending"
        let json = try JSON(encoding: s)
        XCTAssertEqual(json["spec"]["agentType"], "codex")
        XCTAssertTrue(json["spec"]["image"].isNull, "empty strings are omitted")
        XCTAssertTrue(json["spec"]["suspend"].isNull)
        let back = try json.decode(AgentSession.self)
        XCTAssertEqual(back.spec, s.spec)
        XCTAssertEqual(back.status, s.status)
    }
}
