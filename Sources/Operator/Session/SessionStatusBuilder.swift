import Foundation
import KubeClient
import Registry
import RuntimeCore

/// Phases (CONTRACT.md §2; Parallax's own agent phases).
public enum SessionPhase: String, Sendable, CaseIterable {
    /// Admitted or not, the agent's pod is not running yet (or the session waits for a quota or a Secret).
    case pending = "Pending"
    /// The pod runs; the supervisor has not reported the agent ready or asking for a login.
    case starting = "Starting"
    /// The agent shows a login prompt (`LoginRequired=True`); it is not registered.
    case authenticating = "Authenticating"
    /// The agent runs and is ready for work.
    case ready = "Ready"
    /// The pod is being removed (suspend, finish, deletion).
    case stopping = "Stopping"
    /// Suspended or finished; no pod.
    case stopped = "Stopped"
    /// Something is wrong that the operator cannot fix alone (failed pod, foreign objects in the way).
    case error = "Error"
}

/// Condition types and reasons (CONTRACT.md §2).
public enum ConditionType {
    /// Policy and quota.
    public static let admitted = "Admitted"
    /// The pod's readiness.
    public static let podReady = "PodReady"
    /// The agent waits for a person to log in.
    public static let loginRequired = "LoginRequired"
    /// The agent's key is in the registry.
    public static let registered = "Registered"
    /// The summary; its reason says what is missing.
    public static let ready = "Ready"
}

/// Why a session does not (or no longer) run: suspended, or finished for good.
public enum StopReason: Sendable, Equatable {
    /// `spec.suspend` is true.
    case suspended
    /// Finished: `reason` is `MaxDurationExceeded`, `IdleTimeout`, `Completed` or `Failed`.
    case finished(reason: String, message: String, failed: Bool)

    /// The condition reason.
    public var reason: String {
        switch self {
        case .suspended: return "Suspended"
        case .finished(let r, _, _): return r
        }
    }

    /// The sentence for status and Events.
    public var message: String {
        switch self {
        case .suspended: return "spec.suspend is true: the pod is removed and the agent deregistered"
        case .finished(_, let m, _): return m
        }
    }
}

/// Where a session's registration stands, as the status shows it.
public enum RegistrationView: Sendable, Equatable {
    /// `spec.registry.enabled` is false.
    case disabled
    /// The operator runs without etcd (`--etcd-endpoints` not given).
    case unavailable
    /// Not wanted now (the agent is not running).
    case notWanted
    /// Registered under this key.
    case registered(key: String)
    /// Wanted but not written yet (etcd slow or down; retried in the background).
    case pending(String)
    /// The key is held by a writer that is not us.
    case conflict(String)
}

/// Everything the status of one session is computed from; gathered by the reconciler.
public struct StatusInputs: Sendable {
    /// The session as read.
    public var session: AgentSession
    /// Its effective form, when policy admitted it.
    public var effective: EffectiveSession?
    /// `(reason, message)` when policy or quota rejected it.
    public var rejection: (reason: String, message: String)?
    /// Suspended or finished.
    public var stop: StopReason?
    /// When it finished (kept once set).
    public var finishedAt: Date?
    /// A problem with the credentials (missing key Secret...): `(reason, message)`.
    public var credentialsProblem: (reason: String, message: String)?
    /// A problem with the pod the operator cannot fix by itself: `(reason, message)`.
    public var podProblem: (reason: String, message: String)?
    /// The session's pod, if any.
    public var pod: PodView?
    /// The supervisor's latest observation.
    public var supervisor: SupervisorObservation?
    /// Registration.
    public var registration: RegistrationView
    /// The time of this computation.
    public var now: Date

    /// Creates inputs.
    public init(session: AgentSession, effective: EffectiveSession? = nil, rejection: (reason: String, message: String)? = nil,
                stop: StopReason? = nil, finishedAt: Date? = nil, credentialsProblem: (reason: String, message: String)? = nil,
                podProblem: (reason: String, message: String)? = nil, pod: PodView? = nil,
                supervisor: SupervisorObservation? = nil, registration: RegistrationView = .notWanted, now: Date = Date()) {
        self.session = session
        self.effective = effective
        self.rejection = rejection
        self.stop = stop
        self.finishedAt = finishedAt
        self.credentialsProblem = credentialsProblem
        self.podProblem = podProblem
        self.pod = pod
        self.supervisor = supervisor
        self.registration = registration
        self.now = now
    }
}

