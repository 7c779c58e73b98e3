import Foundation
import RuntimeCore

/// Keeps agents registered in etcd the way Parallax expects (contract §5): one key per agent at
/// `<prefix>/services/agent/<agentId>`, its value a ``ParallaxAgentRecord``, attached to one lease per
/// agent that is renewed every TTL/3.
///
/// The registry holds the desired state (which agents, with which values) and converges etcd to it:
/// - ``register(_:)`` grants a lease and writes the key in one transaction that writes only when the key
///   is absent or its lease is one of ours (see ``LeaseOwnership``); someone else's key is never
///   overwritten, and a key of an earlier process of ours is taken over without a gap.
/// - Health, state and descriptor changes rewrite the value on the same lease, with the same transaction.
/// - One scheduler task renews every lease: renewals that come due close together go out as one batched
///   `/v3/lease/keepalive` request (up to ``AgentRegistryOptions/keepaliveBatchSize`` leases), with at
///   most ``AgentRegistryOptions/maxConcurrentRequests`` etcd requests of the registry in flight. A
///   thousand agents cost a handful of requests per TTL/3, one thread (the HTTP client's) and a few
///   connections.
/// - A lease is lost when etcd answers a renewal without TTL, or when it could not be renewed within
///   its TTL (etcd unreachable). Then the registry grants a new lease, writes the value again and revokes
///   the old lease. One watch on the agents prefix notices keys deleted or overwritten behind our back.
/// - ``deregister(_:)`` revokes the lease, which deletes the key. If the registry (or the whole
///   operator) dies, renewals stop and etcd deletes every key within its TTL.
///
/// etcd failures never surface as thrown errors: the registry retries with backoff and reports through
/// ``events`` and ``info(_:)``.
public actor AgentRegistry {
    /// What happened to registrations, for the operator's conditions and Events. Buffers without limit;
    /// consume it or ignore it.
    public nonisolated let events: AsyncStream<RegistryEvent>
    /// The etcd client in use.
    public nonisolated let client: EtcdClient
    /// The options the registry was created with.
    public nonisolated let options: AgentRegistryOptions

    let eventSink: AsyncStream<RegistryEvent>.Continuation
    let logger: Logger
    let metrics: RegistryMetrics
    let limiter: AsyncLimiter
    let wakeup = Wakeup()
    let clock = ContinuousClock()

    var entries: [String: Entry] = [:]
    var retiring: [Int64: ContinuousClock.Instant] = [:]
    var retiringInFlight = false
    var loopTask: Task<Void, Never>?
    var watchTask: Task<Void, Never>?
    var stopped = false
    var nextGeneration = 0
    var registeredPerNamespace: [String: Int] = [:]
    /// When the scheduler loop wakes next; work due earlier pokes it.
    var plannedWake = ContinuousClock.now
    var parked: [String: Entry] = [:]
    /// The revision of the watch's last snapshot; 0 until the watch on the agents prefix is running.
    var watchedFromRevision: Int64 = 0

    /// One agent's desired and observed state.
    struct Entry {
        var descriptor: AgentDescriptor
        var generation: Int
        var health: HealthStatus = .unknown
        var lastCheck: Date
        var registeredAt: Date
        var everRegistered = false

        var lease: Int64 = 0
        var ttl: Int64
        var leaseLost = false
        var written = false
        var writtenRevision: Int64 = 0
        var status: RegistrationStatus = .pending(reason: "not written yet")

        var nextRenewal: ContinuousClock.Instant
        var leaseDeadline: ContinuousClock.Instant
        var renewing = false
        var renewFailures = 0
        var syncScheduled = false
        var syncing = false
        var syncAgain = false
        var retryAt: ContinuousClock.Instant?
        var attempt = 0

        var needsSync: Bool { !written || leaseLost || lease == 0 }
    }

    /// Creates a registry over `client`. Metrics go to `metrics` when given.
    public init(client: EtcdClient, options: AgentRegistryOptions = AgentRegistryOptions(),
                metrics: MetricsRegistry? = nil, logger: Logger = Logger(label: "registry")) {
        self.client = client
        self.options = options
        self.logger = logger
        self.metrics = RegistryMetrics(metrics)
        limiter = AsyncLimiter(limit: options.maxConcurrentRequests)
        (events, eventSink) = AsyncStream<RegistryEvent>.makeStream(bufferingPolicy: .unbounded)
    }

    // MARK: Public API

    /// Registers an agent (or updates it when already known) and returns where it stands after the
    /// first attempt. Calling it again with an unchanged descriptor writes nothing (it retries at once
    /// when the agent is pending or in conflict). Transient etcd failures give ``RegistrationStatus/pending(reason:)`` and are
    /// retried in the background; a key owned by someone else gives ``RegistrationStatus/conflict(ownerLease:)``.
    @discardableResult
    public func register(_ descriptor: AgentDescriptor) async throws(RegistryError) -> RegistrationStatus {
        try await register(descriptor, seed: nil)
    }

    /// Registers with the dynamic parts (health, timestamps) of `seed` when given.
    func register(_ descriptor: AgentDescriptor, seed: Entry?) async throws(RegistryError) -> RegistrationStatus {
        guard !stopped else { throw .shutDown }
        try descriptor.validate()
        startIfNeeded()
        let id = descriptor.agentId
        if var e = entries[id] {
            if e.descriptor != descriptor {
                if e.status.isRegistered, e.descriptor.namespace != descriptor.namespace {
                    countRegistered(e.descriptor.namespace, -1)
                    countRegistered(descriptor.namespace, +1)
                }
                e.descriptor = descriptor
                e.written = false
                entries[id] = e
            } else if !e.needsSync {
                return e.status  // nothing changed: no write
            }
        } else {
            let now = clock.now
            nextGeneration += 1
            var e = Entry(descriptor: descriptor, generation: nextGeneration, lastCheck: Date(), registeredAt: Date(),
                          ttl: Int64(descriptor.ttlSeconds), nextRenewal: now, leaseDeadline: now)
            if let seed {
                e.health = seed.health
                e.lastCheck = seed.lastCheck
                e.registeredAt = seed.registeredAt
            }
            entries[id] = e
        }
        await sync(id)
        return entries[id]?.status ?? .pending(reason: "deregistered meanwhile")
    }

    /// Replaces the descriptor of a registered agent (endpoint, state, capabilities...) and rewrites the
    /// value on the same lease.
    @discardableResult
    public func update(_ descriptor: AgentDescriptor) async throws(RegistryError) -> RegistrationStatus {
        guard entries[descriptor.agentId] != nil else { throw .unknownAgent(descriptor.agentId) }
        return try await register(descriptor)
    }

    /// Records a health result; a changed status rewrites the value (with `lastCheck`) on the same lease.
    @discardableResult
    public func setHealth(_ agentId: String, _ status: HealthStatus, checkedAt: Date = Date())
        async throws(RegistryError) -> RegistrationStatus
    {
        guard var e = entries[agentId] else { throw .unknownAgent(agentId) }
        guard e.health != status else { return e.status }
        e.health = status
        e.lastCheck = checkedAt
        e.written = false
        entries[agentId] = e
        await sync(agentId)
        return entries[agentId]?.status ?? .pending(reason: "deregistered meanwhile")
    }

    /// Records a supervisor state (`metadata.state`); a change rewrites the value on the same lease.
    @discardableResult
    public func setState(_ agentId: String, _ state: String) async throws(RegistryError) -> RegistrationStatus {
        guard var e = entries[agentId] else { throw .unknownAgent(agentId) }
        guard e.descriptor.state != state else { return e.status }
        e.descriptor.state = state
        e.written = false
        entries[agentId] = e
        await sync(agentId)
        return entries[agentId]?.status ?? .pending(reason: "deregistered meanwhile")
    }

    /// Removes an agent: renewals stop at once, and the lease is revoked, which deletes the key. When etcd
    /// is unreachable the revoke is retried in the background until the lease would have expired anyway.
    /// Returns false when the agent was not known.
    @discardableResult
    public func deregister(_ agentId: String) async -> Bool {
        parked.removeValue(forKey: agentId)
        guard let e = entries.removeValue(forKey: agentId) else { return false }
        if e.status.isRegistered { countRegistered(e.descriptor.namespace, -1) }
        if e.lease != 0 {
            await revoke(e.lease, giveUpAt: e.leaseDeadline)
        }
        emit(.deregistered(agentId: agentId))
        logger.info("agent deregistered", ["agentId": .string(agentId), "lease": .string(hex(e.lease))])
        return true
    }

    /// The state of one registration.
    public func info(_ agentId: String) -> RegistrationInfo? {
        entries[agentId].map { info(agentId, $0) }
    }

    /// The state of every registration, sorted by agent id.
    public func all() -> [RegistrationInfo] {
        entries.keys.sorted().compactMap { id in entries[id].map { info(id, $0) } }
    }

    /// Stops renewing. With `revokeLeases` every lease is revoked (keys vanish now); without, keys stay
    /// until their TTL runs out, so a restarted operator with the same identity can take them over with no
    /// gap in Parallax's view.
    public func shutdown(revokeLeases: Bool = false) async {
        guard !stopped else { return }
        stopped = true
        loopTask?.cancel()
        watchTask?.cancel()
        wakeup.poke()
        if revokeLeases {
            let leases = entries.values.map(\.lease).filter { $0 != 0 }
            await withTaskGroup(of: Void.self) { group in
                for lease in leases {
                    group.addTask { [client, limiter] in
                        await limiter.acquire()
                        try? await client.revokeLease(lease)
                        limiter.release()
                    }
                }
            }
        }
        entries.removeAll()
        for ns in registeredPerNamespace.keys { countRegistered(ns, -(registeredPerNamespace[ns] ?? 0)) }
        eventSink.finish()
    }

    // MARK: Helpers

    func info(_ id: String, _ e: Entry) -> RegistrationInfo {
        RegistrationInfo(agentId: id, key: options.keys.agentKey(id), status: e.status, lease: e.lease, ttl: e.ttl,
                         record: record(of: e))
    }

    func record(of e: Entry) -> ParallaxAgentRecord {
        e.descriptor.record(health: e.health, lastCheck: e.lastCheck, registeredAt: e.registeredAt,
                            ttl: Int(e.ttl > 0 ? e.ttl : Int64(e.descriptor.ttlSeconds)))
    }

    func emit(_ event: RegistryEvent) { eventSink.yield(event) }

    /// Keeps `agent_registry_registered{namespace}` in step when an agent enters or leaves `registered`.
    func countRegistered(_ namespace: String, _ delta: Int) {
        let n = max(0, (registeredPerNamespace[namespace] ?? 0) + delta)
        registeredPerNamespace[namespace] = n
        metrics.setRegistered(namespace, n)
    }

    /// Makes the scheduler look at the entries no later than `instant`.
    func schedule(_ instant: ContinuousClock.Instant) {
        guard instant < plannedWake else { return }
        plannedWake = instant
        wakeup.poke()
    }

    func startIfNeeded() {
        guard loopTask == nil, !stopped else { return }
        loopTask = Task { [weak self] in await self?.runLoop() }
        watchTask = Task { [weak self] in await self?.watchOurKeys() }
    }
}

func hex(_ lease: Int64) -> String { String(lease, radix: 16) }
