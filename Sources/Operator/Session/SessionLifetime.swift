import Foundation
import KubeClient
import Registry
import RuntimeCore

/// `spec.suspend` and `spec.lifetime` (CONTRACT.md §2) as pure functions of the session, its pod and
/// the supervisor's last answer.
///
/// - `maxDurationSeconds`: counted from `status.startTime` (when the agent's pod first started).
/// - `idleTimeoutSeconds`: counted from the supervisor's `lastActivityAt` (terminal input or output).
/// - The CLI ending for good also finishes the session: `restartPolicy: Never` and the CLI exited or
///   failed, or `OnFailure` and it exited with 0.
/// - Finished is final: `status.finishedAt` is set once and the session never runs again (delete and
///   re-create it to start over). `ttlSecondsAfterFinished` (> 0) deletes it that long after; 0 keeps it.
/// - Suspended is not finished: clearing `spec.suspend` starts a new pod (a new admission).
public enum SessionLifetime {
    /// Why the session must not run now, and when it finished (nil when not finished).
    public static func stopReason(_ e: EffectiveSession, status old: AgentSessionStatus, pod: PodView?,
                                  supervisor: SupervisorObservation?, now: Date) -> (StopReason?, finishedAt: Date?) {
        if let f = old.finishedAt, let at = Timestamp.parse(f) {
            let ready = old.conditions?.condition(ConditionType.ready)
            return (.finished(reason: ready?.reason.isEmpty == false ? ready!.reason : "Finished",
                              message: ready?.message.isEmpty == false ? ready!.message : "the session finished",
                              failed: old.phase == SessionPhase.error.rawValue), at)
        }
        if let start = startTime(old, pod), e.lifetime.maxDurationSeconds > 0,
           now.timeIntervalSince(start) >= Double(e.lifetime.maxDurationSeconds) {
            return (.finished(reason: "MaxDurationExceeded",
                              message: "the session ran for its lifetime.maxDurationSeconds (\(e.lifetime.maxDurationSeconds) s)",
                              failed: false), now)
        }
        if e.lifetime.idleTimeoutSeconds > 0, let last = lastActivity(supervisor),
           now.timeIntervalSince(last) >= Double(e.lifetime.idleTimeoutSeconds) {
            return (.finished(reason: "IdleTimeout",
                              message: "no terminal activity for lifetime.idleTimeoutSeconds (\(e.lifetime.idleTimeoutSeconds) s)",
                              failed: false), now)
        }
        if let st = supervisor?.status, st.state == "exited" || st.state == "failed" {
            let code = st.exitCode ?? (st.state == "exited" ? 0 : 1)
            if e.restartPolicy == "Never" || (e.restartPolicy == "OnFailure" && code == 0) {
                return code == 0
                    ? (.finished(reason: "Completed", message: "the agent CLI exited with code 0", failed: false), now)
                    : (.finished(reason: "Failed", message: "the agent CLI failed with exit code \(code)", failed: true), now)
            }
        }
        if e.suspend { return (.suspended, nil) }
        return (nil, nil)
    }

    /// How long until max duration or idle timeout would stop a running session (nil: never).
    public static func nextDeadline(_ e: EffectiveSession, status old: AgentSessionStatus, pod: PodView?,
                                    supervisor: SupervisorObservation?, now: Date) -> Duration? {
        var out: Duration?
        if e.lifetime.maxDurationSeconds > 0, let start = startTime(old, pod) {
            out = ReconcileResult.soonest(out, after(start.addingTimeInterval(Double(e.lifetime.maxDurationSeconds)), now))
        }
        if e.lifetime.idleTimeoutSeconds > 0, let last = lastActivity(supervisor) {
            out = ReconcileResult.soonest(out, after(last.addingTimeInterval(Double(e.lifetime.idleTimeoutSeconds)), now))
        }
        return out
    }

    /// How long until a finished session is deleted: nil when it is kept, zero when it is due.
    public static func ttlRemaining(_ e: EffectiveSession, finishedAt: Date?, now: Date) -> Duration? {
        guard let finishedAt, e.lifetime.ttlSecondsAfterFinished > 0 else { return nil }
        return after(finishedAt.addingTimeInterval(Double(e.lifetime.ttlSecondsAfterFinished)), now)
    }

    static func startTime(_ old: AgentSessionStatus, _ pod: PodView?) -> Date? {
        old.startTime.flatMap(Timestamp.parse) ?? pod?.status?.startTime?.date
    }

    static func lastActivity(_ o: SupervisorObservation?) -> Date? {
        guard let s = o?.status, s.state != "exited", s.state != "failed" else { return nil }
        return s.lastActivityAt.flatMap(Timestamp.parse)
    }

    /// Time from `now` to `date` (zero when past), plus a small margin so the requeue lands after it.
    static func after(_ date: Date, _ now: Date) -> Duration {
        let s = date.timeIntervalSince(now)
        return s <= 0 ? .zero : .fromSeconds(s + 0.05)
    }
}
