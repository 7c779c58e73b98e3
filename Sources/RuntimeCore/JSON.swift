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

// MARK: Parsing and serialisation

extension JSON {
    /// Parses JSON text. Numbers without a fraction or exponent that fit in Int64 become `.int`.
    public static func parse(_ data: Data) throws -> JSON {
        var parser = JSONParser(bytes: [UInt8](data))
        return try parser.parseDocument()
    }

    /// Parses JSON text from a string.
    public static func parse(_ text: String) throws -> JSON { try parse(Data(text.utf8)) }

    /// Serialises to compact JSON text; object keys are sorted so output is deterministic.
    public func serialized(pretty: Bool = false) -> String {
        var out = ""
        out.reserveCapacity(256)
        write(to: &out, pretty: pretty, indent: 0)
        return out
    }

    /// Serialised UTF-8 bytes.
    public func data(pretty: Bool = false) -> Data { Data(serialized(pretty: pretty).utf8) }

    private func write(to out: inout String, pretty: Bool, indent: Int) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            if d.isFinite {
                if d.rounded() == d && abs(d) < 1e15 { out += String(Int64(d)) } else { out += "\(d)" }
            } else { out += "null" }
        case .string(let s): JSON.writeString(s, to: &out)
        case .array(let a):
            if a.isEmpty { out += "[]"; return }
            out += "["
            for (i, v) in a.enumerated() {
                if i > 0 { out += "," }
                if pretty { out += "\n" + String(repeating: "  ", count: indent + 1) }
                v.write(to: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { out += "\n" + String(repeating: "  ", count: indent) }
            out += "]"
        case .object(let o):
            if o.isEmpty { out += "{}"; return }
            out += "{"
            for (i, k) in o.keys.sorted().enumerated() {
                if i > 0 { out += "," }
                if pretty { out += "\n" + String(repeating: "  ", count: indent + 1) }
                JSON.writeString(k, to: &out)
                out += pretty ? ": " : ":"
                o[k]!.write(to: &out, pretty: pretty, indent: indent + 1)
            }
            if pretty { out += "\n" + String(repeating: "  ", count: indent) }
            out += "}"
        }
    }

    private static func writeString(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}

/// A small recursive-descent JSON parser that keeps integers exact and reports byte offsets on error.
struct JSONParser {
    let bytes: [UInt8]
    var pos = 0
    var depth = 0
    static let maxDepth = 512

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func parseDocument() throws -> JSON {
        skipWhitespace()
        let v = try parseValue()
        skipWhitespace()
        if pos != bytes.count { throw fail("unexpected trailing characters") }
        return v
    }

    func fail(_ msg: String) -> JSONError { .malformed("\(msg) at byte \(pos)") }

    mutating func skipWhitespace() {
        while pos < bytes.count, bytes[pos] == 0x20 || bytes[pos] == 0x0A || bytes[pos] == 0x0D || bytes[pos] == 0x09 {
            pos += 1
        }
    }

    mutating func parseValue() throws -> JSON {
        guard pos < bytes.count else { throw fail("unexpected end of input") }
        switch bytes[pos] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expect("true"); return .bool(true)
        case UInt8(ascii: "f"): try expect("false"); return .bool(false)
        case UInt8(ascii: "n"): try expect("null"); return .null
        default: return try parseNumber()
        }
    }

    mutating func expect(_ word: String) throws {
        for b in word.utf8 {
            guard pos < bytes.count, bytes[pos] == b else { throw fail("invalid literal") }
            pos += 1
        }
    }

