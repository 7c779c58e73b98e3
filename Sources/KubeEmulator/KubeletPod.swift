import Foundation
import RuntimeCore

/// One pod run by the ``ProcessKubelet``: its directories, process, restarts and status.
final class PodRuntime: @unchecked Sendable {
    unowned let kubelet: ProcessKubelet
    let namespace: String
    let name: String
    let uid: String
    let podIP: String
    let directory: String
    private let lock = NSLock()
    private var process: KubeletProcess?
    private var pod: JSON = .null
    private var restartCount = 0
    private var ready = false
    private var stopping = false
    private var startedAt = Date()
    private var lastExit: Int32?
    private var waitingReason: String?

    init(kubelet: ProcessKubelet, namespace: String, name: String, uid: String, podIP: String) {
        self.kubelet = kubelet
        self.namespace = namespace
        self.name = name
        self.uid = uid
        self.podIP = podIP
        directory = "\(kubelet.configuration.workRoot)/\(namespace)_\(name)_\(uid.prefix(8))"
    }

    var isProcessRunning: Bool { lock.withLock { process?.isRunning ?? false } }

    /// Starts the pod's process (or records why it cannot start yet and retries).
    func launch(_ pod: JSON) {
        // The pod's deletion may already have stopped this runtime (watch events lag behind deletions).
        guard lock.withLock({ () -> Bool in self.pod = pod; return !stopping }) else { return }
        guard let container = ProcessKubelet.agentContainer(pod) else { return }
        let (env, problem) = kubelet.resolveEnvironment(container, pod: pod, podIP: podIP)
        guard var env else {
            // Like the kubelet's CreateContainerConfigError: retry until the reference resolves.
            lock.withLock { waitingReason = "CreateContainerConfigError: \(problem ?? "")" }
            writeStatus()
            retry(after: 1) { [self] in launch(currentPod()) }
            return
        }
        do {
            let mounts = try prepareVolumes(pod, container)
            env = env.mapValues { mapPath($0, mounts) }
            env["PATH"] = env["PATH"] ?? ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
            env["TERM"] = env["TERM"] ?? "xterm-256color"
            let original = ((container["command"].arrayValue ?? []) + (container["args"].arrayValue ?? [])).compactMap(\.stringValue)
            let argv = [kubelet.configuration.supervisorBinary, "--listen", "\(podIP):\(ProcessKubelet.supervisorPort)"]
                + original.dropFirst().map { mapPath($0, mounts) }
            let workdir = container["workingDir"].stringValue.map { mapPath($0, mounts) } ?? directory
            try FileManager.default.createDirectory(atPath: workdir, withIntermediateDirectories: true)
            let proc = try KubeletProcess(argv: argv, environment: env, directory: workdir,
                                          logPath: "\(directory)/agent.log") { [weak self] code in self?.exited(code) }
            let stoppedMeanwhile = lock.withLock { () -> Bool in
                if stopping { return true }
                process = proc
                startedAt = Date()
                waitingReason = nil
                return false
            }
            if stoppedMeanwhile {
                proc.terminate(grace: 0)
                return
            }
            kubelet.logger.info("pod started", ["pod": .string("\(namespace)/\(name)"), "podIP": .string(podIP), "pid": .int(Int64(proc.pid))])
        } catch {
            lock.withLock { waitingReason = "RunContainerError: \(error.localizedDescription)" }
            kubelet.logger.warning("pod start failed", ["pod": .string("\(namespace)/\(name)"), "error": .string("\(error)")])
        }
        writeStatus()
    }

    private func currentPod() -> JSON {
        (try? kubelet.store.get(kubelet.pods, namespace: namespace, name: name)) ?? lock.withLock { pod }
    }