/// Computes phase, conditions and the rest of the status from ``StatusInputs``. Pure: same inputs, same
/// status (conditions keep their `lastTransitionTime` while their status does not change).
public enum SessionStatusBuilder {
    /// Whether the agent itself is up: pod ready and supervisor `running`.
    public static func agentRunning(pod: PodView?, supervisor: SupervisorObservation?) -> Bool {
        guard let pod, pod.metadata.deletionTimestamp == nil, pod.status?.phase == "Running",
              pod.status?.isReady == true else { return false }
        return supervisor?.state == SupervisorStatus.running
    }

    /// The phase, with the condition reason and message of the `Ready` summary.
    public static func phase(_ i: StatusInputs) -> (SessionPhase, reason: String, message: String) {
        if i.session.metadata.isDeleting {
            return (.stopping, "Deleting", "the session is being deleted")
        }
        if let r = i.rejection { return (.pending, r.reason, r.message) }
        if let stop = i.stop {
            let gone = i.pod == nil
            if case .finished(_, _, true) = stop, gone { return (.error, stop.reason, stop.message) }
            return (gone ? .stopped : .stopping, stop.reason, stop.message)
        }
        if let c = i.credentialsProblem { return (.pending, c.reason, c.message) }
        if let p = i.podProblem { return (.error, p.reason, p.message) }
        guard let pod = i.pod else { return (.pending, "PodNotCreated", "the agent pod is being created") }
        if pod.metadata.deletionTimestamp != nil {
            return (.pending, "PodRecreating", "the previous pod is being removed before a new one starts")
        }
        switch pod.status?.phase ?? "Pending" {
        case "Failed":
            let why = pod.status?.message ?? pod.status?.reason ?? "the pod failed"
            return (.error, "PodFailed", "\(why); it is recreated with backoff")
        case "Succeeded":
            return (.error, "PodCompleted", "the pod ended; it is recreated")
        case "Running":
            break
        default:
            return (.pending, "PodPending", pendingMessage(pod))
        }
        let state = i.supervisor?.state
        if state == SupervisorStatus.loginRequired {
            let url = i.supervisor?.status?.login?.url
            return (.authenticating, "LoginRequired",
                    "the agent waits for a login" + (url.map { ": open \($0) (code in status.login)" } ?? ""))
        }
        if agentRunning(pod: pod, supervisor: i.supervisor) { return (.ready, "AgentReady", "the agent is ready") }
        switch state {
        case "failed"?:
            let code = i.supervisor?.status?.exitCode.map { " with exit code \($0)" } ?? ""
            return (.error, "AgentFailed", "the agent CLI failed\(code); the supervisor restarts it per spec.restartPolicy")
        case "exited"?:
            return (.starting, "AgentExited", "the agent CLI exited; the supervisor restarts it per spec.restartPolicy")
        case nil:
            return (.starting, "SupervisorStarting", "waiting for the supervisor to answer")
        default:
            return (.starting, "AgentStarting", "the agent is starting")
        }
    }

    private static func pendingMessage(_ pod: PodView) -> String {
        let waiting = (pod.status?.initContainerStatuses ?? []) + (pod.status?.containerStatuses ?? [])
        if let w = waiting.compactMap({ $0.state?.waiting }).first, let reason = w.reason {
            return "pod pending: \(reason)" + (w.message.map { ": \($0)" } ?? "")
        }
        return "the pod is waiting to be scheduled and started"
    }

