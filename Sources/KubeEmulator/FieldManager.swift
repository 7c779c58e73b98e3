import Foundation
import RuntimeCore

/// One field manager's ownership of an object's fields (what `metadata.managedFields` records on a real
/// cluster; here kept in a side table of the store and never shown on objects).
struct ManagerEntry: Equatable {
    enum Operation: String { case apply = "Apply", update = "Update" }

    var manager: String
    var operation: Operation
    var apiVersion: String
    var fields: Set<FieldPath>

    /// How the apiserver names a manager in conflict messages.
    var printed: String {
        operation == .update ? "\(GoFormat.quote(manager)) using \(apiVersion)" : GoFormat.quote(manager)
    }
}

/// Server-side apply.
///
/// Simplifications, compared with structured-merge-diff: ownership is tracked per leaf field and per keyed
/// list element (list element identity = merge keys from ``MergeSchema``); non-keyed lists are atomic;
/// managers are keyed by name and operation (not by apiVersion); a manager never conflicts with its own
/// Update entry. Semantics kept: applying merges the configuration into the live object; a field the same
/// manager applied before and omits now is removed unless another manager also owns it; a field owned by
/// another manager with a different value is a 409 conflict unless `force`, which transfers ownership;
/// Update operations (create, PUT, non-apply PATCH) take ownership of the fields they change.
enum FieldManager {
    struct Outcome {
        var object: JSON
        var managers: [ManagerEntry]
    }

    /// Applies `config` to `live` for `manager`. `config` must already be stripped to `scope`.
    static func apply(_ config: JSON, to live: JSON, managers: [ManagerEntry], manager: String, apiVersion: String,
                      force: Bool, scope: FieldScope, schema: MergeSchema) throws(APIError) -> Outcome {
        let applied = FieldPaths.values(of: config, scope: scope, schema: schema)
        let current = FieldPaths.values(of: live, scope: scope, schema: schema)
        var entries = managers
        var conflicts: [(ManagerEntry, FieldPath)] = []
        for (path, value) in applied where !path.isListElement {
            for entry in entries where entry.manager != manager && entry.fields.contains(path) {
                if let liveValue = current[path], liveValue.looselyEquals(value) { continue }
                conflicts.append((entry, path))
            }
        }
        if !conflicts.isEmpty {
            if !force { throw conflictError(conflicts) }
            let taken = Set(conflicts.map(\.1))
            for i in entries.indices where entries[i].manager != manager { entries[i].fields.subtract(taken) }
        }
        var merged = merge(live, config, names: [], schema: schema)
        let mine = entries.firstIndex { $0.manager == manager && $0.operation == .apply }
        let previous = mine.map { entries[$0].fields } ?? []
        let others = entries.enumerated().filter { $0.offset != mine }.flatMap { $0.element.fields }
        let otherOwned = Set(others)
        // Shallow paths first: a removed list element takes its fields with it. The merge keys of an element
        // that stays are never removed on their own.
        for path in previous.subtracting(applied.keys).sorted(by: { $0.elements.count < $1.elements.count }) {
            if otherOwned.contains(path) || path.isMergeKeyOfElement { continue }
            if path.isListElement && otherOwned.contains(where: { $0.hasPrefix(path) }) { continue }
            FieldPaths.remove(path, from: &merged)
        }
        let entry = ManagerEntry(manager: manager, operation: .apply, apiVersion: apiVersion, fields: Set(applied.keys))
        if let mine { entries[mine] = entry } else { entries.append(entry) }
        return Outcome(object: merged, managers: entries.filter { !$0.fields.isEmpty })
    }

    /// Records an Update operation by `manager`: it takes the fields that changed, others lose them.
    static func recordUpdate(old: JSON?, new: JSON, managers: [ManagerEntry], manager: String, apiVersion: String,
                             schema: MergeSchema) -> [ManagerEntry] {
        let scope = FieldScope.main(excludeStatus: false)
        let after = FieldPaths.values(of: new, scope: scope, schema: schema)
        let before = old.map { FieldPaths.values(of: $0, scope: scope, schema: schema) } ?? [:]
        var changed = Set<FieldPath>()
        for (path, value) in after {
            if let b = before[path], b.looselyEquals(value) { continue }
            changed.insert(path)
        }
        let removed = Set(before.keys).subtracting(after.keys)
        if changed.isEmpty && removed.isEmpty { return managers }
        var entries = managers
        for i in entries.indices where !(entries[i].manager == manager && entries[i].operation == .update) {
            entries[i].fields.subtract(changed)
            entries[i].fields.subtract(removed)
        }
        if let i = entries.firstIndex(where: { $0.manager == manager && $0.operation == .update }) {
            entries[i].fields.formUnion(changed)
            entries[i].fields.subtract(removed)
            entries[i].apiVersion = apiVersion
        } else if !changed.isEmpty {
            entries.append(ManagerEntry(manager: manager, operation: .update, apiVersion: apiVersion, fields: changed))
        }
        return entries.filter { !$0.fields.isEmpty }
    }

    /// Deep merge of an applied configuration: maps merge, keyed lists merge by key, set lists union,
    /// everything else is replaced; `null` removes.
    static func merge(_ live: JSON, _ config: JSON, names: [String], schema: MergeSchema) -> JSON {
        switch (live, config) {
        case (.object(var l), .object(let c)):
            for (k, v) in c {
                if v.isNull { l.removeValue(forKey: k); continue }
                l[k] = merge(l[k] ?? .null, v, names: names + [k], schema: schema)
            }
            return .object(l)
        case (.array(var l), .array(let c)) where !names.isEmpty:
            switch schema.strategy(for: names) {
            case .map(let keys):
                for item in c {
                    guard let o = item.objectValue else { continue }
                    let key = FieldPaths.itemKey(o, keys)
                    if let i = l.firstIndex(where: { e in key.allSatisfy { e[$0.key] == $0.value } }) {
                        l[i] = merge(l[i], item, names: names, schema: schema)
                    } else {
                        l.append(item)
                    }
                }
                return .array(l)
            case .set:
                for v in c where !l.contains(v) { l.append(v) }
                return .array(l)
            case .atomic:
                return config
            }
        default:
            return config
        }
    }

    /// The 409 the apiserver sends for apply conflicts.
    static func conflictError(_ conflicts: [(ManagerEntry, FieldPath)]) -> APIError {
        let sorted = conflicts.sorted { ($0.0.printed, $0.1) < ($1.0.printed, $1.1) }
        let message: String
        if sorted.count == 1 {
            message = "Apply failed with 1 conflict: conflict with \(sorted[0].0.printed): \(sorted[0].1)"
        } else {
            var lines: [String] = []
            var lastManager = ""
            for (entry, path) in sorted {
                if entry.printed != lastManager {
                    lines.append("conflicts with \(entry.printed):")
                    lastManager = entry.printed
                }
                lines.append("- \(path)")
            }
            message = "Apply failed with \(sorted.count) conflicts: " + lines.joined(separator: "\n")
        }
        return APIError(code: 409, reason: "Conflict", message: message,
                        causes: sorted.map { APIError.Cause(reason: "FieldManagerConflict",
                                                            message: "conflict with \($0.0.printed)",
                                                            field: $0.1.description) })
    }
}
