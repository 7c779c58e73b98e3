import Foundation
import RuntimeCore

/// Secrets: `data` holds base64 (a bad value is a 400 decode error, as in the apiserver whose Go type is
/// []byte), `stringData` is merged into `data` and dropped, `type` defaults to Opaque and is immutable,
/// keys must be valid config keys, `immutable: true` freezes the data.
enum SecretRules {
    static func decode(_ secret: inout JSON, _ resource: ResourceInfo) throws(APIError) {
        var data = secret["data"].objectValue ?? [:]
        for key in data.keys.sorted() {
            guard let s = data[key]?.stringValue else { continue }
            if let offset = invalidBase64Offset(s) {
                throw .undecodable(resource, "illegal base64 data at input byte \(offset)")
            }
        }
        if let stringData = secret["stringData"].objectValue {
            for (k, v) in stringData { data[k] = .string(Data((v.stringValue ?? "").utf8).base64EncodedString()) }
            secret.removeValue(at: ["stringData"])
        }
        if !data.isEmpty || secret.objectValue?["data"] != nil { secret["data"] = .object(data) }
        if (secret["type"].stringValue ?? "").isEmpty { secret["type"] = "Opaque" }
    }

    /// Offset of the first byte Go's StdEncoding would reject, or nil when `s` is valid padded base64.
    static func invalidBase64Offset(_ s: String) -> Int? {
        let bytes = Array(s.utf8)
        var i = 0
        while i < bytes.count, base64Alphabet.contains(bytes[i]) { i += 1 }
        var end = i
        while end < bytes.count, bytes[end] == UInt8(ascii: "=") { end += 1 }
        if end < bytes.count { return end }
        if bytes.count % 4 != 0 || end - i > 2 { return min(i, bytes.count / 4 * 4) }
        return nil
    }

    private static let base64Alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func validate(_ secret: JSON, old: JSON?) -> [FieldError] {
        var errs = ConfigKeys.errors(secret["data"], field: "data")
        if let old {
            if secret["type"] != old["type"] {
                errs.append(FieldError(.invalid, "type", value: secret["type"], detail: "field is immutable"))
            }
            if old["immutable"].boolValue == true {
                if secret["data"] != old["data"] { errs.append(FieldError(.forbidden, "data", detail: "field is immutable when `immutable` is set")) }
                if secret["immutable"].boolValue != true { errs.append(FieldError(.forbidden, "immutable", detail: "field is immutable when `immutable` is set")) }
            }
        }
        return errs
    }
}

/// ConfigMaps: keys of `data` and `binaryData` must be valid config keys; `immutable: true` freezes them.
enum ConfigMapRules {
    static func validate(_ cm: JSON, old: JSON?) -> [FieldError] {
        var errs = ConfigKeys.errors(cm["data"], field: "data") + ConfigKeys.errors(cm["binaryData"], field: "binaryData")
        if let old, old["immutable"].boolValue == true {
            if cm["data"] != old["data"] { errs.append(FieldError(.forbidden, "data", detail: "field is immutable when `immutable` is set")) }
            if cm["binaryData"] != old["binaryData"] { errs.append(FieldError(.forbidden, "binaryData", detail: "field is immutable when `immutable` is set")) }
        }
        return errs
    }
}

/// Key validation shared by Secrets and ConfigMaps.
enum ConfigKeys {
    static let message = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' "
        + "(e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"

    static func errors(_ map: JSON, field: String) -> [FieldError] {
        var errs: [FieldError] = []
        for key in (map.objectValue ?? [:]).keys.sorted() {
            let valid = !key.isEmpty && key.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-._".contains($0)) }
            if !valid || key == "." || key == ".." {
                errs.append(FieldError(.invalid, "\(field)[\(key)]", value: .string(key), detail: message))
            }
            if key.count > 253 {
                errs.append(FieldError(.invalid, "\(field)[\(key)]", value: .string(key), detail: "must be no more than 253 characters"))
            }
        }
        return errs
    }
}

/// Namespaces: the `kubernetes` finalizer, phase Active and the `kubernetes.io/metadata.name` label the
/// apiserver maintains.
enum NamespaceRules {
    static func prepareForCreate(_ ns: inout JSON) {
        ns["spec"] = ["finalizers": ["kubernetes"]]
        ns["status"] = ["phase": "Active"]
        applyLabel(&ns)
    }

    static func applyLabel(_ ns: inout JSON) {
        ns.metadata["labels"]["kubernetes.io/metadata.name"] = .string(ns.name)
    }
}

/// PersistentVolumeClaims start Pending (nothing binds them in the emulator).
enum ClaimRules {
    static func prepareForCreate(_ pvc: inout JSON) {
        pvc["status"] = ["phase": "Pending"]
    }
}
