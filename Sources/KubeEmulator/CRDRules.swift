import Foundation
import RuntimeCore

/// CustomResourceDefinitions: defaulting, validation, the status the apiextensions controllers maintain
/// (NamesAccepted, Established, acceptedNames, storedVersions) and the ``ResourceInfo``s a CRD serves.
///
/// The controllers' work happens synchronously in the write: the CRD returned by create is already
/// Established. Versions share one storage; conversion between them is the identity (only apiVersion changes).
enum CRDRules {
    static let cleanupFinalizer = "customresourcecleanup.apiextensions.k8s.io"

    static func applyDefaults(_ crd: inout JSON) {
        var names = crd["spec"]["names"]
        if let kind = names["kind"].stringValue, !kind.isEmpty {
            if (names["singular"].stringValue ?? "").isEmpty { names["singular"] = .string(kind.lowercased()) }
            if (names["listKind"].stringValue ?? "").isEmpty { names["listKind"] = .string(kind + "List") }
        }
        if names.objectValue != nil { crd["spec"]["names"] = names }
        if crd["spec"]["conversion"].isNull { crd["spec"]["conversion"] = ["strategy": "None"] }
    }

    static func prepareForCreate(_ crd: inout JSON) {
        applyDefaults(&crd)
        if !crd.finalizers.contains(cleanupFinalizer) {
            crd.metadata["finalizers"] = .array((crd.metadata["finalizers"].arrayValue ?? []) + [.string(cleanupFinalizer)])
        }
    }

    static func storageKey(_ crd: JSON) -> StorageKey {
        StorageKey(group: crd["spec"]["group"].stringValue ?? "", plural: crd["spec"]["names"]["plural"].stringValue ?? "")
    }

    static func validate(_ crd: JSON, old: JSON?) -> [FieldError] {
        var errs: [FieldError] = []
        let spec = crd["spec"]
        let group = spec["group"].stringValue ?? ""
        let plural = spec["names"]["plural"].stringValue ?? ""
        if crd.name != "\(plural).\(group)" {
            errs.append(FieldError(.invalid, "metadata.name", value: .string(crd.name), detail: "must be spec.names.plural+\".\"+spec.group"))
        }
        if group.isEmpty {
            errs.append(FieldError(.required, "spec.group"))
        } else if !group.contains(".") {
            errs.append(FieldError(.invalid, "spec.group", value: .string(group), detail: "should be a domain with at least one dot"))
        } else {
            errs += Validation.nameErrors(group, rule: .subdomain, field: "spec.group")
        }
        let scope = spec["scope"].stringValue ?? ""
        if !["Cluster", "Namespaced"].contains(scope) {
            errs.append(scope.isEmpty ? FieldError(.required, "spec.scope") : .notSupported("spec.scope", .string(scope), ["Cluster", "Namespaced"]))
        }
        for field in ["plural", "singular"] {
            let v = spec["names"][field].stringValue ?? ""
            if v.isEmpty { errs.append(FieldError(.required, "spec.names.\(field)")); continue }
            errs += Validation.nameErrors(v, rule: .label, field: "spec.names.\(field)")
        }
        for field in ["kind", "listKind"] where (spec["names"][field].stringValue ?? "").isEmpty {
            errs.append(FieldError(.required, "spec.names.\(field)"))
        }
        let versions = spec["versions"].arrayValue ?? []
        if versions.isEmpty {
            errs.append(FieldError(.invalid, "spec.versions", value: .array([]), detail: "must have exactly one version marked as storage version"))
        } else if versions.filter({ $0["storage"].boolValue == true }).count != 1 {
            errs.append(FieldError(.invalid, "spec.versions", value: .array(versions.map { $0["name"] }),
                                   detail: "must have exactly one version marked as storage version"))
        }
        var seen = Set<String>()
        for (i, v) in versions.enumerated() {
            let name = v["name"].stringValue ?? ""
            if name.isEmpty { errs.append(FieldError(.required, "spec.versions[\(i)].name")); continue }
            errs += Validation.nameErrors(name, rule: .label, field: "spec.versions[\(i)].name")
            if !seen.insert(name).inserted { errs.append(FieldError(.duplicate, "spec.versions[\(i)].name", value: .string(name))) }
            if v["schema"]["openAPIV3Schema"].objectValue == nil {
                errs.append(FieldError(.required, "spec.versions[\(i)].schema.openAPIV3Schema", detail: "schemas are required"))
            }
        }
        if let old {
            if old["spec"]["scope"] != spec["scope"] {
                errs.append(FieldError(.invalid, "spec.scope", value: spec["scope"], detail: "field is immutable"))
            }
            if old["spec"]["group"] != spec["group"] {
                errs.append(FieldError(.invalid, "spec.group", value: spec["group"], detail: "field is immutable"))
            }
        }
        return errs
    }

