import CYaml

/// YAML reading (over libyaml's event API) into ``JSON`` values, and block-style YAML writing.
///
/// Plain scalars resolve like the YAML 1.2 core schema (what Kubernetes manifests assume): `null`/`~`/empty,
/// `true`/`false`, decimal/`0x`/`0o` integers, floats including `.inf`/`.nan`; everything else, and every
/// quoted or block scalar, is a string. Anchors, aliases and `<<` merge keys are resolved while loading.
public enum YAML {
    /// All documents of a (multi-document) stream. Empty documents (e.g. a trailing `---`) are skipped.
    public static func parseAll(_ text: String, source: String = "<input>") throws(YAMLError) -> [JSON] {
        try YAMLLoader(text: text, source: source).loadAll().map(\.value)
    }

    /// Exactly one document (an empty stream gives .null); more than one document is an error.
    public static func parse(_ text: String, source: String = "<input>") throws(YAMLError) -> JSON {
        let loader = YAMLLoader(text: text, source: source)
        let docs = try loader.loadAll()
        if docs.count > 1 {
            throw loader.error(at: docs[1].mark, "expected a single YAML document but the stream has \(docs.count)")
        }
        return docs.first?.value ?? .null
    }

    /// Serialises a JSON value as block-style YAML (strings quoted when they would otherwise re-parse as another type).
    public static func emit(_ value: JSON) -> String { YAMLEmitter.emit(value) }
}

/// A YAML syntax or structure error, positioned 1-based in the input.
public struct YAMLError: Error, CustomStringConvertible, Sendable {
    /// Where the text came from (a file name, or `<input>`).
    public let source: String
    /// 1-based line of the problem.
    public let line: Int
    /// 1-based column of the problem.
    public let column: Int
    /// What went wrong, without the position.
    public let message: String

    /// Creates an error; `line` and `column` are 1-based.
    public init(source: String, line: Int, column: Int, message: String) {
        self.source = source
        self.line = line
        self.column = column
        self.message = message
    }

    /// `source:line:column: message`.
    public var description: String { "\(source):\(line):\(column): \(message)" }
}

// MARK: Loading

/// A 0-based position as libyaml reports it.
struct YAMLMark {
    var line: Int
    var column: Int
}

/// libyaml events, copied out of C memory so the C event can be freed at once.
private enum YAMLEvent {
    case streamStart, streamEnd, documentStart, documentEnd
    case alias(String)
    case scalar(value: String, tag: String?, anchor: String?, plain: Bool)
    case sequenceStart(anchor: String?), sequenceEnd
    case mappingStart(anchor: String?), mappingEnd
}

/// A collection under construction. An explicit stack (rather than recursion) keeps deep nesting off the
/// thread stack, which is small on secondary threads.
private struct YAMLFrame {
    enum PendingKey { case key(String, YAMLMark), merge }

    let isMapping: Bool
    let anchor: String?
    let mark: YAMLMark
    var nodes = 1
    var items: [JSON] = []
    var entries: [String: JSON] = [:]
    var merges: [[String: JSON]] = []
    var pendingKey: PendingKey?

    /// Explicit keys win over merged ones; among merged maps, earlier ones win.
    func finishMapping() -> JSON {
        var result = entries
        for m in merges {
            for (k, v) in m where result[k] == nil { result[k] = v }
        }
        return .object(result)
    }
}

final class YAMLLoader {
    /// Caps the nodes that aliases add to a document, so a "billion laughs" document fails fast. Nodes
    /// written out literally are not counted: they are already bounded by the input size.
    static let maxExpandedNodes = 1_000_000
    /// Deeper trees would overflow the stack in recursive consumers (serialisation, deinit).
    static let maxDepth = 512

