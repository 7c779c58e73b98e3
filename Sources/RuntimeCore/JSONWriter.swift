import FoundationEssentials

/// Serialises ``JSON`` values into a UTF-8 byte buffer.
///
/// Every response body of kube-emulator, every watch frame and every request body of our clients goes
/// through here, so it works on bytes: string contents are copied in runs between the characters that
/// need escaping (no per-scalar `String` appends, which were ~27 % of the emulator's profile), integers
/// are written digit by digit, and the buffer grows geometrically. The output is exactly what the
/// String-based writer produced before: object keys sorted (Swift `String` order), `/` and non-ASCII
/// characters unescaped, control characters as `\n`, `\r`, `\t` or lowercase `\u00xx`, whole doubles
/// below 1e15 written as integers, non-finite doubles as `null`.
public struct JSONWriter {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []
    /// Indent nested values by two spaces per level, `": "` between key and value.
    public let pretty: Bool

    /// A writer with `capacity` bytes reserved.
    public init(pretty: Bool = false, capacity: Int = 256) {
        self.pretty = pretty
        bytes.reserveCapacity(capacity)
    }

    /// Appends one value.
    public mutating func write(_ value: JSON) { write(value, indent: 0) }

    /// Appends raw bytes (already valid JSON, such as a frame's separator or a pre-built fragment).
    public mutating func append(raw: some Sequence<UInt8>) { bytes.append(contentsOf: raw) }

    /// Appends a string literal's bytes unchanged (punctuation, keys known not to need escaping).
    public mutating func append(raw: StaticString) {
        raw.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    private mutating func write(_ value: JSON, indent: Int) {
        switch value {
        case .null: append(raw: "null")
        case .bool(let b): append(raw: b ? "true" : "false")
        case .int(let i): writeInteger(i)
        case .double(let d):
            if d.isFinite {
                if d.rounded() == d && abs(d) < 1e15 { writeInteger(Int64(d)) } else { bytes.append(contentsOf: "\(d)".utf8) }
            } else {
                append(raw: "null")
            }
        case .string(let s): writeString(s)
        case .array(let a):
            if a.isEmpty { append(raw: "[]"); return }
            bytes.append(UInt8(ascii: "["))
            for (i, v) in a.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                if pretty { newline(indent + 1) }
                write(v, indent: indent + 1)
            }
            if pretty { newline(indent) }
            bytes.append(UInt8(ascii: "]"))
        case .object(let o):
            if o.isEmpty { append(raw: "{}"); return }
            bytes.append(UInt8(ascii: "{"))
            // Sorting key/value pairs avoids a second hash lookup per key.
            for (i, (k, v)) in o.sorted(by: { $0.key < $1.key }).enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                if pretty { newline(indent + 1) }
                writeString(k)
                if pretty { append(raw: ": ") } else { bytes.append(UInt8(ascii: ":")) }
                write(v, indent: indent + 1)
            }
            if pretty { newline(indent) }
            bytes.append(UInt8(ascii: "}"))
        }
    }

    private mutating func newline(_ indent: Int) {
        bytes.append(0x0A)
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: 2 * indent))
    }

    /// Appends a decimal integer without going through `String`.
    public mutating func writeInteger(_ value: Int64) {
        if value == 0 { bytes.append(UInt8(ascii: "0")); return }
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        // Magnitude as UInt64 so that Int64.min does not overflow.
        var m = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 20 digits at most, filled from the right
        withUnsafeMutableBytes(of: &digits) { buf in
            var i = buf.count
            while m > 0 {
                i -= 1
                buf[i] = UInt8(ascii: "0") + UInt8(m % 10)
                m /= 10
            }
            bytes.append(contentsOf: buf[i...])
        }
    }

    /// Appends a quoted, escaped string. Runs of bytes that need no escape are copied in one go.
    public mutating func writeString(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { utf8 in
            var runStart = 0
            for i in 0..<utf8.count {
                let b = utf8[i]
                guard b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") else { continue }
                if runStart < i { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i])) }
                runStart = i + 1
                switch b {
                case UInt8(ascii: "\""): append(raw: "\\\"")
                case UInt8(ascii: "\\"): append(raw: "\\\\")
                case 0x0A: append(raw: "\\n")
                case 0x0D: append(raw: "\\r")
                case 0x09: append(raw: "\\t")
                default:
                    append(raw: "\\u00")
                    bytes.append(Self.hexDigit(b >> 4))
                    bytes.append(Self.hexDigit(b & 0x0F))
                }
            }
            if runStart < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...])) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? UInt8(ascii: "0") + v : UInt8(ascii: "a") + v - 10 }
}

extension JSON {
    /// Serialised UTF-8 bytes (compact unless `pretty`); object keys sorted, so output is deterministic.
    public func utf8Bytes(pretty: Bool = false) -> [UInt8] {
        var w = JSONWriter(pretty: pretty)
        w.write(self)
        return w.bytes
    }

    /// Serialises to JSON text; object keys are sorted so output is deterministic.
    public func serialized(pretty: Bool = false) -> String {
        String(decoding: utf8Bytes(pretty: pretty), as: UTF8.self)
    }

    /// Serialised UTF-8 bytes as `Data`.
    public func data(pretty: Bool = false) -> Data { Data(utf8Bytes(pretty: pretty)) }
}
