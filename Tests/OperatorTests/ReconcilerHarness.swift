import AgentTestSupport
import CurlHTTP
import Foundation
import KubeClient
import KubeEmulator
import Registry
import RuntimeCore
import XCTest

@testable import Operator

/// An in-process kube-emulator with the AgentSession CRD and a namespace, and a client for it.
final class InProcessCluster: @unchecked Sendable {
    let server: EmulatorServer
    let client: KubeClient
    let metrics = MetricsRegistry()

    init(namespaces: [String] = ["team-a"], watchHistory: Int = 1000) async throws {
        var cfg = EmulatorServer.Configuration()
        cfg.watchHistory = watchHistory
        cfg.bookmarkInterval = .milliseconds(500)
        server = EmulatorServer(configuration: cfg, logger: quietLogger)
        _ = try server.start()
        var cc = ClientConfig(server: server.url, namespace: "default")
        cc.retry = RetryPolicy(maxAttempts: 5, backoff: Backoff(initial: .milliseconds(20), max: .milliseconds(200)))
        client = KubeClient(config: cc, metrics: metrics, logger: quietLogger)
        let crd = try YAML.parse(try repoFile("manifests/crd/agentsessions.parallax.ai.yaml"))
        _ = try await client.create(DynamicResource(group: "apiextensions.k8s.io", version: "v1", plural: "customresourcedefinitions",
                                                    kind: "CustomResourceDefinition", namespaced: false), crd)
        for ns in namespaces {
            _ = try await client.create(Namespace.resource, ["apiVersion": "v1", "kind": "Namespace", "metadata": ["name": .string(ns)]])
        }
    }

    func stop() { server.stop() }

    /// Creates a session from YAML-ish JSON.
    @discardableResult
    func create(_ session: AgentSession) async throws -> AgentSession { try await client.create(session) }

    /// Requests counted by KubeClient's metric, per method.
    func requests(_ method: String) -> Double {
        MetricsText.sum(metrics.exposition(), name: "rest_client_requests_total", labels: ["method=\"\(method)\""])
    }
}

/// The reconciler wired as OperatorManager wires it, in process, with a fake registry.
final class ReconcilerHarness: @unchecked Sendable {
    let cluster: InProcessCluster
    let registrar = FakeRegistrar()
    let queue: WorkQueue
    let reconciler: SessionReconciler
    let controller: Controller
    let events: EventRecorder
    let sessionInformer: Informer<AgentSession>
    let podInformer: Informer<PodView>
    let secretInformer: Informer<SecretView>
    let ledger: QuotaLedger
    private var tasks: [Task<Void, Never>] = []

    init(cluster: InProcessCluster, config: OperatorConfig = OperatorConfig(), quotaRetry: Duration = .seconds(30)) {
        self.cluster = cluster
        let client = cluster.client
        sessionInformer = Informer<AgentSession>(client: client)
        podInformer = Informer<PodView>(client: client, resource: Pod.resource, labelSelector: SessionLabels.ownedSelector)
        secretInformer = Informer<SecretView>(client: client, resource: Secret.resource, labelSelector: SessionLabels.ownedSelector)
        let sessions = ReadYourWrites(store: sessionInformer.store)
        let pods = ReadYourWrites(store: podInformer.store)
        let secrets = ReadYourWrites(store: secretInformer.store)
        let queue = WorkQueue(name: "agentsession", rateLimiter: ItemExponentialRateLimiter(base: .milliseconds(20), max: .seconds(2)),
                              metrics: cluster.metrics)
        self.queue = queue
        let store = sessionInformer.store
        ledger = QuotaLedger(onRelease: { ns, _ in
            for s in store.list() where s.metadata.namespace == ns { queue.add(s.key) }
        })
        events = EventRecorder(client: client, instance: "test", logger: quietLogger)
        let monitor = SupervisorMonitor(options: config.healthChecks, http: HTTPClient.shared, metrics: cluster.metrics,
                                        logger: quietLogger) { queue.add($0) }
        reconciler = SessionReconciler(.init(
            client: client, sessions: sessions, pods: pods, secrets: secrets, policy: SessionPolicy(config: config), ledger: ledger,
            monitor: monitor, registrar: registrar, events: events, notifier: LoginNotifier(http: HTTPClient.shared),
            metrics: nil, podSettings: .init(supervisorImage: "runtime:test", pod: config.pod),
            healthInterval: .seconds(10), logger: quietLogger), quotaRetry: quotaRetry)
        controller = Controller(name: "agentsession", queue: queue, reconciler: reconciler, workers: 4, metrics: cluster.metrics,
                                logger: quietLogger)
        OperatorManager.connect(sessionInformer, podInformer, secretInformer, queue: queue, sessions: sessions, pods: pods, secrets: secrets)
        tasks = [
            Task { await self.sessionInformer.run() },
            Task { await self.podInformer.run() },
            Task { await self.secretInformer.run() },
            Task { await self.events.run() },
            Task { await monitor.run() },
        ]
    }

    /// Waits for the caches, then starts the workers.
    func start() async {
        await sessionInformer.waitForSync()
        await podInformer.waitForSync()
        await secretInformer.waitForSync()
        tasks.append(Task { await self.controller.run() })
    }

    func stop() async {
        queue.shutDown()
        events.stop()
        for t in tasks { t.cancel() }
        for t in tasks { await t.value }
    }

    /// The session as the API has it now.
    func session(_ name: String, namespace: String = "team-a") async throws -> AgentSession {
        try await cluster.client.get(AgentSession.self, name: name, namespace: namespace)
    }

    /// Waits until the session's status satisfies `check`.
    @discardableResult
    func waitFor(_ name: String, namespace: String = "team-a", timeout: Duration = .seconds(10), _ what: String,
                 _ check: @escaping (AgentSession) -> Bool) async throws -> AgentSession {
        try await AgentTestSupport.waitFor(what, timeout: timeout) { () async throws -> AgentSession? in
            let s = try await self.session(name, namespace: namespace)
            return check(s) ? s : nil
        }
    }

    /// The events of one object, by reason.
    func events(for name: String, namespace: String = "team-a") async throws -> [Event] {
        try await cluster.client.list(Event.self, namespace: namespace).items.filter { $0.involvedObject.name == name }
    }

    /// Marks a pod the way a kubelet would.
    func setPodStatus(_ name: String, namespace: String = "team-a", _ status: PodStatus) async throws {
        var pod = try await cluster.client.get(Pod.self, name: name, namespace: namespace)
        pod.status = status
        _ = try await cluster.client.updateStatus(pod)
    }
}