    let source: String
    private let input: UnsafeMutableBufferPointer<UInt8>
    private let parser: UnsafeMutablePointer<yaml_parser_t>
    private let initialized: Bool
    private var anchors: [String: (value: JSON, nodes: Int)] = [:]
    private var expanded = 0
    private var stack: [YAMLFrame] = []
    private var root: JSON?

    init(text: String, source: String) {
        self.source = source
        let bytes = Array(text.utf8)
        input = .allocate(capacity: max(bytes.count, 1))
        _ = input.initialize(from: bytes)
        parser = .allocate(capacity: 1)
        initialized = yaml_parser_initialize(parser) == 1
        if initialized { yaml_parser_set_input_string(parser, input.baseAddress, bytes.count) }
    }

    deinit {
        if initialized { yaml_parser_delete(parser) }
        parser.deallocate()
        input.deallocate()
    }

    func error(at mark: YAMLMark, _ message: String) -> YAMLError {
        YAMLError(source: source, line: mark.line + 1, column: mark.column + 1, message: message)
    }

    /// Every non-empty document with the position of its start.
    func loadAll() throws(YAMLError) -> [(value: JSON, mark: YAMLMark)] {
        guard initialized else { throw error(at: YAMLMark(line: 0, column: 0), "cannot initialise the YAML parser") }
        var docs: [(value: JSON, mark: YAMLMark)] = []
        var docMark = YAMLMark(line: 0, column: 0)
        var rootIsEmpty = false
        while true {
            let (event, mark) = try next()
            switch event {
            case .streamStart:
                continue
            case .streamEnd:
                return docs
            case .documentStart:
                // Anchors are scoped to their document.
                anchors = [:]
                expanded = 0
                root = nil
                docMark = mark
            case .documentEnd:
                if let r = root, !rootIsEmpty { docs.append((r, docMark)) }
                root = nil
            case .alias(let name):
                guard let anchored = anchors[name] else { throw error(at: mark, "unknown alias '*\(name)'") }
                expanded += anchored.nodes
                if expanded > Self.maxExpandedNodes {
                    throw error(at: mark, "aliases expand to more than \(Self.maxExpandedNodes) nodes")
                }
                try deliver(anchored.value, nodes: anchored.nodes, isMergeKey: false, mark: mark)
            case .scalar(let value, let tag, let anchor, let plain):
                let resolved = try resolveScalar(value, tag: tag, plain: plain, mark: mark)
                if stack.isEmpty { rootIsEmpty = plain && tag == nil && anchor == nil && value.isEmpty }
                if let anchor { anchors[anchor] = (resolved, 1) }
                try deliver(resolved, nodes: 1, isMergeKey: plain && tag == nil && value == "<<", mark: mark)
            case .sequenceStart(let anchor), .mappingStart(let anchor):
                if stack.count >= Self.maxDepth {
                    throw error(at: mark, "nesting is deeper than \(Self.maxDepth) levels")
                }
                if stack.isEmpty { rootIsEmpty = false }
                var isMapping = false
                if case .mappingStart = event { isMapping = true }
                stack.append(YAMLFrame(isMapping: isMapping, anchor: anchor, mark: mark))
            case .sequenceEnd, .mappingEnd:
                let frame = stack.removeLast()
                let value = frame.isMapping ? frame.finishMapping() : .array(frame.items)
                if let anchor = frame.anchor { anchors[anchor] = (value, frame.nodes) }
                try deliver(value, nodes: frame.nodes, isMergeKey: false, mark: frame.mark)
            }
        }
    }

