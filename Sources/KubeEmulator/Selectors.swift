import Foundation
import RuntimeCore

/// A parsed label selector (`app=web,tier!=db,env in (a,b),!legacy`), with apimachinery's semantics.
public struct LabelSelector: Sendable, Equatable {
    /// A requirement's operator.
    public enum Operator: Sendable, Equatable {
        case equals, notEquals, `in`, notIn, exists, doesNotExist, greaterThan, lessThan
    }

    /// One comma-separated term.
    public struct Requirement: Sendable, Equatable {
        /// The label key.
        public var key: String
        /// The operator.
        public var op: Operator
        /// Values (one for =, ==, !=, >, <; several for in/notin; none for existence).
        public var values: [String]
    }

    /// Terms, all of which must hold.
    public var requirements: [Requirement]

    /// The selector that matches everything.
    public static let everything = LabelSelector(requirements: [])

    /// Creates a selector from requirements.
    public init(requirements: [Requirement]) { self.requirements = requirements }

    /// Parses selector text; an empty string selects everything. Throws 400 BadRequest on syntax errors
    /// and invalid keys or values.
    public init(parsing text: String) throws(APIError) {
        var parser = LabelSelectorParser(text: text)
        requirements = try parser.parse()
    }

    /// True when there are no requirements.
    public var isEmpty: Bool { requirements.isEmpty }

    /// True when the labels satisfy every requirement.
    public func matches(_ labels: [String: String]) -> Bool {
        requirements.allSatisfy { r in
            let v = labels[r.key]
            switch r.op {
            case .equals: return v == r.values.first
            case .notEquals: return v != r.values.first
            case .in: return v.map { r.values.contains($0) } ?? false
            case .notIn: return v.map { !r.values.contains($0) } ?? true
            case .exists: return v != nil
            case .doesNotExist: return v == nil
            case .greaterThan, .lessThan:
                guard let v, let lhs = Int64(v), let rhs = r.values.first.flatMap({ Int64($0) }) else { return false }
                return r.op == .greaterThan ? lhs > rhs : lhs < rhs
            }
        }
    }
}

/// The tokenizer/parser of `labels.Parse`.
private struct LabelSelectorParser {
    let chars: [Character]
    var pos = 0

    init(text: String) { chars = Array(text) }

    private static let special: Set<Character> = [",", "=", "!", "(", ")", "<", ">"]

    private func fail(_ message: String) -> APIError {
        .badRequest("unable to parse requirement: \(message)")
    }

    private mutating func skipSpace() { while pos < chars.count, chars[pos].isWhitespace { pos += 1 } }

    private mutating func identifier() -> String {
        skipSpace()
        let start = pos
        while pos < chars.count, !chars[pos].isWhitespace, !Self.special.contains(chars[pos]) { pos += 1 }
        return String(chars[start..<pos])
    }

    private func peek() -> Character? { pos < chars.count ? chars[pos] : nil }

    private mutating func take(_ s: String) -> Bool {
        let a = Array(s)
        guard pos + a.count <= chars.count, Array(chars[pos..<pos + a.count]) == a else { return false }
        pos += a.count
        return true
    }

    mutating func parse() throws(APIError) -> [LabelSelector.Requirement] {
        var result: [LabelSelector.Requirement] = []
        skipSpace()
        if pos == chars.count { return [] }
        while true {
            result.append(try requirement())
            skipSpace()
            if pos == chars.count { return result }
            guard take(",") else { throw fail("found '\(chars[pos])', expected: ',' or 'end of string'") }
        }
    }

    private mutating func requirement() throws(APIError) -> LabelSelector.Requirement {
        skipSpace()
        if take("!") {
            let key = identifier()
            try validateKey(key)
            return .init(key: key, op: .doesNotExist, values: [])
        }
        let key = identifier()
        try validateKey(key)
        skipSpace()
        if pos == chars.count || peek() == "," { return .init(key: key, op: .exists, values: []) }
        let op: LabelSelector.Operator
        if take("==") || take("=") { op = .equals }
        else if take("!=") { op = .notEquals }
        else if take(">") { op = .greaterThan }
        else if take("<") { op = .lessThan }
        else {
            let word = identifier()
            switch word {
            case "in": op = .in
            case "notin": op = .notIn
            default: throw fail("found '\(word)', expected: in, notin, =, ==, !=, gt, lt")
            }
            skipSpace()
            guard take("(") else { throw fail("found '\(peek().map(String.init) ?? "")', expected: '('") }
            var values: [String] = []
            while true {
                let v = identifier()
                try validateValue(v)
                values.append(v)
                skipSpace()
                if take(")") { break }
                guard take(",") else { throw fail("found '\(peek().map(String.init) ?? "")', expected: ',', or ')'") }
            }
            return .init(key: key, op: op, values: values)
        }
        let value = identifier()
        if op == .greaterThan || op == .lessThan {
            guard Int64(value) != nil else {
                throw fail("for 'Gt', 'Lt' operators, the value must be an integer")
            }
        } else {
            try validateValue(value)
        }
        return .init(key: key, op: op, values: [value])
    }

    private func validateKey(_ key: String) throws(APIError) {
        if key.isEmpty { throw fail("found '\(peek().map(String.init) ?? "")', expected: identifier") }
        if let e = Validation.qualifiedNameErrors(key, field: "key").first { throw fail(e.description) }
    }

    private func validateValue(_ v: String) throws(APIError) {
        if let e = Validation.labelValueErrors(v, field: "values[0]").first { throw fail(e.description) }
    }
}

