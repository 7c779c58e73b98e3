import Foundation
import KubeClient
import RuntimeCore
import Synchronization

/// The quota and billing metrics of CONTRACT.md §7, computed at scrape time from the session cache so
/// that per-session series vanish with their session and never go stale:
///
/// - `agent_sessions{namespace,phase,agent_type}`
/// - `agent_session_info{namespace,name,agent_id,agent_type,workspace}` (value 1)
/// - `agent_session_start_time_seconds{namespace,name,workspace,agent_type}`
/// - `agent_session_resource_requests{namespace,name,workspace,resource}` (cores, bytes)
/// - `agent_session_ready_seconds_total{namespace,workspace,agent_type}`: time spent Ready, accumulated
///   from the reconciler's observations (completed intervals plus the running ones at scrape time).
///
/// Exported only while this process leads (``setActive(_:)``), so replicas do not double-count.
public final class SessionMetrics: Sendable {
    private struct ReadyKey: Hashable {
        var namespace: String
        var workspace: String
        var agentType: String
    }

    private struct State {
        var active = false
        var readySince: [String: (ReadyKey, ContinuousClock.Instant)] = [:]
        var accumulated: [ReadyKey: Double] = [:]
    }

    private let state = Mutex(State())
    private let sessions: @Sendable () -> [AgentSession]
    private let policy: SessionPolicy

    /// Registers the collector in `registry`. `sessions` lists the cache.
    public init(registry: MetricsRegistry, policy: SessionPolicy, sessions: @escaping @Sendable () -> [AgentSession]) {
        self.sessions = sessions
        self.policy = policy
        registry.register(collector: { [weak self] in self?.collect() ?? [] })
    }

    /// Turns the export on (leading) or off.
    public func setActive(_ active: Bool) { state.withLock { $0.active = active } }

    /// Records whether a session is Ready now (called by every reconcile).
    public func observe(key: String, namespace: String, workspace: String, agentType: String, ready: Bool) {
        let rk = ReadyKey(namespace: namespace, workspace: workspace, agentType: agentType)
        state.withLock { s in
            if ready {
                if let (old, since) = s.readySince[key], old != rk {
                    s.accumulated[old, default: 0] += (ContinuousClock.now - since).inSeconds
                    s.readySince[key] = (rk, .now)
                } else if s.readySince[key] == nil {
                    s.readySince[key] = (rk, .now)
                    if s.accumulated[rk] == nil { s.accumulated[rk] = 0 }
                }
            } else if let (old, since) = s.readySince.removeValue(forKey: key) {
                s.accumulated[old, default: 0] += (ContinuousClock.now - since).inSeconds
            }
        }
    }

    /// The session is gone: closes its Ready interval.
    public func forget(key: String) {
        state.withLock { s in
            if let (old, since) = s.readySince.removeValue(forKey: key) {
                s.accumulated[old, default: 0] += (ContinuousClock.now - since).inSeconds
            }
        }
    }

    /// Seconds Ready so far for one label set (tests).
    public func readySeconds(namespace: String, workspace: String, agentType: String) -> Double {
        let rk = ReadyKey(namespace: namespace, workspace: workspace, agentType: agentType)
        return state.withLock { s in
            let now = ContinuousClock.now
            return (s.accumulated[rk] ?? 0) + s.readySince.values.filter { $0.0 == rk }.reduce(0) { $0 + (now - $1.1).inSeconds }
        }
    }

    func collect() -> [MetricFamilySample] {
        let (active, ready) = state.withLock { s -> (Bool, [ReadyKey: Double]) in
            guard s.active else { return (false, [:]) }
            let now = ContinuousClock.now
            var totals = s.accumulated
            for (rk, since) in s.readySince.values { totals[rk, default: 0] += (now - since).inSeconds }
            return (true, totals)
        }
        guard active else { return [] }
        var counts: [[String]: Int] = [:]
        var info: [MetricSample] = []
        var start: [MetricSample] = []
        var requests: [MetricSample] = []
        for s in sessions() {
            let ns = s.metadata.namespace ?? ""
            let name = s.name
            let type = s.spec.agentType
            let ws = s.spec.workspaceId
            counts[[ns, s.status?.phase ?? SessionPhase.pending.rawValue, type], default: 0] += 1
            let agentId = s.status?.agentId ?? (s.spec.agentId.isEmpty ? "\(ns).\(name)" : s.spec.agentId)
            info.append(MetricSample(labels: [("namespace", ns), ("name", name), ("agent_id", agentId), ("agent_type", type),
                                              ("workspace", ws)], value: 1))
            if let t = s.status?.startTime, let d = Timestamp.parse(t) {
                start.append(MetricSample(labels: [("namespace", ns), ("name", name), ("workspace", ws), ("agent_type", type)],
                                          value: d.timeIntervalSince1970))
            }
            if case .success(let r) = policy.effectiveResources(s.spec.resources) {
                for (res, q) in (r.requests ?? [:]).sorted(by: { $0.key < $1.key }) {
                    requests.append(MetricSample(labels: [("namespace", ns), ("name", name), ("workspace", ws), ("resource", res)],
                                                 value: q.doubleValue))
                }
            }
        }
        let sessionsSamples = counts.sorted { $0.key.joined() < $1.key.joined() }.map { k, v in
            MetricSample(labels: [("namespace", k[0]), ("phase", k[1]), ("agent_type", k[2])], value: Double(v))
        }
        let readySamples = ready.sorted { "\($0.key)" < "\($1.key)" }.map { k, v in
            MetricSample(labels: [("namespace", k.namespace), ("workspace", k.workspace), ("agent_type", k.agentType)], value: v)
        }
        return [
            MetricFamilySample(name: MetricNames.agentSessions, help: "AgentSessions by namespace, phase and agent type.",
                               type: .gauge, samples: sessionsSamples),
            MetricFamilySample(name: MetricNames.agentSessionInfo, help: "One series per AgentSession (value 1).",
                               type: .gauge, samples: info),
            MetricFamilySample(name: MetricNames.agentSessionStartTime, help: "When the session's agent pod started (unix seconds).",
                               type: .gauge, samples: start),
            MetricFamilySample(name: MetricNames.agentSessionReadySeconds,
                               help: "Seconds AgentSessions spent Ready, by namespace, workspace and agent type.",
                               type: .counter, samples: readySamples),
            MetricFamilySample(name: MetricNames.agentSessionResourceRequests,
                               help: "Effective resource requests per session (cpu in cores, memory in bytes).",
                               type: .gauge, samples: requests),
        ]
    }
}