    /// Hands a finished node to the collection being built (or makes it the document root).
    private func deliver(_ value: JSON, nodes: Int, isMergeKey: Bool, mark: YAMLMark) throws(YAMLError) {
        guard !stack.isEmpty else { root = value; return }
        let i = stack.count - 1
        stack[i].nodes += nodes
        guard stack[i].isMapping else { stack[i].items.append(value); return }
        guard let pending = stack[i].pendingKey else {
            stack[i].pendingKey = isMergeKey ? .merge : .key(try keyString(value, mark: mark), mark)
            return
        }
        stack[i].pendingKey = nil
        switch pending {
        case .merge:
            switch value {
            case .object(let o):
                stack[i].merges.append(o)
            case .array(let list):
                for item in list {
                    guard case .object(let o) = item else {
                        throw error(at: mark, "merge key '<<' needs a mapping or a list of mappings")
                    }
                    stack[i].merges.append(o)
                }
            default:
                throw error(at: mark, "merge key '<<' needs a mapping or a list of mappings")
            }
        case .key(let key, let keyMark):
            if stack[i].entries[key] != nil { throw error(at: keyMark, "duplicate mapping key \"\(key)\"") }
            stack[i].entries[key] = value
        }
    }

    /// Non-string scalar keys become their string form (as sigs.k8s.io/yaml does when converting to JSON).
    private func keyString(_ value: JSON, mark: YAMLMark) throws(YAMLError) -> String {
        switch value {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .double(let d): return YAMLScalar.format(d)
        case .array, .object: throw error(at: mark, "mapping keys must be scalars, not collections")
        }
    }

    private func resolveScalar(_ s: String, tag: String?, plain: Bool, mark: YAMLMark) throws(YAMLError) -> JSON {
        switch tag {
        case "tag:yaml.org,2002:str", "!":
            return .string(s)
        case "tag:yaml.org,2002:null":
            return .null
        case "tag:yaml.org,2002:bool":
            guard let b = YAMLScalar.bool(s) else { throw error(at: mark, "invalid !!bool value \"\(s)\"") }
            return .bool(b)
        case "tag:yaml.org,2002:int":
            guard let i = YAMLScalar.int(s) else { throw error(at: mark, "invalid !!int value \"\(s)\"") }
            return i
        case "tag:yaml.org,2002:float":
            if let d = YAMLScalar.float(s) { return .double(d) }
            if let i = YAMLScalar.int(s)?.doubleValue { return .double(i) }
            throw error(at: mark, "invalid !!float value \"\(s)\"")
        default:
            // Unknown tags (e.g. !!binary, !custom) do not change how the text reads.
            return plain ? YAMLScalar.resolvePlain(s) : .string(s)
        }
    }

    private func next() throws(YAMLError) -> (YAMLEvent, YAMLMark) {
        var event = yaml_event_t()
        guard yaml_parser_parse(parser, &event) == 1 else { throw parserError() }
        defer { yaml_event_delete(&event) }
        let mark = YAMLMark(line: event.start_mark.line, column: event.start_mark.column)
        func string(_ p: UnsafeMutablePointer<yaml_char_t>?) -> String? { p.map { String(cString: $0) } }
        switch event.type {
        case YAML_STREAM_START_EVENT: return (.streamStart, mark)
        case YAML_STREAM_END_EVENT: return (.streamEnd, mark)
        case YAML_DOCUMENT_START_EVENT: return (.documentStart, mark)
        case YAML_DOCUMENT_END_EVENT: return (.documentEnd, mark)
        case YAML_ALIAS_EVENT: return (.alias(string(event.data.alias.anchor) ?? ""), mark)
        case YAML_SCALAR_EVENT:
            let s = event.data.scalar
            let value = String(decoding: UnsafeBufferPointer(start: s.value, count: s.length), as: UTF8.self)
            return (.scalar(value: value, tag: string(s.tag), anchor: string(s.anchor),
                            plain: s.style == YAML_PLAIN_SCALAR_STYLE), mark)
        case YAML_SEQUENCE_START_EVENT: return (.sequenceStart(anchor: string(event.data.sequence_start.anchor)), mark)
        case YAML_SEQUENCE_END_EVENT: return (.sequenceEnd, mark)
        case YAML_MAPPING_START_EVENT: return (.mappingStart(anchor: string(event.data.mapping_start.anchor)), mark)
        case YAML_MAPPING_END_EVENT: return (.mappingEnd, mark)
        default: throw error(at: mark, "unexpected YAML event")
        }
    }

