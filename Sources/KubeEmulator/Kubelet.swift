import CurlHTTP
import Foundation
import RuntimeCore
import Synchronization

/// The process "kubelet" of kube-emulator (`--run-pods`): runs agent pods as local processes.
///
/// A pod qualifies when its container named `agent` starts `/opt/agent-runtime/agent-supervisor` (the
/// operator's injected supervisor, CONTRACT.md §3). The kubelet binds it to its node, gives it its own
/// loopback address (127.0.x.y) as podIP, starts the configured supervisor binary with
/// `--listen <podIP>:8077` and the pod's own arguments, maps the pod's volume mounts to directories under
/// its work root, resolves env (values, Secret and ConfigMap keys, field refs), keeps status and conditions
/// from the supervisor's `/readyz`, restarts per the pod's restartPolicy, and on deletion sends SIGTERM,
/// waits the grace period, kills, and lets the store remove the pod. Other pods stay Pending.
public final class ProcessKubelet: @unchecked Sendable {
    /// Settings of the kubelet.
    public struct Configuration: Sendable {
        /// The agent-supervisor binary that stands in for `/opt/agent-runtime/agent-supervisor`.
        public var supervisorBinary: String
        /// Where pod directories (volumes, logs) are created.
        public var workRoot: String
        /// The node name pods are bound to.
        public var nodeName = "kube-emulator"
        /// How often readiness is probed.
        public var probeInterval: Duration = .milliseconds(500)
        /// Creates a configuration.
        public init(supervisorBinary: String, workRoot: String) {
            self.supervisorBinary = supervisorBinary
            self.workRoot = workRoot
        }
    }

    /// The path the operator's pods run the supervisor from.
    public static let injectedSupervisorPath = "/opt/agent-runtime/agent-supervisor"
    /// The supervisor's port (CONTRACT.md §3).
    public static let supervisorPort = 8077

    let configuration: Configuration
    let store: APIStore
    let logger: Logger
    let pods: ResourceInfo
    let secrets: ResourceInfo
    let configMaps: ResourceInfo
    private let lock = NSLock()
    private var running: [String: PodRuntime] = [:]  // key: namespace/name
    /// UIDs of pods whose deletion began. Watch events lag behind deletions, so a stale ADDED or MODIFIED
    /// event can arrive after ``terminate(_:)``; it must not start a process nobody would stop.
    private var terminated: Set<String> = []
    private var terminatedOrder: [String] = []
    private var nextAddress = 1
    private let stopped = Atomic<Bool>(false)
    private var subscription: WatchSubscription?

    /// Creates a kubelet for a store (call ``start()`` to run it).
    public init(store: APIStore, configuration: Configuration, logger: Logger) {
        self.store = store
        self.configuration = configuration
        self.logger = logger.with(["component": "kubelet"])
        pods = store.registry.lookup(group: "", version: "v1", plural: "pods")!
        secrets = store.registry.lookup(group: "", version: "v1", plural: "secrets")!
        configMaps = store.registry.lookup(group: "", version: "v1", plural: "configmaps")!
    }

    /// Starts watching pods and probing readiness on dedicated threads.
    public func start() throws {
        try FileManager.default.createDirectory(atPath: configuration.workRoot, withIntermediateDirectories: true)
        store.podDeletionHandler = { [weak self] t in self?.terminate(t) }
        let sub = try store.watch(pods, namespace: nil)
        subscription = sub
        startThread("kubelet-watch") { [self] in
            while !stopped.load(ordering: .relaxed) {
                guard let event = sub.next(timeout: .seconds(1)) else {
                    if sub.isClosed { break }
                    continue
                }
                if event.type == .added || event.type == .modified { consider(event.object) }
            }
        }
        startThread("kubelet-probe") { [self] in
            while !stopped.load(ordering: .relaxed) {
                probeAll()
                Thread.sleep(forTimeInterval: Double(configuration.probeInterval.milliseconds) / 1000)
            }
        }
    }

    /// Stops every pod process (SIGTERM, 2 s, SIGKILL) and the kubelet's threads.
    public func stop() {
        stopped.store(true, ordering: .relaxed)
        subscription?.cancel()
        let all = lock.withLock { Array(running.values) }
        for runtime in all { runtime.stop(grace: 2) }
    }

    /// Number of pods with a live process (for tests).
    public var runningPods: Int { lock.withLock { running.values.filter { $0.isProcessRunning }.count } }

    // MARK: Admission of pods

