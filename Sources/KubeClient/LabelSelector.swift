import Foundation

/// metav1.LabelSelector: the structured selector used in specs (NetworkPolicy, PVC, ...).
public struct LabelSelector: Codable, Hashable, Sendable {
    /// Labels that must be present with exactly these values.
    public var matchLabels: [String: String]?
    /// Further requirements.
    public var matchExpressions: [LabelSelectorRequirement]?

    /// Creates a selector; an empty one selects everything.
    public init(matchLabels: [String: String]? = nil, matchExpressions: [LabelSelectorRequirement]? = nil) {
        self.matchLabels = matchLabels
        self.matchExpressions = matchExpressions
    }

    /// The equivalent string-form selector, for list and watch queries.
    public var selector: Selector {
        get throws(SelectorError) {
            var reqs: [Selector.Requirement] = []
            for (k, v) in (matchLabels ?? [:]) { reqs.append(.init(key: k, op: .equals, values: [v])) }
            for e in matchExpressions ?? [] {
                let op: Selector.Operator
                switch e.operator {
                case "In": op = .in
                case "NotIn": op = .notIn
                case "Exists": op = .exists
                case "DoesNotExist": op = .doesNotExist
                default: throw .invalid("unknown operator \"\(e.operator)\" for key \"\(e.key)\"")
                }
                if (op == .in || op == .notIn) && (e.values ?? []).isEmpty {
                    throw .invalid("operator \(e.operator) for key \"\(e.key)\" needs values")
                }
                reqs.append(.init(key: e.key, op: op, values: e.values ?? []))
            }
            return Selector(reqs)
        }
    }
}

/// metav1.LabelSelectorRequirement.
public struct LabelSelectorRequirement: Codable, Hashable, Sendable {
    /// The label key.
    public var key: String
    /// `In`, `NotIn`, `Exists` or `DoesNotExist`.
    public var `operator`: String
    /// The values for `In` and `NotIn`.
    public var values: [String]?

    /// Creates a requirement.
    public init(key: String, operator: String, values: [String]? = nil) {
        self.key = key
        self.operator = `operator`
        self.values = values
    }
}

/// Errors raised while parsing a label selector.
public enum SelectorError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The selector text or structure is invalid.
    case invalid(String)

    public var description: String {
        switch self {
        case .invalid(let m): return "invalid label selector: \(m)"
        }
    }
}

/// A parsed label selector (`app=web,tier in (a,b),!canary`) that can match label sets locally
/// (informer stores) and render itself for the `labelSelector` query parameter.
public struct Selector: Hashable, Sendable, CustomStringConvertible {
    /// A requirement operator.
    public enum Operator: String, Hashable, Sendable {
        /// `k=v` or `k==v`.
        case equals = "="
        /// `k!=v` (also matches when the label is absent).
        case notEquals = "!="
        /// `k in (a,b)`.
        case `in` = "in"
        /// `k notin (a,b)` (also matches when the label is absent).
        case notIn = "notin"
        /// `k`.
        case exists = ""
        /// `!k`.
        case doesNotExist = "!"
        /// `k>n` (integer comparison).
        case greaterThan = ">"
        /// `k<n` (integer comparison).
        case lessThan = "<"
    }

    /// One requirement of a selector.
    public struct Requirement: Hashable, Sendable, CustomStringConvertible {
        /// The label key.
        public var key: String
        /// The operator.
        public var op: Operator
        /// The values (one for equality and comparisons, a set for `in`/`notin`, none for existence).
        public var values: [String]

        /// Creates a requirement.
        public init(key: String, op: Operator, values: [String] = []) {
            self.key = key
            self.op = op
            self.values = values
        }

        /// Whether a label set satisfies this requirement.
        public func matches(_ labels: [String: String]) -> Bool {
            let v = labels[key]
            switch op {
            case .equals: return v != nil && v == values.first
            case .notEquals: return v != values.first
            case .in: return v.map { values.contains($0) } ?? false
            case .notIn: return v.map { !values.contains($0) } ?? true
            case .exists: return v != nil
            case .doesNotExist: return v == nil
            case .greaterThan, .lessThan:
                guard let s = v, let have = Int64(s), let bound = values.first.flatMap({ Int64($0) }) else { return false }
                return op == .greaterThan ? have > bound : have < bound
            }
        }

        /// The requirement in selector syntax.
        public var description: String {
            switch op {
            case .equals, .notEquals, .greaterThan, .lessThan: return key + op.rawValue + (values.first ?? "")
            case .in, .notIn: return "\(key) \(op.rawValue) (\(values.sorted().joined(separator: ",")))"
            case .exists: return key
            case .doesNotExist: return "!" + key
            }
        }
    }

