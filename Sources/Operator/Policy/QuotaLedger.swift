import Foundation
import Synchronization

/// Counts admitted sessions per namespace and per workspace and decides admissions against the quotas.
///
/// Why a ledger and not a count over the informer cache at each reconcile: a thousand sessions created
/// at once are reconciled by several workers before any of their status writes come back through the
/// watch, so a cache count would admit all of them. The ledger is updated synchronously under a lock
/// when a session is admitted or released, so concurrent reconciles never over-admit. It is rebuilt from
/// the cache (sessions whose status says `Admitted=True` and that are active) whenever this process
/// becomes leader, which is what makes "counted from the informer cache" true across restarts.
///
/// Sessions count while they are admitted and active: suspended and finished sessions hold no pod and
/// release their place; resuming one is a new admission. Lowering a quota never evicts admitted sessions.
public final class QuotaLedger: Sendable {
    /// What an admission decided.
    public enum Decision: Sendable, Equatable {
        /// The session holds a place.
        case admitted
        /// No place: the sentence says which quota.
        case exceeded(String)
    }

    private struct Entry: Equatable {
        var namespace: String
        var workspace: String
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var perNamespace: [String: Int] = [:]
        var perWorkspace: [String: Int] = [:]

        mutating func insert(_ key: String, _ e: Entry) {
            entries[key] = e
            perNamespace[e.namespace, default: 0] += 1
            if !e.workspace.isEmpty { perWorkspace[e.workspace, default: 0] += 1 }
        }

        mutating func remove(_ key: String) -> Bool {
            guard let e = entries.removeValue(forKey: key) else { return false }
            perNamespace[e.namespace, default: 1] -= 1
            if perNamespace[e.namespace] == 0 { perNamespace[e.namespace] = nil }
            if !e.workspace.isEmpty {
                perWorkspace[e.workspace, default: 1] -= 1
                if perWorkspace[e.workspace] == 0 { perWorkspace[e.workspace] = nil }
            }
            return true
        }
    }

    private let state = Mutex(State())
    private let onRelease: (@Sendable (_ namespace: String, _ workspace: String) -> Void)?

    /// An empty ledger. `onRelease` hears every freed place (the manager wakes sessions waiting for one).
    public init(onRelease: (@Sendable (_ namespace: String, _ workspace: String) -> Void)? = nil) {
        self.onRelease = onRelease
    }

    /// Admits `key` unless a quota is full. A session already holding a place keeps it (also when the
    /// quota was lowered since); one whose workspace changed is re-checked against the new workspace.
    public func admit(key: String, namespace: String, workspace: String, quotas: OperatorConfig.Quotas) -> Decision {
        state.withLock { s in
            let wanted = Entry(namespace: namespace, workspace: workspace)
            if let held = s.entries[key] {
                if held == wanted { return .admitted }
                _ = s.remove(key)
            }
            let nsLimit = quotas.limit(namespace: namespace)
            let nsCount = s.perNamespace[namespace] ?? 0
            if nsLimit > 0, nsCount >= nsLimit {
                return .exceeded("namespace \(namespace) already has \(nsCount) of its \(nsLimit) sessions")
            }
            let wsLimit = quotas.maxSessionsPerWorkspace
            if !workspace.isEmpty, wsLimit > 0 {
                let wsCount = s.perWorkspace[workspace] ?? 0
                if wsCount >= wsLimit {
                    return .exceeded("workspace \(workspace) already has \(wsCount) of its \(wsLimit) sessions")
                }
            }
            s.insert(key, wanted)
            return .admitted
        }
    }

    /// Records a session as holding a place without checking quotas (rebuilding after a leader change).
    public func seed(key: String, namespace: String, workspace: String) {
        state.withLock { s in
            _ = s.remove(key)
            s.insert(key, Entry(namespace: namespace, workspace: workspace))
        }
    }

    /// Gives the place of `key` back; returns whether it held one.
    @discardableResult
    public func release(key: String) -> Bool {
        let freed = state.withLock { s -> Entry? in
            guard let e = s.entries[key] else { return nil }
            _ = s.remove(key)
            return e
        }
        if let freed { onRelease?(freed.namespace, freed.workspace) }
        return freed != nil
    }

    /// Whether `key` holds a place.
    public func holds(_ key: String) -> Bool { state.withLock { $0.entries[key] != nil } }

    /// Forgets everything (before rebuilding).
    public func reset() { state.withLock { $0 = State() } }

    /// Admitted sessions in `namespace`.
    public func count(namespace: String) -> Int { state.withLock { $0.perNamespace[namespace] ?? 0 } }

    /// Admitted sessions in `workspace`.
    public func count(workspace: String) -> Int { state.withLock { $0.perWorkspace[workspace] ?? 0 } }
}