    private func consider(_ pod: JSON) {
        let ns = pod["metadata"]["namespace"].stringValue ?? ""
        let name = pod["metadata"]["name"].stringValue ?? ""
        let key = "\(ns)/\(name)"
        let uid = pod["metadata"]["uid"].stringValue ?? ""
        guard pod["metadata"]["deletionTimestamp"].isNull else { return }
        guard let agent = Self.agentContainer(pod) else { return }
        let argv = (agent["command"].arrayValue ?? []) + (agent["args"].arrayValue ?? [])
        guard argv.first?.stringValue == Self.injectedSupervisorPath else { return }
        let runtime: PodRuntime? = lock.withLock {
            guard running[key] == nil, !terminated.contains(uid) else { return nil }
            defer { nextAddress += 1 }
            let address = "127.0.\(1 + nextAddress / 250).\(1 + nextAddress % 250)"
            let runtime = PodRuntime(kubelet: self, namespace: ns, name: name, uid: uid, podIP: address)
            running[key] = runtime
            return runtime
        }
        guard let runtime else { return }
        // A pod created with spec.nodeName is already ours; any other must be bound first. A failed binding
        // means the pod is gone or being replaced: start nothing.
        if pod["spec"]["nodeName"].stringValue?.isEmpty ?? true {
            do {
                _ = try store.createPodSubresource(namespace: ns, name: name, subresource: "binding", body: [
                    "apiVersion": "v1", "kind": "Binding", "metadata": ["name": .string(name), "namespace": .string(ns)],
                    "target": ["apiVersion": "v1", "kind": "Node", "name": .string(configuration.nodeName)],
                ])
            } catch {
                logger.warning("binding failed, not starting the pod", ["pod": .string(key), "error": .string(error.description)])
                lock.withLock { if running[key] === runtime { running[key] = nil } }
                return
            }
        }
        runtime.launch(pod)
    }

    static func agentContainer(_ pod: JSON) -> JSON? {
        pod["spec"]["containers"].arrayValue?.first { $0["name"] == "agent" }
    }

    // MARK: Deletion

    private func terminate(_ t: PodTermination) {
        let key = "\(t.namespace)/\(t.name)"
        let runtime = lock.withLock { () -> PodRuntime? in
            if terminated.insert(t.uid).inserted {
                terminatedOrder.append(t.uid)
                if terminatedOrder.count > 10_000 { terminated.remove(terminatedOrder.removeFirst()) }
            }
            return running.removeValue(forKey: key)
        }
        let store = self.store
        // Off the deleting thread: the grace period may be long.
        startThread("kubelet-delete") {
            runtime?.stop(grace: TimeInterval(t.gracePeriodSeconds))
            store.finalizePodDeletion(namespace: t.namespace, name: t.name, uid: t.uid)
        }
    }

    // MARK: Readiness

    private func probeAll() {
        let all = lock.withLock { Array(running.values) }
        for runtime in all where runtime.isProcessRunning {
            let url = "http://\(runtime.podIP):\(Self.supervisorPort)/readyz"
            let ready = Router.runBlocking { () -> Bool in
                let r = try? await HTTPClient.shared.execute(HTTPClientRequest(url: url, timeout: .seconds(1)))
                return r?.status == 200
            }
            runtime.setReady(ready)
        }
    }

    // MARK: Environment

    /// Resolves a container's env list; nil (with a reason) when a required Secret/ConfigMap key is missing.
    func resolveEnvironment(_ container: JSON, pod: JSON, podIP: String) -> (env: [String: String]?, problem: String?) {
        var env: [String: String] = [:]
        let ns = pod["metadata"]["namespace"].stringValue ?? ""
        for item in container["env"].arrayValue ?? [] {
            guard let name = item["name"].stringValue else { continue }
            if let v = item["value"].stringValue { env[name] = expand(v, env); continue }
            let from = item["valueFrom"]
            if !from["secretKeyRef"].isNull || !from["configMapKeyRef"].isNull {
                let isSecret = !from["secretKeyRef"].isNull
                let ref = isSecret ? from["secretKeyRef"] : from["configMapKeyRef"]
                let refName = ref["name"].stringValue ?? "", refKey = ref["key"].stringValue ?? ""
                let object = try? store.get(isSecret ? secrets : configMaps, namespace: ns, name: refName)
                let raw = object?["data"][refKey].stringValue
                let value = isSecret ? raw.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) } : raw
                if let value { env[name] = value; continue }
                if ref["optional"].boolValue == true { continue }
                return (nil, "\(isSecret ? "secret" : "configmap") \"\(refName)\" key \"\(refKey)\" not found")
            }
            if let path = from["fieldRef"]["fieldPath"].stringValue {
                switch path {
                case "metadata.name": env[name] = pod["metadata"]["name"].stringValue
                case "metadata.namespace": env[name] = ns
                case "metadata.uid": env[name] = pod["metadata"]["uid"].stringValue
                case "status.podIP", "status.hostIP": env[name] = podIP
                case "spec.nodeName": env[name] = configuration.nodeName
                default: break
                }
            }
        }
        return (env, nil)
    }

    /// `$(VAR)` references to earlier variables, as the kubelet expands them.
    private func expand(_ value: String, _ env: [String: String]) -> String {
        guard value.contains("$(") else { return value }
        var out = value
        for (k, v) in env { out = out.replacingOccurrences(of: "$(\(k))", with: v) }
        return out
    }
}