    /// Turns libyaml's problem/context into one positioned message.
    private func parserError() -> YAMLError {
        let p = parser.pointee
        var message = p.problem.map { String(cString: $0) } ?? "invalid YAML"
        var mark = YAMLMark(line: p.problem_mark.line, column: p.problem_mark.column)
        switch p.error {
        case YAML_MEMORY_ERROR:
            message = "out of memory while parsing YAML"
        case YAML_READER_ERROR:
            // The reader only knows a byte offset; derive line and column from it.
            let end = min(p.problem_offset, input.count)
            var line = 0, lineStart = 0
            for i in 0..<end where input[i] == 0x0A { line += 1; lineStart = i + 1 }
            mark = YAMLMark(line: line, column: end - lineStart)
            if p.problem_value != -1 {
                let hex = String(p.problem_value, radix: 16, uppercase: true)
                message += " (#x\(hex.count < 2 ? "0" + hex : hex))"
            }
        default:
            if let context = p.context {
                message += " (\(String(cString: context)) at line \(p.context_mark.line + 1), "
                    + "column \(p.context_mark.column + 1))"
            }
        }
        return error(at: mark, message)
    }
}

// MARK: Scalars

/// Core-schema scalar resolution, shared by the loader and the emitter (which quotes what would not
/// read back as a string).
enum YAMLScalar {
    static func resolvePlain(_ s: String) -> JSON {
        if isNull(s) { return .null }
        if let b = bool(s) { return .bool(b) }
        if let i = int(s) { return i }
        if let d = float(s) { return .double(d) }
        return .string(s)
    }

    static func isNull(_ s: String) -> Bool { s.isEmpty || s == "~" || s == "null" || s == "Null" || s == "NULL" }

    static func bool(_ s: String) -> Bool? {
        switch s {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: return nil
        }
    }

    /// Decimal (optionally signed), `0x` hex or `0o` octal. A decimal too big for Int64 becomes a double,
    /// as the core schema's float pattern also matches it.
    static func int(_ s: String) -> JSON? {
        let u = Array(s.utf8)
        guard !u.isEmpty else { return nil }
        if u.count > 2, u[0] == UInt8(ascii: "0"), u[1] == UInt8(ascii: "x") || u[1] == UInt8(ascii: "o") {
            let radix = u[1] == UInt8(ascii: "x") ? 16 : 8
            let digits = String(decoding: u[2...], as: UTF8.self)
            guard digits.utf8.allSatisfy({ isDigit($0, radix: radix) }) else { return nil }
            return Int64(digits, radix: radix).map(JSON.int)
        }
        let start = (u[0] == UInt8(ascii: "-") || u[0] == UInt8(ascii: "+")) ? 1 : 0
        guard u.count > start, u[start...].allSatisfy({ isDigit($0, radix: 10) }) else { return nil }
        if let i = Int64(s) { return .int(i) }
        return Double(s).map(JSON.double)
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, or `[-+]?.inf` / `.nan` in the three spellings.
    static func float(_ s: String) -> Double? {
        switch s {
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .infinity
        case "-.inf", "-.Inf", "-.INF": return -.infinity
        case ".nan", ".NaN", ".NAN": return .nan
        default: break
        }
        let u = Array(s.utf8)
        var i = 0
        if i < u.count, u[i] == UInt8(ascii: "-") || u[i] == UInt8(ascii: "+") { i += 1 }
        var intDigits = 0, fracDigits = 0
        while i < u.count, isDigit(u[i], radix: 10) { i += 1; intDigits += 1 }
        if i < u.count, u[i] == UInt8(ascii: ".") {
            i += 1
            while i < u.count, isDigit(u[i], radix: 10) { i += 1; fracDigits += 1 }
        }
        guard intDigits > 0 || fracDigits > 0 else { return nil }
        if i < u.count, u[i] == UInt8(ascii: "e") || u[i] == UInt8(ascii: "E") {
            i += 1
            if i < u.count, u[i] == UInt8(ascii: "-") || u[i] == UInt8(ascii: "+") { i += 1 }
            var expDigits = 0
            while i < u.count, isDigit(u[i], radix: 10) { i += 1; expDigits += 1 }
            guard expDigits > 0 else { return nil }
        }
        guard i == u.count else { return nil }
        // Swift's parser rejects "1." and ".5"-style edge forms inconsistently; normalise them first.
        var text = s
        if text.hasSuffix(".") { text += "0" }
        return Double(text)
    }

    static func isDigit(_ c: UInt8, radix: Int) -> Bool {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "7"): return true
        case UInt8(ascii: "8"), UInt8(ascii: "9"): return radix >= 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "A")...UInt8(ascii: "F"): return radix == 16
        default: return false
        }
    }

    /// Whole numbers print without a fraction (as Go's strconv 'g' does for map keys).
    static func format(_ d: Double) -> String {
        if d.isNaN { return ".nan" }
        if d.isInfinite { return d < 0 ? "-.inf" : ".inf" }
        if d.rounded() == d && abs(d) < 1e15 { return String(Int64(d)) }
        return "\(d)"
    }
}

