import Foundation
import KubeClient
import Registry
import RuntimeCore

/// The AgentSession reconcile loop: idempotent and level-based. Each pass reads the session, its pod and
/// Secret (informer caches plus this process's own recent writes) and the supervisor's last answer,
/// converges the world one step, and writes the status when it changed.
///
/// Order of a pass (each step returns early when it cannot go on):
///
/// 1. gone → forget everything in memory; deleting → ``finalize(_:)``
/// 2. finalizer `parallax.ai/agent-cleanup` (first write of a new session)
/// 3. policy (``SessionPolicy``) → `Admitted=False/PolicyViolation`, workload removed, no retry
/// 4. suspend / finished (``SessionLifetime``) → workload removed, `Stopped`; TTL after finished
/// 5. quota (``QuotaLedger``) → `Admitted=False/QuotaExceeded`, retried every 30 s and on deletions
/// 6. credentials Secret (create once; missing key Secret → condition, Event, retried with backoff)
/// 7. workspace claim (only for `workspace.size`)
/// 8. pod: create if absent, recreate when it drifted or failed (with backoff)
/// 9. supervisor: watch its `/status`
/// 10. registry: register while Ready, deregister otherwise
/// 11. status (merge patch of what changed), Events for transitions, login callback
///
/// On the happy path a new session costs four writes (finalizer, Secret, pod, status) plus its Events.
public final class SessionReconciler: Reconciler {
    /// Everything the reconciler works with.
    public struct Dependencies: Sendable {
        /// The API client.
        public var client: KubeClient
        /// Sessions (cache + own writes).
        public var sessions: ReadYourWrites<AgentSession>
        /// Owned pods (metadata and status only).
        public var pods: ReadYourWrites<PodView>
        /// Owned Secrets (metadata and token only).
        public var secrets: ReadYourWrites<SecretView>
        /// Defaults and policy.
        public var policy: SessionPolicy
        /// Quotas.
        public var ledger: QuotaLedger
        /// Supervisor health checks.
        public var monitor: SupervisorMonitor
        /// The registry.
        public var registrar: any Registrar
        /// Events.
        public var events: EventRecorder
        /// Login callbacks.
        public var notifier: LoginNotifier
        /// Billing metrics (nil in tests that do not care).
        public var metrics: SessionMetrics?
        /// Pod settings.
        public var podSettings: PodBuilder.Settings
        /// The health check interval written to the registry.
        public var healthInterval: Duration
        /// Logs.
        public var logger: Logger

        /// Creates dependencies.
        public init(client: KubeClient, sessions: ReadYourWrites<AgentSession>, pods: ReadYourWrites<PodView>,
                    secrets: ReadYourWrites<SecretView>, policy: SessionPolicy, ledger: QuotaLedger, monitor: SupervisorMonitor,
                    registrar: any Registrar, events: EventRecorder, notifier: LoginNotifier, metrics: SessionMetrics?,
                    podSettings: PodBuilder.Settings, healthInterval: Duration, logger: Logger) {
            self.client = client
            self.sessions = sessions
            self.pods = pods
            self.secrets = secrets
            self.policy = policy
            self.ledger = ledger
            self.monitor = monitor
            self.registrar = registrar
            self.events = events
            self.notifier = notifier
            self.metrics = metrics
            self.podSettings = podSettings
            self.healthInterval = healthInterval
            self.logger = logger
        }
    }

    /// The dependencies.
    public let d: Dependencies
    /// In-process memory of sessions.
    public let memory = SessionMemory()
    /// How often a session over quota is looked at again (deletions in its namespace also wake it).
    public let quotaRetry: Duration

    /// Creates the reconciler.
    public init(_ dependencies: Dependencies, quotaRetry: Duration = .seconds(30)) {
        d = dependencies
        self.quotaRetry = quotaRetry
    }

    public func reconcile(_ request: ReconcileRequest) async throws(ReconcileError) -> ReconcileResult {
        let key = request.key
        guard let session = d.sessions.get(key) else {
            await forget(key)
            return .done
        }
        do throws(ReconcileError) {
            if session.metadata.isDeleting { return try await finalize(session) }
            return try await reconcileLive(session)
        } catch {
            // Every failure is also an Event on the session (aggregated, so a retry loop stays one Event).
            d.events.record(ref(session), type: .warning, reason: "ReconcileError", message: error.description)
            throw error
        }
    }