    /// The complete new status, starting from the old one's conditions.
    public static func build(_ i: StatusInputs) -> AgentSessionStatus {
        let old = i.session.status ?? AgentSessionStatus()
        let gen = i.session.metadata.generation
        let now = Time(i.now)
        var conditions = old.conditions ?? []
        func set(_ type: String, _ ok: Bool, _ reason: String, _ message: String) {
            conditions.set(Condition(type: type, status: ok ? "True" : "False", observedGeneration: gen, reason: reason,
                                     message: String(message.prefix(32768))), now: now)
        }
        let (phase, readyReason, readyMessage) = phase(i)

        if let r = i.rejection {
            set(ConditionType.admitted, false, r.reason, r.message)
        } else {
            set(ConditionType.admitted, true, "Admitted", "admitted by the operator's policy and quotas")
        }

        let pod = i.pod
        if let pod, pod.metadata.deletionTimestamp == nil, pod.status?.isReady == true {
            set(ConditionType.podReady, true, "PodReady", "the pod is ready")
        } else if let pod {
            let reason = pod.metadata.deletionTimestamp != nil ? "PodDeleting"
                : pod.status?.phase == "Running" ? "ContainersNotReady" : pod.status?.phase == "Failed" ? "PodFailed" : "PodPending"
            let message = switch reason {
            case "PodPending": pendingMessage(pod)
            case "PodDeleting": "the pod is being deleted"
            case "PodFailed": "the pod failed"
            default: "the pod's containers are not ready"
            }
            set(ConditionType.podReady, false, reason, message)
        } else {
            set(ConditionType.podReady, false, i.stop != nil ? "PodRemoved" : "PodNotCreated",
                i.stop != nil ? "the pod was removed: \(i.stop!.message)" : "no pod yet")
        }

        let login = phase == .authenticating ? i.supervisor?.status?.login : nil
        if phase == .authenticating {
            let url = login?.url.map { " at \($0)" } ?? ""
            set(ConditionType.loginRequired, true, "LoginRequired", "the agent shows a login prompt; complete the login\(url)")
        } else {
            set(ConditionType.loginRequired, false, "NoLoginPrompt", "the agent does not ask for a login")
        }

        var registryKey: String?
        switch i.registration {
        case .registered(let key):
            registryKey = key
            set(ConditionType.registered, true, "Registered", "registered at \(key)")
        case .disabled: set(ConditionType.registered, false, "RegistryDisabled", "spec.registry.enabled is false")
        case .unavailable: set(ConditionType.registered, false, "RegistryUnavailable", "the operator runs without a registry (no --etcd-endpoints)")
        case .pending(let why): set(ConditionType.registered, false, "RegistrationPending", why)
        case .conflict(let why): set(ConditionType.registered, false, "KeyConflict", why)
        case .notWanted:
            let why = phase == .authenticating ? ("WaitingForLogin", "agents waiting for a login are not registered")
                : ("AgentNotRunning", "registered once the agent runs")
            set(ConditionType.registered, false, why.0, why.1)
        }

        if phase == .ready {
            switch i.registration {
            case .registered, .disabled, .unavailable: set(ConditionType.ready, true, readyReason, readyMessage)
            case .conflict(let why): set(ConditionType.ready, false, "KeyConflict", why)
            default: set(ConditionType.ready, false, "NotRegistered", "the agent runs; its registration is pending")
            }
        } else {
            set(ConditionType.ready, false, readyReason, readyMessage)
        }

        var s = AgentSessionStatus()
        s.phase = phase.rawValue
        s.observedGeneration = gen
        s.conditions = conditions
        s.agentId = i.effective?.agentId ?? old.agentId
        s.podName = pod?.name
        s.podIP = pod?.status?.podIP
        s.endpoint = s.podIP.map { "http://\($0):\(PodBuilder.supervisorPort)" }
        s.registryKey = registryKey
        s.startTime = old.startTime ?? pod?.status?.startTime.map { Timestamp.iso8601($0.date) }
        s.lastHealthCheck = old.lastHealthCheck
        s.restarts = i.supervisor?.status?.restarts ?? pod?.status?.containerStatuses?.first?.restartCount ?? old.restarts
        if let login {
            s.login = .init(url: login.url, code: login.code, message: login.message.map { String($0.prefix(1024)) },
                            since: login.detectedAt)
        }
        s.message = conditions.condition(ConditionType.ready)?.message
        s.finishedAt = old.finishedAt ?? i.finishedAt.map { Timestamp.iso8601($0) }
        // The health check time moves only with a change worth writing, so a healthy session costs no writes.
        if s != old, let checked = i.supervisor?.lastCheck { s.lastHealthCheck = Timestamp.iso8601(checked) }
        return s
    }
}
