import Foundation
import RuntimeCore
import XCTest

@testable import KubeClient

final class PodTests: XCTestCase {
    var podJSON: String { Self.podJSON }
    /// A server-shaped pod with most modelled fields set (also used by ValueCodersTests).
    static let podJSON = """
        {"apiVersion": "v1", "kind": "Pod",
         "metadata": {"name": "fix-login-bug", "namespace": "team-a", "labels": {"parallax.ai/session": "fix-login-bug"}},
         "spec": {
           "initContainers": [{"name": "install-supervisor", "image": "operator:1", "command": ["cp", "/agent-supervisor", "/opt/agent-runtime/"],
                               "volumeMounts": [{"name": "runtime", "mountPath": "/opt/agent-runtime"}]}],
           "containers": [{
             "name": "agent", "image": "codex:latest", "workingDir": "/workspace",
             "command": ["/opt/agent-runtime/agent-supervisor", "--agent-type", "codex", "--", "codex"], "args": [],
             "env": [{"name": "AGENT_ID", "value": "team-a.fix-login-bug"},
                     {"name": "MCP_API_KEY", "valueFrom": {"secretKeyRef": {"name": "fix-login-bug-credentials", "key": "mcp-api-key"}}},
                     {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                     {"name": "CFG", "valueFrom": {"configMapKeyRef": {"name": "cm", "key": "k", "optional": true}}}],
             "ports": [{"name": "supervisor", "containerPort": 8077, "protocol": "TCP"}],
             "resources": {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"cpu": "2", "memory": "4Gi"}},
             "readinessProbe": {"httpGet": {"path": "/readyz", "port": "supervisor"}, "periodSeconds": 5},
             "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8077}, "failureThreshold": 3},
             "securityContext": {"runAsNonRoot": true, "allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]},
                                 "seccompProfile": {"type": "RuntimeDefault"}},
             "volumeMounts": [{"name": "home", "mountPath": "/home/agent"}]}],
           "volumes": [{"name": "runtime", "emptyDir": {}}, {"name": "home", "emptyDir": {"sizeLimit": "1Gi"}},
                       {"name": "token", "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}}],
           "restartPolicy": "Never", "serviceAccountName": "agent", "automountServiceAccountToken": false,
           "enableServiceLinks": false, "securityContext": {"runAsNonRoot": true, "fsGroup": 1000},
           "nodeSelector": {"pool": "agents"}, "tolerations": [{"key": "agents", "operator": "Exists", "effect": "NoSchedule"}],
           "runtimeClassName": "gvisor", "terminationGracePeriodSeconds": 30,
           "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": []}}}},
         "status": {"phase": "Running", "podIP": "10.1.2.3", "podIPs": [{"ip": "10.1.2.3"}], "startTime": "2024-05-01T10:00:00Z",
                    "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2024-05-01T10:00:05Z"}],
                    "containerStatuses": [{"name": "agent", "ready": true, "restartCount": 2, "image": "codex:latest",
                                           "state": {"running": {"startedAt": "2024-05-01T10:00:03Z"}},
                                           "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}}]}}
        """

    func testDecodesTheFieldsTheOperatorUses() throws {
        let pod = try JSON.parse(podJSON).decode(Pod.self)
        let spec = try XCTUnwrap(pod.spec)
        let c = spec.containers[0]
        XCTAssertEqual(c.env?[1].valueFrom?.secretKeyRef?.key, "mcp-api-key")
        XCTAssertEqual(c.env?[2].valueFrom?.fieldRef?.fieldPath, "status.podIP")
        XCTAssertEqual(c.env?[3].valueFrom?.configMapKeyRef?.optional, true)
        XCTAssertEqual(c.readinessProbe?.httpGet?.port, .string("supervisor"))
        XCTAssertEqual(c.livenessProbe?.httpGet?.port, .int(8077))
        XCTAssertEqual(c.resources?.requests?["cpu"]?.milliValue, 250)
        XCTAssertEqual(c.resources?.limits?["memory"], try Quantity(parsing: "4096Mi"))
        XCTAssertEqual(c.securityContext?.capabilities?.drop, ["ALL"])
        XCTAssertEqual(spec.initContainers?.first?.name, "install-supervisor")
        XCTAssertEqual(spec.volumes?[1].emptyDir?.sizeLimit?.string, "1Gi")
        XCTAssertEqual(spec.automountServiceAccountToken, false)
        XCTAssertEqual(spec.tolerations?.first?.operator, "Exists")
        XCTAssertEqual(spec.runtimeClassName, "gvisor")
        let status = try XCTUnwrap(pod.status)
        XCTAssertTrue(status.isReady)
        XCTAssertEqual(status.containerStatuses?.first?.restartCount, 2)
        XCTAssertNotNil(status.containerStatuses?.first?.state?.running?.startedAt)
        XCTAssertEqual(status.containerStatuses?.first?.lastState?.terminated?.reason, "OOMKilled")
    }

    func testRoundTripKeepsModelledAndRawFields() throws {
        let original = try JSON.parse(podJSON)
        let back = try JSON(encoding: original.decode(Pod.self))
        XCTAssertEqual(back, original)
    }

    func testBuildingAPodEncodesCleanly() throws {
        let pod = Pod(metadata: ObjectMeta(name: "p", namespace: "ns"),
                      spec: PodSpec(containers: [Container(name: "c", image: "i", env: [.secret("K", secret: "s", key: "k"),
                                                                                           .field("IP", path: "status.podIP")])]))
        let j = try JSON(encoding: pod)
        XCTAssertEqual(j, [
            "apiVersion": "v1", "kind": "Pod", "metadata": ["name": "p", "namespace": "ns"],
            "spec": ["containers": [["name": "c", "image": "i", "env": [
                ["name": "K", "valueFrom": ["secretKeyRef": ["name": "s", "key": "k"]]],
                ["name": "IP", "valueFrom": ["fieldRef": ["fieldPath": "status.podIP"]]],
            ]]]],
        ])
        XCTAssertEqual(Pod.resource.path(namespace: "ns", name: "p"), "/api/v1/namespaces/ns/pods/p")
    }
}
