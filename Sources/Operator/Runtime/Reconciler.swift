import Foundation
import KubeClient

/// What to reconcile: one object, by namespace and name (controller-runtime's `reconcile.Request`).
public struct ReconcileRequest: Hashable, Sendable, CustomStringConvertible {
    /// The object's namespace (empty for cluster-scoped objects).
    public var namespace: String
    /// The object's name.
    public var name: String

    /// Creates a request.
    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }

    /// Parses a `namespace/name` queue key.
    public init(key: String) {
        let (ns, name) = ObjectKey.split(key)
        self.init(namespace: ns ?? "", name: name)
    }

    /// The `namespace/name` queue key.
    public var key: String { ObjectKey.make(namespace: namespace, name: name) }
    public var description: String { key }
}

/// What a successful reconcile asks for next (controller-runtime's `reconcile.Result`).
public struct ReconcileResult: Sendable, Equatable {
    /// Reconcile again after the rate limiter's delay (counts as a retry).
    public var requeue: Bool
    /// Reconcile again after this long (a timer, not a retry; wins over `requeue`).
    public var requeueAfter: Duration?

    /// Creates a result.
    public init(requeue: Bool = false, requeueAfter: Duration? = nil) {
        self.requeue = requeue
        self.requeueAfter = requeueAfter
    }

    /// Nothing more to do until something changes.
    public static let done = ReconcileResult()
    /// Again, with backoff.
    public static let requeueNow = ReconcileResult(requeue: true)
    /// Again after `d`.
    public static func after(_ d: Duration) -> ReconcileResult { ReconcileResult(requeueAfter: d) }

    /// The earlier of two requeue times (nil means never).
    public static func soonest(_ a: Duration?, _ b: Duration?) -> Duration? {
        switch (a, b) {
        case (nil, nil): return nil
        case (let x?, nil): return x
        case (nil, let y?): return y
        case (let x?, let y?): return min(x, y)
        }
    }
}

/// Why a reconcile failed.
public enum ReconcileError: Error, Sendable, CustomStringConvertible {
    /// Worth retrying: the key is re-queued with per-key exponential backoff.
    case transient(String)
    /// Retrying cannot help (the object itself is wrong): not re-queued until the object changes.
    case terminal(String)

    /// The message.
    public var description: String {
        switch self {
        case .transient(let m): return m
        case .terminal(let m): return "terminal: \(m)"
        }
    }

    /// True for ``terminal(_:)``.
    public var isTerminal: Bool { if case .terminal = self { return true } else { return false } }
}

/// Reconciles one object toward its desired state. Must be idempotent and level-based: it reads the
/// current state, never relies on the event that triggered it, and may run any number of times.
/// The controller guarantees that one key is never reconciled by two workers at once.
public protocol Reconciler: Sendable {
    /// Brings the object named by `request` to its desired state.
    func reconcile(_ request: ReconcileRequest) async throws(ReconcileError) -> ReconcileResult
}
