import Foundation
import RuntimeCore

/// Strategic merge patch (`application/strategic-merge-patch+json`) for built-in types.
///
/// Like a JSON merge patch, except that lists with a patch merge key (containers by `name`, ports by
/// `containerPort`, conditions by `type`, ...; see ``MergeSchema``) merge element by element and
/// `metadata.finalizers` merges as a set. Directives: `$patch: replace|delete|merge` in maps and list
/// elements, `$deleteFromPrimitiveList/<field>`, `$retainKeys`; `$setElementOrder/<field>` is accepted and
/// only stripped (merged lists keep the live order with new elements appended).
enum StrategicMergePatch {
    static func apply(_ patch: JSON, to original: JSON, schema: MergeSchema) throws(APIError) -> JSON {
        guard case .object(let p) = patch else {
            throw .badRequest("invalid JSON document: a strategic merge patch must be a JSON object")
        }
        return try mergeMap(original.objectValue ?? [:], p, path: [], schema: schema) ?? .object([:])
    }

    private static let setElementOrder = "$setElementOrder/"
    private static let deleteFromPrimitiveList = "$deleteFromPrimitiveList/"

    private static func isDirective(_ key: String) -> Bool { key.hasPrefix("$") }

    /// Merges a patch map into an original map; nil means "delete this map" (`$patch: delete`).
    private static func mergeMap(_ original: [String: JSON], _ patch: [String: JSON], path: [String],
                                 schema: MergeSchema) throws(APIError) -> JSON? {
        switch patch["$patch"]?.stringValue {
        case nil, "merge": break
        case "replace": return try clean(.object(patch), path: path, schema: schema)
        case "delete": return nil
        case let other?: throw .badRequest("Unknown patch type: \(other) in map: \(JSON.object(patch).serialized())")
        }
        var result = original
        for (key, value) in patch where key.hasPrefix(deleteFromPrimitiveList) {
            let field = String(key.dropFirst(deleteFromPrimitiveList.count))
            guard let remove = value.arrayValue else {
                throw .badRequest("invalid patch: \(key) must be a list")
            }
            if let list = result[field]?.arrayValue {
                result[field] = .array(list.filter { !remove.contains($0) })
            }
        }
        for key in patch.keys.sorted() where !isDirective(key) {
            let value = patch[key]!
            let childPath = path + [key]
            if value.isNull { result.removeValue(forKey: key); continue }
            switch (result[key], value) {
            case (.object(let o)?, .object(let p)):
                if let merged = try mergeMap(o, p, path: childPath, schema: schema) {
                    result[key] = merged
                } else {
                    result.removeValue(forKey: key)
                }
            case (.array(let o)?, .array(let p)):
                result[key] = try mergeList(o, p, path: childPath, schema: schema)
            default:
                if let v = try clean(value, path: childPath, schema: schema) {
                    result[key] = v
                } else {
                    result.removeValue(forKey: key)
                }
            }
        }
        if let retain = patch["$retainKeys"] {
            guard let keys = retain.arrayValue?.compactMap(\.stringValue) else {
                throw .badRequest("invalid patch: $retainKeys must be a list of strings")
            }
            result = result.filter { keys.contains($0.key) }
        }
        return .object(result)
    }

    private static func mergeList(_ original: [JSON], _ patch: [JSON], path: [String],
                                  schema: MergeSchema) throws(APIError) -> JSON {
        switch schema.strategy(for: path) {
        case .atomic:
            return try clean(.array(patch), path: path, schema: schema) ?? .array([])
        case .set:
            var result = original
            for v in patch where !result.contains(v) { result.append(v) }
            return .array(result)
        case .map(let keys):
            if patch.contains(where: { $0["$patch"].stringValue == "replace" }) {
                let rest = patch.filter { $0["$patch"].stringValue != "replace" }
                return try clean(.array(rest), path: path, schema: schema) ?? .array([])
            }
            var result = original
            for element in patch {
                guard let p = element.objectValue else {
                    throw .badRequest("invalid patch: list \(path.joined(separator: ".")) elements must be maps")
                }
                let keyValues = keys.map { p[$0] ?? .null }
                if keyValues.allSatisfy(\.isNull) {
                    throw .badRequest("map: \(element.serialized()) does not contain declared merge key: \(keys[0])")
                }
                let index = result.firstIndex { e in keys.map { e[$0] } == keyValues }
                if p["$patch"]?.stringValue == "delete" {
                    result.removeAll { e in keys.map { e[$0] } == keyValues }
                    continue
                }
                if let index, let existing = result[index].objectValue {
                    if let merged = try mergeMap(existing, p, path: path, schema: schema) {
                        result[index] = merged
                    } else {
                        result.remove(at: index)
                    }
                } else if let v = try clean(element, path: path, schema: schema) {
                    result.append(v)
                }
            }
            return .array(result)
        }
    }

    /// A patch value placed where nothing existed: directives stripped, deleted elements dropped.
    private static func clean(_ value: JSON, path: [String], schema: MergeSchema) throws(APIError) -> JSON? {
        switch value {
        case .object(let o):
            if o["$patch"]?.stringValue == "delete" { return nil }
            var out: [String: JSON] = [:]
            for (k, v) in o where !isDirective(k) {
                if v.isNull { continue }
                if let c = try clean(v, path: path + [k], schema: schema) { out[k] = c }
            }
            return .object(out)
        case .array(let a):
            var out: [JSON] = []
            for e in a {
                if e["$patch"].stringValue != nil && e.objectValue?.count == 1 { continue }
                if let c = try clean(e, path: path, schema: schema) { out.append(c) }
            }
            return .array(out)
        default:
            return value
        }
    }
}
