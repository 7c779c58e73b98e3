import AgentTestSupport
import Foundation
import KubeClient
import Registry
import RuntimeCore
import Synchronization
import XCTest

@testable import Operator

/// Everything an end-to-end test runs: kube-emulator (optionally with the process kubelet), etcd,
/// agent-operator, all as processes on random loopback ports, plus kubectl and clients to check on them.
final class E2ECluster: @unchecked Sendable {
    let dir: TempDirectory
    let emulator: KubeEmulatorProcess
    let etcd: EtcdProcess?
    let kubectl: Kubectl
    let client: KubeClient
    var operators: [OperatorProcess] = []

    init(runPods: Bool, etcd withEtcd: Bool = true, emulatorArgs: [String] = []) async throws {
        do {
            dir = try TempDirectory(prefix: "operator-e2e")
            emulator = try await KubeEmulatorProcess(runPods: runPods, extraArgs: emulatorArgs, directory: dir.path)
            etcd = withEtcd ? try await EtcdProcess.started(directory: dir.path) : nil
            kubectl = try Kubectl(kubeconfig: emulator.kubeconfig)
        } catch TestSupportError.missingBinary(let what) {
            throw XCTSkip("end-to-end test needs \(what)")
        }
        client = emulator.client()
        try await kubectl.apply(try repoFile("manifests/crd/agentsessions.parallax.ai.yaml"))
    }

    /// Starts an agent-operator.
    @discardableResult
    func startOperator(_ extraArgs: [String] = [], name: String = "agent-operator") async throws -> OperatorProcess {
        let op = try await OperatorProcess(kubeconfig: emulator.kubeconfig, etcdEndpoint: etcd?.endpoint, extraArgs: extraArgs,
                                           directory: dir.path, name: name)
        operators.append(op)
        return op
    }

    func session(_ name: String, namespace: String = "default") async throws -> AgentSession {
        try await client.get(AgentSession.self, name: name, namespace: namespace)
    }

    /// Waits until the session satisfies `check`.
    @discardableResult
    func waitFor(_ name: String, namespace: String = "default", timeout: Duration = .seconds(60), _ what: String,
                 _ check: @escaping (AgentSession) -> Bool) async throws -> AgentSession {
        try await AgentTestSupport.waitFor("\(name): \(what)", timeout: timeout, every: .milliseconds(100)) { () async throws -> AgentSession? in
            let s = try await self.session(name, namespace: namespace)
            return check(s) ? s : nil
        }
    }

    func registryKeys(prefix: String = "/parallax/services/agent/") async throws -> [EtcdKeyValue] {
        guard let etcd else { return [] }
        let c = try etcd.client()
        defer { c.shutdown() }
        return try await c.getPrefix(prefix).kvs
    }

    func events(_ name: String, namespace: String = "default") async throws -> [Event] {
        try await client.list(Event.self, namespace: namespace).items.filter { $0.involvedObject.name == name }
    }

    /// Dumps logs when a test failed, then stops everything.
    func tearDown(failed: Bool) async {
        if failed {
            for op in operators { print("---- \(op.process.name) log ----\n\(op.process.logTail(6000))") }
            print("---- kube-emulator log ----\n\(emulator.process.logTail(4000))")
        }
        for op in operators { await op.process.stop() }
        await emulator.stop()
        await etcd?.stop()
        dir.remove()
    }
}

/// Records the phases a session's status goes through, from a watch (so short-lived phases are seen).
final class PhaseRecorder: @unchecked Sendable {
    private let phases = LockedBox([String]())
    private var task: Task<Void, Never>?

    init(client: KubeClient, name: String, namespace: String = "default") {
        let watcher = client.watcher(AgentSession.self, namespace: namespace, fieldSelector: "metadata.name=\(name)")
        task = Task { [phases] in
            for await event in watcher {
                var objects: [AgentSession] = []
                switch event {
                case .restarted(let items): objects = items
                case .added(let o), .modified(let o): objects = [o]
                case .deleted: continue
                }
                for o in objects {
                    guard let p = o.status?.phase else { continue }
                    phases.withLock { if $0.last != p { $0.append(p) } }
                }
            }
        }
    }

    var seen: [String] { phases.withLock { $0 } }
    func stop() { task?.cancel() }
}

/// An HTTP endpoint that records login callbacks.
final class CallbackReceiver: @unchecked Sendable {
    let bodies = LockedBox([JSON]())
    let server: HTTPServer

    init() throws {
        let box = bodies
        let router = Router([("POST", "/hook", .streaming { req, w in
            if let j = try? JSON.parse(req.body) { box.withLock { $0.append(j) } }
            w.send(.json(["ok": true]))
        })])
        server = HTTPServer(configuration: .init(listen: "127.0.0.1:0", threads: 4), handler: router.handler)
        try server.start()
    }

    var url: String { "http://127.0.0.1:\(server.port)/hook" }
    var states: [String] { bodies.withLock { $0.compactMap { $0["state"].stringValue } } }
}

/// The fake CLI: waits a moment (so `Starting` is visible), then shows a Codex-style device-code login
/// screen, and its ready screen after a line of input.
let fakeCLICommand = ["sh", "-c", "sleep 1.5; exec python3 \(repoRoot)/Tests/PodTests/Fixtures/fake_login_cli.py"]

/// An AgentSession manifest running the fake CLI.
func fakeSessionYAML(_ name: String, namespace: String = "default", ttl: Int = 5, callback: String? = nil, extra: String = "") -> String {
    var y = """
        apiVersion: parallax.ai/v1alpha1
        kind: AgentSession
        metadata: {name: \(name), namespace: \(namespace)}
        spec:
          agentType: codex
          command: \(JSON.array(fakeCLICommand.map(JSON.string)).serialized())
          capabilities: [code, review]
          workspaceId: ws-e2e
          registry: {ttlSeconds: \(ttl)}

        """
    if let callback { y += "  login: {callbackUrl: \"\(callback)\"}\n" }
    return y + extra
}
