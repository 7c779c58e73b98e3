import Foundation
import KubeClient
import Synchronization

/// An informer cache that also remembers this process's own recent writes until the watch catches up.
///
/// Without it, the reconcile triggered by the watch event of our own first write (say the finalizer
/// patch) still sees a cache without the Secret and Pod created a millisecond later, tries to create them
/// again and gets 409 AlreadyExists: wasted writes, and at a thousand sessions a measurable share of the
/// API traffic. controller-runtime leaves this to "expectations" in each controller; here it is one
/// generic overlay:
///
/// - after a successful write, the object the server returned is kept;
/// - a read returns whichever of cache and overlay has the newer resourceVersion (numeric comparison,
///   which holds for etcd-backed servers and the emulator; when either is not a number the cache wins);
/// - after a delete that removed the object at once, reads return nil until the cache drops it;
/// - entries go when the cache has caught up, when the watch reports a deletion, or after
///   ``maxAge`` (a safety net for a watch that never delivers).
public final class ReadYourWrites<T: KubeObject>: Sendable {
    // Boxed (indirect) so the dictionary's slots stay one pointer wide; the dictionary is replaced when it
    // empties, so the capacity a burst needed is given back.
    private indirect enum Entry {
        case present(T, since: ContinuousClock.Instant)
        case deleted(uid: String, since: ContinuousClock.Instant)
    }

    /// The informer cache underneath.
    public let store: Store<T>
    /// How long an overlay entry may outlive the cache's view.
    public let maxAge: Duration
    private let overlay = Mutex([String: Entry]())
    /// uids the watch reported deleted: a write response that arrives after its own deletion event must
    /// not resurrect the object.
    private let tombstones = Mutex([String: (uid: String, since: ContinuousClock.Instant)]())

    /// Wraps an informer's store.
    public init(store: Store<T>, maxAge: Duration = .seconds(30)) {
        self.store = store
        self.maxAge = maxAge
    }

    /// The freshest known state of `key`.
    public func get(_ key: String) -> T? {
        let cached = store.get(key: key)
        return overlay.withLock { o -> T? in
            guard let entry = o[key] else { return cached }
            let now = ContinuousClock.now
            switch entry {
            case .present(let mine, let since):
                if let cached, Self.isNewerOrEqual(cached, than: mine) ?? true {
                    o[key] = nil
                    Self.shrink(&o)
                    return cached
                }
                if now - since > maxAge {
                    o[key] = nil
                    Self.shrink(&o)
                    return cached
                }
                return mine
            case .deleted(let uid, let since):
                guard let cached, cached.metadata.uid == uid, now - since <= maxAge else {
                    o[key] = nil
                    Self.shrink(&o)
                    return cached
                }
                return nil
            }
        }
    }

    /// Records the object a write returned.
    public func wrote(_ object: T) {
        let key = object.key
        let buried = tombstones.withLock { t -> Bool in
            guard let stone = t[key] else { return false }
            if ContinuousClock.now - stone.since > maxAge {
                t[key] = nil
                return false
            }
            return stone.uid == object.metadata.uid
        }
        if buried { return }
        overlay.withLock { o in
            if case .present(let existing, _)? = o[key], Self.isNewerOrEqual(existing, than: object) == true,
               existing.metadata.resourceVersion != object.metadata.resourceVersion { return }
            o[key] = .present(object, since: .now)
        }
    }

    /// The watch delivered `object`: drops the overlay entry it supersedes. Without this, entries of
    /// objects that are never read again (a session after its last status write) would stay until
    /// ``maxAge``-checked reads that never come, holding a second copy of every object.
    public func observed(_ object: T) {
        let key = object.key
        overlay.withLock { o in
            guard let entry = o[key] else { return }
            switch entry {
            case .present(let mine, let since):
                if Self.isNewerOrEqual(object, than: mine) ?? true || ContinuousClock.now - since > maxAge { o[key] = nil }
            case .deleted(let uid, let since):
                if object.metadata.uid != uid || ContinuousClock.now - since > maxAge { o[key] = nil }
            }
            Self.shrink(&o)
        }
    }

    /// Records that `key` (with `uid`) is gone.
    public func deleted(_ key: String, uid: String?) {
        overlay.withLock { o in
            if let uid { o[key] = .deleted(uid: uid, since: .now) } else { o[key] = nil }
        }
    }

    /// Forgets `key` (the watch reported the deletion of `uid`).
    public func forget(_ key: String, uid: String? = nil) {
        overlay.withLock { o in
            o.removeValue(forKey: key)
            Self.shrink(&o)
        }
        if let uid {
            tombstones.withLock { t in
                t[key] = (uid, .now)
                if t.count > 4096 { t = t.filter { ContinuousClock.now - $0.value.since <= maxAge } }
            }
        }
    }

    /// Gives a drained dictionary's capacity back (Swift keeps it after removals).
    private static func shrink<V>(_ d: inout [String: V]) {
        if d.isEmpty, d.capacity > 64 { d = [:] }
    }

    /// Entries currently overlaid (tests and diagnostics).
    public var overlayCount: Int { overlay.withLock { $0.count } }

    /// Whether `a`'s resourceVersion is at least `b`'s; nil when either is missing or not a number.
    static func isNewerOrEqual(_ a: T, than b: T) -> Bool? {
        guard let x = a.metadata.resourceVersion.flatMap(UInt64.init),
              let y = b.metadata.resourceVersion.flatMap(UInt64.init) else { return nil }
        return x >= y
    }
}
