import CurlHTTP
import Foundation
import KubeClient
import Registry
import RuntimeCore
import Synchronization

/// Wires the controller together and runs it, like controller-runtime's manager:
///
/// 1. clients (Kubernetes, etcd), metrics, `/metrics`, `/healthz`, `/readyz`;
/// 2. informers for AgentSessions and for the Pods and Secrets it owns (label-selected), whose events
///    feed one work queue (owned objects map back to their session through their controller reference);
/// 3. once the caches synced: leader election (if enabled), and while leading the reconcile workers,
///    the supervisor monitor and the registry;
/// 4. on SIGTERM/SIGINT: stop taking keys, let workers finish, stop renewing registry leases (keys stay
///    until their TTL, so a successor adopts them without a gap), flush Events, release the leader
///    Lease, exit 0. On lost leadership: the same without the release, exit 1 (a restart rejoins as a
///    follower), as controller-runtime does.
public final class OperatorManager: Sendable {
    /// Why ``run(stop:)`` returned.
    public enum Exit: Sendable, Equatable {
        /// A requested shutdown (signal): exit 0.
        case stopped
        /// Leadership was lost: exit 1.
        case lostLeadership(String)
        /// Startup failed: exit 1.
        case failed(String)

        /// The process exit code.
        public var code: Int32 {
            switch self {
            case .stopped: return 0
            case .lostLeadership, .failed: return 1
            }
        }
    }

    /// The parsed command line.
    public let options: ControllerOptions
    /// The policy file's content.
    public let config: OperatorConfig
    /// The process's metrics.
    public let metrics: MetricsRegistry
    private let logger: Logger
    private let identity: String
    private let probePorts = Mutex((metrics: 0, health: 0))

    /// The controller's name (metrics and logs).
    public static let controllerName = "agentsession"

    /// Creates a manager.
    public init(options: ControllerOptions, config: OperatorConfig, logger: Logger = Logger(label: "agent-operator")) {
        self.options = options
        self.config = config
        self.logger = logger
        metrics = MetricsRegistry()
        identity = LeaderElectionConfig.defaultIdentity()
    }

    /// The bound ports of `/metrics` and `/healthz` (after startup; tests use port 0).
    public var boundPorts: (metrics: Int, health: Int) { probePorts.withLock { $0 } }

