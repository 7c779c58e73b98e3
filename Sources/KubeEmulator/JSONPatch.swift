import Foundation
import RuntimeCore

/// JSON patch (RFC 6902), `application/json-patch+json`: add, remove, replace, move, copy and test with
/// RFC 6901 pointers (`~0` is `~`, `~1` is `/`, `-` appends to an array).
///
/// A malformed patch document is a 400; an operation that does not apply (missing path, failed test) is a
/// 422, as the apiserver answers.
public enum JSONPatch {
    private struct Failure: Error { var message: String }

    /// Applies the operations in order and returns the patched document.
    public static func apply(_ patch: JSON, to document: JSON) throws(APIError) -> JSON {
        guard let ops = patch.arrayValue else {
            throw .badRequest("json: cannot unmarshal \(patch.typeName) into Go value of type jsonpatch.Patch")
        }
        var doc = document
        for op in ops {
            guard op.objectValue != nil, let name = op["op"].stringValue else {
                throw .badRequest("invalid JSON patch operation: missing 'op': \(op.serialized())")
            }
            guard let path = op["path"].stringValue else {
                throw .badRequest("invalid JSON patch operation: missing 'path' in \(name) operation")
            }
            do {
                try perform(name, path: path, op: op, on: &doc)
            } catch let f as Failure {
                throw APIError(code: 422, reason: "Invalid", message: f.message)
            } catch let e as APIError {
                throw e
            } catch {
                throw .internalError("\(error)")
            }
        }
        return doc
    }

    private static func perform(_ name: String, path: String, op: JSON, on doc: inout JSON) throws {
        let tokens = try pointer(path)
        func value() throws -> JSON {
            guard let v = op.objectValue?["value"] else { throw APIError.badRequest("missing value for \(name) operation") }
            return v
        }
        func from() throws -> [String] {
            guard let f = op["from"].stringValue else { throw APIError.badRequest("missing from for \(name) operation") }
            return try pointer(f)
        }
        switch name {
        case "add":
            try add(try value(), at: tokens, in: &doc, operation: "add")
        case "remove":
            _ = try remove(at: tokens, in: &doc, operation: "remove", path: path)
        case "replace":
            guard get(tokens, in: doc) != nil else {
                throw Failure(message: "replace operation does not apply: doc is missing key: \(path): missing value")
            }
            _ = try remove(at: tokens, in: &doc, operation: "replace", path: path)
            try add(try value(), at: tokens, in: &doc, operation: "replace")
        case "move":
            let source = try from()
            if tokens.starts(with: source) && tokens.count > source.count {
                throw Failure(message: "move operation does not apply: from path is a prefix of path")
            }
            let v = try remove(at: source, in: &doc, operation: "move", path: op["from"].stringValue ?? "")
            try add(v, at: tokens, in: &doc, operation: "move")
        case "copy":
            guard let v = get(try from(), in: doc) else {
                throw Failure(message: "copy operation does not apply: doc is missing from path: \(op["from"].stringValue ?? ""): missing value")
            }
            try add(v, at: tokens, in: &doc, operation: "copy")
        case "test":
            let expected = try value()
            guard let actual = get(tokens, in: doc), actual.looselyEquals(expected) else {
                throw Failure(message: "testing value \(path) failed: test failed")
            }
        default:
            throw APIError.badRequest("Unexpected kind: \(name)")
        }
    }

    /// Splits and unescapes a JSON pointer.
    static func pointer(_ path: String) throws -> [String] {
        if path.isEmpty { return [] }
        guard path.hasPrefix("/") else { throw APIError.badRequest("JSON pointer must be empty or start with a \"/\": \(path)") }
        return path.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    private static func index(_ token: String, count: Int, allowEnd: Bool) -> Int? {
        if allowEnd && token == "-" { return count }
        guard let i = Int(token), i >= 0, String(i) == token else { return nil }
        return i <= (allowEnd ? count : count - 1) ? i : nil
    }

    /// The value at a pointer, or nil.
    static func get(_ tokens: [String], in doc: JSON) -> JSON? {
        var cur = doc
        for t in tokens {
            switch cur {
            case .object(let o): guard let next = o[t] else { return nil }; cur = next
            case .array(let a): guard let i = index(t, count: a.count, allowEnd: false) else { return nil }; cur = a[i]
            default: return nil
            }
        }
        return cur
    }

    /// Runs `body` on the parent container of the pointer's target.
    private static func withParent(_ tokens: ArraySlice<String>, in doc: inout JSON, missing: String,
                                   _ body: (inout JSON, String) throws -> JSON) throws -> JSON {
        guard let first = tokens.first else { throw Failure(message: missing) }
        if tokens.count == 1 { return try body(&doc, first) }
        switch doc {
        case .object(var o):
            guard var child = o[first] else { throw Failure(message: missing) }
            let r = try withParent(tokens.dropFirst(), in: &child, missing: missing, body)
            o[first] = child
            doc = .object(o)
            return r
        case .array(var a):
            guard let i = index(first, count: a.count, allowEnd: false) else { throw Failure(message: missing) }
            var child = a[i]
            let r = try withParent(tokens.dropFirst(), in: &child, missing: missing, body)
            a[i] = child
            doc = .array(a)
            return r
        default:
            throw Failure(message: missing)
        }
    }

    private static func add(_ value: JSON, at tokens: [String], in doc: inout JSON, operation: String) throws {
        if tokens.isEmpty { doc = value; return }
        let missing = "\(operation) operation does not apply: doc is missing path: \"/\(tokens.joined(separator: "/"))\": missing value"
        _ = try withParent(tokens[...], in: &doc, missing: missing) { parent, key in
            switch parent {
            case .object(var o): o[key] = value; parent = .object(o)
            case .array(var a):
                guard let i = index(key, count: a.count, allowEnd: true) else { throw Failure(message: missing) }
                a.insert(value, at: i)
                parent = .array(a)
            default: throw Failure(message: missing)
            }
            return .null
        }
    }

    private static func remove(at tokens: [String], in doc: inout JSON, operation: String, path: String) throws -> JSON {
        if tokens.isEmpty { let old = doc; doc = .null; return old }
        let missing = "\(operation) operation does not apply: doc is missing path: \"\(path)\": missing value"
        return try withParent(tokens[...], in: &doc, missing: missing) { parent, key in
            switch parent {
            case .object(var o):
                guard let old = o.removeValue(forKey: key) else { throw Failure(message: missing) }
                parent = .object(o)
                return old
            case .array(var a):
                guard let i = index(key, count: a.count, allowEnd: false) else { throw Failure(message: missing) }
                let old = a.remove(at: i)
                parent = .array(a)
                return old
            default: throw Failure(message: missing)
            }
        }
    }
}
