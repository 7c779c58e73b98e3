import Foundation
import KubeClient
import Registry
import RuntimeCore
import XCTest

@testable import Operator

/// The repository root (for manifests and fixtures).
let repoRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

/// A file of the repository as text.
func repoFile(_ path: String) throws -> String { try String(contentsOfFile: repoRoot + "/" + path, encoding: .utf8) }

/// A logger that keeps its lines in memory.
let quietLogger = Logger(label: "test", sink: .memory())

/// A session for tests.
func makeSession(_ name: String = "fix-login-bug", namespace: String = "team-a", type: String = "codex",
                 uid: String = "uid-1", generation: Int64 = 1, configure: (inout AgentSessionSpec) -> Void = { _ in }) -> AgentSession {
    var spec = AgentSessionSpec(agentType: type)
    spec.capabilities = ["code", "review"]
    spec.workspaceId = "ws-42"
    configure(&spec)
    return AgentSession(metadata: ObjectMeta(name: name, namespace: namespace, uid: uid, resourceVersion: "10", generation: generation),
                        spec: spec)
}

/// The effective form of a session under the default policy (fails the test on a violation).
func effective(_ s: AgentSession, config: OperatorConfig = OperatorConfig(), file: StaticString = #filePath, line: UInt = #line) -> EffectiveSession {
    switch SessionPolicy(config: config).evaluate(s) {
    case .success(let e): return e
    case .failure(let v):
        XCTFail("policy rejected the session: \(v)", file: file, line: line)
        fatalError()
    }
}

/// A pod in a given state.
func makePod(_ name: String = "fix-login-bug", namespace: String = "team-a", phase: String = "Running", ready: Bool = false,
             ip: String? = "10.1.2.3", deleting: Bool = false) -> PodView {
    var pod = PodView(metadata: ObjectMeta(name: name, namespace: namespace, uid: "pod-uid", resourceVersion: "5"))
    pod.metadata.deletionTimestamp = deleting ? .now : nil
    pod.status = PodStatus(phase: phase, conditions: [PodCondition(type: "Ready", status: ready ? "True" : "False")], podIP: ip,
                           startTime: Time(Date(timeIntervalSince1970: 1_800_000_000)))
    return pod
}

/// A supervisor observation in a given state.
func observation(_ state: String?, health: HealthStatus = .healthy, login: SupervisorStatus.Login? = nil,
                 lastActivity: Date = Date(), exitCode: Int? = nil) -> SupervisorObservation {
    var o = SupervisorObservation(endpoint: "http://10.1.2.3:8077")
    if let state {
        o.status = SupervisorStatus(state: state, agentType: "codex", restarts: 0, exitCode: exitCode,
                                    lastActivityAt: Timestamp.iso8601(lastActivity), login: login)
        o.lastCheck = Date()
    }
    o.health = health
    return o
}

/// A registrar that records calls (no etcd).
final class FakeRegistrar: Registrar, @unchecked Sendable {
    private let lock = NSLock()
    private var registered: [String: AgentDescriptor] = [:]
    private var _calls: [String] = []
    var available = true
    var answer: RegistrationStatus = .registered(lease: 0x1234)

    var isAvailable: Bool { available }
    var calls: [String] { lock.withLock { _calls } }
    var agents: [String: AgentDescriptor] { lock.withLock { registered } }

    func key(_ agentId: String) -> String { "/parallax/services/agent/" + agentId }
    func ensureRegistered(_ d: AgentDescriptor) async -> RegistrationStatus {
        lock.withLock {
            if registered[d.agentId] != d { _calls.append("register \(d.agentId)") }
            registered[d.agentId] = d
            return answer
        }
    }
    func status(_ agentId: String) async -> RegistrationStatus? { lock.withLock { registered[agentId] != nil ? answer : nil } }
    func setHealth(_ agentId: String, _ health: HealthStatus) async { lock.withLock { _calls.append("health \(agentId) \(health.rawValue)") } }
    func deregister(_ agentId: String) async {
        lock.withLock {
            if registered.removeValue(forKey: agentId) != nil { _calls.append("deregister \(agentId)") }
        }
    }
}

/// Parses YAML text into one JSON document.
func yaml(_ text: String) throws -> JSON { try YAML.parse(text) }
