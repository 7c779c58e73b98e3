import Foundation
import RuntimeCore

/// A compiled CRD `openAPIV3Schema`: validation, defaulting and pruning of custom resources as the
/// apiextensions-apiserver does them.
///
/// Supported: `type` (object, array, string, integer, number, boolean), `nullable`, `properties`, `required`,
/// `additionalProperties`, `items`, `enum`, `minimum`/`maximum` (+ exclusive), `multipleOf`,
/// `minLength`/`maxLength`/`pattern`, `minItems`/`maxItems`/`uniqueItems`, `minProperties`/`maxProperties`,
/// `default`, `x-kubernetes-int-or-string`, `x-kubernetes-preserve-unknown-fields`,
/// `x-kubernetes-embedded-resource`, `x-kubernetes-list-type`/`x-kubernetes-list-map-keys` (for merging).
/// Not evaluated: `format`, `allOf`/`anyOf`/`oneOf`/`not`, CEL `x-kubernetes-validations`, ratcheting.
public final class StructuralSchema: @unchecked Sendable {
    // Immutable after init; @unchecked only because NSRegularExpression is not marked Sendable.
    let type: String?
    let nullable: Bool
    let properties: [String: StructuralSchema]
    let required: [String]
    let additionalProperties: StructuralSchema?
    let additionalPropertiesAllowed: Bool
    let items: StructuralSchema?
    let enumValues: [JSON]?
    let minimum: Double?
    let maximum: Double?
    let exclusiveMinimum: Bool
    let exclusiveMaximum: Bool
    let multipleOf: Double?
    let minLength: Int?
    let maxLength: Int?
    let pattern: String?
    private let regex: NSRegularExpression?
    let minItems: Int?
    let maxItems: Int?
    let uniqueItems: Bool
    let minProperties: Int?
    let maxProperties: Int?
    let intOrString: Bool
    let preserveUnknownFields: Bool
    let embeddedResource: Bool
    let defaultValue: JSON?
    let listType: String?
    let listMapKeys: [String]

    /// Compiles a schema from its JSON form (an `openAPIV3Schema` value).
    public init(json: JSON) {
        type = json["type"].stringValue
        nullable = json["nullable"].boolValue ?? false
        var props: [String: StructuralSchema] = [:]
        for (k, v) in json["properties"].objectValue ?? [:] { props[k] = StructuralSchema(json: v) }
        properties = props
        required = (json["required"].arrayValue ?? []).compactMap(\.stringValue)
        switch json["additionalProperties"] {
        case .object: additionalProperties = StructuralSchema(json: json["additionalProperties"]); additionalPropertiesAllowed = true
        case .bool(let b): additionalProperties = nil; additionalPropertiesAllowed = b
        default: additionalProperties = nil; additionalPropertiesAllowed = false
        }
        items = json["items"].objectValue != nil ? StructuralSchema(json: json["items"]) : nil
        enumValues = json["enum"].arrayValue
        minimum = json["minimum"].doubleValue
        maximum = json["maximum"].doubleValue
        exclusiveMinimum = json["exclusiveMinimum"].boolValue ?? false
        exclusiveMaximum = json["exclusiveMaximum"].boolValue ?? false
        multipleOf = json["multipleOf"].doubleValue
        minLength = json["minLength"].intValue.map(Int.init)
        maxLength = json["maxLength"].intValue.map(Int.init)
        pattern = json["pattern"].stringValue
        regex = pattern.flatMap { try? NSRegularExpression(pattern: $0) }
        minItems = json["minItems"].intValue.map(Int.init)
        maxItems = json["maxItems"].intValue.map(Int.init)
        uniqueItems = json["uniqueItems"].boolValue ?? false
        minProperties = json["minProperties"].intValue.map(Int.init)
        maxProperties = json["maxProperties"].intValue.map(Int.init)
        intOrString = json["x-kubernetes-int-or-string"].boolValue ?? false
        preserveUnknownFields = json["x-kubernetes-preserve-unknown-fields"].boolValue ?? false
        embeddedResource = json["x-kubernetes-embedded-resource"].boolValue ?? false
        defaultValue = json.objectValue?["default"]
        listType = json["x-kubernetes-list-type"].stringValue
        listMapKeys = (json["x-kubernetes-list-map-keys"].arrayValue ?? []).compactMap(\.stringValue)
    }

