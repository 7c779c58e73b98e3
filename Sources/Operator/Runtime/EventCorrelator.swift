import Foundation
import KubeClient

/// Decides what one emitted event becomes, the way client-go's `EventCorrelator` does:
///
/// 1. **Aggregation.** More than ``Options/maxSimilar`` events about one object with the same type and
///    reason but different messages within ``Options/window`` collapse into one event whose message starts
///    `(combined from similar events):` and whose count grows.
/// 2. **Deduplication.** An event equal to an earlier one (object, type, reason, message) within the
///    window does not create a new object: the earlier one is patched with `count + 1` and a new
///    `lastTimestamp`.
/// 3. **Spam filter.** Each object has a token bucket (burst ``Options/spamBurst``, one token per
///    ``Options/spamRefill``); events beyond it are dropped, so a hot loop cannot flood the API.
///
/// Pure (time is passed in); the cache is bounded by ``Options/cacheSize`` entries.
public struct EventCorrelator: Sendable {
    /// Tuning; the defaults are client-go's.
    public struct Options: Sendable, Equatable {
        /// Distinct messages per (object, type, reason) before aggregation (client-go: 10).
        public var maxSimilar = 10
        /// How long events are correlated (client-go: 600 s).
        public var window: TimeInterval = 600
        /// Spam filter burst per object (client-go: 25).
        public var spamBurst = 25.0
        /// Seconds per spam filter token (client-go: one every 5 minutes).
        public var spamRefill: TimeInterval = 300
        /// Most remembered keys per cache.
        public var cacheSize = 4096
        /// Creates client-go's defaults.
        public init() {}
    }

    /// An event as a reconcile emits it.
    public struct Input: Sendable, Equatable {
        /// The object it is about.
        public var object: ObjectReference
        /// `Normal` or `Warning`.
        public var type: String
        /// CamelCase reason.
        public var reason: String
        /// Human-readable message.
        public var message: String

        /// Creates an input.
        public init(object: ObjectReference, type: String, reason: String, message: String) {
            self.object = object
            self.type = type
            self.reason = reason
            self.message = message
        }
    }

    /// What to write.
    public enum Outcome: Sendable, Equatable {
        /// Create a new Event called `name`.
        case create(name: String, message: String, count: Int, firstSeen: Date)
        /// Patch the existing Event `name`: new count, last-seen time and message.
        case update(name: String, message: String, count: Int, firstSeen: Date)
        /// Drop it (spam filter).
        case drop
    }

    private struct Seen {
        var name: String
        var count: Int
        var firstSeen: Date
        var lastSeen: Date
    }

    private struct Similar {
        var messages: Set<UInt64>
        var since: Date
    }

    private struct Bucket {
        var tokens: Double
        var at: Date
    }

    /// The tuning in use.
    public let options: Options
    // Keys are 64-bit FNV-1a hashes of the joined fields: a collision would merge two events' counts,
    // which is harmless, and it keeps a thousand sessions' worth of history to a few hundred kilobytes.
    private var seen: [UInt64: Seen] = [:]
    private var similar: [UInt64: Similar] = [:]
    private var buckets: [UInt64: Bucket] = [:]
    private var sequence: UInt64 = 0

    /// An empty correlator.
    public init(options: Options = Options()) { self.options = options }

    /// Correlates one event at `now`.
    public mutating func correlate(_ e: Input, now: Date) -> Outcome {
        let objectText = [e.object.kind ?? "", e.object.namespace ?? "", e.object.name ?? "", e.object.uid ?? ""].joined(separator: "\u{1}")
        let objectKey = Self.hash(objectText)
        guard takeToken(objectKey, now: now) else { return .drop }

        var message = e.message
        let similarText = [objectText, e.type, e.reason].joined(separator: "\u{1}")
        let similarKey = Self.hash(similarText)
        var sim = similar[similarKey] ?? Similar(messages: [], since: now)
        if now.timeIntervalSince(sim.since) > options.window { sim = Similar(messages: [], since: now) }
        sim.messages.insert(Self.hash(e.message))
        similar[similarKey] = sim
        if sim.messages.count >= options.maxSimilar {
            message = "(combined from similar events): " + e.message
        }
        // Aggregated events share one key so later ones only bump its count.
        let dedupKey = Self.hash([similarText, sim.messages.count >= options.maxSimilar ? "\u{2}aggregate" : e.message].joined(separator: "\u{1}"))
        if var s = seen[dedupKey], now.timeIntervalSince(s.lastSeen) <= options.window {
            s.count += 1
            s.lastSeen = now
            seen[dedupKey] = s
            return .update(name: s.name, message: message, count: s.count, firstSeen: s.firstSeen)
        }
        let name = Self.eventName(for: e.object.name ?? "object", at: now, sequence: &sequence)
        seen[dedupKey] = Seen(name: name, count: 1, firstSeen: now, lastSeen: now)
        trim(now: now)
        return .create(name: name, message: message, count: 1, firstSeen: now)
    }

    /// `<object>.<hex nanoseconds>` like client-go, with the object part shortened so the whole name stays
    /// within 253 characters; a sequence number keeps names unique within one nanosecond.
    static func eventName(for object: String, at now: Date, sequence: inout UInt64) -> String {
        sequence &+= 1
        let nanos = UInt64(max(0, now.timeIntervalSince1970 * 1e9)) &+ sequence
        let suffix = "." + String(nanos, radix: 16)
        return String(object.prefix(253 - suffix.count)) + suffix
    }

    static func hash(_ s: String) -> UInt64 { fnv1a64(Data(s.utf8)) }

    private mutating func takeToken(_ key: UInt64, now: Date) -> Bool {
        var b = buckets[key] ?? Bucket(tokens: options.spamBurst, at: now)
        let elapsed = max(0, now.timeIntervalSince(b.at))
        b.tokens = min(options.spamBurst, b.tokens + elapsed / options.spamRefill)
        b.at = now
        guard b.tokens >= 1 else {
            buckets[key] = b
            return false
        }
        b.tokens -= 1
        buckets[key] = b
        return true
    }

    /// Keeps the caches bounded: drops entries outside the window, then the oldest.
    private mutating func trim(now: Date) {
        guard seen.count > options.cacheSize || similar.count > options.cacheSize || buckets.count > options.cacheSize else { return }
        seen = seen.filter { now.timeIntervalSince($0.value.lastSeen) <= options.window }
        similar = similar.filter { now.timeIntervalSince($0.value.since) <= options.window }
        buckets = buckets.filter { $0.value.tokens < options.spamBurst - 1e-9 || now.timeIntervalSince($0.value.at) < options.spamRefill }
        if seen.count > options.cacheSize {
            let keep = seen.sorted { $0.value.lastSeen > $1.value.lastSeen }.prefix(options.cacheSize * 3 / 4)
            seen = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
        if similar.count > options.cacheSize {
            let keep = similar.sorted { $0.value.since > $1.value.since }.prefix(options.cacheSize * 3 / 4)
            similar = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
        if buckets.count > options.cacheSize {
            let keep = buckets.sorted { $0.value.at > $1.value.at }.prefix(options.cacheSize * 3 / 4)
            buckets = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
    }

    /// Number of remembered events (tests).
    public var cachedEvents: Int { seen.count }
}
