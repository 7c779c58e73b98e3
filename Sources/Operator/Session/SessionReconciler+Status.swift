import Foundation
import KubeClient
import Registry
import RuntimeCore

/// Registration, the status write, and what follows a status transition (Events, login callbacks,
/// billing metrics).
extension SessionReconciler {
    // MARK: Registry

    /// Registers the agent while it is Ready (pod ready, supervisor `running`); deregisters it otherwise
    /// (login required, not running, registry disabled, agent id changed).
    func reconcileRegistration(_ s: AgentSession, _ e: EffectiveSession, _ inputs: StatusInputs) async -> RegistrationView {
        let key = s.key
        let remembered = memory.entry(key).registeredAgentId
        func dropRegistration() async {
            guard let id = remembered else { return }
            await d.registrar.deregister(id)
            memory.update(key) {
                $0.registeredAgentId = nil
                $0.pushedHealth = nil
            }
            d.events.record(ref(s), type: .normal, reason: "Deregistered", message: "removed \(d.registrar.key(id)) from the registry")
        }
        if !e.registryEnabled {
            await dropRegistration()
            return .disabled
        }
        guard d.registrar.isAvailable else { return .unavailable }
        if let id = remembered, id != e.agentId { await dropRegistration() }
        let (phase, _, _) = SessionStatusBuilder.phase(inputs)
        guard phase == .ready, let pod = inputs.pod, let ip = pod.status?.podIP, let observed = inputs.supervisor else {
            if memory.entry(key).registeredAgentId != nil { await dropRegistration() }
            return .notWanted
        }
        let descriptor = AgentDescriptor(
            agentId: e.agentId, name: e.displayName, endpoint: "http://\(ip):\(PodBuilder.supervisorPort)",
            capabilities: e.capabilities, agentType: e.agentType, workspaceId: e.workspaceId, namespace: e.namespace,
            session: e.name, pod: pod.name, state: SupervisorStatus.running, ttlSeconds: e.registryTTLSeconds,
            checkInterval: d.healthInterval)
        memory.update(key) { $0.registeredAgentId = e.agentId }
        let status = await d.registrar.ensureRegistered(descriptor)
        if status.isRegistered, memory.entry(key).pushedHealth != observed.health {
            await d.registrar.setHealth(e.agentId, observed.health)
            memory.update(key) { $0.pushedHealth = observed.health }
        }
        switch status {
        case .registered: return .registered(key: d.registrar.key(e.agentId))
        case .pending(let reason): return .pending("registration pending: \(reason)")
        case .conflict(let owner):
            return .conflict("\(d.registrar.key(e.agentId)) is held by another writer (lease \(String(owner, radix: 16))); not overwritten")
        }
    }

    // MARK: Status

    /// Computes the status, writes what changed (merge patch of the status subresource: the operator is
    /// its only writer, so no resourceVersion is needed), then reports the transitions.
    func writeStatus(_ s: AgentSession, _ inputs: StatusInputs, effective: EffectiveSession?) async throws(ReconcileError) {
        let old = s.status ?? AgentSessionStatus()
        let new = SessionStatusBuilder.build(inputs)
        let key = s.key
        d.metrics?.observe(key: key, namespace: s.namespace ?? "", workspace: s.spec.workspaceId, agentType: s.spec.agentType,
                           ready: new.phase == SessionPhase.ready.rawValue)
        guard new != old else { return }
        guard let oldJSON = try? JSON(encoding: old), let newJSON = try? JSON(encoding: new),
              let diff = MergePatchDiff.diff(oldJSON, newJSON) else { return }
        do {
            let updated = try await d.client.patchStatus(AgentSession.self, name: s.name, namespace: s.namespace,
                                                         .merge(["status": diff]))
            d.sessions.wrote(updated)
        } catch let err where err.isNotFound {
            return
        } catch {
            throw Self.failure(error, "writing the status")
        }
        reportTransitions(s, old: old, new: new, inputs: inputs)
    }

    /// Events for every transition (deduplicated and aggregated by the recorder) and login callbacks.
    func reportTransitions(_ s: AgentSession, old: AgentSessionStatus, new: AgentSessionStatus, inputs: StatusInputs) {
        let r = ref(s)
        let oldC = old.conditions ?? []
        let newC = new.conditions ?? []
        func changed(_ type: String) -> Condition? {
            guard let n = newC.condition(type) else { return nil }
            let o = oldC.condition(type)
            return (o?.status != n.status || o?.reason != n.reason) ? n : nil
        }
        if let a = changed(ConditionType.admitted) {
            if a.isTrue {
                d.events.record(r, type: .normal, reason: "Admitted", message: a.message)
            } else {
                d.events.record(r, type: .warning, reason: a.reason, message: a.message)
            }
        }
        if let l = changed(ConditionType.loginRequired), l.isTrue {
            let url = new.login?.url.map { "open \($0) to log in (the one-time code is in status.login)" }
                ?? "complete the login in the agent's terminal"
            d.events.record(r, type: .warning, reason: "LoginRequired", message: "the agent needs a login: \(url)")
        }
        if let g = changed(ConditionType.registered), g.isTrue {
            d.events.record(r, type: .normal, reason: "Registered", message: g.message)
        }
        let oldPhase = old.phase ?? ""
        let newPhase = new.phase ?? ""
        if oldPhase != newPhase {
            switch SessionPhase(rawValue: newPhase) {
            case .ready?:
                d.events.record(r, type: .normal, reason: "Ready", message: "the agent is ready")
            case .stopped?:
                let why = newC.condition(ConditionType.ready)?.message ?? "stopped"
                d.events.record(r, type: .normal, reason: "Stopped", message: why)
            case .error?:
                let c = newC.condition(ConditionType.ready)
                d.events.record(r, type: .warning, reason: c?.reason ?? "Error", message: c?.message ?? "error")
            default:
                break
            }
        }
        // Credential problems keep the phase Pending; report them by reason.
        if let c = inputs.credentialsProblem, changed(ConditionType.ready) != nil {
            d.events.record(r, type: .warning, reason: c.reason, message: c.message)
        }

        guard let callback = inputs.effective?.loginCallbackURL, !callback.isEmpty else { return }
        let agentId = new.agentId ?? ""
        let key = s.key
        if newPhase == SessionPhase.authenticating.rawValue, oldPhase != newPhase {
            memory.update(key) { $0.loginPending = true }
            d.notifier.notify(url: callback, body: LoginNotifier.body(kind: .required, agentId: agentId, namespace: s.namespace ?? "",
                                                                      session: s.name, login: new.login))
        } else if newPhase == SessionPhase.ready.rawValue,
                  oldPhase == SessionPhase.authenticating.rawValue || memory.entry(key).loginPending {
            // Via Starting too: the supervisor reports `running` a moment before the pod turns ready.
            memory.update(key) { $0.loginPending = false }
            d.notifier.notify(url: callback, body: LoginNotifier.body(kind: .completed, agentId: agentId, namespace: s.namespace ?? "",
                                                                      session: s.name, login: nil))
        }
    }
}