// MARK: Emitting

/// A hand-written block-style emitter: sorted keys, 2-space indents, sequences indented under their key,
/// strings quoted whenever a plain scalar would read back as something else.
enum YAMLEmitter {
    /// Keys longer than libyaml's 1024-character simple-key limit are written in explicit `? key` form.
    static let maxSimpleKeyLength = 1000

    static func emit(_ value: JSON) -> String {
        var out = ""
        switch value {
        case .object(let o) where !o.isEmpty: writeMapping(o, indent: 0, inline: false, to: &out)
        case .array(let a) where !a.isEmpty: writeSequence(a, indent: 0, inline: false, to: &out)
        default: out += scalar(value, indent: 0) + "\n"
        }
        return out
    }

    /// `inline`: the first entry continues a line that already holds `- `.
    private static func writeMapping(_ o: [String: JSON], indent: Int, inline: Bool, to out: inout String) {
        for (i, key) in o.keys.sorted().enumerated() {
            if i > 0 || !inline { out += pad(indent) }
            let k = string(key, indent: indent, allowBlock: false)
            if k.utf8.count > maxSimpleKeyLength {
                out += "? " + k + "\n" + pad(indent) + ":"
            } else {
                out += k + ":"
            }
            switch o[key]! {
            case .object(let child) where !child.isEmpty:
                out += "\n"
                writeMapping(child, indent: indent + 2, inline: false, to: &out)
            case .array(let child) where !child.isEmpty:
                out += "\n"
                writeSequence(child, indent: indent + 2, inline: false, to: &out)
            case let v:
                out += " " + scalar(v, indent: indent) + "\n"
            }
        }
    }

    private static func writeSequence(_ a: [JSON], indent: Int, inline: Bool, to out: inout String) {
        for (i, item) in a.enumerated() {
            if i > 0 || !inline { out += pad(indent) }
            out += "- "
            switch item {
            case .object(let child) where !child.isEmpty:
                writeMapping(child, indent: indent + 2, inline: true, to: &out)
            case .array(let child) where !child.isEmpty:
                writeSequence(child, indent: indent + 2, inline: true, to: &out)
            default:
                out += scalar(item, indent: indent) + "\n"
            }
        }
    }

    private static func pad(_ n: Int) -> String { String(repeating: " ", count: n) }

