import Foundation
import RuntimeCore

/// Name, label and metadata validation with apimachinery's messages.
enum Validation {
    /// Which rule a resource's metadata.name follows.
    enum NameRule {
        /// RFC 1123 subdomain, at most 253 characters (most resources).
        case subdomain
        /// RFC 1123 label, at most 63 characters (namespaces).
        case label
        /// RFC 1035 label, at most 63 characters (services).
        case label1035
        /// Any string that can be a URL path segment (events).
        case pathSegment
    }

    static let dns1123LabelMessage = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
        + "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
        + "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
    static let dns1123SubdomainMessage = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
        + "'-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
        + "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
    static let dns1035LabelMessage = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', "
        + "start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', "
        + "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
    static let qualifiedNameMessage = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start "
        + "and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', "
        + "regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
    static let labelValueMessage = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' "
        + "or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', "
        + "regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"

    private static func isLowerAlnum(_ c: Character) -> Bool { c.isASCII && (c.isLowercase || c.isNumber) }
    private static func isAlnum(_ c: Character) -> Bool { c.isASCII && (c.isLetter || c.isNumber) }

    /// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`
    static func isDNS1123Label(_ s: String) -> Bool {
        guard let f = s.first, let l = s.last, isLowerAlnum(f), isLowerAlnum(l) else { return false }
        return s.allSatisfy { isLowerAlnum($0) || $0 == "-" }
    }

    /// Dot-separated RFC 1123 labels.
    static func isDNS1123Subdomain(_ s: String) -> Bool {
        !s.isEmpty && s.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { isDNS1123Label(String($0)) }
    }

    /// `[a-z]([-a-z0-9]*[a-z0-9])?`
    static func isDNS1035Label(_ s: String) -> Bool {
        guard let f = s.first, f.isASCII, f.isLowercase else { return false }
        return isDNS1123Label(s)
    }

    /// Errors for a metadata.name (or generated-name prefix when `prefix` is true, which may end in '-').
    static func nameErrors(_ name: String, rule: NameRule, field: String = "metadata.name", prefix: Bool = false) -> [FieldError] {
        var errs: [FieldError] = []
        // A generateName prefix is checked with a trailing character appended, as apimachinery's maskTrailingDash.
        let checked = prefix && name.hasSuffix("-") && name.count > 1 ? String(name.dropLast()) + "a" : name
        switch rule {
        case .subdomain:
            if name.count > 253 { errs.append(FieldError(.invalid, field, value: .string(name), detail: "must be no more than 253 characters")) }
            if !isDNS1123Subdomain(checked) { errs.append(FieldError(.invalid, field, value: .string(name), detail: dns1123SubdomainMessage)) }
        case .label:
            if name.count > 63 { errs.append(FieldError(.invalid, field, value: .string(name), detail: "must be no more than 63 characters")) }
            if !isDNS1123Label(checked) { errs.append(FieldError(.invalid, field, value: .string(name), detail: dns1123LabelMessage)) }
        case .label1035:
            if name.count > 63 { errs.append(FieldError(.invalid, field, value: .string(name), detail: "must be no more than 63 characters")) }
            if !isDNS1035Label(checked) { errs.append(FieldError(.invalid, field, value: .string(name), detail: dns1035LabelMessage)) }
        case .pathSegment:
            if name == "." || name == ".." {
                errs.append(FieldError(.invalid, field, value: .string(name), detail: "may not be '\(name)'"))
            } else if name.contains("/") || name.contains("%") {
                errs.append(FieldError(.invalid, field, value: .string(name), detail: "may not contain '/'"))
            }
        }
        return errs
    }

