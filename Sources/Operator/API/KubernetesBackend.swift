import Foundation
import KubeClient
import Registry
import RuntimeCore
import Synchronization

/// The runtime API in a cluster: every agent is an AgentSession, so `kubectl` and the API see the same
/// thing (CONTRACT.md §6).
///
/// - `/spawn` checks what the operator would check (policy: ``SessionPolicy``; quotas: the config's
///   per-namespace and per-workspace limits, counted over the informer cache plus creations the cache has
///   not seen yet) and creates the AgentSession; the reconciler does the rest. Its name is the agent id
///   when that is a valid DNS-1123 name, else a sanitised form with a hash (``AgentNames``); `spec.agentId`
///   always carries the id itself.
/// - `/stop` deletes the AgentSession (the operator's finalizer deregisters the agent and removes its pod).
/// - Reads come from the operator's informer cache; a session this API just created is served from its
///   create answer until the cache has it, so a `GET` right after a `201` never says 404.
/// - Logs, input and attach go to `status.endpoint` with the token of the session's
///   `<name>-credentials` Secret (from the cache, else read once from the API server).
public final class KubernetesBackend: AgentBackend {
    public let runtimeName = "kubernetes"

    /// Where spawns go and what the operator serves.
    public struct Settings: Sendable {
        /// Namespace of spawns that name none.
        public var defaultNamespace: String
        /// The only namespace the operator watches (`--namespace`), nil for all.
        public var watchedNamespace: String?

        /// Creates settings.
        public init(defaultNamespace: String = "default", watchedNamespace: String? = nil) {
            self.defaultNamespace = defaultNamespace
            self.watchedNamespace = watchedNamespace
        }
    }

    private struct Pending {
        var key: String
        var namespace: String
        var workspace: String
        var since: ContinuousClock.Instant
        var created: AgentSession?
    }

    private let client: KubeClient
    private let sessions: Store<AgentSession>
    private let secrets: Store<SecretView>
    private let policy: SessionPolicy
    private let monitor: SupervisorMonitor?
    private let settings: Settings
    private let synced: @Sendable () -> Bool
    private let logger: Logger
    private let pending = Mutex<[String: Pending]>([:])
    private let callbacks = Mutex<[@Sendable () -> Void]>([])
    private let followUps = Mutex<Set<String>>([])

    /// The annotation marking sessions created through the API.
    public static let createdByAnnotation = "parallax.ai/created-by"

    /// Creates the backend over the operator's caches. `synced` answers whether they are synced.
    public init(client: KubeClient, sessions: Store<AgentSession>, secrets: Store<SecretView>, policy: SessionPolicy,
                monitor: SupervisorMonitor?, settings: Settings, synced: @escaping @Sendable () -> Bool,
                logger: Logger = Logger(label: "runtime-api")) {
        self.client = client
        self.sessions = sessions
        self.secrets = secrets
        self.policy = policy
        self.monitor = monitor
        self.settings = settings
        self.synced = synced
        self.logger = logger
    }

    public var isReady: Bool { synced() }

    public func onChange(_ callback: @escaping @Sendable () -> Void) { callbacks.withLock { $0.append(callback) } }

    /// Tells the event hub to look: call it from the session informer's handlers.
    public func sessionsChanged() {
        // A creation the cache has seen needs no stand-in any more (and must not outlive a deletion).
        pending.withLock { p in p = p.filter { _, e in e.created == nil || sessions.get(key: e.key) == nil } }
        for c in callbacks.withLock({ $0 }) { c() }
    }

    // MARK: Finding sessions

    /// The agent id of a session: what the operator computed, else what the spec says, else the default.
    public static func agentId(of s: AgentSession) -> String {
        if let id = s.status?.agentId, !id.isEmpty { return id }
        if !s.spec.agentId.isEmpty { return s.spec.agentId }
        return "\(s.metadata.namespace ?? "").\(s.name)"
    }

    private func served(_ s: AgentSession) -> Bool {
        settings.watchedNamespace.map { $0 == s.metadata.namespace } ?? true
    }

    /// The session of `agentId`: from the cache, else one this API created that the cache has not seen.
    private func find(_ agentId: String) -> AgentSession? {
        if let s = sessions.list().first(where: { served($0) && Self.agentId(of: $0) == agentId }) { return s }
        return pending.withLock { p -> AgentSession? in
            guard let entry = p[agentId], let created = entry.created else { return nil }
            return sessions.get(key: entry.key) == nil ? created : nil
        }
    }