    /// Runs until `stop` yields (or finishes) or leadership is lost.
    public func run(stop: AsyncStream<Void>) async -> Exit {
        ProcessMetrics.register(in: metrics)
        _ = metrics.gauge(MetricNames.agentRegistryRegistered, help: "Agents whose registry key is currently written and kept alive.",
                          labelNames: ["namespace"])
        _ = metrics.counter(MetricNames.agentRegistryKeepaliveFailures, help: "Lease renewals that failed or found the lease gone.")

        // Clients.
        let client: KubeClient
        let electionClient: KubeClient
        do {
            var cc = try await KubeConfigLoader(explicitPath: options.kubeconfig).loadInBackground()
            cc.userAgent = "agent-operator/\(agentRuntimeVersion)"
            if let qps = options.kubeQPS {
                cc.qps = qps
                cc.burst = options.kubeBurst
            }
            client = KubeClient(config: cc, metrics: metrics, logger: logger.with(["component": "kubeclient"]))
            // Leader election must fail fast: one attempt per retry period, well inside the renew deadline.
            var ec = cc
            ec.requestTimeout = min(.seconds(5), options.renewDeadline / 2)
            ec.retry = .none
            ec.qps = nil
            electionClient = KubeClient(config: ec, metrics: metrics, logger: logger.with(["component": "leader-election"]))
            logger.info("kubernetes client ready", ["source": .string(cc.source), "server": .string(cc.server)])
        } catch {
            return .failed("kubeconfig: \(error)")
        }
        let registry: AgentRegistry?
        do {
            registry = try options.registry.makeRegistry(identity: config.registryIdentity, metrics: metrics, logger: logger)
        } catch {
            return .failed("registry: \(error)")
        }
        let registrar: any Registrar = registry.map { EtcdRegistrar(registry: $0) } ?? NoRegistrar()
        if registry == nil { logger.warning("no --etcd-endpoints: agents are not registered in the Parallax registry") }

        // Caches and queue.
        let sessionInformer = Informer<AgentSession>(client: client, namespace: options.namespace, indexers: [.namespace])
        // Owned objects are cached as slim views (metadata and what the reconcile reads), label-selected.
        let podInformer = Informer<PodView>(client: client, resource: Pod.resource, namespace: options.namespace,
                                            labelSelector: SessionLabels.ownedSelector, indexers: [.namespace])
        let secretInformer = Informer<SecretView>(client: client, resource: Secret.resource, namespace: options.namespace,
                                                  labelSelector: SessionLabels.ownedSelector, indexers: [.namespace])
        let sessions = ReadYourWrites(store: sessionInformer.store)
        let pods = ReadYourWrites(store: podInformer.store)
        let secrets = ReadYourWrites(store: secretInformer.store)
        let queue = WorkQueue(name: Self.controllerName, metrics: metrics)

        let sessionStore = sessionInformer.store
        let ledger = QuotaLedger(onRelease: { namespace, workspace in
            // Wake the sessions that wait for a place this release may have freed.
            for s in sessionStore.list() where s.status?.conditions?.condition(ConditionType.admitted)?.reason == "QuotaExceeded"
                && ((s.metadata.namespace ?? "") == namespace || (!workspace.isEmpty && s.spec.workspaceId == workspace)) {
                queue.add(s.key)
            }
        })
        let policy = SessionPolicy(config: config)
        let supervisorHTTP = HTTPClient(name: "supervisor-client", maxConnectionsPerHost: 2)
        let monitor = SupervisorMonitor(options: config.healthChecks, http: supervisorHTTP, metrics: metrics,
                                        logger: logger.with(["component": "supervisor-monitor"])) { key in queue.add(key) }
        let events = EventRecorder(client: client, instance: identity, logger: logger.with(["component": "events"]))
        let sessionMetrics = SessionMetrics(registry: metrics, policy: policy, sessions: { sessionStore.list() })
        let supervisorImage = options.supervisorImage ?? config.supervisorImage ?? "ghcr.io/parallax-ai/agent-runtime:\(agentRuntimeVersion)"
        let reconciler = SessionReconciler(.init(
            client: client, sessions: sessions, pods: pods, secrets: secrets, policy: policy, ledger: ledger, monitor: monitor,
            registrar: registrar, events: events, notifier: LoginNotifier(http: supervisorHTTP), metrics: sessionMetrics,
            podSettings: .init(supervisorImage: supervisorImage, pod: config.pod), healthInterval: config.healthChecks.interval,
            logger: logger.with(["component": "reconciler"])))
        let controller = Controller(name: Self.controllerName, queue: queue, reconciler: reconciler,
                                    workers: options.maxConcurrentReconciles, metrics: metrics,
                                    logger: logger.with(["component": "controller"]))
        Self.connect(sessionInformer, podInformer, secretInformer, queue: queue, sessions: sessions, pods: pods, secrets: secrets)

        // Probes.
        let synced = AtomicFlag()
        let elector: LeaderElector? = options.leaderElect
            ? LeaderElector(config: LeaderElectionConfig(leaseName: options.leaderElectionID, namespace: options.leaderElectionNamespace,
                                                         identity: identity, leaseDuration: options.leaseDuration,
                                                         renewDeadline: options.renewDeadline, retryPeriod: options.retryPeriod),
                            client: electionClient, metrics: metrics, logger: logger.with(["component": "leader-election"]))
            : nil
        let probes = ProbeServer(metricsAddress: options.metricsAddress, healthAddress: options.healthAddress, metrics: metrics) {
            if !synced.value { return (false, "informer caches not synced") }
            if let elector, !elector.hasStarted { return (false, "leader election not started") }
            return (true, "")
        }
        do { try probes.start() } catch { return .failed(error.description) }
        probePorts.withLock { $0 = (probes.metricsPort, probes.healthPort) }
        let runtimeAPI: RuntimeAPIServer?
        do {
            runtimeAPI = try Self.startRuntimeAPI(options: options, client: client, sessionInformer: sessionInformer,
                                                  secrets: secretInformer.store, policy: policy, monitor: monitor, metrics: metrics,
                                                  synced: synced, logger: logger)
        } catch {
            await probes.shutdown()
            return .failed(error.description)
        }

        // Run.
        let (exitStream, exitSink) = AsyncStream<Exit>.makeStream()
        let leading = LeadingWork()
        let startLeading: @Sendable () -> Void = { [logger] in
            logger.info("leading: starting workers", ["workers": .int(Int64(controller.workers))])
            Self.seed(ledger: ledger, from: sessionStore.list())
            sessionMetrics.setActive(true)
            for s in sessionStore.list() { queue.add(s.key) }
            leading.start(controller: controller, monitor: monitor, registry: registry, memory: reconciler.memory, queue: queue)
        }
        let background = Task {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await sessionInformer.run() }
                group.addTask { await podInformer.run() }
                group.addTask { await secretInformer.run() }
                group.addTask { await events.run() }
                group.addTask { [logger] in
                    await sessionInformer.waitForSync()
                    await podInformer.waitForSync()
                    await secretInformer.waitForSync()
                    guard !Task.isCancelled else { return }
                    synced.set()
                    logger.info("caches synced", ["sessions": .int(Int64(sessionStore.count)), "pods": .int(Int64(podInformer.store.count)),
                                                  "credentialObjects": .int(Int64(secretInformer.store.count))])
                    if let elector {
                        await elector.run(onStartedLeading: startLeading,
                                          onStoppedLeading: { reason in exitSink.yield(.lostLeadership(reason)) })
                    } else {
                        startLeading()
                    }
                }
                await group.waitForAll()
            }
        }
        let stopWatcher = Task {
            for await _ in stop { break }
            exitSink.yield(.stopped)
        }
        var exit = Exit.stopped
        for await e in exitStream {
            exit = e
            break
        }
        stopWatcher.cancel()
        logger.info("shutting down", ["reason": .string("\(exit)")])
        await runtimeAPI?.shutdown()

        // Workers first (the lease is released only once nobody reconciles here), then the rest.
        queue.shutDown()
        await leading.stop()
        sessionMetrics.setActive(false)
        await registry?.shutdown(revokeLeases: false)
        events.stop()
        background.cancel()
        _ = await background.value
        await probes.shutdown()
        logger.info("stopped")
        return exit
    }

    /// Informer events → queue keys. Updates that only touch the status (our own writes) are skipped.
    static func connect(_ sessionInformer: Informer<AgentSession>, _ podInformer: Informer<PodView>, _ secretInformer: Informer<SecretView>,
                        queue: WorkQueue, sessions: ReadYourWrites<AgentSession>, pods: ReadYourWrites<PodView>,
                        secrets: ReadYourWrites<SecretView>) {
        sessionInformer.addHandler(InformerHandler(
            onAdd: { s in
                sessions.observed(s)
                queue.add(s.key)
            },
            onUpdate: { old, new in
                sessions.observed(new)
                if !onlyStatusChanged(old, new) { queue.add(new.key) }
            },
            onDelete: { s in
                sessions.forget(s.key, uid: s.metadata.uid)
                queue.add(s.key)
            }))
        func owned<T: KubeObject>(_ store: ReadYourWrites<T>) -> InformerHandler<T> {
            InformerHandler(
                onAdd: { o in
                    store.observed(o)
                    if let k = SessionLabels.ownerKey(of: o) { queue.add(k) }
                },
                onUpdate: { _, o in
                    store.observed(o)
                    if let k = SessionLabels.ownerKey(of: o) { queue.add(k) }
                },
                onDelete: { o in
                    store.forget(o.key, uid: o.metadata.uid)
                    if let k = SessionLabels.ownerKey(of: o) { queue.add(k) }
                })
        }
        podInformer.addHandler(owned(pods))
        secretInformer.addHandler(owned(secrets))
    }

    /// True when two versions of a session differ only in status (and resourceVersion): the operator's
    /// own status writes, which need no reconcile.
    static func onlyStatusChanged(_ a: AgentSession, _ b: AgentSession) -> Bool {
        var ma = a.metadata, mb = b.metadata
        ma.resourceVersion = nil
        mb.resourceVersion = nil
        return ma == mb && a.spec == b.spec && a.specError == b.specError && a.status != b.status
    }

    /// Rebuilds the quota ledger from the cache on becoming leader.
    static func seed(ledger: QuotaLedger, from sessions: [AgentSession]) {
        ledger.reset()
        for s in sessions where !s.metadata.isDeleting && !s.spec.suspend && s.status?.finishedAt == nil
            && s.status?.conditions?.isTrue(ConditionType.admitted) == true {
            ledger.seed(key: s.key, namespace: s.metadata.namespace ?? "", workspace: s.spec.workspaceId)
        }
    }
}

