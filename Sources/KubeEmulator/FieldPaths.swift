import Foundation
import RuntimeCore

/// A path to a field an apply manager can own, printed as the apiserver prints it in conflicts:
/// `.spec.replicas`, `.metadata.labels.app`, `.spec.containers[name="app"].image`.
struct FieldPath: Hashable, Comparable, CustomStringConvertible {
    enum Element: Hashable {
        /// A member of an object.
        case field(String)
        /// An element of a keyed list, identified by its merge key values.
        case key([String: JSON])
        /// An element of a set list.
        case value(JSON)
    }

    var elements: [Element] = []

    func appending(_ e: Element) -> FieldPath { FieldPath(elements: elements + [e]) }

    /// True for paths naming a list element rather than a leaf field.
    var isListElement: Bool {
        switch elements.last {
        case .key?, .value?: return true
        default: return false
        }
    }

    /// True for a merge-key field of a keyed list element (`[name="a"].name`), which lives and dies with it.
    var isMergeKeyOfElement: Bool {
        guard elements.count >= 2, case .field(let f) = elements[elements.count - 1],
              case .key(let k) = elements[elements.count - 2] else { return false }
        return k[f] != nil
    }

    func hasPrefix(_ p: FieldPath) -> Bool { elements.count >= p.elements.count && Array(elements.prefix(p.elements.count)) == p.elements }

    var description: String {
        elements.map { e -> String in
            switch e {
            case .field(let f): return "." + f
            case .key(let k): return "[" + k.keys.sorted().map { "\($0)=\(k[$0]!.serialized())" }.joined(separator: ",") + "]"
            case .value(let v): return "[=\(v.serialized())]"
            }
        }.joined()
    }

    static func < (a: FieldPath, b: FieldPath) -> Bool { a.description < b.description }
}

/// Which parts of an object field ownership covers.
enum FieldScope {
    /// Everything a user sets: spec-like content, labels, annotations, finalizers, ownerReferences
    /// (status excluded when `excludeStatus`).
    case main(excludeStatus: Bool)
    /// Only `.status`.
    case status
}

/// Extraction of owned field paths from objects, and reading/removing values by path.
enum FieldPaths {
    private static let ownedMetadata: Set<String> = ["labels", "annotations", "finalizers", "ownerReferences"]

    /// Every ownable path of `object` within `scope`, mapped to its value (`.null` for list elements, whose
    /// value is their children).
    static func values(of object: JSON, scope: FieldScope, schema: MergeSchema) -> [FieldPath: JSON] {
        var out: [FieldPath: JSON] = [:]
        for (key, value) in object.objectValue ?? [:] {
            let path = FieldPath(elements: [.field(key)])
            switch (scope, key) {
            case (_, "apiVersion"), (_, "kind"): continue
            case (_, "metadata"):
                if case .status = scope { continue }
                for (mk, mv) in value.objectValue ?? [:] where ownedMetadata.contains(mk) {
                    walk(mv, path.appending(.field(mk)), names: ["metadata", mk], schema: schema, into: &out)
                }
            case (.status, "status"): walk(value, path, names: [key], schema: schema, into: &out)
            case (.status, _): continue
            case (.main(let excludeStatus), "status") where excludeStatus: continue
            default: walk(value, path, names: [key], schema: schema, into: &out)
            }
        }
        return out
    }

    private static func walk(_ value: JSON, _ path: FieldPath, names: [String], schema: MergeSchema,
                             into out: inout [FieldPath: JSON]) {
        switch value {
        case .object(let o) where !o.isEmpty:
            for (k, v) in o { walk(v, path.appending(.field(k)), names: names + [k], schema: schema, into: &out) }
        case .array(let a):
            switch schema.strategy(for: names) {
            case .map(let keys):
                for item in a {
                    guard let o = item.objectValue else { continue }
                    let itemPath = path.appending(.key(itemKey(o, keys)))
                    out[itemPath] = .null
                    for (k, v) in o { walk(v, itemPath.appending(.field(k)), names: names + [k], schema: schema, into: &out) }
                }
            case .set:
                for item in a { out[path.appending(.value(item))] = .null }
            case .atomic:
                out[path] = value
            }
        default:
            out[path] = value
        }
    }

    static func itemKey(_ item: [String: JSON], _ keys: [String]) -> [String: JSON] {
        var k: [String: JSON] = [:]
        for key in keys { k[key] = item[key] ?? .null }
        return k
    }

    private static func matches(_ item: JSON, _ key: [String: JSON]) -> Bool {
        key.allSatisfy { item[$0.key] == $0.value }
    }

    /// The value at `path`, or nil when absent.
    static func value(at path: FieldPath, in doc: JSON) -> JSON? {
        var cur = doc
        for e in path.elements {
            switch e {
            case .field(let f): guard let next = cur.objectValue?[f] else { return nil }; cur = next
            case .key(let k): guard let next = cur.arrayValue?.first(where: { matches($0, k) }) else { return nil }; cur = next
            case .value(let v): guard cur.arrayValue?.contains(v) == true else { return nil }; cur = v
            }
        }
        return cur
    }

    /// Removes the field or list element at `path`; a missing path is left alone.
    static func remove(_ path: FieldPath, from doc: inout JSON) {
        remove(path.elements[...], from: &doc)
    }

    private static func remove(_ elements: ArraySlice<FieldPath.Element>, from doc: inout JSON) {
        guard let first = elements.first else { return }
        let last = elements.count == 1
        switch (first, doc) {
        case (.field(let f), .object(var o)):
            if last { o.removeValue(forKey: f) } else if var child = o[f] { remove(elements.dropFirst(), from: &child); o[f] = child }
            doc = .object(o)
        case (.key(let k), .array(var a)):
            guard let i = a.firstIndex(where: { matches($0, k) }) else { return }
            if last { a.remove(at: i) } else { remove(elements.dropFirst(), from: &a[i]) }
            doc = .array(a)
        case (.value(let v), .array(var a)):
            if last { a.removeAll { $0 == v } }
            doc = .array(a)
        default:
            return
        }
    }
}
