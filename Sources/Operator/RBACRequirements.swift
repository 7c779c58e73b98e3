import Foundation

/// Every Kubernetes API call the operator makes, as RBAC rules: the single source of truth for
/// `manifests/rbac/`, which a unit test checks against this list exactly (no more, no less).
///
/// | resource | verbs | why |
/// | --- | --- | --- |
/// | agentsessions | list watch | informer (nothing GETs a single session: reads come from the cache) |
/// | agentsessions | patch | finalizer add/remove |
/// | agentsessions | delete | `ttlSecondsAfterFinished`; the runtime API's `POST /stop` |
/// | agentsessions | create | the runtime API's `POST /spawn` |
/// | agentsessions/status | patch | status writes (merge patch) |
/// | agentsessions/finalizers | update | owner references with `blockOwnerDeletion` on pods, Secrets, claims |
/// | pods | get list watch | informer; the read after a create that raced |
/// | pods | create delete | the agent pod; drift and failure recreation; cleanup |
/// | secrets | get list watch | informer; reading `spec.mcp.keySecretRef` |
/// | secrets | create update delete | the credentials Secret |
/// | persistentvolumeclaims | create | `workspace.size` |
/// | events | create patch | Events and their repeat counts |
/// | leases (leader-election namespace) | get create update | leader election |
public enum RBACRequirements {
    /// One RBAC rule: an API group, a resource (or `resource/subresource`) and verbs.
    public struct Rule: Hashable, Sendable, CustomStringConvertible {
        /// The API group (`""` for core).
        public var group: String
        /// The resource.
        public var resource: String
        /// The verbs.
        public var verbs: Set<String>

        /// Creates a rule.
        public init(_ group: String, _ resource: String, _ verbs: Set<String>) {
            self.group = group
            self.resource = resource
            self.verbs = verbs
        }

        public var description: String { "\(group.isEmpty ? "core" : group)/\(resource): \(verbs.sorted().joined(separator: ","))" }
    }

    /// Rules needed in every namespace the operator watches (the ClusterRole).
    public static let cluster: [Rule] = [
        Rule("parallax.ai", "agentsessions", ["list", "watch", "create", "patch", "delete"]),
        Rule("parallax.ai", "agentsessions/status", ["patch"]),
        Rule("parallax.ai", "agentsessions/finalizers", ["update"]),
        Rule("", "pods", ["get", "list", "watch", "create", "delete"]),
        Rule("", "secrets", ["get", "list", "watch", "create", "update", "delete"]),
        Rule("", "persistentvolumeclaims", ["create"]),
        Rule("", "events", ["create", "patch"]),
    ]

    /// Rules needed in the leader-election namespace only (a Role).
    public static let leaderElection: [Rule] = [
        Rule("coordination.k8s.io", "leases", ["get", "create", "update"]),
    ]

    /// Flattens rules to `(group, resource, verb)` triples, the form in which two rule lists compare.
    public static func triples(_ rules: [Rule]) -> Set<String> {
        var out: Set<String> = []
        for r in rules { for v in r.verbs { out.insert("\(r.group)|\(r.resource)|\(v)") } }
        return out
    }
}