    mutating func parseObject() throws -> JSON {
        depth += 1
        if depth > Self.maxDepth { throw fail("nesting too deep") }
        defer { depth -= 1 }
        pos += 1
        var o: [String: JSON] = [:]
        skipWhitespace()
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(o) }
        while true {
            skipWhitespace()
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: "\"") else { throw fail("expected object key") }
            let k = try parseString()
            skipWhitespace()
            guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else { throw fail("expected ':'") }
            pos += 1
            skipWhitespace()
            o[k] = try parseValue()
            skipWhitespace()
            guard pos < bytes.count else { throw fail("unterminated object") }
            if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
            if bytes[pos] == UInt8(ascii: "}") { pos += 1; return .object(o) }
            throw fail("expected ',' or '}'")
        }
    }

    mutating func parseArray() throws -> JSON {
        depth += 1
        if depth > Self.maxDepth { throw fail("nesting too deep") }
        defer { depth -= 1 }
        pos += 1
        var a: [JSON] = []
        skipWhitespace()
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(a) }
        while true {
            skipWhitespace()
            a.append(try parseValue())
            skipWhitespace()
            guard pos < bytes.count else { throw fail("unterminated array") }
            if bytes[pos] == UInt8(ascii: ",") { pos += 1; continue }
            if bytes[pos] == UInt8(ascii: "]") { pos += 1; return .array(a) }
            throw fail("expected ',' or ']'")
        }
    }

    mutating func parseString() throws -> String {
        pos += 1
        var buf: [UInt8] = []
        while true {
            guard pos < bytes.count else { throw fail("unterminated string") }
            let b = bytes[pos]
            if b == UInt8(ascii: "\"") { pos += 1; break }
            if b < 0x20 { throw fail("control character in string") }
            if b == UInt8(ascii: "\\") {
                pos += 1
                guard pos < bytes.count else { throw fail("unterminated escape") }
                let e = bytes[pos]
                pos += 1
                switch e {
                case UInt8(ascii: "\""): buf.append(0x22)
                case UInt8(ascii: "\\"): buf.append(0x5C)
                case UInt8(ascii: "/"): buf.append(0x2F)
                case UInt8(ascii: "b"): buf.append(0x08)
                case UInt8(ascii: "f"): buf.append(0x0C)
                case UInt8(ascii: "n"): buf.append(0x0A)
                case UInt8(ascii: "r"): buf.append(0x0D)
                case UInt8(ascii: "t"): buf.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try parseHex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard pos + 1 < bytes.count, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u")
                        else { throw fail("lone surrogate") }
                        pos += 2
                        let low = try parseHex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw fail("invalid surrogate pair") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw fail("invalid unicode escape") }
                    buf.append(contentsOf: Array(String(Character(u)).utf8))
                default: throw fail("invalid escape")
                }
                continue
            }
            buf.append(b)
            pos += 1
        }
        guard let s = String(validating: buf, as: UTF8.self) else { throw fail("invalid UTF-8 in string") }
        return s
    }

    mutating func parseHex4() throws -> UInt32 {
        guard pos + 4 <= bytes.count else { throw fail("short unicode escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[pos]
            pos += 1
            v <<= 4
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v |= UInt32(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v |= UInt32(c - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): v |= UInt32(c - UInt8(ascii: "A") + 10)
            default: throw fail("invalid hex digit")
            }
        }
        return v
    }

    mutating func parseNumber() throws -> JSON {
        let start = pos
        var isFloat = false
        if pos < bytes.count, bytes[pos] == UInt8(ascii: "-") { pos += 1 }
        guard pos < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[pos]) else {
            throw fail("unexpected character")
        }
        while pos < bytes.count {
            let c = bytes[pos]
            if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) { pos += 1; continue }
            if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E")
                || ((c == UInt8(ascii: "+") || c == UInt8(ascii: "-")) && isFloat)
            {
                isFloat = true
                pos += 1
                continue
            }
            break
        }
        let text = String(decoding: bytes[start..<pos], as: UTF8.self)
        if !isFloat, let i = Int64(text) { return .int(i) }
        guard let d = Double(text) else { throw fail("invalid number '\(text)'") }
        return .double(d)
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

    /// Converts any Encodable value into a JSON value.
    public init<T: Encodable>(encoding value: T) throws {
        let data = try JSONEncoder().encode(value)
        self = try JSON.parse(data)
    }

    /// Decodes a Decodable value from this JSON value.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: data())
    }
}

extension JSON: CustomStringConvertible {
    public var description: String { serialized() }
}
