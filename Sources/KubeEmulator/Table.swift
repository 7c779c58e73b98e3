import Foundation
import RuntimeCore

/// `includeObject` of a Table request.
public enum IncludeObjectPolicy: String, Sendable {
    /// Rows without objects.
    case none = "None"
    /// Rows with `PartialObjectMetadata` (the default).
    case metadata = "Metadata"
    /// Rows with the full objects.
    case object = "Object"
}

/// Renders `meta.k8s.io/v1` Tables (what `kubectl get` asks for with `Accept: application/json;as=Table;...`).
///
/// Custom resources get a Name column plus their CRD's printer columns (`date` columns rendered as ages
/// such as `5m` or `2d3h`, like the apiextensions-apiserver does); built-in types get the columns of the
/// apiserver's printers for the fields the emulator knows (see `BuiltinPrinters`); CRDs get Name and
/// Created At (an RFC 3339 string), like the default table convertor.
public struct TableRenderer: Sendable {
    /// The resource whose objects are rendered.
    public let resource: ResourceInfo
    /// The reference time for ages.
    public let now: Date

    static let nameDescription = "Name must be unique within a namespace. Is required when creating resources, although "
        + "some resources may allow a client to request the generation of an appropriate name automatically. Name is "
        + "primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: "
        + "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
    static let creationTimestampDescription = "CreationTimestamp is a timestamp representing the server time when this "
        + "object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients "
        + "may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. "
        + "Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"

    /// Creates a renderer.
    public init(resource: ResourceInfo, now: Date = Date()) {
        self.resource = resource
        self.now = now
    }

    /// One column: its definition and how to compute its cell.
    struct Column {
        var name: String
        var type: String
        var format: String = ""
        var description: String = ""
        var priority: Int = 0
        var cell: (JSON) -> JSON

        var definition: JSON {
            ["name": .string(name), "type": .string(type), "format": .string(format),
             "description": .string(description), "priority": .int(Int64(priority))]
        }
    }

    /// A Table of a list page; metadata carries the page's resourceVersion, continue and remainingItemCount.
    public func table(list: ListResult, includeObject: IncludeObjectPolicy = .metadata, noHeaders: Bool = false) -> JSON {
        var meta: JSON = ["resourceVersion": .string(list.resourceVersion)]
        if let c = list.continueToken { meta["continue"] = .string(c) }
        if let r = list.remainingItemCount { meta["remainingItemCount"] = .int(Int64(r)) }
        return table(objects: list.items, metadata: meta, includeObject: includeObject, noHeaders: noHeaders)
    }

    /// A Table with a single row (GET of one object, or one watch event).
    public func table(object: JSON, includeObject: IncludeObjectPolicy = .metadata, noHeaders: Bool = false) -> JSON {
        table(objects: [object], metadata: ["resourceVersion": object.metadata["resourceVersion"]],
              includeObject: includeObject, noHeaders: noHeaders)
    }

    private func table(objects: [JSON], metadata: JSON, includeObject: IncludeObjectPolicy, noHeaders: Bool) -> JSON {
        let cols = columns()
        let rows: [JSON] = objects.map { obj in
            var row: JSON = ["cells": .array(cols.map { $0.cell(obj) })]
            switch includeObject {
            case .none: break
            case .metadata:
                row["object"] = ["kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj.metadata]
            case .object:
                var full = obj
                full["kind"] = .string(resource.kind)
                full["apiVersion"] = .string(resource.apiVersion)
                row["object"] = full
            }
            return row
        }
        var t: JSON = ["kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": metadata, "rows": .array(rows)]
        if !noHeaders { t["columnDefinitions"] = .array(cols.map(\.definition)) }
        return t
    }

    /// The Name column every table but the events' starts with.
    var nameColumn: Column {
        Column(name: "Name", type: "string", format: "name", description: Self.nameDescription) { .string($0.name) }
    }

    func columns() -> [Column] {
        if resource.isCustom {
            return [nameColumn] + resource.printerColumns.map { c in
                let path = JSONPath(c.jsonPath)
                let description = c.description.isEmpty ? "Custom resource definition column (in JSONPath format): \(c.jsonPath)" : c.description
                return Column(name: c.name, type: c.type, format: c.format, description: description, priority: c.priority) { obj in
                    guard let value = path?.evaluate(obj).first else { return .null }
                    return cell(value, type: c.type)
                }
            }
        }
        return BuiltinPrinters.columns(for: resource, renderer: self)
    }

    /// A CRD printer column's cell from the value its JSONPath selected.
    func cell(_ value: JSON, type: String) -> JSON {
        switch (type, value) {
        case (_, .null): return .null
        case ("string", .string): return value
        case ("string", _): return .string(value.serialized())
        case ("integer", _):
            if let i = value.intValue { return .int(i) }
            guard let d = value.doubleValue, d.isFinite, abs(d) < 9e18 else { return .null }
            return .int(Int64(d))
        case ("number", _): return value.doubleValue.map(JSON.double) ?? .null
        case ("boolean", .bool): return value
        case ("date", .string(let s)): return .string(KubeTime.parse(s).map(age) ?? "<invalid>")
        default: return .null
        }
    }

    /// kubectl-style age of a timestamp.
    func age(_ date: Date) -> String { KubeTime.humanDuration(now.timeIntervalSince(date)) }

    /// The Age cell of an object (`<unknown>` without creationTimestamp).
    func age(of obj: JSON) -> JSON {
        guard let s = obj.metadata["creationTimestamp"].stringValue, let d = KubeTime.parse(s) else { return "<unknown>" }
        return .string(age(d))
    }

    /// An age column.
    var ageColumn: Column {
        Column(name: "Age", type: "string", description: Self.creationTimestampDescription) { self.age(of: $0) }
    }
}
