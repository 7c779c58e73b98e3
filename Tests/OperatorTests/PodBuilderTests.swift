import Foundation
import KubeClient
import RuntimeCore
import XCTest

@testable import Operator

/// The agent pod is exactly CONTRACT.md §3.
final class PodBuilderTests: XCTestCase {
    let settings = PodBuilder.Settings(supervisorImage: "ghcr.io/parallax-ai/agent-runtime:0.1.0", pod: OperatorConfig.PodSettings())

    func session() -> AgentSession {
        makeSession { s in
            s.role = "engineer"
            s.mcp = .init(serverUrl: "https://raven.example/api/mcp-standard", keySecretRef: .init(name: "raven-key"), executionId: "exec-7")
            s.env = [EnvVar(name: "EXTRA", value: "1")]
            s.args = ["--model", "o3"]
        }
    }

    func build(_ s: AgentSession? = nil) -> Pod {
        let s = s ?? session()
        return PodBuilder.build(session: s, effective: effective(s), settings: settings)
    }

    func testMetadata() {
        let pod = build()
        XCTAssertEqual(pod.metadata.name, "fix-login-bug")
        XCTAssertEqual(pod.metadata.namespace, "team-a")
        XCTAssertEqual(pod.metadata.labels, [
            "app.kubernetes.io/managed-by": "agent-operator", "app.kubernetes.io/name": "agent-session",
            "parallax.ai/session": "fix-login-bug", "parallax.ai/agent-type": "codex", "parallax.ai/workspace": "ws-42",
        ])
        XCTAssertEqual(pod.metadata.ownerReferences, [OwnerReference(apiVersion: "parallax.ai/v1alpha1", kind: "AgentSession",
                                                                     name: "fix-login-bug", uid: "uid-1", controller: true,
                                                                     blockOwnerDeletion: true)])
        XCTAssertNotNil(pod.metadata.annotations?["parallax.ai/pod-spec-hash"])
    }

    func testSupervisorInjection() throws {
        let spec = try XCTUnwrap(build().spec)
        let install = try XCTUnwrap(spec.initContainers?.first)
        XCTAssertEqual(install.image, "ghcr.io/parallax-ai/agent-runtime:0.1.0")
        XCTAssertEqual(install.command, ["cp", "-R", "/usr/local/lib/agent-runtime/.", "/opt/agent-runtime/"])
        XCTAssertEqual(install.volumeMounts, [VolumeMount(name: "agent-runtime", mountPath: "/opt/agent-runtime")])
        let agent = try XCTUnwrap(spec.containers.first)
        XCTAssertEqual(agent.name, "agent")
        XCTAssertEqual(agent.image, "ghcr.io/parallax-ai/agent-codex:0.1.0")
        XCTAssertEqual(agent.command, ["/opt/agent-runtime/agent-supervisor"])
        XCTAssertEqual(agent.args, ["--agent-type", "codex", "--restart-policy", "OnFailure", "--", "codex", "--model", "o3"])
        XCTAssertEqual(agent.workingDir, "/workspace")
        XCTAssertEqual(agent.ports, [ContainerPort(name: "supervisor", containerPort: 8077, protocol: "TCP")])
        XCTAssertEqual(agent.livenessProbe?.httpGet?.path, "/healthz")
        XCTAssertEqual(agent.livenessProbe?.httpGet?.port, .string("supervisor"))
        XCTAssertEqual(agent.readinessProbe?.httpGet?.path, "/readyz")
        XCTAssertTrue(spec.volumes?.contains { $0.name == "agent-runtime" && $0.emptyDir != nil } ?? false)
        XCTAssertTrue(agent.volumeMounts?.contains(VolumeMount(name: "agent-runtime", mountPath: "/opt/agent-runtime", readOnly: true)) ?? false)
    }

