import Foundation
import Registry
import Synchronization

/// What the reconciler remembers about sessions between reconciles, in this process only.
///
/// Nothing here is needed for correctness after a restart: each field is either re-derivable from the
/// cluster (the agent id comes back from the spec, pod failures restart at zero) or only suppresses
/// duplicate work (health already pushed to the registry, events already emitted).
public final class SessionMemory: Sendable {
    /// One session's memory.
    public struct Entry: Sendable, Equatable {
        /// The agent id this process registered for the session (so a renamed id is deregistered).
        public var registeredAgentId: String?
        /// The health last pushed to the registry.
        public var pushedHealth: HealthStatus?
        /// The health last reported as an Event.
        public var reportedHealth: HealthStatus?
        /// Consecutive failed pods.
        public var podFailures = 0
        /// The uid of the failed pod already counted.
        public var failedPodUID: String?
        /// When that failure was first seen.
        public var failureSeenAt: ContinuousClock.Instant?
        /// The workspace claim was created (or found).
        public var claimReady = false
        /// A `login_required` callback went out and its `login_completed` has not.
        public var loginPending = false
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var byAgent: [String: String] = [:]
    }

    private let state = Mutex(State())

    /// Creates an empty memory.
    public init() {}

    /// A copy of a session's entry.
    public func entry(_ key: String) -> Entry { state.withLock { $0.entries[key] ?? Entry() } }

    /// Changes a session's entry.
    public func update(_ key: String, _ body: (inout Entry) -> Void) {
        state.withLock { s in
            var e = s.entries[key] ?? Entry()
            let before = e.registeredAgentId
            body(&e)
            if before != e.registeredAgentId {
                if let b = before, s.byAgent[b] == key { s.byAgent[b] = nil }
                if let a = e.registeredAgentId { s.byAgent[a] = key }
            }
            s.entries[key] = e
        }
    }

    /// Forgets a session; returns what was remembered.
    @discardableResult
    public func remove(_ key: String) -> Entry? {
        state.withLock { s in
            guard let e = s.entries.removeValue(forKey: key) else { return nil }
            if let a = e.registeredAgentId, s.byAgent[a] == key { s.byAgent[a] = nil }
            return e
        }
    }

    /// The session key an agent id was registered for.
    public func sessionKey(forAgent agentId: String) -> String? { state.withLock { $0.byAgent[agentId] } }

    /// Forgets everything (leadership lost).
    public func reset() { state.withLock { $0 = State() } }
}
