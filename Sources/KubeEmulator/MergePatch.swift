import Foundation
import RuntimeCore

/// JSON merge patch (RFC 7386), `application/merge-patch+json`.
public enum MergePatch {
    /// Applies `patch` to `target`: objects merge recursively, `null` deletes a member, anything else
    /// (arrays included) replaces the target value.
    public static func apply(_ patch: JSON, to target: JSON) -> JSON {
        guard case .object(let p) = patch else { return patch }
        var t = target.objectValue ?? [:]
        for (k, v) in p {
            if v.isNull {
                t.removeValue(forKey: k)
            } else {
                t[k] = apply(v, to: t[k] ?? .null)
            }
        }
        return .object(t)
    }
}
