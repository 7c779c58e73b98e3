import Foundation
import RuntimeCore

/// Builds RFC 7386 JSON merge patches from two documents, so the operator sends only what changed.
///
/// Status writes use it: a merge patch needs no resourceVersion (the operator is the status' only
/// writer, so there is nothing to conflict with), and members that disappeared must be sent as `null`,
/// which a plain "send the new status" patch would forget (the old `login` would stay forever).
public enum MergePatchDiff {
    /// The patch that turns `old` into `new`; nil when they are equal. Arrays are replaced whole (merge
    /// patch semantics); objects are diffed member by member; removed members become `null`.
    public static func diff(_ old: JSON, _ new: JSON) -> JSON? {
        guard case .object(let o) = old, case .object(let n) = new else { return old == new ? nil : new }
        var patch: [String: JSON] = [:]
        for (k, nv) in n {
            if let ov = o[k] {
                if ov == nv { continue }
                if case .object = ov, case .object = nv {
                    if let d = diff(ov, nv) { patch[k] = d }
                } else {
                    patch[k] = nv
                }
            } else if !nv.isNull {
                patch[k] = nv
            }
        }
        for (k, ov) in o where n[k] == nil && !ov.isNull { patch[k] = .null }
        return patch.isEmpty ? nil : .object(patch)
    }
}
