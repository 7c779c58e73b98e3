import Foundation
import KubeClient

/// The per-session Secret `<session>-credentials` (CONTRACT.md §3): `mcp-api-key` copied from the
/// Secret `spec.mcp.keySecretRef` names, and `supervisor-token`, 32 random bytes (hex-encoded, so it is
/// printable in an environment variable and an HTTP header) that stay the same for the session's life.
public enum CredentialsSecret {
    /// Appended to the session name.
    public static let suffix = "-credentials"
    /// The MCP key (empty when the session names no key).
    public static let mcpKey = "mcp-api-key"
    /// The supervisor's bearer token.
    public static let tokenKey = "supervisor-token"

    /// The Secret's name for a session.
    public static func name(for session: String) -> String { session + suffix }

    /// A fresh supervisor token: 32 bytes from the system's CSPRNG, as 64 hex digits.
    public static func newToken() -> String {
        var g = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef")
        var out = ""
        out.reserveCapacity(64)
        for _ in 0..<32 {
            let b = UInt8.random(in: 0...255, using: &g)
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0f)])
        }
        return out
    }

    /// Where `mcp-api-key` comes from, as recorded in the ``SessionLabels/keySource`` annotation:
    /// `<secret>/<key>` or empty for none.
    public static func keySource(_ ref: AgentSessionSpec.SecretKeyRef?) -> String {
        ref.map { "\($0.name)/\($0.key)" } ?? ""
    }

    /// The desired Secret.
    public static func build(session: AgentSession, effective: EffectiveSession, mcpAPIKey: Data, token: String) -> Secret {
        Secret(metadata: ObjectMeta(name: name(for: effective.name), namespace: effective.namespace,
                                    labels: SessionLabels.labels(for: effective),
                                    annotations: [SessionLabels.keySource: keySource(effective.mcpKeyRef)],
                                    ownerReferences: [SessionLabels.ownerReference(to: session)]),
               data: [Self.mcpKey: mcpAPIKey, Self.tokenKey: Data(token.utf8)], type: "Opaque")
    }

    /// The supervisor token held by `secret`, if it has a usable one.
    public static func token(in secret: Secret?) -> String? { usable(secret?.string(tokenKey)) }

    /// The supervisor token of a cached Secret, if it has a usable one.
    public static func token(in secret: SecretView?) -> String? { usable(secret?.supervisorToken) }

    private static func usable(_ t: String?) -> String? {
        guard let t, t.count >= 32 else { return nil }
        return t
    }
}