    private func reconcileLive(_ fetched: AgentSession) async throws(ReconcileError) -> ReconcileResult {
        let key = fetched.key
        let now = Date()
        var session = fetched
        if !session.metadata.hasFinalizer(SessionLabels.finalizer) { session = try await addFinalizer(session) }
        var inputs = StatusInputs(session: session, now: now)

        let effective: EffectiveSession
        switch d.policy.evaluate(session) {
        case .failure(let violation):
            inputs.rejection = ("PolicyViolation", violation.description)
            d.ledger.release(key: key)
            inputs.pod = await stopWorkload(session)
            try await writeStatus(session, inputs, effective: nil)
            // Retrying cannot help: the next change of the session brings it back.
            return .done
        case .success(let e):
            effective = e
            inputs.effective = e
        }
        let old = session.status ?? AgentSessionStatus()
        let observed = d.monitor.observation(key)

        // Suspended or finished: no pod, no registration, no quota.
        let (stop, finishedAt) = SessionLifetime.stopReason(effective, status: old, pod: d.pods.get(key), supervisor: observed, now: now)
        if let stop {
            inputs.stop = stop
            inputs.finishedAt = finishedAt
            d.ledger.release(key: key)
            if case .finished = stop, old.finishedAt == nil {
                // Persist the finish before tearing anything down: once the pod and its supervisor are gone,
                // nothing else remembers that (and why) this session finished.
                inputs.pod = d.pods.get(key)
                try await writeStatus(session, inputs, effective: effective)
                session = d.sessions.get(key) ?? session
                inputs.session = session
            }
            inputs.pod = await stopWorkload(session)
            if let remaining = SessionLifetime.ttlRemaining(effective, finishedAt: finishedAt, now: now), remaining == .zero {
                try await deleteFinished(session)
                return .done
            }
            try await writeStatus(session, inputs, effective: effective)
            let ttl = SessionLifetime.ttlRemaining(effective, finishedAt: finishedAt, now: now)
            return ReconcileResult.soonest(ttl, inputs.pod != nil ? .seconds(5) : nil).map(ReconcileResult.after) ?? .done
        }

        if case .exceeded(let why) = d.ledger.admit(key: key, namespace: effective.namespace, workspace: effective.workspaceId,
                                                    quotas: d.policy.config.quotas) {
            inputs.rejection = ("QuotaExceeded", why)
            inputs.pod = await stopWorkload(session)
            try await writeStatus(session, inputs, effective: effective)
            return .after(quotaRetry)
        }

        let token: String
        let credentials: SecretView
        switch try await ensureCredentials(session, effective) {
        case .problem(let reason, let message):
            inputs.credentialsProblem = (reason, message)
            inputs.pod = d.pods.get(key)
            try await writeStatus(session, inputs, effective: effective)
            // Waiting on a dependency, not failing: retried with the queue's per-key backoff (5 ms doubling),
            // since the referenced Secret is not watched and may appear at any time.
            return .requeueNow
        case .ready(let secret):
            token = CredentialsSecret.token(in: secret) ?? ""
            credentials = secret
        }

        try await ensureClaim(session, effective)
        let podOutcome = try await ensurePod(session, effective, credentials: credentials)
        inputs.pod = podOutcome.pod
        inputs.podProblem = podOutcome.problem
        var requeue = podOutcome.requeueAfter

        inputs.supervisor = watchSupervisor(key, pod: podOutcome.pod, token: token)
        reportHealth(session, inputs.supervisor)
        inputs.registration = await reconcileRegistration(session, effective, inputs)
        try await writeStatus(session, inputs, effective: effective)

        requeue = ReconcileResult.soonest(requeue, SessionLifetime.nextDeadline(effective, status: old, pod: inputs.pod,
                                                                                 supervisor: inputs.supervisor, now: now))
        if case .pending = inputs.registration { requeue = ReconcileResult.soonest(requeue, .seconds(5)) }
        return requeue.map(ReconcileResult.after) ?? .done
    }

    // MARK: Finalizer

    private func addFinalizer(_ s: AgentSession) async throws(ReconcileError) -> AgentSession {
        let finalizers = (s.metadata.finalizers ?? []) + [SessionLabels.finalizer]
        let patch: JSON = ["metadata": ["finalizers": .array(finalizers.map(JSON.string)),
                                        "resourceVersion": .string(s.metadata.resourceVersion ?? "")]]
        do {
            let updated = try await d.client.patch(AgentSession.self, name: s.name, namespace: s.namespace, .merge(patch))
            d.sessions.wrote(updated)
            return updated
        } catch {
            throw Self.failure(error, "adding the finalizer")
        }
    }

    /// Maps an API failure to a reconcile error: an invalid request cannot succeed by retrying.
    static func failure(_ error: KubeError, _ what: String) -> ReconcileError {
        if error.isInvalid || error.isBadRequest { return .terminal("\(what): \(error)") }
        return .transient("\(what): \(error)")
    }

    // MARK: Supervisor and health

    private func watchSupervisor(_ key: String, pod: PodView?, token: String) -> SupervisorObservation? {
        guard let pod, pod.metadata.deletionTimestamp == nil, pod.status?.phase == "Running",
              let ip = pod.status?.podIP, !ip.isEmpty, !token.isEmpty else {
            d.monitor.unwatch(key)
            return nil
        }
        let endpoint = "http://\(ip):\(PodBuilder.supervisorPort)"
        d.monitor.watch(key, endpoint: endpoint, token: token)
        let observed = d.monitor.observation(key)
        // Pod readiness comes from /readyz, which is 200 only in `running`: a disagreement means the
        // supervisor's state moved since our last look (a login finished, the CLI died).
        let podReady = pod.status?.isReady == true
        if let observed, observed.lastCheck != nil, podReady != (observed.state == SupervisorStatus.running) {
            d.monitor.checkNow(key)
        }
        return observed
    }

    private func reportHealth(_ s: AgentSession, _ o: SupervisorObservation?) {
        guard let o, o.lastCheck != nil else { return }
        let key = s.key
        let before = memory.entry(key).reportedHealth
        guard before != o.health else { return }
        memory.update(key) { $0.reportedHealth = o.health }
        if o.health == .unhealthy {
            d.events.record(ref(s), type: .warning, reason: "Unhealthy",
                            message: "the supervisor failed \(o.consecutiveFailures) health checks in a row: \(o.lastError ?? "no answer")")
        } else if o.health == .healthy, before == .unhealthy {
            d.events.record(ref(s), type: .normal, reason: "Healthy", message: "the supervisor answers its health checks again")
        }
    }

    /// The Event reference of a session.
    func ref(_ s: AgentSession) -> ObjectReference {
        ObjectReference(apiVersion: AgentSession.apiVersion, kind: AgentSession.kind, namespace: s.namespace, name: s.name,
                        uid: s.metadata.uid, resourceVersion: s.metadata.resourceVersion)
    }
}