    /// The schema of a member of an object described by this schema.
    func child(_ key: String) -> StructuralSchema? { properties[key] ?? additionalProperties }

    // MARK: Validation

    /// Validates a whole custom resource; field paths are relative to the object root (`spec.x`).
    func validate(_ object: JSON) -> [FieldError] {
        var errors: [FieldError] = []
        validate(object, path: "", root: true, into: &errors)
        return errors
    }

    private static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    private func typeError(_ path: String, _ actual: String) -> FieldError {
        let expected = intOrString ? "integer,string" : (type ?? "")
        return FieldError(.typeInvalid, path, value: .string(actual),
                          detail: "\(path) in body must be of type \(expected): \(GoFormat.quote(actual))")
    }

    private static func jsonType(_ v: JSON) -> String {
        switch v {
        case .string: return "string"
        case .int: return "integer"
        case .double: return "number"
        case .bool: return "boolean"
        case .array: return "array"
        case .object: return "object"
        case .null: return "null"
        }
    }

    private func typeMatches(_ v: JSON) -> Bool {
        if intOrString {
            if case .string = v { return true }
            return v.intValue != nil && !(v.doubleValue.map { $0.rounded() != $0 } ?? false)
        }
        guard let type else { return true }
        switch (type, v) {
        case ("string", .string), ("boolean", .bool), ("array", .array), ("object", .object): return true
        case ("integer", .int): return true
        case ("integer", .double(let d)): return d.rounded() == d
        case ("number", .int), ("number", .double): return true
        default: return false
        }
    }

    private func validate(_ v: JSON, path: String, root: Bool, into errors: inout [FieldError]) {
        if v.isNull {
            if !nullable && (type != nil || intOrString) { errors.append(typeError(path, "null")) }
            return
        }
        guard typeMatches(v) else { errors.append(typeError(path, Self.jsonType(v))); return }
        if let enumValues, !enumValues.contains(where: { $0.looselyEquals(v) }) {
            errors.append(.notSupported(path, v, enumValues.map { $0.stringValue ?? $0.serialized() }))
        }
        switch v {
        case .string(let s): validateString(s, path: path, into: &errors)
        case .int, .double: validateNumber(v, path: path, into: &errors)
        case .array(let a): validateArray(a, path: path, into: &errors)
        case .object(let o): validateObject(o, path: path, root: root, into: &errors)
        default: break
        }
    }

    private func validateString(_ s: String, path: String, into errors: inout [FieldError]) {
        let count = s.unicodeScalars.count
        if let maxLength, count > maxLength {
            errors.append(FieldError(.tooLong, path, value: .string(s), detail: "may not be longer than \(maxLength)"))
        }
        if let minLength, count < minLength {
            errors.append(FieldError(.invalid, path, value: .string(s), detail: "\(path) in body should be at least \(minLength) chars long"))
        }
        if let regex, let pattern {
            let range = NSRange(s.startIndex..., in: s)
            if regex.firstMatch(in: s, range: range) == nil {
                errors.append(FieldError(.invalid, path, value: .string(s), detail: "\(path) in body should match '\(pattern)'"))
            }
        }
    }

    private func validateNumber(_ v: JSON, path: String, into errors: inout [FieldError]) {
        guard let d = v.doubleValue else { return }
        if let maximum, exclusiveMaximum ? d >= maximum : d > maximum {
            let word = exclusiveMaximum ? "less than" : "less than or equal to"
            errors.append(FieldError(.invalid, path, value: v, detail: "\(path) in body should be \(word) \(GoFormat.number(maximum))"))
        }
        if let minimum, exclusiveMinimum ? d <= minimum : d < minimum {
            let word = exclusiveMinimum ? "greater than" : "greater than or equal to"
            errors.append(FieldError(.invalid, path, value: v, detail: "\(path) in body should be \(word) \(GoFormat.number(minimum))"))
        }
        if let multipleOf, multipleOf > 0, (d / multipleOf).rounded() != d / multipleOf {
            errors.append(FieldError(.invalid, path, value: v, detail: "\(path) in body should be a multiple of \(GoFormat.number(multipleOf))"))
        }
    }