    // MARK: AgentBackend

    public func spawn(_ r: SpawnRequest) async throws(APIError) -> AgentInfo {
        guard synced() else { throw .unavailable("the operator's caches are not synced yet; retry shortly") }
        let namespace = r.namespace ?? settings.watchedNamespace ?? settings.defaultNamespace
        if let watched = settings.watchedNamespace, namespace != watched {
            throw .policy("this operator serves namespace \(watched) only (--namespace); \(namespace) is not reconciled")
        }
        if find(r.agentId) != nil { throw .exists("agent \(r.agentId) already exists") }
        let defaults = policy.config.agentTypes[r.agentType]
        if (r.image ?? "").isEmpty, (defaults?.image ?? "").isEmpty {
            throw .invalid("image is required: agentType \(r.agentType) has no default image in the operator's config")
        }
        if r.command.isEmpty, (defaults?.command ?? []).isEmpty {
            throw .invalid("command is required: agentType \(r.agentType) has no default command in the operator's config")
        }
        let session = Self.session(for: r, namespace: namespace)
        if case .failure(let violation) = policy.evaluate(session) {
            // A field no session may have is 422, like the request's own checks; a choice this policy forbids is 403.
            throw violation.invalid.isEmpty ? .policy(violation.description) : .invalid(violation.invalid.joined(separator: "; "))
        }
        try reserve(r.agentId, key: session.key, namespace: namespace, workspace: r.workspaceId)
        let created: AgentSession
        do {
            created = try await client.create(session)
        } catch {
            _ = pending.withLock { $0.removeValue(forKey: r.agentId) }
            if error.isAlreadyExists {
                throw .exists("an AgentSession named \(session.name) already exists in namespace \(namespace)")
            }
            if error.isInvalid { throw .invalid(error.message ?? error.description) }
            if error.isNotFound { throw .invalid("namespace \(namespace) does not exist") }
            if error.isForbidden { throw .policy("the Kubernetes API refused: \(error.message ?? error.description)") }
            throw .badGateway("creating the AgentSession failed: \(error)")
        }
        pending.withLock { $0[r.agentId]?.created = created }
        for c in callbacks.withLock({ $0 }) { c() }
        return info(created)
    }

    /// Checks the quotas and holds a place for a creation in flight (so concurrent spawns never exceed a
    /// quota before the cache shows their sessions).
    private func reserve(_ agentId: String, key: String, namespace: String, workspace: String) throws(APIError) {
        let quotas = policy.config.quotas
        let active = sessions.list().filter {
            !$0.metadata.isDeleting && !$0.spec.suspend && $0.status?.finishedAt == nil
        }
        let result: APIError? = pending.withLock { p in
            // Forget reservations the cache has caught up with, and stale ones.
            let now = ContinuousClock.now
            p = p.filter { _, e in sessions.get(key: e.key) == nil && now - e.since < .seconds(60) }
            if p[agentId] != nil { return .exists("agent \(agentId) is being created") }
            let inFlight = Array(p.values)
            let nsLimit = quotas.limit(namespace: namespace)
            if nsLimit > 0 {
                let n = active.filter { $0.metadata.namespace == namespace }.count + inFlight.filter { $0.namespace == namespace }.count
                if n >= nsLimit { return .quota("namespace \(namespace) already has \(n) of its \(nsLimit) sessions") }
            }
            let wsLimit = quotas.maxSessionsPerWorkspace
            if wsLimit > 0, !workspace.isEmpty {
                let n = active.filter { $0.spec.workspaceId == workspace }.count + inFlight.filter { $0.workspace == workspace }.count
                if n >= wsLimit { return .quota("workspace \(workspace) already has \(n) of its \(wsLimit) sessions") }
            }
            p[agentId] = Pending(key: key, namespace: namespace, workspace: workspace, since: now, created: nil)
            return nil
        }
        if let result { throw result }
    }

