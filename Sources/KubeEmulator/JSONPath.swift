import Foundation
import RuntimeCore

/// The subset of Kubernetes JSONPath that printer columns use: `.a.b`, `['a.b']`, `[0]`, `[-1]`, `[*]`,
/// `.*`, `..name` and filters `[?(@.type=="Ready")]` (==, !=, <, <=, >, >= against string or number
/// literals, or bare `@.field` for existence). An optional `{...}` wrapper and leading `$` are accepted.
struct JSONPath: Equatable {
    indirect enum Step: Equatable {
        case field(String)
        case index(Int)
        case wildcard
        case recursive(String)
        case filter(path: [Step], op: String?, literal: JSON?)
    }

    let steps: [Step]

    /// Parses an expression; nil when it is not valid.
    init?(_ text: String) {
        var s = text.trimmingCharacters(in: .whitespaces)
        if s.hasPrefix("{") && s.hasSuffix("}") { s = String(s.dropFirst().dropLast()) }
        if s.hasPrefix("$") { s.removeFirst() }
        var parser = Parser(chars: Array(s))
        guard let steps = parser.parseSteps(stopAt: nil), parser.pos == parser.chars.count else { return nil }
        self.steps = steps
    }

    /// All values the path selects in `root`.
    func evaluate(_ root: JSON) -> [JSON] { Self.evaluate(steps, [root]) }

    private static func evaluate(_ steps: [Step], _ nodes: [JSON]) -> [JSON] {
        var current = nodes
        for step in steps {
            var next: [JSON] = []
            for node in current {
                switch step {
                case .field(let f): if let v = node.objectValue?[f] { next.append(v) }
                case .index(let i):
                    if let a = node.arrayValue {
                        let idx = i < 0 ? a.count + i : i
                        if a.indices.contains(idx) { next.append(a[idx]) }
                    }
                case .wildcard:
                    if let a = node.arrayValue { next += a } else if let o = node.objectValue { next += o.keys.sorted().map { o[$0]! } }
                case .recursive(let f): next += descend(node, f)
                case .filter(let path, let op, let literal):
                    for item in node.arrayValue ?? [] where matches(item, path, op, literal) { next.append(item) }
                }
            }
            current = next
        }
        return current
    }

    private static func descend(_ node: JSON, _ field: String) -> [JSON] {
        var out: [JSON] = []
        if let o = node.objectValue {
            if let v = o[field] { out.append(v) }
            for k in o.keys.sorted() { out += descend(o[k]!, field) }
        } else if let a = node.arrayValue {
            for e in a { out += descend(e, field) }
        }
        return out
    }

    private static func matches(_ item: JSON, _ path: [Step], _ op: String?, _ literal: JSON?) -> Bool {
        let values = evaluate(path, [item])
        guard let op, let literal else { return !values.isEmpty }
        return values.contains { v in
            if let a = v.doubleValue, let b = literal.doubleValue {
                switch op {
                case "==": return a == b
                case "!=": return a != b
                case "<": return a < b
                case "<=": return a <= b
                case ">": return a > b
                case ">=": return a >= b
                default: return false
                }
            }
            let a = v.stringValue ?? v.serialized(), b = literal.stringValue ?? literal.serialized()
            switch op {
            case "==": return a == b
            case "!=": return a != b
            case "<": return a < b
            case "<=": return a <= b
            case ">": return a > b
            case ">=": return a >= b
            default: return false
            }
        }
    }

    private struct Parser {
        let chars: [Character]
        var pos = 0

        private func peek(_ offset: Int = 0) -> Character? { pos + offset < chars.count ? chars[pos + offset] : nil }

        private mutating func name() -> String {
            let start = pos
            while let c = peek(), c != ".", c != "[", c != "]", c != ")", c != " ", c != "=", c != "!", c != "<", c != ">" { pos += 1 }
            return String(chars[start..<pos])
        }

        mutating func parseSteps(stopAt stop: Character?) -> [Step]? {
            var steps: [Step] = []
            while let c = peek(), c != stop {
                if c == "." {
                    pos += 1
                    if peek() == "." {
                        pos += 1
                        let n = name()
                        guard !n.isEmpty else { return nil }
                        steps.append(.recursive(n))
                    } else if peek() == "*" {
                        pos += 1
                        steps.append(.wildcard)
                    } else {
                        let n = name()
                        if !n.isEmpty { steps.append(.field(n)) }
                    }
                } else if c == "[" {
                    pos += 1
                    guard let step = bracket() else { return nil }
                    steps.append(step)
                } else if stop != nil, c == " " || c == "=" || c == "!" || c == "<" || c == ">" {
                    return steps
                } else {
                    return nil
                }
            }
            return steps
        }

        private mutating func bracket() -> Step? {
            if peek() == "*" && peek(1) == "]" { pos += 2; return .wildcard }
            if let q = peek(), q == "'" || q == "\"" {
                pos += 1
                let start = pos
                while let c = peek(), c != q { pos += 1 }
                guard peek() == q, peek(1) == "]" else { return nil }
                let key = String(chars[start..<pos])
                pos += 2
                return .field(key)
            }
            if peek() == "?" && peek(1) == "(" && peek(2) == "@" {
                pos += 3
                guard let path = parseSteps(stopAt: ")") else { return nil }
                while peek() == " " { pos += 1 }
                var op: String?
                var literal: JSON?
                if let c = peek(), "=!<>".contains(c) {
                    var o = String(c)
                    pos += 1
                    if peek() == "=" { o += "="; pos += 1 }
                    op = o
                    while peek() == " " { pos += 1 }
                    guard let lit = literalValue() else { return nil }
                    literal = lit
                    while peek() == " " { pos += 1 }
                }
                guard peek() == ")", peek(1) == "]" else { return nil }
                pos += 2
                return .filter(path: path, op: op, literal: literal)
            }
            let start = pos
            while let c = peek(), c != "]" { pos += 1 }
            guard peek() == "]", let i = Int(String(chars[start..<pos]).trimmingCharacters(in: .whitespaces)) else { return nil }
            pos += 1
            return .index(i)
        }

        private mutating func literalValue() -> JSON? {
            if let q = peek(), q == "'" || q == "\"" {
                pos += 1
                let start = pos
                while let c = peek(), c != q { pos += 1 }
                guard peek() == q else { return nil }
                let s = String(chars[start..<pos])
                pos += 1
                return .string(s)
            }
            let start = pos
            while let c = peek(), c != ")", c != " " { pos += 1 }
            let text = String(chars[start..<pos])
            if let i = Int64(text) { return .int(i) }
            if let d = Double(text) { return .double(d) }
            if text == "true" || text == "false" { return .bool(text == "true") }
            return nil
        }
    }
}