    /// The requirements; all must hold.
    public var requirements: [Requirement]

    /// A selector from requirements.
    public init(_ requirements: [Requirement] = []) { self.requirements = requirements }

    /// A selector requiring exactly these labels.
    public init(matching labels: [String: String]) {
        requirements = labels.map { Requirement(key: $0.key, op: .equals, values: [$0.value]) }
    }

    /// True when the selector selects everything.
    public var isEmpty: Bool { requirements.isEmpty }

    /// Whether a label set (nil: no labels) satisfies every requirement.
    public func matches(_ labels: [String: String]?) -> Bool {
        let l = labels ?? [:]
        return requirements.allSatisfy { $0.matches(l) }
    }

    /// The selector in the canonical string form (requirements sorted by key).
    public var description: String {
        requirements.sorted { ($0.key, $0.op.rawValue) < ($1.key, $1.op.rawValue) }
            .map(\.description).joined(separator: ",")
    }

    /// Parses the string form: comma-separated `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`,
    /// `k`, `!k`, `k>n`, `k<n`.
    public init(parsing text: String) throws(SelectorError) {
        var reqs: [Requirement] = []
        for part in try Self.splitTopLevel(text) {
            let p = part.trimmingCharacters(in: .whitespaces)
            if p.isEmpty { throw .invalid("empty requirement in \"\(text)\"") }
            reqs.append(try Self.parseRequirement(p))
        }
        requirements = reqs
    }

    private static func splitTopLevel(_ text: String) throws(SelectorError) -> [String] {
        if text.trimmingCharacters(in: .whitespaces).isEmpty { return [] }
        var parts: [String] = []
        var cur = ""
        var depth = 0
        for ch in text {
            switch ch {
            case "(": depth += 1; cur.append(ch)
            case ")":
                depth -= 1
                if depth < 0 { throw .invalid("unbalanced ')' in \"\(text)\"") }
                cur.append(ch)
            case "," where depth == 0: parts.append(cur); cur = ""
            default: cur.append(ch)
            }
        }
        if depth != 0 { throw .invalid("unbalanced '(' in \"\(text)\"") }
        parts.append(cur)
        return parts
    }

    private static func parseRequirement(_ p: String) throws(SelectorError) -> Requirement {
        if p.hasPrefix("!") {
            let key = p.dropFirst().trimmingCharacters(in: .whitespaces)
            try validateKey(key)
            return Requirement(key: key, op: .doesNotExist)
        }
        for (token, op) in [("!=", Operator.notEquals), ("==", .equals), ("=", .equals), (">", .greaterThan), ("<", .lessThan)] {
            if let r = p.range(of: token) {
                let key = p[..<r.lowerBound].trimmingCharacters(in: .whitespaces)
                let value = p[r.upperBound...].trimmingCharacters(in: .whitespaces)
                try validateKey(key)
                try validateValue(value)
                if op == .greaterThan || op == .lessThan, Int64(value) == nil {
                    throw .invalid("\"\(value)\" is not an integer in \"\(p)\"")
                }
                return Requirement(key: key, op: op, values: [value])
            }
        }
        let words = p.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        if words.count == 2 {
            let key = String(words[0])
            let rest = words[1].trimmingCharacters(in: .whitespaces)
            let op: Operator
            let setText: Substring
            if rest.hasPrefix("notin") { op = .notIn; setText = rest.dropFirst(5) }
            else if rest.hasPrefix("in") { op = .in; setText = rest.dropFirst(2) }
            else { throw .invalid("unexpected \"\(rest)\" in \"\(p)\"") }
            let set = setText.trimmingCharacters(in: .whitespaces)
            guard set.hasPrefix("("), set.hasSuffix(")") else { throw .invalid("expected (values) in \"\(p)\"") }
            let values = set.dropFirst().dropLast().split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            try validateKey(key)
            for v in values { try validateValue(v) }
            return Requirement(key: key, op: op, values: values)
        }
        try validateKey(p)
        return Requirement(key: p, op: .exists)
    }

    private static func validateKey(_ k: String) throws(SelectorError) {
        let ok = !k.isEmpty && k.count <= 317 && k.allSatisfy { $0.isLetter || $0.isNumber || "-_./".contains($0) }
        if !ok { throw .invalid("invalid label key \"\(k)\"") }
    }

    private static func validateValue(_ v: String) throws(SelectorError) {
        let ok = v.count <= 63 && v.allSatisfy { $0.isLetter || $0.isNumber || "-_.".contains($0) }
        if !ok { throw .invalid("invalid label value \"\(v)\"") }
    }
}
