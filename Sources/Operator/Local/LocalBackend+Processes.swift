import Foundation
import Registry
import RuntimeCore

/// Local mode's processes: starting a supervisor (directories, token, limits wrapper, environment,
/// waiting for its port), reaping or watching it, and stopping it with everything it left behind.
extension LocalBackend {
    struct LaunchResult: Sendable {
        var record: LocalAgentRecord
        var token: String
    }

    nonisolated func launch(_ request: SpawnRequest, name: String, namespace: String, workdir: String, cli: [String])
        async throws(APIError) -> LaunchResult
    {
        let token = CredentialsSecret.newToken()
        var cgroup: String?
        do {
            try layout.prepare(name: name, token: token)
            try FileManager.default.createDirectory(atPath: workdir, withIntermediateDirectories: true)
        } catch {
            throw .internal("cannot prepare the agent's directories: \(error.localizedDescription)")
        }
        if let root = options.limits.cgroupRoot {
            do {
                cgroup = try AgentCgroup.create(root: root, name: name, limits: options.limits)
            } catch {
                layout.remove(name, workspace: false)
                throw .internal(error.description)
            }
        }
        var command = cli
        let limitArgs = options.limits.execArguments(cgroup: cgroup)
        if let helper = options.execHelper, !limitArgs.isEmpty || cgroup != nil {
            command = [helper, "exec-limited"] + limitArgs + ["--"] + cli
        }
        let arguments = [
            "--agent-type", request.agentType, "--listen", "127.0.0.1:0", "--workdir", workdir,
            "--restart-policy", request.restartPolicy.isEmpty ? "OnFailure" : request.restartPolicy,
            "--token-file", layout.tokenFile(name), "--grace-period", "\(options.gracePeriod.milliseconds)ms",
            // HOME is the user's own in local mode: the CLI's first-run answers there are the user's to give.
            "--no-first-run-answers", "--log-format", "json", "--log-level", "info", "--",
        ] + command
        let env = environment(for: request, name: name, namespace: namespace)
        let startedAt = Date()
        let pid: pid_t
        do {
            pid = try ProcessTools.spawn(path: options.supervisorBinary, arguments: arguments, environment: env, logPath: layout.logFile(name),
                                       directory: layout.stateDirectory(name))
        } catch {
            if let cgroup { AgentCgroup.destroy(cgroup) }
            layout.remove(name, workspace: false)
            throw .internal(error.description)
        }
        var record = LocalAgentRecord(
            agentId: request.agentId, name: name, agentType: request.agentType, workspaceId: request.workspaceId,
            capabilities: request.capabilities, namespace: namespace,
            displayName: request.displayName.isEmpty ? name : request.displayName, command: command, workdir: workdir,
            envNames: request.env.map(\.name), supervisorPid: pid, supervisorStartTicks: ProcessTools.stat(pid)?.startTicks ?? 0,
            port: nil, startedAt: Timestamp.iso8601(startedAt), cgroup: cgroup)
        try? layout.save(record)  // before waiting: a daemon crash right now must still find this process
        let deadline = ContinuousClock.now + options.startTimeout
        while ContinuousClock.now < deadline {
            if let port = listeningPort(layout.logFile(name)) {
                record.port = port
                try? layout.save(record)
                logger.info("supervisor started", ["agentId": .string(request.agentId), "pid": .int(Int64(pid)),
                                                   "endpoint": .string(record.endpoint ?? "")])
                return LaunchResult(record: record, token: token)
            }
            if !ProcessTools.isAlive(pid) { break }
            try? await Task.sleep(for: .milliseconds(20))
        }
        let tail = String(((try? String(contentsOfFile: layout.logFile(name), encoding: .utf8)) ?? "").suffix(600))
        await terminateProcesses(record)
        layout.remove(name, workspace: false)
        throw APIError(500, "SupervisorFailed", "agent-supervisor did not start listening: \(Self.lastLine(tail))")
    }

    /// Reads `listening on HOST:PORT` from the supervisor's output.
    nonisolated func listeningPort(_ log: String) -> Int? {
        guard let text = try? String(contentsOfFile: log, encoding: .utf8),
              let range = text.range(of: "listening on ") else { return nil }
        let rest = text[range.upperBound...].prefix { $0 != "\n" }
        guard text[range.upperBound...].contains("\n"), let colon = rest.lastIndex(of: ":") else { return nil }
        return Int(rest[rest.index(after: colon)...])
    }

    static func lastLine(_ text: String) -> String {
        let lines = text.split(whereSeparator: \.isNewline)
        guard let last = lines.last else { return "no output" }
        if let json = try? JSON.parse(String(last)), let msg = json["msg"].stringValue {
            return msg + (json["error"].stringValue.map { ": \($0)" } ?? "")
        }
        return String(last)
    }

    nonisolated func environment(for r: SpawnRequest, name: String, namespace: String) -> [String: String] {
        let own = ProcessInfo.processInfo.environment
        var env: [String: String] = [:]
        for key in options.passEnvironment { if let v = own[key] { env[key] = v } }
        if env["PATH"] == nil { env["PATH"] = "/usr/local/bin:/usr/bin:/bin" }
        env["AGENT_ID"] = r.agentId
        env["AGENT_NAME"] = r.displayName.isEmpty ? name : r.displayName
        env["AGENT_TYPE"] = r.agentType
        env["AGENT_ROLE"] = r.role
        env["AGENT_CAPABILITIES"] = JSON.array(r.capabilities.map(JSON.string)).serialized()
        env["RAVEN_WORKSPACE_ID"] = r.workspaceId
        env["AGENT_NAMESPACE"] = namespace
        for (k, v) in r.env { env[k] = v }
        env[Self.markerVariable] = marker + "/" + name
        return env
    }