    /// Volume mount paths mapped to directories under the pod's directory (longest path first).
    private func prepareVolumes(_ pod: JSON, _ container: JSON) throws -> [(String, String)] {
        var mounts: [(String, String)] = []
        for m in container["volumeMounts"].arrayValue ?? [] {
            guard let path = m["mountPath"].stringValue, let vol = m["name"].stringValue else { continue }
            let host = "\(directory)/volumes/\(vol)"
            try FileManager.default.createDirectory(atPath: host, withIntermediateDirectories: true)
            mounts.append((path, host))
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return mounts.sorted { $0.0.count > $1.0.count }
    }

    private func mapPath(_ value: String, _ mounts: [(String, String)]) -> String {
        for (path, host) in mounts where value == path || value.hasPrefix(path + "/") {
            return host + value.dropFirst(path.count)
        }
        return value
    }

    private func exited(_ code: Int32) {
        let (wasStopping, policy) = lock.withLock { () -> (Bool, String) in
            lastExit = code
            ready = false
            return (stopping, pod["spec"]["restartPolicy"].stringValue ?? "Always")
        }
        kubelet.logger.info("pod process exited", ["pod": .string("\(namespace)/\(name)"), "exitCode": .int(Int64(code))])
        guard !wasStopping else { return }
        let restart = policy == "Always" || (policy == "OnFailure" && code != 0)
        writeStatus(terminal: !restart)
        guard restart else { return }
        let delay = lock.withLock { () -> Double in
            restartCount += 1
            return min(30, pow(2, Double(min(restartCount, 5))) / 2)  // 1 s, 2 s, ... up to 16 s (kubelet: 10 s..5 min)
        }
        retry(after: delay) { [self] in
            guard lock.withLock({ !stopping }) else { return }
            launch(currentPod())
        }
    }

    private func retry(after seconds: Double, _ work: @escaping @Sendable () -> Void) {
        startThread("kubelet-retry") {
            Thread.sleep(forTimeInterval: seconds)
            work()
        }
    }

    func setReady(_ value: Bool) {
        let changed = lock.withLock { () -> Bool in
            defer { ready = value }
            return ready != value
        }
        if changed { writeStatus() }
    }

    func stop(grace: TimeInterval) {
        let proc = lock.withLock { () -> KubeletProcess? in
            stopping = true
            return process
        }
        proc?.terminate(grace: grace)
    }

    // MARK: Status

    private func writeStatus(terminal: Bool = false) {
        let (ready, restarts, started, exit, waiting, running) = lock.withLock {
            (self.ready, restartCount, startedAt, lastExit, waitingReason, process?.isRunning ?? false)
        }
        let now = Timestamp.rfc3339(Date())
        let phase = terminal ? (exit == 0 ? "Succeeded" : "Failed") : (running || waiting == nil ? "Running" : "Pending")
        func condition(_ type: String, _ status: Bool) -> JSON {
            ["type": .string(type), "status": status ? "True" : "False", "lastTransitionTime": .string(now)]
        }
        var state: JSON
        if running {
            state = ["running": ["startedAt": .string(Timestamp.rfc3339(started))]]
        } else if let waiting {
            let parts = waiting.split(separator: ":", maxSplits: 1)
            state = ["waiting": ["reason": .string(String(parts[0])), "message": .string(parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : "")]]
        } else {
            state = ["terminated": ["exitCode": .int(Int64(exit ?? 0)), "reason": exit == 0 ? "Completed" : "Error", "finishedAt": .string(now)]]
        }
        let status: JSON = [
            "phase": .string(phase), "podIP": .string(podIP), "podIPs": [["ip": .string(podIP)]], "hostIP": "127.0.0.1",
            "startTime": .string(Timestamp.rfc3339(started)), "qosClass": "Burstable",
            "conditions": [condition("PodScheduled", true), condition("Initialized", true),
                           condition("ContainersReady", ready), condition("Ready", ready)],
            "initContainerStatuses": .array((currentPod()["spec"]["initContainers"].arrayValue ?? []).map { c in
                ["name": c["name"], "image": c["image"], "ready": true, "restartCount": 0,
                 "state": ["terminated": ["exitCode": 0, "reason": "Completed"]]]
            }),
            "containerStatuses": [[
                "name": "agent", "ready": .bool(ready), "started": .bool(running), "restartCount": .int(Int64(restarts)),
                "image": ProcessKubelet.agentContainer(currentPod())?["image"] ?? "", "imageID": "",
                "containerID": .string("process://\(podIP)"), "state": state,
            ]],
        ]
        // Conflicts only mean someone else wrote in between: read again and retry a few times.
        for _ in 0..<5 {
            var pod = currentPod()
            guard !pod.isNull, pod["metadata"]["uid"].stringValue == uid else { return }
            var merged = status
            // Keep transition times of unchanged conditions.
            if let old = pod["status"]["conditions"].arrayValue {
                merged["conditions"] = .array((status["conditions"].arrayValue ?? []).map { c in
                    if let prev = old.first(where: { $0["type"] == c["type"] && $0["status"] == c["status"] }) { return prev }
                    return c
                })
            }
            pod["status"] = merged
            do {
                _ = try kubelet.store.update(kubelet.pods, namespace: namespace, name: name, object: pod, subresource: "status")
                return
            } catch {
                if error.code != 409 { return }
            }
        }
    }
}