    /// Errors for a qualified name such as a label key (`prefix/name`).
    static func qualifiedNameErrors(_ key: String, field: String) -> [FieldError] {
        var errs: [FieldError] = []
        let parts = key.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        var namePart = key
        if parts.count == 2 {
            namePart = parts[1]
            if parts[0].isEmpty {
                errs.append(FieldError(.invalid, field, value: .string(key), detail: "prefix part must be non-empty"))
            } else {
                if parts[0].count > 253 { errs.append(FieldError(.invalid, field, value: .string(key), detail: "prefix part must be no more than 253 characters")) }
                if !isDNS1123Subdomain(parts[0]) { errs.append(FieldError(.invalid, field, value: .string(key), detail: "prefix part " + dns1123SubdomainMessage)) }
            }
        } else if parts.count > 2 {
            return [FieldError(.invalid, field, value: .string(key), detail: "a qualified name " + qualifiedNameMessage.dropFirst("name part ".count)
                               + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')")]
        }
        if namePart.isEmpty {
            errs.append(FieldError(.invalid, field, value: .string(key), detail: "name part must be non-empty"))
        } else {
            if namePart.count > 63 { errs.append(FieldError(.invalid, field, value: .string(key), detail: "name part must be no more than 63 characters")) }
            if !isQualifiedNamePart(namePart) { errs.append(FieldError(.invalid, field, value: .string(key), detail: qualifiedNameMessage)) }
        }
        return errs
    }

    /// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`
    static func isQualifiedNamePart(_ s: String) -> Bool {
        guard let f = s.first, let l = s.last, isAlnum(f), isAlnum(l) else { return false }
        return s.allSatisfy { isAlnum($0) || $0 == "-" || $0 == "_" || $0 == "." }
    }

    /// Errors for a label value.
    static func labelValueErrors(_ value: String, field: String) -> [FieldError] {
        var errs: [FieldError] = []
        if value.count > 63 { errs.append(FieldError(.invalid, field, value: .string(value), detail: "must be no more than 63 characters")) }
        if !value.isEmpty && !isQualifiedNamePart(value) { errs.append(FieldError(.invalid, field, value: .string(value), detail: labelValueMessage)) }
        return errs
    }

    /// Validates labels, annotations, finalizers and ownerReferences of an object's metadata.
    static func metadataErrors(_ object: JSON) -> [FieldError] {
        var errs: [FieldError] = []
        let meta = object.metadata
        for (k, v) in (meta["labels"].objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            errs += qualifiedNameErrors(k, field: "metadata.labels")
            errs += labelValueErrors(v.stringValue ?? "", field: "metadata.labels")
        }
        var annotationBytes = 0
        for (k, v) in (meta["annotations"].objectValue ?? [:]).sorted(by: { $0.key < $1.key }) {
            errs += qualifiedNameErrors(k.lowercased(), field: "metadata.annotations")
            annotationBytes += k.utf8.count + (v.stringValue ?? "").utf8.count
        }
        if annotationBytes > 256 * 1024 {
            errs.append(FieldError(.tooLong, "metadata.annotations", detail: "must have at most 262144 bytes"))
        }
        for (i, f) in object.finalizers.enumerated() {
            errs += qualifiedNameErrors(f, field: "metadata.finalizers[\(i)]")
        }
        for (i, ref) in (meta["ownerReferences"].arrayValue ?? []).enumerated() {
            let path = "metadata.ownerReferences[\(i)]"
            if (ref["apiVersion"].stringValue ?? "").isEmpty {
                errs.append(FieldError(.invalid, "\(path).apiVersion", value: "", detail: "version must not be empty"))
            }
            if (ref["kind"].stringValue ?? "").isEmpty {
                errs.append(FieldError(.invalid, "\(path).kind", value: "", detail: "kind must not be empty"))
            }
            if (ref["name"].stringValue ?? "").isEmpty {
                errs.append(FieldError(.invalid, "\(path).name", value: "", detail: "name must not be empty"))
            }
            if (ref["uid"].stringValue ?? "").isEmpty {
                errs.append(FieldError(.invalid, "\(path).uid", value: "", detail: "uid must not be empty"))
            }
        }
        let controllers = (meta["ownerReferences"].arrayValue ?? []).filter { $0["controller"].boolValue == true }
        if controllers.count > 1 {
            errs.append(FieldError(.invalid, "metadata.ownerReferences", value: .array(controllers),
                                   detail: "Only one reference can have Controller set to true"))
        }
        return errs
    }
}