    /// `indent` is the column of the collection holding the scalar; block scalar content goes 2 deeper.
    static func scalar(_ v: JSON, indent: Int) -> String {
        switch v {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d):
            // Keep a fraction or exponent so the value reads back as a float, not an int.
            if !d.isFinite { return YAMLScalar.format(d) }
            let text = "\(d)"
            return text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) ? text : text + ".0"
        case .string(let s): return string(s, indent: indent, allowBlock: true)
        case .array: return "[]"
        case .object: return "{}"
        }
    }

    static func string(_ s: String, indent: Int, allowBlock: Bool) -> String {
        if isPlainSafe(s) { return s }
        if allowBlock, let literal = literalBlock(s, indent: indent) { return literal }
        return doubleQuoted(s)
    }

    /// Whether libyaml (and YAML 1.1 readers such as older kubectl) would read `s` back, unquoted, as this
    /// same string.
    static func isPlainSafe(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, let last = s.unicodeScalars.last else { return false }
        guard case .string = YAMLScalar.resolvePlain(s) else { return false }
        if "-?:,[]{}#&*!|>'\"%@` \t".unicodeScalars.contains(first) || last == " " || last == ":" { return false }
        // Digits and sign/dot + digit: YAML 1.1 octals, sexagesimals, timestamps, "1_000".
        let scalars = Array(s.unicodeScalars.prefix(2))
        if isASCIIDigit(scalars[0]) { return false }
        if "+-.".unicodeScalars.contains(scalars[0]), scalars.count > 1, isASCIIDigit(scalars[1]) { return false }
        if s == "<<" || s.hasPrefix("...") || yaml11Words.contains(s) { return false }
        if s.contains(": ") || s.contains(" #") || s.contains("\t") { return false }
        return s.unicodeScalars.allSatisfy(isPrintable)
    }

    /// YAML 1.1 booleans; quoted so that 1.1 readers do not turn them into bools.
    private static let yaml11Words: Set<String> = [
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO",
        "on", "On", "ON", "off", "Off", "OFF",
    ]

    private static func isASCIIDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 0x30 && c.value <= 0x39 }

    /// libyaml's printable set, minus the BOM and Unicode line separators (which it treats as breaks).
    private static func isPrintable(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x20...0x7E: return true
        case 0xA0...0xD7FF: return c.value != 0x2028 && c.value != 0x2029
        case 0xE000...0xFFFD: return c.value != 0xFEFF
        case 0x10000...0x10FFFF: return true
        default: return false
        }
    }

    /// `|2` literal with explicit indentation (so leading spaces survive) and chomping chosen from the
    /// number of trailing newlines. Nil when the text cannot be a literal (control characters, no content).
    static func literalBlock(_ s: String, indent: Int) -> String? {
        guard s.contains("\n"),
              s.unicodeScalars.allSatisfy({ $0 == "\n" || $0 == "\t" || isPrintable($0) })
        else { return nil }
        var body = Substring(s)
        var trailing = 0
        while body.hasSuffix("\n") { body = body.dropLast(); trailing += 1 }
        guard !body.isEmpty else { return nil }
        let chomp = trailing == 0 ? "-" : trailing == 1 ? "" : "+"
        var out = "|2" + chomp
        let contentPad = pad(indent + 2)
        for line in body.split(separator: "\n", omittingEmptySubsequences: false) {
            out += line.isEmpty ? "\n" : "\n" + contentPad + line
        }
        // Trailing newlines beyond the first are kept as empty lines (the caller adds the last "\n").
        out += String(repeating: "\n", count: max(trailing - 1, 0))
        return out
    }

    static func doubleQuoted(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\0": out += "\\0"
            case _ where isPrintable(c): out.unicodeScalars.append(c)
            default:
                let hex = String(c.value, radix: 16, uppercase: true)
                let (prefix, width) = c.value <= 0xFF ? ("\\x", 2) : c.value <= 0xFFFF ? ("\\u", 4) : ("\\U", 8)
                out += prefix + String(repeating: "0", count: width - hex.count) + hex
            }
        }
        return out + "\""
    }
}