    func testEnvironmentOrder() throws {
        let env = try XCTUnwrap(build().spec?.containers.first?.env)
        XCTAssertEqual(env.map(\.name), ["AGENT_ID", "AGENT_NAME", "AGENT_TYPE", "AGENT_ROLE", "AGENT_CAPABILITIES", "MCP_SERVER_URL",
                                         "MCP_API_KEY", "RAVEN_WORKSPACE_ID", "RAVEN_EXECUTION_ID", "SUPERVISOR_TOKEN", "EXTRA", "HOME"])
        let byName = Dictionary(env.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(byName["AGENT_ID"]?.value, "team-a.fix-login-bug")
        XCTAssertEqual(byName["AGENT_NAME"]?.value, "fix-login-bug")
        XCTAssertEqual(byName["AGENT_TYPE"]?.value, "codex")
        XCTAssertEqual(byName["AGENT_ROLE"]?.value, "engineer")
        XCTAssertEqual(byName["AGENT_CAPABILITIES"]?.value, #"["code","review"]"#)
        XCTAssertEqual(byName["MCP_SERVER_URL"]?.value, "https://raven.example/api/mcp-standard")
        XCTAssertEqual(byName["MCP_API_KEY"]?.valueFrom?.secretKeyRef, KeySelector(name: "fix-login-bug-credentials", key: "mcp-api-key"))
        XCTAssertEqual(byName["RAVEN_WORKSPACE_ID"]?.value, "ws-42")
        XCTAssertEqual(byName["RAVEN_EXECUTION_ID"]?.value, "exec-7")
        XCTAssertEqual(byName["SUPERVISOR_TOKEN"]?.valueFrom?.secretKeyRef,
                       KeySelector(name: "fix-login-bug-credentials", key: "supervisor-token"))
        XCTAssertNil(byName["SUPERVISOR_TOKEN"]?.value, "never a literal token")
        XCTAssertEqual(byName["HOME"]?.value, "/home/agent")
    }

    func testUserHomeWins() throws {
        let s = makeSession { $0.env = [EnvVar(name: "HOME", value: "/data")] }
        let env = try XCTUnwrap(build(s).spec?.containers.first?.env)
        XCTAssertEqual(env.filter { $0.name == "HOME" }.map(\.value), ["/data"])
    }

    func testHardening() throws {
        let spec = try XCTUnwrap(build().spec)
        XCTAssertEqual(spec.automountServiceAccountToken, false)
        XCTAssertEqual(spec.enableServiceLinks, false)
        XCTAssertEqual(spec.securityContext?.runAsNonRoot, true)
        XCTAssertEqual(spec.securityContext?.seccompProfile, .runtimeDefault)
        for c in spec.containers + (spec.initContainers ?? []) {
            XCTAssertEqual(c.securityContext?.allowPrivilegeEscalation, false, c.name)
            XCTAssertEqual(c.securityContext?.capabilities?.drop, ["ALL"], c.name)
            XCTAssertEqual(c.securityContext?.runAsNonRoot, true, c.name)
            XCTAssertEqual(c.securityContext?.seccompProfile, .runtimeDefault, c.name)
            XCTAssertNotNil(c.resources?.requests, c.name)
            XCTAssertNotNil(c.resources?.limits, c.name)
        }
        XCTAssertEqual(spec.containers[0].resources, ResourceRequirements(limits: ["cpu": "2", "memory": "4Gi"],
                                                                          requests: ["cpu": "250m", "memory": "512Mi"]))
        XCTAssertTrue(spec.volumes?.contains { $0.name == "home" && $0.emptyDir != nil } ?? false)
        XCTAssertTrue(spec.containers[0].volumeMounts?.contains(VolumeMount(name: "home", mountPath: "/home/agent")) ?? false)
    }

    func testWorkspaceVolumes() throws {
        func workspace(_ w: AgentSessionSpec.Workspace?) -> Volume? {
            build(makeSession { $0.workspace = w }).spec?.volumes?.first { $0.name == "workspace" }
        }
        XCTAssertNotNil(workspace(nil)?.emptyDir)
        XCTAssertEqual(workspace(.init(existingClaim: "mine"))?.persistentVolumeClaim?.claimName, "mine")
        XCTAssertEqual(workspace(.init(size: "10Gi"))?.persistentVolumeClaim?.claimName, "fix-login-bug-workspace")
    }

    func testSchedulingFieldsPassThrough() throws {
        let spec = try XCTUnwrap(build(makeSession { s in
            s.runtimeClassName = "gvisor"
            s.nodeSelector = ["pool": "agents"]
            s.tolerations = [Toleration(key: "agents", operator: "Exists", effect: "NoSchedule")]
        }).spec)
        XCTAssertEqual(spec.runtimeClassName, "gvisor")
        XCTAssertEqual(spec.nodeSelector, ["pool": "agents"])
        XCTAssertEqual(spec.tolerations?.first?.key, "agents")
    }

    func testHashIsStableAndDetectsDrift() {
        let a = build()
        let b = build()
        XCTAssertTrue(PodBuilder.matches(PodView(a), b), "deterministic")
        XCTAssertEqual(a.metadata.annotations?["parallax.ai/pod-spec-hash"]?.count, 16)
        let edited = build(makeSession { $0.args = ["--other"] })
        XCTAssertFalse(PodBuilder.matches(PodView(a), edited))
        var unannotated = PodView(a)
        unannotated.metadata.annotations = nil
        XCTAssertFalse(PodBuilder.matches(unannotated, a), "a pod without hash counts as drifted")
        let s = session()
        let withSecret = PodBuilder.build(session: s, effective: effective(s), settings: settings, credentialsUID: "secret-1")
        let withNewSecret = PodBuilder.build(session: s, effective: effective(s), settings: settings, credentialsUID: "secret-2")
        XCTAssertFalse(PodBuilder.matches(PodView(withSecret), withNewSecret), "a recreated Secret (new token) means a new pod")
        var changedStatus = PodView(a)
        changedStatus.status = PodStatus(phase: "Running")
        XCTAssertTrue(PodBuilder.matches(changedStatus, a), "status does not matter")
    }

    /// The create body is the typed pod's JSON, and its hash is the one ``PodBuilder/specHash`` gives.
    func testDesiredBodyIsTheEncodedPodWithTheSameHash() throws {
        let s = session()
        let desired = PodBuilder.desired(session: s, effective: effective(s), settings: settings, credentialsUID: "secret-1")
        XCTAssertEqual(desired.body, try JSON(encoding: desired.pod))
        XCTAssertEqual(try JSON.parse(JSONEncoder().encode(desired.pod)), desired.body)
        XCTAssertEqual(desired.pod.metadata.annotations?[SessionLabels.podSpecHash],
                       PodBuilder.specHash(desired.pod.spec!, labels: desired.pod.metadata.labels ?? [:], credentialsUID: "secret-1"))
        XCTAssertEqual(desired.pod, PodBuilder.build(session: s, effective: effective(s), settings: settings, credentialsUID: "secret-1"))
    }
}
