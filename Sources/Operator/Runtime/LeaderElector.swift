import Foundation
import KubeClient
import RuntimeCore
import Synchronization

/// Runs a ``LeaderElectionMachine`` against a `coordination.k8s.io/v1` Lease: reads the Lease every
/// retry period, writes what the machine decides (create, or a PUT conditional on the resourceVersion
/// read), and reports transitions. Publishes `leader_election_master_status{name}`.
///
/// Leadership ends for good when it is lost (the caller stops the process, as controller-runtime does);
/// on a clean shutdown the lease is released so the next candidate takes over without waiting it out.
public final class LeaderElector: Sendable {
    /// Timing and identity.
    public let config: LeaderElectionConfig
    private let client: KubeClient
    private let logger: Logger
    private let gauge: Gauge?
    private let machine: Mutex<LeaderElectionMachine>
    private let started = Atomic<Bool>(false)

    /// Creates an elector. `client` should have a request timeout shorter than the renew deadline.
    public init(config: LeaderElectionConfig, client: KubeClient, metrics: MetricsRegistry? = nil,
                logger: Logger = Logger(label: "leader-election")) {
        self.config = config
        self.client = client
        self.logger = logger.with(["lease": .string("\(config.namespace)/\(config.leaseName)"), "identity": .string(config.identity)])
        gauge = metrics?.gauge(MetricNames.leaderElectionMasterStatus,
                               help: "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master. 'name' is the string used to identify the lease.",
                               labelNames: ["name"])
        machine = Mutex(LeaderElectionMachine(config: config))
        gauge?.set(0, labels: [config.leaseName])
    }

    /// True while leading.
    public var isLeader: Bool { machine.withLock { $0.isLeader } }
    /// True once ``run(onStartedLeading:onStoppedLeading:)`` has begun (readiness).
    public var hasStarted: Bool { started.load(ordering: .relaxed) }

    /// Campaigns and renews until the calling task is cancelled (then releases the lease) or leadership
    /// is lost (then returns after `onStoppedLeading`). Callbacks run on this task; keep them short.
    public func run(onStartedLeading: @escaping @Sendable () -> Void,
                    onStoppedLeading: @escaping @Sendable (String) -> Void) async {
        started.store(true, ordering: .relaxed)
        logger.info("campaigning for leadership")
        while !Task.isCancelled {
            let transitions = await attempt()
            for t in transitions {
                switch t {
                case .startedLeading:
                    logger.info("became leader")
                    gauge?.set(1, labels: [config.leaseName])
                    onStartedLeading()
                case .stoppedLeading(let reason):
                    logger.error("leadership lost", ["reason": .string(reason)])
                    gauge?.set(0, labels: [config.leaseName])
                    onStoppedLeading(reason)
                    return
                case .newLeader(let holder):
                    logger.info("observed leader", ["holder": .string(holder)])
                }
            }
            let delay = machine.withLock { $0.nextDelay(random: Double.random(in: 0..<1)) }
            do { try await Task.sleep(for: delay) } catch { break }
        }
        // The calling task is cancelled by now; release from a fresh task so the request can go out.
        await Task { await self.release() }.value
    }

    /// One read-decide-write round.
    func attempt() async -> [LeaderElectionMachine.Transition] {
        let lease: Lease?
        do {
            lease = try await client.get(Lease.self, name: config.leaseName, namespace: config.namespace)
        } catch let e where e.isNotFound {
            lease = nil
        } catch {
            logger.warning("cannot read the lease", ["error": .string(error.description)])
            return machine.withLock { $0.failed(now: .now) }
        }
        let (step, early) = machine.withLock { $0.step(lease: lease?.spec ?? (lease == nil ? nil : LeaseSpec()), now: .now, wallClock: Date()) }
        var transitions = early
        if transitions.contains(where: { if case .stoppedLeading = $0 { return true } else { return false } }) { return transitions }
        switch step {
        case .wait:
            transitions += machine.withLock { $0.failed(now: .now) }
        case .create(let spec):
            do {
                let created = try await client.create(Lease(metadata: ObjectMeta(name: config.leaseName, namespace: config.namespace),
                                                              spec: spec))
                transitions += machine.withLock { $0.succeeded(created.spec ?? spec, now: .now) }
            } catch {
                if !error.isAlreadyExists { logger.warning("cannot create the lease", ["error": .string(error.description)]) }
                transitions += machine.withLock { $0.failed(now: .now) }
            }
        case .update(let spec):
            guard var l = lease else { return transitions }
            l.spec = spec
            do {
                let updated = try await client.update(l)
                transitions += machine.withLock { $0.succeeded(updated.spec ?? spec, now: .now) }
            } catch {
                if !error.isConflict { logger.warning("cannot update the lease", ["error": .string(error.description)]) }
                transitions += machine.withLock { $0.failed(now: .now) }
            }
        }
        return transitions
    }

    /// Hands the lease over (best effort) if leading.
    private func release() async {
        guard let spec = machine.withLock({ $0.release(wallClock: Date()) }) else { return }
        gauge?.set(0, labels: [config.leaseName])
        do {
            var l = try await client.get(Lease.self, name: config.leaseName, namespace: config.namespace)
            guard l.spec?.holderIdentity == config.identity else { return }
            l.spec = spec
            _ = try await client.update(l)
            logger.info("released the lease")
        } catch {
            logger.warning("could not release the lease; it expires by itself", ["error": .string(error.description)])
        }
    }
}
