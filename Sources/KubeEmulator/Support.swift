import Foundation
import RuntimeCore

// Small helpers shared by the emulator: metadata access on unstructured objects, timestamps in the
// apiserver's formats, random name suffixes and Go-style value printing for error messages.

extension JSON {
    /// `metadata` of an object (`.null` when absent).
    var metadata: JSON {
        get { self["metadata"] }
        set { self["metadata"] = newValue }
    }

    /// A string at a path of object keys, or nil.
    func string(_ path: String...) -> String? { value(at: path).stringValue }

    /// Removes the value at a path of object keys; a missing path is left alone.
    mutating func removeValue(at path: [String]) {
        guard let first = path.first, var o = objectValue else { return }
        if path.count == 1 {
            o.removeValue(forKey: first)
        } else if var child = o[first] {
            child.removeValue(at: Array(path.dropFirst()))
            o[first] = child
        }
        self = .object(o)
    }

    /// Sets a key of an object even when the value is `.null` (the subscript setter removes keys for null).
    mutating func setRaw(_ key: String, _ value: JSON) {
        var o = objectValue ?? [:]
        o[key] = value
        self = .object(o)
    }

    /// The object's metadata.name ("" when missing).
    var name: String { metadata["name"].stringValue ?? "" }
    /// The object's metadata.namespace ("" when missing or cluster-scoped).
    var namespace: String { metadata["namespace"].stringValue ?? "" }
    /// The object's metadata.uid ("" when missing).
    var uid: String { metadata["uid"].stringValue ?? "" }
    /// metadata.resourceVersion ("" when missing).
    var resourceVersion: String { metadata["resourceVersion"].stringValue ?? "" }
    /// metadata.finalizers as strings.
    var finalizers: [String] { (metadata["finalizers"].arrayValue ?? []).compactMap(\.stringValue) }
    /// True when metadata.deletionTimestamp is set.
    var isBeingDeleted: Bool { !metadata["deletionTimestamp"].isNull }
    /// metadata.labels as a string map (non-string values are skipped).
    var labels: [String: String] {
        (metadata["labels"].objectValue ?? [:]).compactMapValues(\.stringValue)
    }
    /// metadata.ownerReferences (objects only).
    var ownerReferences: [JSON] { (metadata["ownerReferences"].arrayValue ?? []).filter { $0.objectValue != nil } }

    /// Structural equality that treats `1` and `1.0` as equal, as JSON numbers compare once decoded in Go.
    func looselyEquals(_ other: JSON) -> Bool {
        switch (self, other) {
        case (.int, .double), (.double, .int): return doubleValue == other.doubleValue
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { $0.looselyEquals($1) }
        case (.object(let x), .object(let y)):
            return x.count == y.count && x.allSatisfy { k, v in y[k].map { v.looselyEquals($0) } ?? false }
        default: return self == other
        }
    }

    /// A copy without the keys listed.
    func removingKeys(_ keys: Set<String>) -> JSON {
        guard let o = objectValue else { return self }
        return .object(o.filter { !keys.contains($0.key) })
    }
}

/// Timestamps and durations in the forms the apiserver uses.
enum KubeTime {
    /// RFC 3339 with whole seconds in UTC, e.g. `2024-05-01T10:00:00Z` (metav1.Time's wire format).
    static func format(_ date: Date) -> String {
        // Clamped to years 1...9999 so absurd grace periods cannot overflow the conversion.
        let seconds = date.timeIntervalSince1970.isFinite ? date.timeIntervalSince1970 : 0
        var t = time_t(min(max(seconds, -62_135_596_800), 253_402_300_799).rounded(.down))
        var tmv = tm()
        gmtime_r(&t, &tmv)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", Int(tmv.tm_year) + 1900, Int(tmv.tm_mon) + 1,
                      Int(tmv.tm_mday), Int(tmv.tm_hour), Int(tmv.tm_min), Int(tmv.tm_sec))
    }

    /// Parses RFC 3339 (optionally with fractional seconds or a numeric offset); nil when malformed.
    static func parse(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        if let d = plain.date(from: text) { return d }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }

    /// kubectl's `duration.HumanDuration`: `45s`, `3m20s`, `15m`, `5h3m`, `20h`, `3d4h`, `30d`, `2y30d`, `9y`.
    static func humanDuration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded(.towardZero))
        if s < -1 { return "<invalid>" }
        if s < 0 { return "0s" }
        if s < 120 { return "\(s)s" }
        let minutes = s / 60
        if minutes < 10 {
            let rem = s % 60
            return rem == 0 ? "\(minutes)m" : "\(minutes)m\(rem)s"
        }
        if minutes < 180 { return "\(minutes)m" }
        let hours = s / 3600
        if hours < 8 {
            let m = minutes % 60
            return m == 0 ? "\(hours)h" : "\(hours)h\(m)m"
        }
        if hours < 48 { return "\(hours)h" }
        if hours < 24 * 8 {
            let h = hours % 24
            return h == 0 ? "\(hours / 24)d" : "\(hours / 24)d\(h)h"
        }
        if hours < 24 * 365 * 2 { return "\(hours / 24)d" }
        if hours < 24 * 365 * 8 {
            let dy = (hours / 24) % 365
            return dy == 0 ? "\(hours / 24 / 365)y" : "\(hours / 24 / 365)y\(dy)d"
        }
        return "\(hours / 24 / 365)y"
    }
}

/// Random strings as the apiserver makes them.
enum RandomNames {
    /// utilrand's alphabet: no vowels (no accidental words) and no look-alike characters.
    static let alphabet = Array("bcdfghjklmnpqrstvwxz2456789")

    /// `n` random characters from ``alphabet``.
    static func suffix(_ n: Int = 5) -> String {
        var g = SystemRandomNumberGenerator()
        return String((0..<n).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &g)] })
    }

    /// generateName + 5 random characters, the prefix cut to 58 so the result fits a 63-character label.
    static func generate(from prefix: String) -> String {
        String(prefix.prefix(58)) + suffix()
    }

    /// A new lowercase UUID string for metadata.uid.
    static func uid() -> String { UUID().uuidString.lowercased() }
}

/// Printing of values the way Go's fmt does in apimachinery's field errors.
enum GoFormat {
    /// strconv.Quote-like quoting: `"a\"b"`.
    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                out += String(format: "\\x%02x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// `%v` of a float64: whole numbers without a fraction, others in shortest form.
    static func number(_ d: Double) -> String {
        if d.rounded() == d && abs(d) < 9e18 { return String(Int64(d)) }
        return "\(d)"
    }

    /// The bad-value part of a field error: strings quoted, numbers and booleans bare, null as "null",
    /// composite values as JSON.
    static func value(_ v: JSON) -> String {
        switch v {
        case .string(let s): return quote(s)
        case .int(let i): return String(i)
        case .double(let d): return number(d)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "\"null\""
        default: return v.serialized()
        }
    }
}