/// A parsed field selector (`metadata.name=x,status.phase!=Running`).
public struct FieldSelector: Sendable, Equatable {
    /// One term.
    public struct Requirement: Sendable, Equatable {
        /// Field label, e.g. `status.phase`.
        public var field: String
        /// True for `!=`.
        public var negated: Bool
        /// The value compared with.
        public var value: String
    }

    /// Terms, all of which must hold.
    public var requirements: [Requirement]

    /// The selector that matches everything.
    public static let everything = FieldSelector(requirements: [])

    init(requirements: [Requirement]) { self.requirements = requirements }

    /// Parses selector text (`=`, `==`, `!=`; `\,` `\=` `\\` escapes); throws 400 on syntax errors.
    public init(parsing text: String) throws(APIError) {
        var reqs: [Requirement] = []
        for term in Self.split(text, on: ",") where !term.isEmpty {
            guard let (field, op, raw) = Self.splitOperator(term) else {
                throw .badRequest("invalid selector: '\(text)'; can't understand '\(term)'")
            }
            reqs.append(Requirement(field: field, negated: op == "!=", value: Self.unescape(raw)))
        }
        requirements = reqs
    }

    /// True when there are no terms.
    public var isEmpty: Bool { requirements.isEmpty }

    /// Throws 400 `field label not supported: x` for a field the resource cannot be selected by.
    public func validate(for resource: ResourceInfo) throws(APIError) {
        let supported = FieldLabels.supported(resource)
        for r in requirements where !supported.contains(r.field) {
            throw .badRequest("field label not supported: \(r.field)")
        }
    }

    /// True when the object's field values satisfy every term.
    func matches(_ fields: [String: String]) -> Bool {
        requirements.allSatisfy { r in (fields[r.field] ?? "") == r.value ? !r.negated : r.negated }
    }

    private static func split(_ s: String, on sep: Character) -> [String] {
        var parts: [String] = []
        var cur = ""
        var escaped = false
        for c in s {
            if escaped { cur.append(c); escaped = false; continue }
            if c == "\\" { cur.append(c); escaped = true; continue }
            if c == sep { parts.append(cur); cur = ""; continue }
            cur.append(c)
        }
        parts.append(cur)
        return parts
    }

    private static func splitOperator(_ term: String) -> (String, String, String)? {
        let chars = Array(term)
        var i = 0
        while i < chars.count {
            if chars[i] == "\\" { i += 2; continue }
            for op in ["!=", "==", "="] {
                let a = Array(op)
                if i + a.count <= chars.count, Array(chars[i..<i + a.count]) == a {
                    let field = String(chars[..<i]).trimmingCharacters(in: .whitespaces)
                    return field.isEmpty ? nil : (field, op, String(chars[(i + a.count)...]))
                }
            }
            i += 1
        }
        return nil
    }

    private static func unescape(_ s: String) -> String {
        var out = ""
        var escaped = false
        for c in s {
            if escaped { out.append(c); escaped = false } else if c == "\\" { escaped = true } else { out.append(c) }
        }
        return out
    }
}

/// Which field labels each resource supports, and their values for an object.
enum FieldLabels {
    private static let eventFields = ["involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
                                      "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
                                      "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"]
    private static let podFields = ["spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
                                    "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP",
                                    "status.nominatedNodeName"]

    /// Field labels `resource` can be selected by.
    static func supported(_ resource: ResourceInfo) -> Set<String> {
        var s: Set<String> = ["metadata.name", "metadata.namespace"]
        if resource.isCustom { return s.union(resource.selectableFields) }
        switch (resource.group, resource.plural) {
        case ("", "pods"): s.formUnion(podFields)
        case ("", "secrets"): s.insert("type")
        case ("", "namespaces"): s.insert("status.phase")
        case ("", "nodes"): s.insert("spec.unschedulable")
        case ("", "events"), ("events.k8s.io", "events"): s.formUnion(eventFields)
        default: break
        }
        return s
    }

    private static func text(_ v: JSON) -> String {
        switch v {
        case .string(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .null: return ""
        default: return v.serialized()
        }
    }

    /// Values of the supported field labels for `object`.
    static func values(_ object: JSON, _ resource: ResourceInfo) -> [String: String] {
        var f: [String: String] = ["metadata.name": object.name]
        if resource.namespaced { f["metadata.namespace"] = object.namespace }
        if resource.isCustom {
            for label in resource.selectableFields {
                f[label] = text(object.value(at: label.split(separator: ".").map(String.init)))
            }
            return f
        }
        switch (resource.group, resource.plural) {
        case ("", "pods"):
            for label in podFields { f[label] = text(object.value(at: label.split(separator: ".").map(String.init))) }
            if object.value(at: ["spec", "hostNetwork"]).isNull { f["spec.hostNetwork"] = "false" }
        case ("", "secrets"): f["type"] = text(object["type"])
        case ("", "namespaces"): f["status.phase"] = text(object.value(at: ["status", "phase"]))
        case ("", "nodes"): f["spec.unschedulable"] = object.value(at: ["spec", "unschedulable"]).boolValue == true ? "true" : "false"
        case ("", "events"):
            for k in ["kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"] {
                f["involvedObject.\(k)"] = text(object["involvedObject"][k])
            }
            f["reason"] = text(object["reason"])
            f["reportingComponent"] = text(object["reportingComponent"])
            f["source"] = text(object["source"]["component"])
            f["type"] = text(object["type"])
        case ("events.k8s.io", "events"):
            for k in ["kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath"] {
                f["involvedObject.\(k)"] = text(object["regarding"][k])
            }
            f["reason"] = text(object["reason"])
            f["reportingComponent"] = text(object["reportingController"])
            f["source"] = text(object["deprecatedSource"]["component"])
            f["type"] = text(object["type"])
        default: break
        }
        return f
    }
}
