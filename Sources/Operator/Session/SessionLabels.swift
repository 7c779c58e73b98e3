import Foundation
import KubeClient

/// Label and annotation keys the operator writes, and how owned objects point back to their session.
public enum SessionLabels {
    /// `app.kubernetes.io/managed-by`; informers select owned objects on it.
    public static let managedBy = "app.kubernetes.io/managed-by"
    /// The value of ``managedBy``.
    public static let managerName = "agent-operator"
    /// `app.kubernetes.io/name`.
    public static let appName = "app.kubernetes.io/name"
    /// The value of ``appName``.
    public static let appNameValue = "agent-session"
    /// The session's name (shortened to a valid label value when longer than 63 characters).
    public static let session = "parallax.ai/session"
    /// The agent type.
    public static let agentType = "parallax.ai/agent-type"
    /// The workspace (sanitised to a valid label value).
    public static let workspace = "parallax.ai/workspace"
    /// Annotation: hash of the desired pod; a different hash means the pod drifted and is recreated.
    public static let podSpecHash = "parallax.ai/pod-spec-hash"
    /// Annotation: the agent id.
    public static let agentId = "parallax.ai/agent-id"
    /// Annotation on the credentials Secret: where `mcp-api-key` was copied from.
    public static let keySource = "parallax.ai/mcp-key-source"
    /// The finalizer that holds a session until its agent is deregistered and its pod is gone.
    public static let finalizer = "parallax.ai/agent-cleanup"

    /// The label selector of everything the operator owns.
    public static var ownedSelector: String { "\(managedBy)=\(managerName)" }

    /// The labels of a session's pod and Secret (CONTRACT.md §3).
    public static func labels(for s: EffectiveSession) -> [String: String] {
        [
            managedBy: managerName,
            appName: appNameValue,
            session: labelValue(s.name),
            agentType: labelValue(s.agentType),
            workspace: labelValue(s.workspaceId),
        ]
    }

    /// A valid label value for any text: at most 63 characters of `[A-Za-z0-9._-]`, starting and ending
    /// with an alphanumeric; longer or altered values end in a short hash so they stay distinct.
    public static func labelValue(_ text: String) -> String {
        if text.isEmpty { return "" }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
        var cleaned = String(text.map { allowed.contains($0) ? $0 : "-" })
        let valid = cleaned == text && cleaned.count <= 63 && cleaned.first!.isLetterOrDigit && cleaned.last!.isLetterOrDigit
        if valid { return cleaned }
        let hash = String(fnv1a64(Data(text.utf8)) & 0xff_ffff_ffff, radix: 16)
        cleaned = String(cleaned.prefix(63 - hash.count - 1))
        while let f = cleaned.first, !f.isLetterOrDigit { cleaned.removeFirst() }
        while let l = cleaned.last, !l.isLetterOrDigit { cleaned.removeLast() }
        return cleaned.isEmpty ? hash : cleaned + "-" + hash
    }

    /// The controller reference every owned object carries (blockOwnerDeletion: foreground deletion of the
    /// session waits for it).
    public static func ownerReference(to session: AgentSession) -> OwnerReference {
        OwnerReference(apiVersion: AgentSession.apiVersion, kind: AgentSession.kind, name: session.name,
                       uid: session.metadata.uid ?? "", controller: true, blockOwnerDeletion: true)
    }

    /// The session key (`namespace/name`) an owned object belongs to, from its controller reference.
    public static func ownerKey<T: KubeObject>(of object: T) -> String? {
        guard let ref = object.metadata.controllerReference, ref.kind == AgentSession.kind,
              ref.apiVersion.hasPrefix(AgentSession.group + "/") else { return nil }
        return ObjectKey.make(namespace: object.metadata.namespace, name: ref.name)
    }

    /// True when `object` is controlled by exactly this session (uid match).
    public static func isControlled<T: KubeObject>(_ object: T, by session: AgentSession) -> Bool {
        guard let ref = object.metadata.controllerReference else { return false }
        return ref.kind == AgentSession.kind && ref.uid == session.metadata.uid
    }
}

/// 64-bit FNV-1a: a stable, dependency-free hash for names and spec fingerprints (not for security).
public func fnv1a64(_ data: Data) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in data {
        h ^= UInt64(b)
        h = h &* 0x0000_0100_0000_01b3
    }
    return h
}

extension Character {
    fileprivate var isLetterOrDigit: Bool { isASCII && (isLetter || isNumber) }
}
