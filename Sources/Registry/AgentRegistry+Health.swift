import Foundation

/// Turning health reports into registry writes (contract §5: registered while `running`, not while
/// `login_required`; a health change rewrites the value on the same lease).
extension AgentRegistry {
    /// What ``apply(_:)`` did.
    public enum HealthAction: Sendable, Equatable {
        /// Nothing to do (unknown agent, or nothing Parallax sees changed).
        case none
        /// The value was rewritten with the new health or state.
        case updated(RegistrationStatus)
        /// The agent needs a login: its key was deleted and its lease revoked; it comes back when the
        /// supervisor reports `running` again.
        case deregisteredForLogin
        /// The agent runs again after a login: registered anew.
        case reregistered(RegistrationStatus)
    }

    /// Applies a ``HealthChecker`` report to the agent's registration.
    ///
    /// - `login_required`: the agent is deregistered and remembered, so Parallax stops routing work to an
    ///   agent that cannot take it.
    /// - `running` again after that: registered anew (same `registeredAt`).
    /// - Otherwise a changed health status or supervisor state rewrites the value on the same lease.
    @discardableResult
    public func apply(_ report: HealthReport) async -> HealthAction {
        let id = report.agentId
        if report.state == SupervisorStatus.loginRequired {
            guard var e = entries[id] else { return .none }
            e.descriptor.state = SupervisorStatus.loginRequired
            e.health = report.status
            e.lastCheck = report.checkedAt
            parked[id] = e
            await deregister(id)
            parked[id] = e  // deregister forgets parked agents; this one waits for its login
            return .deregisteredForLogin
        }
        if var e = parked[id] {
            guard report.state == SupervisorStatus.running else { return .none }
            parked.removeValue(forKey: id)
            e.descriptor.state = SupervisorStatus.running
            e.health = report.status
            e.lastCheck = report.checkedAt
            do throws(RegistryError) {
                return .reregistered(try await register(e.descriptor, seed: e))
            } catch {
                return .none
            }
        }
        guard var e = entries[id] else { return .none }
        var changed = false
        if let state = report.state, state != e.descriptor.state {
            e.descriptor.state = state
            changed = true
        }
        if report.status != e.health {
            e.health = report.status
            e.lastCheck = report.checkedAt
            changed = true
        }
        guard changed else { return .none }
        e.written = false
        entries[id] = e
        await sync(id)
        return .updated(entries[id]?.status ?? .pending(reason: "deregistered meanwhile"))
    }

    /// Agents deregistered because they wait for a login.
    public var agentsWaitingForLogin: [String] { parked.keys.sorted() }
}
