import Foundation
import RuntimeCore

/// Anything with Kubernetes object metadata: the typed models and unstructured `JSON` objects.
///
/// Watches, watchers, informers and stores are generic over this, so the typed and the dynamic path
/// share one implementation.
public protocol KubeObject: Codable, Sendable {
    /// The object's metadata.
    var metadata: ObjectMeta { get set }
}

/// A typed model of a Kubernetes resource kind: its wire shape plus where it is served.
///
/// The models in this module model what the operator touches; whatever else the server sends is kept
/// in their ``PreservesUnknownFields/unknownFields`` and written back on update. Use `JSON` with a
/// ``DynamicResource`` for everything else.
public protocol Resource: KubeObject {
    /// Group, version, plural, kind and scope of the resource.
    static var resource: DynamicResource { get }
}

extension Resource {
    /// The API group (empty for the core group).
    public static var group: String { resource.group }
    /// The API version.
    public static var version: String { resource.version }
    /// `group/version`, or `version` for the core group.
    public static var apiVersion: String { resource.apiVersion }
    /// The plural resource name used in URLs.
    public static var plural: String { resource.plural }
    /// The kind.
    public static var kind: String { resource.kind }
    /// Whether objects live in namespaces.
    public static var namespaced: Bool { resource.namespaced }
}

extension KubeObject {
    /// `metadata.name`, or empty.
    public var name: String { metadata.name ?? "" }
    /// `metadata.namespace`.
    public var namespace: String? { metadata.namespace }
    /// The store key: `namespace/name`, or `name` for cluster-scoped objects (client-go's convention).
    public var key: String { ObjectKey.make(namespace: metadata.namespace, name: metadata.name ?? "") }
}

/// Store keys in client-go's `namespace/name` form.
public enum ObjectKey {
    /// `namespace/name`, or `name` when there is no namespace.
    public static func make(namespace: String?, name: String) -> String {
        if let ns = namespace, !ns.isEmpty { return ns + "/" + name }
        return name
    }

    /// Splits a key into namespace (nil for cluster-scoped) and name.
    public static func split(_ key: String) -> (namespace: String?, name: String) {
        guard let slash = key.firstIndex(of: "/") else { return (nil, key) }
        return (String(key[..<slash]), String(key[key.index(after: slash)...]))
    }
}

/// Unstructured objects: metadata is decoded from and written back to the `metadata` member, every
/// other member is left untouched, so unknown fields survive a read-modify-write.
extension JSON: KubeObject {
    /// The decoded `metadata` member; setting it replaces the member (dropping `managedFields`).
    public var metadata: ObjectMeta {
        get { (try? self["metadata"].decode(ObjectMeta.self)) ?? ObjectMeta() }
        set { self["metadata"] = (try? JSON(encoding: newValue)) ?? .object([:]) }
    }
}

/// Where a resource is served: any group, version and plural, for the dynamic (unstructured) path and
/// as the descriptor of every typed model.
public struct DynamicResource: Hashable, Sendable, CustomStringConvertible {
    /// The API group; empty for the core group (`/api/v1`).
    public var group: String
    /// The API version, such as `v1` or `v1alpha1`.
    public var version: String
    /// The plural name used in URLs, such as `agentsessions`.
    public var plural: String
    /// The kind, such as `AgentSession`; used to fill in `kind` on objects sent without one.
    public var kind: String
    /// Whether objects live in namespaces.
    public var namespaced: Bool

    /// Describes a resource.
    public init(group: String, version: String, plural: String, kind: String, namespaced: Bool = true) {
        self.group = group
        self.version = version
        self.plural = plural
        self.kind = kind
        self.namespaced = namespaced
    }

    /// Describes a resource from an `apiVersion` string (`apps/v1`, `v1`).
    public init(apiVersion: String, plural: String, kind: String, namespaced: Bool = true) {
        if let slash = apiVersion.firstIndex(of: "/") {
            self.init(group: String(apiVersion[..<slash]), version: String(apiVersion[apiVersion.index(after: slash)...]),
                      plural: plural, kind: kind, namespaced: namespaced)
        } else {
            self.init(group: "", version: apiVersion, plural: plural, kind: kind, namespaced: namespaced)
        }
    }

    /// `group/version`, or `version` for the core group.
    public var apiVersion: String { group.isEmpty ? version : group + "/" + version }

    /// `plural.group`, or `plural` for the core group (as in RBAC rules and error messages).
    public var description: String { group.isEmpty ? plural : plural + "." + group }

    /// The URL path prefix of the group version: `/api/v1` or `/apis/<group>/<version>`.
    public var groupVersionPath: String { group.isEmpty ? "/api/" + version : "/apis/" + group + "/" + version }

    /// The URL path of a collection, an object or a subresource.
    ///
    /// For a namespaced resource a nil namespace addresses all namespaces (list, watch); the namespace
    /// is ignored for cluster-scoped resources.
    public func path(namespace: String? = nil, name: String? = nil, subresource: String? = nil) -> String {
        var p = groupVersionPath
        if namespaced, let ns = namespace, !ns.isEmpty {
            p += "/namespaces/" + PathEscaping.segment(ns)
        }
        p += "/" + plural
        if let n = name {
            p += "/" + PathEscaping.segment(n)
            if let s = subresource, !s.isEmpty { p += "/" + s }
        }
        return p
    }
}

/// Percent-encoding for URL path segments and query strings.
public enum PathEscaping {
    private static let unreserved: Set<UInt8> = Set(
        Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8))
    private static let segmentSafe: Set<UInt8> = unreserved.union(Array("!$&'()*+,;=:@".utf8))

    /// Escapes a path segment (a `/` inside a name is escaped, never treated as a separator).
    public static func segment(_ s: String) -> String { escape(s, keeping: segmentSafe) }

    /// Escapes a query key or value (everything but unreserved characters).
    public static func queryComponent(_ s: String) -> String { escape(s, keeping: unreserved) }

    /// Builds `?k=v&k2=v2`, or an empty string when there are no items.
    public static func query(_ items: [(String, String)]) -> String {
        guard !items.isEmpty else { return "" }
        return "?" + items.map { queryComponent($0.0) + "=" + queryComponent($0.1) }.joined(separator: "&")
    }

    private static func escape(_ s: String, keeping safe: Set<UInt8>) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for b in s.utf8 {
            if safe.contains(b) {
                out.unicodeScalars.append(Unicode.Scalar(b))
            } else {
                out += "%" + String(b, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }
}

extension String {
    fileprivate func leftPadded(to n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