/// The tasks that run only while leading.
final class LeadingWork: Sendable {
    private let tasks = Mutex([Task<Void, Never>]())

    func start(controller: Controller, monitor: SupervisorMonitor, registry: AgentRegistry?, memory: SessionMemory, queue: WorkQueue) {
        var started = [
            Task { await controller.run() },
            Task { await monitor.run() },
        ]
        if let registry {
            // Registry events (registered, repaired, conflict) change what the status shows.
            started.append(Task {
                for await event in registry.events {
                    let id: String
                    switch event {
                    case .registered(let a, _, _), .updated(let a, _), .leaseLost(let a, _, _), .repaired(let a, _, _),
                         .conflict(let a, _, _), .failed(let a, _), .deregistered(let a):
                        id = a
                    }
                    if case .updated = event { continue }
                    if let key = memory.sessionKey(forAgent: id) { queue.add(key) }
                }
            })
        }
        tasks.withLock { $0 += started }
    }

    /// Waits for the controller's workers (the queue must be shut down first), cancels the rest.
    func stop() async {
        let all = tasks.withLock { t -> [Task<Void, Never>] in
            defer { t.removeAll() }
            return t
        }
        guard let controllerTask = all.first else { return }
        for t in all.dropFirst() { t.cancel() }
        await controllerTask.value
    }
}

/// A Bool that tasks and probe threads share.
final class AtomicFlag: Sendable {
    private let storage = Atomic<Bool>(false)
    /// The current value.
    var value: Bool { storage.load(ordering: .acquiring) }
    /// Sets it.
    func set() { storage.store(true, ordering: .releasing) }
}