    /// One ResourceInfo per served version.
    static func resources(_ crd: JSON) -> [ResourceInfo] {
        let spec = crd["spec"]
        let names = spec["names"]
        let versions = spec["versions"].arrayValue ?? []
        let storage = versions.first { $0["storage"].boolValue == true }?["name"].stringValue ?? ""
        return versions.compactMap { v -> ResourceInfo? in
            guard v["served"].boolValue != false, let version = v["name"].stringValue else { return nil }
            var columns = (v["additionalPrinterColumns"].arrayValue ?? []).compactMap { c -> PrinterColumn? in
                guard let name = c["name"].stringValue, let path = c["jsonPath"].stringValue else { return nil }
                return PrinterColumn(name: name, type: c["type"].stringValue ?? "string", jsonPath: path,
                                     format: c["format"].stringValue ?? "", description: c["description"].stringValue ?? "",
                                     priority: Int(c["priority"].intValue ?? 0))
            }
            if columns.isEmpty {
                columns = [PrinterColumn(name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp",
                                         description: TableRenderer.creationTimestampDescription)]
            }
            return ResourceInfo(
                group: spec["group"].stringValue ?? "", version: version, kind: names["kind"].stringValue ?? "",
                plural: names["plural"].stringValue ?? "", singular: names["singular"].stringValue,
                namespaced: spec["scope"].stringValue == "Namespaced",
                shortNames: (names["shortNames"].arrayValue ?? []).compactMap(\.stringValue),
                categories: (names["categories"].arrayValue ?? []).compactMap(\.stringValue),
                hasStatus: v["subresources"]["status"].objectValue != nil, printerColumns: columns,
                schema: v["schema"]["openAPIV3Schema"].objectValue.map { StructuralSchema(json: .object($0)) },
                selectableFields: (v["selectableFields"].arrayValue ?? []).compactMap {
                    $0["jsonPath"].stringValue.map { $0.hasPrefix(".") ? String($0.dropFirst()) : $0 }
                },
                isCustom: true, storageVersion: storage, returnsDeletedObject: true)
        }
    }

    /// The status the apiextensions controllers would write.
    static func status(_ crd: JSON, old: JSON?, conflict: String?, terminating: Bool, now: String) -> JSON {
        let names = crd["spec"]["names"]
        let previous = old?["status"]["conditions"].arrayValue ?? crd["status"]["conditions"].arrayValue ?? []
        func condition(_ type: String, _ status: Bool, _ reason: String, _ message: String) -> JSON {
            let s = status ? "True" : "False"
            let before = previous.first { $0["type"].stringValue == type }
            let time = before?["status"].stringValue == s ? (before?["lastTransitionTime"] ?? .string(now)) : .string(now)
            return ["type": .string(type), "status": .string(s), "lastTransitionTime": time, "reason": .string(reason),
                    "message": .string(message)]
        }
        var conditions: [JSON] = []
        if let conflict {
            conditions.append(condition("NamesAccepted", false, "NameConflict", conflict))
            conditions.append(condition("Established", false, "NotAccepted", "not all names are accepted"))
        } else {
            conditions.append(condition("NamesAccepted", true, "NoConflicts", "no conflicts found"))
            conditions.append(condition("Established", true, "InitialNamesAccepted", "the initial names have been accepted"))
        }
        if terminating {
            conditions.append(condition("Terminating", true, "InstanceDeletionInProgress", "CustomResource deletion is in progress"))
        }
        var accepted: JSON = [:]
        if conflict == nil {
            for key in ["plural", "singular", "kind", "listKind", "shortNames", "categories"] where !names[key].isNull {
                accepted[key] = names[key]
            }
        }
        var stored = (old?["status"]["storedVersions"].arrayValue ?? []).compactMap(\.stringValue)
        if let storage = (crd["spec"]["versions"].arrayValue ?? []).first(where: { $0["storage"].boolValue == true })?["name"].stringValue,
           !stored.contains(storage) {
            stored.append(storage)
        }
        return ["conditions": .array(conditions), "acceptedNames": accepted, "storedVersions": .array(stored.map(JSON.string))]
    }
}
