import CurlHTTP
import Foundation
import Registry
import RuntimeCore
import Synchronization

/// Settings of ``LocalBackend``.
public struct LocalBackendOptions: Sendable {
    /// `--workdir-root`: state and workspaces live under it.
    public var workdirRoot: String
    /// `--supervisor-binary`.
    public var supervisorBinary: String
    /// The binary that provides `exec-limited` (agent-operator); needed when any limit is set.
    public var execHelper: String?
    /// `--max-agents` (0: no limit).
    public var maxAgents: Int = 16
    /// Per-agent limits.
    public var limits = AgentLimits()
    /// Policy (allowed agent types, per-type commands, the per-workspace quota) from `--config`.
    public var config = OperatorConfig()
    /// The registry metadata `namespace` when a spawn names none.
    public var namespace = "local"
    /// Registry lease TTL.
    public var registryTTLSeconds = 30
    /// Longest wait for a new supervisor to listen.
    public var startTimeout: Duration = .seconds(15)
    /// The supervisor's `--grace-period` (SIGTERM to the CLI, then SIGKILL).
    public var gracePeriod: Duration = .seconds(5)
    /// Remove an agent's workspace directory when it is stopped (default: keep it; it may hold work).
    public var removeWorkspaces = false
    /// Variables passed from the daemon's environment to agents (nothing else leaks through).
    public var passEnvironment = ["PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "SHELL", "TMPDIR"]
    /// How often adopted supervisors are checked for being alive.
    public var livenessInterval: Duration = .seconds(1)

    /// Creates options.
    public init(workdirRoot: String, supervisorBinary: String) {
        self.workdirRoot = workdirRoot
        self.supervisorBinary = supervisorBinary
    }
}

/// The runtime without Kubernetes (`agent-operator local`): every agent is an `agent-supervisor` child
/// process on its own loopback port, with an isolated working directory under `--workdir-root`, in its
/// own session and process group, registered in etcd through the same ``Registrar`` and
/// ``SupervisorMonitor`` the operator uses (same key layout, same health checks, registered only while
/// the supervisor reports `running`).
///
/// State survives the daemon: ``LocalAgentRecord`` files say what runs. A restarted daemon adopts live
/// supervisors (pid and start time must match; their registry keys are taken over without a gap) and
/// cleans up after dead ones (leftover CLI processes, cgroup, state). Every process an agent starts
/// carries `AGENT_LOCAL_AGENT=<root marker>/<name>` in its environment, so leftovers are found even when
/// nothing recorded their pid. See docs/local-mode.md.
public actor LocalBackend: AgentBackend {
    public nonisolated let runtimeName = "local"
    /// Options in force.
    public nonisolated let options: LocalBackendOptions
    /// The directory layout.
    public nonisolated let layout: LocalLayout
    /// The health checker of every supervisor.
    public nonisolated let monitor: SupervisorMonitor
    /// The environment variable that marks an agent's processes.
    public static let markerVariable = "AGENT_LOCAL_AGENT"

    struct Entry {
        var agentId: String
        var name: String
        var agentType: String
        var workspaceId: String
        var capabilities: [String]
        var namespace: String
        var displayName: String
        var record: LocalAgentRecord?
        var token: String?
        var ownChild = false
        var stopping = false
        var exitMessage: String?
        var registered = false
        var pushedHealth: HealthStatus?
    }

    let registrar: any Registrar
    let logger: Logger
    let marker: String
    private let callbacks = Mutex<[@Sendable () -> Void]>([])
    private let ready = Atomic<Bool>(false)
    private let relay = ChangeRelay()
    var entries: [String: Entry] = [:]
    var followUps: [String: Task<Void, Never>] = [:]
    var stopTasks: [String: Task<Void, Never>] = [:]
    private var background: [Task<Void, Never>] = []
    private var lockFD: Int32 = -1

    /// Creates the backend; call ``start()`` before serving.
    public init(options: LocalBackendOptions, registrar: any Registrar, metrics: MetricsRegistry? = nil,
                logger: Logger = Logger(label: "local")) throws {
        self.options = options
        layout = try LocalLayout(root: options.workdirRoot)
        self.registrar = registrar
        self.logger = logger
        marker = String(fnv1a64(Data(layout.root.utf8)) & 0xffff_ffff, radix: 16)
        let relay = self.relay
        monitor = SupervisorMonitor(options: options.config.healthChecks, http: HTTPClient(name: "local-supervisors", maxConnectionsPerHost: 2),
                                    metrics: metrics, logger: logger.with(["component": "supervisor-monitor"])) { id in relay.fire(id) }
        relay.set { [weak self] id in
            guard let self else { return }
            Task { await self.reconcile(id) }
        }
    }

    public nonisolated var isReady: Bool { ready.load(ordering: .acquiring) }

    public nonisolated func onChange(_ callback: @escaping @Sendable () -> Void) {
        callbacks.withLock { $0.append(callback) }
    }

    nonisolated func changed() {
        for c in callbacks.withLock({ $0 }) { c() }
    }

    // MARK: Lifecycle

    /// Takes the root's lock, adopts or cleans up what the last daemon left, and starts the checks.
    public func start(registryEvents: AsyncStream<RegistryEvent>? = nil) async throws(LocalError) {
        try lockRoot()
        let (records, broken) = layout.loadAll()
        for name in broken {
            logger.warning("removing unreadable agent state", ["name": .string(name)])
            layout.remove(name, workspace: false)
        }
        var adopted = Set<String>()
        for r in records {
            let alive = ProcessTools.isAlive(r.supervisorPid, startTicks: r.supervisorStartTicks)
                && (ProcessTools.commandLine(r.supervisorPid)?.first?.hasSuffix("agent-supervisor") ?? false)
            guard alive, !r.stopping, let token = layout.token(r.name), let endpoint = r.endpoint else {
                logger.info("cleaning up an agent whose supervisor is gone", ["agentId": .string(r.agentId), "name": .string(r.name)])
                if ProcessTools.isAlive(r.supervisorPid, startTicks: r.supervisorStartTicks) {
                    await terminateProcesses(r)
                } else {
                    killLeftovers(r)
                }
                layout.remove(r.name, workspace: options.removeWorkspaces)
                continue
            }
            adopted.insert(r.name)
            entries[r.agentId] = Entry(agentId: r.agentId, name: r.name, agentType: r.agentType, workspaceId: r.workspaceId,
                                       capabilities: r.capabilities, namespace: r.namespace, displayName: r.displayName,
                                       record: r, token: token)
            monitor.watch(r.agentId, endpoint: endpoint, token: token)
            logger.info("adopted a running agent", ["agentId": .string(r.agentId), "pid": .int(Int64(r.supervisorPid)),
                                                    "endpoint": .string(endpoint)])
        }
        // Anything else carrying our marker belongs to an agent nobody runs any more.
        for (value, pids) in ProcessTools.processes(withEnvironment: Self.markerVariable, prefix: marker + "/") {
            let name = String(value.dropFirst(marker.count + 1))
            guard !adopted.contains(name) else { continue }
            logger.warning("killing processes left behind by a stopped agent", ["name": .string(name), "count": .int(Int64(pids.count))])
            for pid in pids { kill(pid, SIGKILL) }
        }
        let monitor = self.monitor
        background.append(Task { await monitor.run() })
        background.append(Task { [weak self] in await self?.livenessLoop() })
        if let registryEvents {
            background.append(Task { [weak self] in
                for await event in registryEvents {
                    if case .updated = event { continue }
                    if let id = Self.agentId(of: event) { await self?.reconcile(id) }
                }
            })
        }
        ready.store(true, ordering: .releasing)
        changed()
    }

    /// Stops background work. Without `keepAgents` every agent is stopped and deregistered first; with
    /// it the supervisors keep running for the next daemon to adopt.
    public func shutdown(keepAgents: Bool) async {
        ready.store(false, ordering: .releasing)
        if !keepAgents {
            for id in entries.keys { _ = try? await stop(agentId: id) }
            for t in stopTasks.values { await t.value }
        }
        for t in background { t.cancel() }
        for t in followUps.values { t.cancel() }
        background.removeAll()
        if lockFD >= 0 {
            close(lockFD)
            lockFD = -1
        }
    }

    private func lockRoot() throws(LocalError) {
        let path = layout.root + "/daemon.lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .setup("cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
            close(fd)
            throw .setup("another agent-operator local (pid \(holder)) uses --workdir-root \(layout.root)")
        }
        ftruncate(fd, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { write(fd, $0, strlen($0)) }
        lockFD = fd
    }

    // MARK: AgentBackend

    public func spawn(_ request: SpawnRequest) async throws(APIError) -> AgentInfo {
        guard isReady else { throw .unavailable("the local runtime is starting or stopping") }
        let id = request.agentId
        let config = options.config
        guard config.allowedAgentTypes.contains(request.agentType) else {
            throw .policy("agentType \(request.agentType) is not allowed by the runtime's policy (allowed: \(config.allowedAgentTypes.joined(separator: ", ")))")
        }
        let name = AgentNames.name(for: id)
        if entries[id] != nil { throw .exists("agent \(id) already exists") }
        if let other = entries.values.first(where: { $0.name == name }) {
            throw .exists("agent \(id) would use the name \(name), which agent \(other.agentId) has")
        }
        if options.maxAgents > 0, entries.count >= options.maxAgents {
            throw .quota("the local runtime already runs \(entries.count) of its --max-agents \(options.maxAgents) agents")
        }
        let wsLimit = config.quotas.maxSessionsPerWorkspace
        if wsLimit > 0, !request.workspaceId.isEmpty {
            let n = entries.values.filter { $0.workspaceId == request.workspaceId }.count
            if n >= wsLimit { throw .quota("workspace \(request.workspaceId) already has \(n) of its \(wsLimit) agents") }
        }
        let workdir = try localWorkdir(request.workdir, name: name)
        let cli = try command(for: request)
        if options.execHelper == nil, !options.limits.execArguments(cgroup: nil).isEmpty || options.limits.cgroupRoot != nil {
            throw .internal("limits are configured but no exec helper (agent-operator) is known")
        }
        let namespace = request.namespace ?? options.namespace
        entries[id] = Entry(agentId: id, name: name, agentType: request.agentType, workspaceId: request.workspaceId,
                            capabilities: request.capabilities, namespace: namespace,
                            displayName: request.displayName.isEmpty ? name : request.displayName)
        changed()
        let launched: LaunchResult
        do throws(APIError) {
            launched = try await launch(request, name: name, namespace: namespace, workdir: workdir, cli: cli)
        } catch {
            entries.removeValue(forKey: id)
            changed()
            throw error
        }
        guard var e = entries[id] else {
            // Stopped while launching and already cleaned up: nothing runs any more.
            await terminateProcesses(launched.record)
            layout.remove(name, workspace: options.removeWorkspaces)
            throw .notFound(id)
        }
        e.record = launched.record
        e.token = launched.token
        e.ownChild = true
        entries[id] = e
        watchChild(id: id, pid: launched.record.supervisorPid)
        if e.stopping {
            startStop(id)
        } else if let endpoint = launched.record.endpoint {
            monitor.watch(id, endpoint: endpoint, token: launched.token)
        }
        changed()
        return await info(entries[id] ?? e)
    }

    public func stop(agentId id: String) async throws(APIError) -> AgentInfo {
        guard var e = entries[id] else { throw .notFound(id) }
        if !e.stopping {
            e.stopping = true
            entries[id] = e
            if var r = e.record {
                r.stopping = true
                try? layout.save(r)
                entries[id]?.record = r
            }
            if e.record != nil { startStop(id) }  // a launch in progress stops it once it has a pid
            changed()
        }
        return await info(entries[id] ?? e)
    }

    public func list() async -> [AgentInfo] {
        var out: [AgentInfo] = []
        for id in entries.keys.sorted() {
            if let e = entries[id] { out.append(await info(e)) }
        }
        return out
    }

    public func get(agentId id: String) async throws(APIError) -> AgentInfo {
        guard let e = entries[id] else { throw .notFound(id) }
        return await info(e)
    }

    public func supervisor(agentId id: String) async throws(APIError) -> SupervisorTarget {
        guard let e = entries[id] else { throw .notFound(id) }
        guard let endpoint = e.record?.endpoint, let token = e.token else { throw .notReady("agent \(id) is still starting") }
        if let why = e.exitMessage { throw .notReady("agent \(id) is not running: \(why)") }
        return SupervisorTarget(endpoint: endpoint, token: token)
    }

    public func inputDelivered(agentId id: String) async {
        guard entries[id] != nil else { return }
        monitor.checkNow(id)
        guard followUps[id] == nil else { return }
        let monitor = self.monitor
        followUps[id] = Task { [weak self] in
            // A login screen takes a moment to clear (the supervisor waits 0.5 s for it to stay gone).
            for delay in [300, 1000, 2500, 5000] {
                try? await Task.sleep(for: .milliseconds(delay))
                if Task.isCancelled { break }
                monitor.checkNow(id)
            }
            await self?.followUpDone(id)
        }
    }

    private func followUpDone(_ id: String) { followUps.removeValue(forKey: id) }

    // MARK: Views

    /// The API view of an entry.
    func info(_ e: Entry) async -> AgentInfo {
        let obs = e.record?.endpoint != nil ? monitor.observation(e.agentId) : nil
        let phase: SessionPhase
        var message: String
        if e.stopping {
            (phase, message) = (.stopping, "the agent is being stopped")
        } else if e.record == nil {
            (phase, message) = (.pending, "the supervisor is being started")
        } else if let why = e.exitMessage {
            (phase, message) = (.error, "the supervisor is gone (\(why)); stop the agent to clean up")
        } else {
            switch obs?.state {
            case nil: (phase, message) = (.starting, "waiting for the supervisor to answer")
            case SupervisorStatus.loginRequired?:
                (phase, message) = (.authenticating, "the agent waits for a login" + (obs?.status?.login?.url.map { ": open \($0)" } ?? ""))
            case SupervisorStatus.running?: (phase, message) = (.ready, "the agent is ready")
            case "failed"?:
                (phase, message) = (.error, "the agent CLI failed" + (obs?.status?.exitCode.map { " with exit code \($0)" } ?? ""))
            case "exited"?: (phase, message) = (.starting, "the agent CLI exited; the supervisor restarts it per its restart policy")
            case "stopping"?: (phase, message) = (.stopping, "the supervisor is stopping")
            default: (phase, message) = (.starting, "the agent is starting")
            }
        }
        var registryKey: String?
        if e.registered, await registrar.status(e.agentId)?.isRegistered == true { registryKey = registrar.key(e.agentId) }
        var login: AgentInfo.Login?
        if phase == .authenticating, let l = obs?.status?.login {
            login = AgentInfo.Login(url: l.url, code: l.code, message: l.message.map { String($0.prefix(1024)) }, since: l.detectedAt)
        }
        if phase == .ready, registrar.isAvailable, registryKey == nil {
            message = "the agent is ready; its registration is pending"
        }
        return AgentInfo(agentId: e.agentId, agentType: e.agentType, workspaceId: e.workspaceId, phase: phase.rawValue,
                         endpoint: e.record?.endpoint, health: obs?.health ?? .unknown, startedAt: e.record?.startedAt, login: login,
                         state: obs?.state, capabilities: e.capabilities, namespace: e.namespace, name: e.name,
                         registryKey: registryKey, restarts: obs?.status?.restarts ?? 0, message: message, runtime: runtimeName)
    }

    // MARK: Registration (the operator's rule: registered while the supervisor reports `running`)

    func reconcile(_ id: String) async {
        guard let e = entries[id] else { return }
        let obs = monitor.observation(id)
        let wanted = !e.stopping && e.exitMessage == nil && obs?.state == SupervisorStatus.running && registrar.isAvailable
        if wanted, let obs, let endpoint = e.record?.endpoint {
            let descriptor = AgentDescriptor(
                agentId: id, name: e.displayName, endpoint: endpoint, capabilities: e.capabilities, agentType: e.agentType,
                workspaceId: e.workspaceId, namespace: e.namespace, session: e.name, pod: e.name, state: SupervisorStatus.running,
                ttlSeconds: options.registryTTLSeconds, checkInterval: options.config.healthChecks.interval)
            entries[id]?.registered = true
            let status = await registrar.ensureRegistered(descriptor)
            if status.isRegistered, entries[id]?.pushedHealth != obs.health {
                await registrar.setHealth(id, obs.health)
                entries[id]?.pushedHealth = obs.health
            }
        } else if e.registered {
            entries[id]?.registered = false
            entries[id]?.pushedHealth = nil
            await registrar.deregister(id)
        }
        // Remember the CLI's pid: after a crash of the supervisor it is how its leftovers are found.
        if let pid = obs?.status?.pid, var r = entries[id]?.record, r.agentPid != Int32(pid), let st = ProcessTools.stat(Int32(pid)) {
            r.agentPid = Int32(pid)
            r.agentStartTicks = st.startTicks
            entries[id]?.record = r
            try? layout.save(r)
        }
        changed()
    }

    private static func agentId(of event: RegistryEvent) -> String? {
        switch event {
        case .registered(let a, _, _), .updated(let a, _), .leaseLost(let a, _, _), .repaired(let a, _, _),
             .conflict(let a, _, _), .failed(let a, _), .deregistered(let a):
            return a
        }
    }
}

/// Errors of local mode's setup (one line each).
public enum LocalError: Error, CustomStringConvertible, Sendable {
    /// The workdir root or another resource cannot be used.
    case setup(String)

    public var description: String {
        switch self {
        case .setup(let m): return m
        }
    }
}

/// Lets the monitor's callback (created before the actor) reach the actor.
final class ChangeRelay: Sendable {
    private let handler = Mutex<(@Sendable (String) -> Void)?>(nil)
    func set(_ h: @escaping @Sendable (String) -> Void) { handler.withLock { $0 = h } }
    func fire(_ id: String) { handler.withLock { $0 }?(id) }
}