    public func stop(agentId id: String) async throws(APIError) -> AgentInfo {
        guard let s = find(id) else { throw .notFound(id) }
        do {
            _ = try await client.delete(AgentSession.self, name: s.name, namespace: s.metadata.namespace)
        } catch {
            if error.isNotFound { throw .notFound(id) }
            throw .badGateway("deleting the AgentSession failed: \(error)")
        }
        _ = pending.withLock { $0.removeValue(forKey: id) }
        sessionsChanged()
        var view = info(s)
        view.phase = SessionPhase.stopping.rawValue
        view.message = "the session is being deleted"
        return view
    }

    public func list() async -> [AgentInfo] {
        var out = sessions.list().filter(served).map(info)
        let known = Set(out.map(\.agentId))
        let extra = pending.withLock { p in
            p.values.compactMap { e -> AgentSession? in sessions.get(key: e.key) == nil ? e.created : nil }
        }
        out += extra.map(info).filter { !known.contains($0.agentId) }
        return out.sorted { $0.agentId < $1.agentId }
    }

    public func get(agentId id: String) async throws(APIError) -> AgentInfo {
        guard let s = find(id) else { throw .notFound(id) }
        return info(s)
    }

    public func supervisor(agentId id: String) async throws(APIError) -> SupervisorTarget {
        guard let s = find(id) else { throw .notFound(id) }
        guard let endpoint = s.status?.endpoint, !endpoint.isEmpty else {
            throw .notReady("agent \(id) has no supervisor endpoint yet (phase \(s.status?.phase ?? "Pending"))")
        }
        let secretName = CredentialsSecret.name(for: s.name)
        if let token = CredentialsSecret.token(in: secrets.get(name: secretName, namespace: s.metadata.namespace)) {
            return SupervisorTarget(endpoint: endpoint, token: token)
        }
        do {
            let secret = try await client.get(Secret.self, name: secretName, namespace: s.metadata.namespace)
            if let token = CredentialsSecret.token(in: secret) { return SupervisorTarget(endpoint: endpoint, token: token) }
        } catch {
            if !error.isNotFound { throw .badGateway("reading the session's credentials failed: \(error)") }
        }
        throw .notReady("agent \(id) has no credentials yet")
    }

    public func inputDelivered(agentId id: String) async {
        guard let monitor, let s = find(id) else { return }
        let key = s.key
        monitor.checkNow(key)
        guard followUps.withLock({ $0.insert(key).inserted }) else { return }
        Task {
            for delay in [300, 1000, 2500, 5000] {
                try? await Task.sleep(for: .milliseconds(delay))
                monitor.checkNow(key)
            }
            _ = self.followUps.withLock { $0.remove(key) }
        }
    }

    // MARK: Views

    /// The AgentSession a spawn creates.
    static func session(for r: SpawnRequest, namespace: String) -> AgentSession {
        var spec = AgentSessionSpec(agentType: r.agentType)
        spec.agentId = r.agentId
        spec.workspaceId = r.workspaceId
        spec.capabilities = r.capabilities
        spec.env = r.env.map { EnvVar(name: $0.name, value: $0.value) }
        spec.workdir = r.workdir ?? ""
        spec.image = r.image ?? ""
        spec.command = r.command
        spec.args = r.args
        spec.role = r.role
        spec.displayName = r.displayName
        spec.restartPolicy = r.restartPolicy
        let meta = ObjectMeta(name: AgentNames.name(for: r.agentId), namespace: namespace,
                              annotations: [createdByAnnotation: "runtime-api"])
        return AgentSession(metadata: meta, spec: spec)
    }

    /// The API view of a session.
    func info(_ s: AgentSession) -> AgentInfo {
        let status = s.status
        let observation = monitor?.observation(s.key)
        var phase = status?.phase ?? SessionPhase.pending.rawValue
        var message = status?.message ?? "waiting for the operator"
        if s.metadata.isDeleting {
            phase = SessionPhase.stopping.rawValue
            message = "the session is being deleted"
        }
        let login = status?.login
        return AgentInfo(agentId: Self.agentId(of: s), agentType: s.spec.agentType, workspaceId: s.spec.workspaceId, phase: phase,
                         endpoint: status?.endpoint, health: observation?.health ?? .unknown, startedAt: status?.startTime,
                         login: phase == SessionPhase.authenticating.rawValue ? login : nil, state: observation?.state,
                         capabilities: s.spec.capabilities, namespace: s.metadata.namespace ?? "", name: s.name,
                         registryKey: status?.registryKey, restarts: status?.restarts ?? 0, message: message, runtime: runtimeName)
    }
}
