import Foundation
import KubeClient
import Synchronization

/// Shares one copy of strings that repeat across thousands of cached objects (condition reasons and
/// messages, owner reference kinds): every decoded string is its own heap allocation, and a thousand
/// sessions carry the same few dozen sentences. Bounded, so unique text can never grow it without limit.
public final class StringInterner: Sendable {
    /// The process-wide pool used by the cached models.
    public static let shared = StringInterner(capacity: 4096)

    private let pool: Mutex<Set<String>>
    /// Most strings kept.
    public let capacity: Int

    /// Creates a pool.
    public init(capacity: Int) {
        self.capacity = capacity
        pool = Mutex(Set(minimumCapacity: 64))
    }

    /// The shared copy of `s` (inserting it while there is room). Short strings are stored inline by
    /// Swift and returned as they are.
    public func intern(_ s: String) -> String {
        if s.utf8.count <= 15 { return s }
        return pool.withLock { p in
            if let existing = p.firstIndex(of: s) { return p[existing] }
            if p.count < capacity { p.insert(s) }
            return s
        }
    }

    /// Strings pooled (tests).
    public var count: Int { pool.withLock { $0.count } }
}

/// A copy-on-write box: keeps large value members out of line, so the informer cache's dictionaries
/// (whose empty slots are as wide as the element) stay small, and copies of an object share its parts.
final class CoWBox<Value: Sendable>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}

extension ObjectMeta {
    /// The metadata the operator needs of an object it owns: no labels (the informer selects on them
    /// server-side and the reconcile never reads them), no creation time, only the controller reference,
    /// with its repeated strings shared.
    func compactedForOwnedObject() -> ObjectMeta {
        var m = self
        m.labels = nil
        m.creationTimestamp = nil
        m.selfLink = nil
        m.generateName = nil
        if let ref = controllerReference {
            var r = ref
            r.apiVersion = StringInterner.shared.intern(r.apiVersion)
            r.kind = StringInterner.shared.intern(r.kind)
            m.ownerReferences = [r]
        } else {
            m.ownerReferences = nil
        }
        if let a = m.annotations {
            m.annotations = Dictionary(uniqueKeysWithValues: a.map { (StringInterner.shared.intern($0.key), $0.value) })
        }
        return m
    }
}
