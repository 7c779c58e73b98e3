import FoundationEssentials

/// A JSON-like value: what YAML documents, unstructured Kubernetes objects and etcd payloads decode into.
///
/// Integers and floating-point numbers are kept apart so that int64 fields (resourceVersion counters,
/// generations, lease ids) survive a round trip without losing precision.
public enum JSON: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])
}

/// Errors raised while decoding or encoding ``JSON`` text.
public enum JSONError: Error, CustomStringConvertible, Sendable {
    /// The text is not valid JSON; the message comes from the parser.
    case malformed(String)
    /// The top-level value was not the expected kind (for example an object).
    case unexpectedType(expected: String, got: String)

    public var description: String {
        switch self {
        case .malformed(let m): return "malformed JSON: \(m)"
        case .unexpectedType(let e, let g): return "expected a JSON \(e), got \(g)"
        }
    }
}

extension JSON {
    // MARK: Accessors

    /// The dictionary of an object, or nil.
    public var objectValue: [String: JSON]? { if case .object(let o) = self { return o } else { return nil } }
    /// The elements of an array, or nil.
    public var arrayValue: [JSON]? { if case .array(let a) = self { return a } else { return nil } }
    /// The string, or nil.
    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    /// The boolean, or nil.
    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    /// The number as an integer (a whole double counts), or nil.
    public var intValue: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d) where d.rounded() == d && abs(d) < 9.2e18: return Int64(d)
        default: return nil
        }
    }
    /// The number as a double, or nil.
    public var doubleValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }
    /// True for `.null`.
    public var isNull: Bool { if case .null = self { return true } else { return false } }

    /// The JSON type name, as used in error messages and schema validation.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int: return "integer"
        case .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// Member of an object by key; `.null` for anything else.
    public subscript(key: String) -> JSON {
        get { objectValue?[key] ?? .null }
        set {
            var o = objectValue ?? [:]
            if newValue.isNull { o.removeValue(forKey: key) } else { o[key] = newValue }
            self = .object(o)
        }
    }

    /// Element of an array by index; `.null` when out of range or not an array.
    public subscript(index: Int) -> JSON {
        guard let a = arrayValue, a.indices.contains(index) else { return .null }
        return a[index]
    }

    /// Follows a path of object keys; `.null` where any step is missing.
    public func value(at path: [String]) -> JSON {
        var cur = self
        for k in path { cur = cur[k] }
        return cur
    }

    /// Sets a value at a path of object keys, creating intermediate objects.
    public mutating func setValue(_ value: JSON, at path: [String]) {
        guard let first = path.first else { self = value; return }
        var child = self[first]
        child.setValue(value, at: Array(path.dropFirst()))
        var o = objectValue ?? [:]
        o[first] = child
        self = .object(o)
    }
}

// MARK: Literals

extension JSON: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

// MARK: Codable bridge

extension JSON: Codable {
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null; return }
        if let b = try? c.decode(Bool.self) { self = .bool(b); return }
        if let i = try? c.decode(Int64.self) { self = .int(i); return }
        if let d = try? c.decode(Double.self) { self = .double(d); return }
        if let s = try? c.decode(String.self) { self = .string(s); return }
        if let a = try? c.decode([JSON].self) { self = .array(a); return }
        if let o = try? c.decode([String: JSON].self) { self = .object(o); return }
        throw DecodingError.dataCorruptedError(in: c, debugDescription: "not a JSON value")
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .int(let i): try c.encode(i)
        case .double(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    /// Converts any Encodable value into a JSON value (``JSONValueEncoder``: no text in between).
    public init<T: Encodable>(encoding value: T) throws {
        self = try JSONValueEncoder().encode(value)
    }

    /// Decodes a Decodable value from this JSON value (``JSONValueDecoder``: no text in between).
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONValueDecoder().decode(T.self, from: self)
    }
}

extension JSON: CustomStringConvertible {
    public var description: String { serialized() }
}