    nonisolated func command(for r: SpawnRequest) throws(APIError) -> [String] {
        let base = r.command.isEmpty ? (options.config.agentTypes[r.agentType]?.command ?? []) : r.command
        guard !base.isEmpty else { throw .invalid("command is required: agentType \(r.agentType) has no default command") }
        let typeArgs = r.command.isEmpty ? (options.config.agentTypes[r.agentType]?.args ?? []) : []
        return base + typeArgs + r.args
    }

    /// `workdir` inside the agent's workspace: relative paths, or absolute ones under `/workspace` (the
    /// path agents see in a cluster). Anything else would leave the isolated directory.
    nonisolated func localWorkdir(_ w: String?, name: String) throws(APIError) -> String {
        let base = layout.workspace(name)
        guard let w, !w.isEmpty else { return base }
        var rel = Substring(w)
        if w.hasPrefix("/") {
            guard w == "/workspace" || w.hasPrefix("/workspace/") else {
                throw .invalid("workdir \(AgentNames.quoted(w)): in local mode it is relative to the agent's workspace, or under /workspace")
            }
            rel = w.dropFirst("/workspace".count)
        }
        let parts = rel.split(separator: "/").filter { $0 != "." }
        if parts.contains("..") { throw .invalid("workdir \(AgentNames.quoted(w)) must not contain '..'") }
        return parts.isEmpty ? base : base + "/" + parts.joined(separator: "/")
    }

    /// Reaps our own child on a dedicated thread and reports its exit.
    func watchChild(id: String, pid: pid_t) {
        startThread("reap-\(pid)") { [weak self] in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            let why: String
            if status & 0x7f == 0 {
                why = "exit status \((status >> 8) & 0xff)"
            } else {
                why = "killed by signal \(status & 0x7f)"
            }
            Task { await self?.supervisorGone(id: id, pid: pid, why: why) }
        }
    }

    /// Polls adopted supervisors (not our children, so no waitpid) for being alive.
    func livenessLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: options.livenessInterval)
            for (id, e) in entries where !e.ownChild && e.exitMessage == nil && !e.stopping {
                guard let r = e.record, !ProcessTools.isAlive(r.supervisorPid, startTicks: r.supervisorStartTicks) else { continue }
                await supervisorGone(id: id, pid: r.supervisorPid, why: "the process ended")
            }
        }
    }

    func supervisorGone(id: String, pid: pid_t, why: String) async {
        guard var e = entries[id], e.record?.supervisorPid == pid else { return }
        if e.stopping { return }  // expected; the stop task finishes the cleanup
        logger.warning("agent supervisor exited unexpectedly", ["agentId": .string(id), "pid": .int(Int64(pid)), "reason": .string(why)])
        e.exitMessage = why
        entries[id] = e
        monitor.unwatch(id)
        if let r = e.record { killLeftovers(r) }
        await reconcile(id)
    }

    func startStop(_ id: String) {
        guard stopTasks[id] == nil, let e = entries[id] else { return }
        monitor.unwatch(id)
        stopTasks[id] = Task { [weak self] in
            guard let self else { return }
            if e.registered { await self.registrar.deregister(id) }
            if let r = await self.record(id) { await self.terminateProcesses(r) }
            await self.finishStop(id)
        }
    }

    func record(_ id: String) -> LocalAgentRecord? { entries[id]?.record }

    func finishStop(_ id: String) {
        guard let e = entries.removeValue(forKey: id) else { return }
        stopTasks.removeValue(forKey: id)
        followUps.removeValue(forKey: id)?.cancel()
        layout.remove(e.name, workspace: options.removeWorkspaces)
        logger.info("agent stopped", ["agentId": .string(id)])
        changed()
    }

    /// SIGTERM to the supervisor's group (it stops the CLI within its grace period), SIGKILL after
    /// that, then every leftover (CLI group, cgroup, marked processes).
    nonisolated func terminateProcesses(_ r: LocalAgentRecord) async {
        let pid = r.supervisorPid
        if ProcessTools.isAlive(pid, startTicks: r.supervisorStartTicks) {
            ProcessTools.signalGroup(pid, SIGTERM)
            let deadline = ContinuousClock.now + options.gracePeriod + .seconds(3)
            while ContinuousClock.now < deadline, ProcessTools.isAlive(pid, startTicks: r.supervisorStartTicks) {
                try? await Task.sleep(for: .milliseconds(25))
            }
            if ProcessTools.isAlive(pid, startTicks: r.supervisorStartTicks) {
                logger.warning("supervisor did not stop in time; killing it", ["agentId": .string(r.agentId), "pid": .int(Int64(pid))])
                ProcessTools.signalGroup(pid, SIGKILL)
            }
        }
        killLeftovers(r)
    }

    /// Kills what may outlive a supervisor: the CLI's process group, the cgroup, marked processes.
    nonisolated func killLeftovers(_ r: LocalAgentRecord) {
        if let cli = r.agentPid, ProcessTools.isAlive(cli, startTicks: r.agentStartTicks) { ProcessTools.signalGroup(cli, SIGKILL) }
        if let cgroup = r.cgroup { AgentCgroup.destroy(cgroup) }
        for pid in ProcessTools.processes(withEnvironment: Self.markerVariable, value: marker + "/" + r.name)
        where pid != r.supervisorPid || !ProcessTools.isAlive(pid, startTicks: r.supervisorStartTicks) {
            kill(pid, SIGKILL)
        }
    }
}
