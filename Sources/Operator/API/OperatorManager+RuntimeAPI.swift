import Foundation
import KubeClient
import RuntimeCore

extension OperatorManager {
    /// Starts the runtime API of the controller (CONTRACT.md §6) on `--api-addr` over the manager's caches,
    /// or returns nil when it is off: `--api-addr 0`, or no `--api-token-file` (the API spawns pods, so
    /// it is never served without a token; a warning says so).
    ///
    /// Every replica serves it, leader or not: a spawn creates an AgentSession (the leader reconciles
    /// it), reads come from the replica's own caches, and relays go straight to the supervisors.
    static func startRuntimeAPI(options: ControllerOptions, client: KubeClient, sessionInformer: Informer<AgentSession>,
                                secrets: Store<SecretView>, policy: SessionPolicy, monitor: SupervisorMonitor,
                                metrics: MetricsRegistry, synced: AtomicFlag, logger: Logger) throws(OperatorError) -> RuntimeAPIServer? {
        guard let address = options.apiAddress else { return nil }
        guard let tokenFile = options.apiTokenFile else {
            logger.warning("the runtime API is off: --api-addr needs --api-token-file (bearer tokens, one per line)")
            return nil
        }
        let tokens: APITokens
        do {
            tokens = try APITokens(path: tokenFile, logger: logger.with(["component": "runtime-api"]))
        } catch {
            throw .usage(error.description)
        }
        let backend = KubernetesBackend(
            client: client, sessions: sessionInformer.store, secrets: secrets, policy: policy, monitor: monitor,
            settings: .init(defaultNamespace: options.namespace ?? "default", watchedNamespace: options.namespace),
            synced: { synced.value }, logger: logger.with(["component": "runtime-api"]))
        sessionInformer.addHandler(InformerHandler(onAdd: { _ in backend.sessionsChanged() },
                                                   onUpdate: { _, _ in backend.sessionsChanged() },
                                                   onDelete: { _ in backend.sessionsChanged() }))
        let server = RuntimeAPIServer(configuration: .init(listen: address), backend: backend, tokens: tokens,
                                      logger: logger.with(["component": "runtime-api"]))
        do {
            try server.start()
        } catch {
            throw .server("runtime API: \(error)")
        }
        return server
    }
}
