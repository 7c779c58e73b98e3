import Foundation
import RuntimeCore

/// metav1.Time: an instant serialised as RFC 3339 with whole seconds in UTC (`2024-05-01T10:00:00Z`).
///
/// Parsing accepts fractional seconds and numeric offsets, as Go's `time.RFC3339` does.
public struct Time: Codable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The instant.
    public var date: Date

    /// Wraps a date, truncated to whole seconds so that a value equals itself after a round trip.
    public init(_ date: Date) { self.date = Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down)) }

    /// The current time.
    public static var now: Time { Time(Date()) }

    /// Parses RFC 3339 text; nil when it is not a valid timestamp.
    public init?(rfc3339 text: String) {
        guard let d = RFC3339.parse(text) else { return nil }
        self.init(d)
    }

    /// The wire form, whole seconds in UTC.
    public var description: String { RFC3339.format(date, fractionDigits: 0) }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let s = try c.decode(String.self)
        guard let d = RFC3339.parse(s) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "invalid RFC 3339 time '\(s)'")
        }
        self.init(d)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    public static func < (a: Time, b: Time) -> Bool { a.date < b.date }
}

/// metav1.MicroTime: RFC 3339 with exactly six fractional digits (`2024-05-01T10:00:00.123456Z`),
/// used by Leases and events.k8s.io Events.
public struct MicroTime: Codable, Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The instant.
    public var date: Date

    /// Wraps a date, rounded to microseconds so that a value equals itself after a round trip.
    public init(_ date: Date) {
        self.date = Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1e6).rounded() / 1e6)
    }

    /// The current time.
    public static var now: MicroTime { MicroTime(Date()) }

    /// Parses RFC 3339 text; nil when it is not a valid timestamp.
    public init?(rfc3339 text: String) {
        guard let d = RFC3339.parse(text) else { return nil }
        self.init(d)
    }

    /// The wire form, microseconds in UTC.
    public var description: String { RFC3339.format(date, fractionDigits: 6) }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let s = try c.decode(String.self)
        guard let d = RFC3339.parse(s) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "invalid RFC 3339 time '\(s)'")
        }
        self.init(d)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    public static func < (a: MicroTime, b: MicroTime) -> Bool { a.date < b.date }
}

/// RFC 3339 formatting and parsing without DateFormatter (which is neither fast nor Sendable).
public enum RFC3339 {
    /// Formats a date in UTC with `fractionDigits` (0...9) digits after the seconds.
    public static func format(_ date: Date, fractionDigits: Int) -> String {
        let t = date.timeIntervalSince1970
        var whole = t.rounded(.down)
        var frac = t - whole
        let digits = max(0, min(9, fractionDigits))
        let scale = pow(10.0, Double(digits))
        var fracUnits = Int64((frac * scale).rounded())
        if fracUnits >= Int64(scale) && digits > 0 { whole += 1; fracUnits = 0; frac = 0 }
        var secs = time_t(whole)
        var tmv = tm()
        gmtime_r(&secs, &tmv)
        var out = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", Int(tmv.tm_year) + 1900, Int(tmv.tm_mon) + 1,
                         Int(tmv.tm_mday), Int(tmv.tm_hour), Int(tmv.tm_min), Int(tmv.tm_sec))
        if digits > 0 {
            let s = String(fracUnits)
            out += "." + String(repeating: "0", count: digits - s.count) + s
        }
        return out + "Z"
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` (see ``Timestamp/parse(_:)``).
    public static func parse(_ text: String) -> Date? { Timestamp.parse(text) }
}

/// intstr.IntOrString: a field that holds either a number or a name (ports, probe ports, maxUnavailable).
public enum IntOrString: Codable, Hashable, Sendable, CustomStringConvertible,
    ExpressibleByIntegerLiteral, ExpressibleByStringLiteral
{
    /// A number, such as a port.
    case int(Int)
    /// A name or a percentage, such as a named port `http` or `25%`.
    case string(String)

    public init(integerLiteral value: Int) { self = .int(value) }
    public init(stringLiteral value: String) { self = .string(value) }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let i = try? c.decode(Int.self) { self = .int(i); return }
        self = .string(try c.decode(String.self))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .int(let i): try c.encode(i)
        case .string(let s): try c.encode(s)
        }
    }

    /// The number, or the text.
    public var description: String {
        switch self {
        case .int(let i): return String(i)
        case .string(let s): return s
        }
    }
}