    private func validateArray(_ a: [JSON], path: String, into errors: inout [FieldError]) {
        if let items {
            for (i, e) in a.enumerated() { items.validate(e, path: "\(path)[\(i)]", root: false, into: &errors) }
        }
        if let minItems, a.count < minItems {
            errors.append(FieldError(.invalid, path, value: .int(Int64(a.count)), detail: "\(path) in body should have at least \(minItems) items"))
        }
        if let maxItems, a.count > maxItems {
            errors.append(FieldError(.tooMany, path, value: .int(Int64(a.count)), detail: "must have at most \(maxItems) items"))
        }
        if uniqueItems || listType == "set" {
            var seen: [JSON] = []
            for (i, e) in a.enumerated() {
                if seen.contains(where: { $0.looselyEquals(e) }) {
                    errors.append(FieldError(.duplicate, "\(path)[\(i)]", value: e))
                } else { seen.append(e) }
            }
        }
        if listType == "map", !listMapKeys.isEmpty {
            var seen: [[JSON]] = []
            for (i, e) in a.enumerated() {
                let key = listMapKeys.map { e[$0] }
                if seen.contains(key) {
                    errors.append(FieldError(.duplicate, "\(path)[\(i)]", value: .object(Dictionary(uniqueKeysWithValues: zip(listMapKeys, key)))))
                } else { seen.append(key) }
            }
        }
    }

    private func validateObject(_ o: [String: JSON], path: String, root: Bool, into errors: inout [FieldError]) {
        if let maxProperties, o.count > maxProperties {
            errors.append(FieldError(.tooMany, path, value: .int(Int64(o.count)), detail: "must have at most \(maxProperties) items"))
        }
        if let minProperties, o.count < minProperties {
            errors.append(FieldError(.invalid, path, value: .int(Int64(o.count)), detail: "\(path) in body should have at least \(minProperties) properties"))
        }
        for key in required where o[key] == nil {
            errors.append(FieldError(.required, Self.join(path, key)))
        }
        for key in o.keys.sorted() {
            // The apiserver validates the root metadata itself, not with the schema.
            if (root || embeddedResource) && (key == "metadata" || key == "apiVersion" || key == "kind") { continue }
            guard let value = o[key], let schema = child(key) else { continue }
            schema.validate(value, path: Self.join(path, key), root: false, into: &errors)
        }
    }

    // MARK: Pruning and defaulting

    /// Removes fields the schema does not declare (unless preserved) and non-nullable nulls; returns the
    /// removed paths (for `fieldValidation=Strict|Warn`).
    func prune(_ object: inout JSON) -> [String] {
        var removed: [String] = []
        prune(&object, path: "", root: true, removed: &removed)
        return removed
    }

    private func prune(_ v: inout JSON, path: String, root: Bool, removed: inout [String]) {
        switch v {
        case .object(var o):
            for key in o.keys.sorted() {
                let childPath = Self.join(path, key)
                if (root || embeddedResource) && (key == "apiVersion" || key == "kind" || key == "metadata") { continue }
                let schema = child(key)
                if o[key]?.isNull == true, let schema, !schema.nullable, !schema.preserveUnknownFields {
                    o.removeValue(forKey: key)
                    continue
                }
                if let schema {
                    schema.prune(&o[key]!, path: childPath, root: false, removed: &removed)
                } else if !(preserveUnknownFields || additionalPropertiesAllowed) {
                    o.removeValue(forKey: key)
                    removed.append(childPath)
                }
            }
            v = .object(o)
        case .array(var a):
            guard let items else { return }
            for i in a.indices { items.prune(&a[i], path: "\(path)[\(i)]", root: false, removed: &removed) }
            v = .array(a)
        default: break
        }
    }

    /// Fills in `default`s of absent fields, recursively (a defaulted object gets its own nested defaults).
    func applyDefaults(_ v: inout JSON) {
        switch v {
        case .object(var o):
            for (key, schema) in properties where o[key] == nil {
                if let d = schema.defaultValue { o[key] = d }
            }
            for key in Array(o.keys) {
                guard let schema = child(key), var value = o[key] else { continue }
                schema.applyDefaults(&value)
                o[key] = value
            }
            v = .object(o)
        case .array(var a):
            guard let items else { return }
            for i in a.indices { items.applyDefaults(&a[i]) }
            v = .array(a)
        default: break
        }
    }
}
