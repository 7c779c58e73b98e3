import Foundation

/// Errors raised when a quantity string is not valid.
public enum QuantityError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The text does not follow the quantity grammar.
    case invalid(String)

    public var description: String {
        switch self {
        case .invalid(let s): return "invalid quantity \"\(s)\": expected a number with an optional suffix (Ki, Mi, Gi, m, k, M, G, e3, ...)"
        }
    }
}

/// resource.Quantity: a fixed-point number with a unit suffix, such as `500m`, `1.5Gi`, `2e3` or `128974848`.
///
/// The value is exact (a `Decimal`). Equality and ordering compare values, so `1Gi == 1024Mi`; the
/// text is kept for serialisation so a round trip sends back what was read.
public struct Quantity: Codable, Hashable, Comparable, Sendable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    /// How a quantity is written; computed quantities are formatted in this style.
    public enum Format: String, Sendable, Hashable {
        /// Powers of 1024: Ki, Mi, Gi, Ti, Pi, Ei.
        case binarySI
        /// Powers of 1000: n, u, m, k, M, G, T, P, E.
        case decimalSI
        /// Scientific notation: e3, E-6.
        case decimalExponent
    }

    /// The exact value in base units (cores, bytes).
    public let value: Decimal
    /// The suffix style.
    public let format: Format
    /// The text as written (or formatted canonically for computed quantities).
    public let string: String

    private static let binarySuffixes: [(String, Int)] = [("Ki", 1), ("Mi", 2), ("Gi", 3), ("Ti", 4), ("Pi", 5), ("Ei", 6)]
    private static let decimalSuffixes: [(String, Int)] = [
        ("n", -9), ("u", -6), ("m", -3), ("k", 3), ("M", 6), ("G", 9), ("T", 12), ("P", 15), ("E", 18),
    ]

    /// Parses a quantity such as `100m`, `1Gi`, `1.5`, `2e-3`.
    public init(parsing text: String) throws(QuantityError) {
        let s = text.trimmingCharacters(in: .whitespaces)
        let b = Array(s.utf8)
        var i = 0
        if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
        var digits = 0
        while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1; digits += 1 }
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1; digits += 1 }
        }
        guard digits > 0 else { throw .invalid(text) }
        var numberText = String(decoding: b[0..<i], as: UTF8.self)
        if numberText.hasPrefix("+") { numberText.removeFirst() }
        if numberText.hasSuffix(".") { numberText.removeLast() }
        if numberText.hasPrefix(".") || numberText.hasPrefix("-.") {
            numberText = numberText.replacingOccurrences(of: ".", with: "0.")
        }
        guard let base = Decimal(string: numberText, locale: Locale(identifier: "en_US_POSIX")) else {
            throw .invalid(text)
        }
        let suffix = String(decoding: b[i...], as: UTF8.self)
        var multiplier: Decimal = 1
        var format = Format.decimalSI
        if suffix.isEmpty {
            format = .decimalSI
        } else if let (_, power) = Self.binarySuffixes.first(where: { $0.0 == suffix }) {
            format = .binarySI
            multiplier = Self.pow1024(power)
        } else if let (_, exp) = Self.decimalSuffixes.first(where: { $0.0 == suffix }) {
            multiplier = Self.pow10(exp)
        } else if let first = suffix.first, first == "e" || first == "E" {
            let expText = String(suffix.dropFirst())
            guard !expText.isEmpty, let exp = Int(expText), abs(exp) <= 64,
                  expText.allSatisfy({ $0.isNumber || $0 == "-" || $0 == "+" })
            else { throw .invalid(text) }
            format = .decimalExponent
            multiplier = Self.pow10(exp)
        } else {
            throw .invalid(text)
        }
        value = base * multiplier
        self.format = format
        string = s
    }

    /// A quantity for `value`, written canonically in `format` (fractions below 1n are rounded up).
    public init(value: Decimal, format: Format = .decimalSI) {
        self.value = value
        self.format = format
        string = Self.canonical(value, format: format)
    }

    /// A quantity from an integer number of base units.
    public init(_ value: Int64, format: Format = .decimalSI) { self.init(value: Decimal(value), format: format) }

    /// Parses a literal; traps on invalid text (literals are programmer input).
    public init(stringLiteral value: String) {
        do { try self.init(parsing: value) } catch { fatalError("\(error)") }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let i = try? c.decode(Int64.self) {
            self.init(parsing: String(i), orThrowIn: c)
            return
        }
        if let d = try? c.decode(Double.self) {
            self.init(parsing: String(d), orThrowIn: c)
            return
        }
        let s = try c.decode(String.self)
        do { try self.init(parsing: s) } catch {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: error.description)
        }
    }

    private init(parsing s: String, orThrowIn c: SingleValueDecodingContainer) {
        // Numbers from JSON/YAML are always valid quantities.
        self = (try? Quantity(parsing: s)) ?? Quantity(value: Decimal(string: s) ?? 0)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(string)
    }

    /// The text form.
    public var description: String { string }

    /// The value in thousandths, rounded up (`100m` -> 100, `1` -> 1000), like `MilliValue()`.
    public var milliValue: Int64 { Self.ceilInt64(value * 1000) }

    /// The value rounded up to a whole number, like `Value()`.
    public var int64Value: Int64 { Self.ceilInt64(value) }

    /// The value as a double (may lose precision).
    public var doubleValue: Double { NSDecimalNumber(decimal: value).doubleValue }

    /// True when the value is zero.
    public var isZero: Bool { value == 0 }

    /// Equal values are equal whatever their text (`1Gi == 1024Mi`).
    public static func == (a: Quantity, b: Quantity) -> Bool { a.value == b.value }
    /// Orders by value.
    public static func < (a: Quantity, b: Quantity) -> Bool { a.value < b.value }
    /// Hashes the value, consistently with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(Self.canonical(value, format: .decimalSI)) }

    /// The sum, formatted in the left operand's style.
    public static func + (a: Quantity, b: Quantity) -> Quantity { Quantity(value: a.value + b.value, format: a.format) }
    /// The difference, formatted in the left operand's style.
    public static func - (a: Quantity, b: Quantity) -> Quantity { Quantity(value: a.value - b.value, format: a.format) }
    /// The product with an integer (for example a per-replica request times replicas).
    public static func * (a: Quantity, n: Int) -> Quantity { Quantity(value: a.value * Decimal(n), format: a.format) }

    // MARK: Helpers

    static func pow10(_ e: Int) -> Decimal { Decimal(sign: .plus, exponent: e, significand: 1) }

    static func pow1024(_ n: Int) -> Decimal {
        var r: Decimal = 1
        for _ in 0..<n { r *= 1024 }
        return r
    }

    static func isWhole(_ d: Decimal) -> Bool {
        var x = d
        var rounded = Decimal()
        NSDecimalRound(&rounded, &x, 0, .down)
        return rounded == d
    }

    static func ceilInt64(_ d: Decimal) -> Int64 {
        var x = d
        var rounded = Decimal()
        NSDecimalRound(&rounded, &x, 0, .up)
        if rounded > Decimal(Int64.max) { return Int64.max }
        if rounded < Decimal(Int64.min) { return Int64.min }
        return NSDecimalNumber(decimal: rounded).int64Value
    }

    static func plain(_ d: Decimal) -> String {
        var s = NSDecimalNumber(decimal: d).description(withLocale: Locale(identifier: "en_US_POSIX"))
        if s == "-0" { s = "0" }
        return s
    }

    /// The canonical text of a value: the largest suffix that keeps an integer mantissa.
    static func canonical(_ raw: Decimal, format: Format) -> String {
        if raw == 0 { return "0" }
        // Kubernetes keeps at most nano precision and rounds up.
        var x = raw * 1_000_000_000
        var rounded = Decimal()
        NSDecimalRound(&rounded, &x, 0, .up)
        let value = rounded / 1_000_000_000
        let negative = value < 0
        let magnitude = negative ? -value : value
        let sign = negative ? "-" : ""
        if format == .binarySI, isWhole(magnitude), magnitude >= 1024 {
            for (suffix, power) in binarySuffixes.reversed() {
                let q = magnitude / pow1024(power)
                if isWhole(q) { return sign + plain(q) + suffix }
            }
        }
        let units: [(String, Int)] = format == .decimalExponent
            ? stride(from: -9, through: 18, by: 3).filter { $0 != 0 }.map { ("e\($0)", $0) }
            : decimalSuffixes
        for (suffix, exp) in units.reversed() where exp > 0 {
            let q = magnitude / pow10(exp)
            if isWhole(q) { return sign + plain(q) + suffix }
        }
        if isWhole(magnitude) { return sign + plain(magnitude) }
        // Fractions: the coarsest sub-unit that keeps the mantissa whole (nano always does after rounding).
        for (suffix, exp) in units.reversed() where exp < 0 {
            let q = magnitude / pow10(exp)
            if isWhole(q) { return sign + plain(q) + suffix }
        }
        return sign + plain(magnitude)
    }
}

/// core/v1 ResourceRequirements: requests and limits per resource name (`cpu`, `memory`, ...).
public struct ResourceRequirements: Codable, Hashable, Sendable {
    /// The most the container may use.
    public var limits: [String: Quantity]?
    /// What the scheduler reserves for the container.
    public var requests: [String: Quantity]?

    /// Creates requirements.
    public init(limits: [String: Quantity]? = nil, requests: [String: Quantity]? = nil) {
        self.limits = limits
        self.requests = requests
    }
}
