import Foundation
import RuntimeCore

/// Errors raised while finding, reading or interpreting a kubeconfig or the in-cluster configuration.
/// Every description is one line naming the file and the position or field.
public enum KubeConfigError: Error, Sendable, CustomStringConvertible {
    /// The file could not be read.
    case unreadable(file: String, reason: String)
    /// The file is not valid YAML; the error carries file, line and column.
    case syntax(YAMLError)
    /// A field is missing or has the wrong type or value, or a referenced entry does not exist.
    case invalid(file: String, message: String)
    /// No configuration source was found.
    case notFound(String)
    /// The in-cluster service account configuration is incomplete.
    case inCluster(String)

    public var description: String {
        switch self {
        case .unreadable(let f, let r): return "kubeconfig \(f): cannot read: \(r)"
        case .syntax(let e): return "kubeconfig \(e.description)"
        case .invalid(let f, let m): return "kubeconfig \(f): \(m)"
        case .notFound(let m): return "no Kubernetes configuration: \(m)"
        case .inCluster(let m): return "in-cluster config: \(m)"
        }
    }
}

/// A parsed kubeconfig (one file, or several merged the way kubectl merges `KUBECONFIG`).
///
/// Relative paths are resolved against the directory of the file that defined the entry, and
/// `*-data` fields are base64-decoded, at parse time, so a merged config needs no further context.
public struct KubeConfig: Sendable {
    /// A `clusters[].cluster` entry.
    public struct Cluster: Sendable, Hashable {
        /// The API server URL.
        public var server: String?
        /// Absolute path of the CA bundle.
        public var certificateAuthority: String?
        /// The CA bundle itself.
        public var certificateAuthorityData: Data?
        /// True only when the file says `insecure-skip-tls-verify: true`.
        public var insecureSkipTLSVerify: Bool
        /// The name to verify the server certificate against.
        public var tlsServerName: String?
        /// The file that defined the entry.
        public var source: String
    }

    /// A `users[].user` entry.
    public struct User: Sendable, Hashable {
        /// A bearer token.
        public var token: String?
        /// Absolute path of a file holding a bearer token.
        public var tokenFile: String?
        /// Absolute path of the client certificate.
        public var clientCertificate: String?
        /// The client certificate itself.
        public var clientCertificateData: Data?
        /// Absolute path of the client key.
        public var clientKey: String?
        /// The client key itself.
        public var clientKeyData: Data?
        /// Basic auth user.
        public var username: String?
        /// Basic auth password.
        public var password: String?
        /// A credential plugin.
        public var exec: ExecConfig?
        /// The file that defined the entry.
        public var source: String
    }

    /// A `contexts[].context` entry.
    public struct Context: Sendable, Hashable {
        /// The cluster's name.
        public var cluster: String
        /// The user's name (empty: no authentication).
        public var user: String?
        /// The default namespace.
        public var namespace: String?
        /// The file that defined the entry.
        public var source: String
    }

    /// Clusters by name.
    public var clusters: [String: Cluster] = [:]
    /// Users by name.
    public var users: [String: User] = [:]
    /// Contexts by name.
    public var contexts: [String: Context] = [:]
    /// The selected context.
    public var currentContext: String?
    /// The files this config was read from, in precedence order.
    public var files: [String] = []

    /// An empty config.
    public init() {}

    /// Parses kubeconfig text (YAML or JSON). `file` names the source in errors and anchors relative paths.
    public static func parse(_ text: String, file: String) throws(KubeConfigError) -> KubeConfig {
        var config = KubeConfig()
        config.files = [file]
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return config }
        let doc: JSON
        do { doc = try YAML.parse(text, source: file) } catch { throw .syntax(error) }
        if doc.isNull { return config }
        let p = FieldReader(file: file, directory: (file as NSString).deletingLastPathComponent)
        guard doc.objectValue != nil else { throw p.fail("", "expected a mapping at the top level, got \(doc.typeName)") }
        config.currentContext = try p.string(doc, "current-context", at: "").flatMap { $0.isEmpty ? nil : $0 }
        for (i, entry) in try p.entries(doc, "clusters", body: "cluster") {
            let path = "clusters[\(i)].cluster"
            let c = Cluster(
                server: try p.string(entry.body, "server", at: path),
                certificateAuthority: try p.path(entry.body, "certificate-authority", at: path),
                certificateAuthorityData: try p.base64(entry.body, "certificate-authority-data", at: path),
                insecureSkipTLSVerify: try p.literalTrue(entry.body, "insecure-skip-tls-verify", at: path),
                tlsServerName: try p.string(entry.body, "tls-server-name", at: path),
                source: file)
            if config.clusters[entry.name] == nil { config.clusters[entry.name] = c }
        }
        for (i, entry) in try p.entries(doc, "users", body: "user") {
            let path = "users[\(i)].user"
            if !entry.body["auth-provider"].isNull {
                throw p.fail(path + ".auth-provider", "auth-provider plugins are not supported; use an exec plugin")
            }
            let u = User(
                token: try p.string(entry.body, "token", at: path),
                tokenFile: try p.path(entry.body, "tokenFile", at: path),
                clientCertificate: try p.path(entry.body, "client-certificate", at: path),
                clientCertificateData: try p.base64(entry.body, "client-certificate-data", at: path),
                clientKey: try p.path(entry.body, "client-key", at: path),
                clientKeyData: try p.base64(entry.body, "client-key-data", at: path),
                username: try p.string(entry.body, "username", at: path),
                password: try p.string(entry.body, "password", at: path),
                exec: try p.exec(entry.body["exec"], at: path + ".exec"),
                source: file)
            if config.users[entry.name] == nil { config.users[entry.name] = u }
        }
        for (i, entry) in try p.entries(doc, "contexts", body: "context") {
            let path = "contexts[\(i)].context"
            guard let cluster = try p.string(entry.body, "cluster", at: path), !cluster.isEmpty else {
                throw p.fail(path + ".cluster", "missing")
            }
            let c = Context(cluster: cluster, user: try p.string(entry.body, "user", at: path),
                            namespace: try p.string(entry.body, "namespace", at: path), source: file)
            if config.contexts[entry.name] == nil { config.contexts[entry.name] = c }
        }
        return config
    }

    /// Reads and parses one file.
    public static func load(file: String) throws(KubeConfigError) -> KubeConfig {
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
            throw .unreadable(file: file, reason: Self.reason(error))
        }
        return try parse(text, file: file)
    }

    /// Merges `other` under this config: entries and `current-context` already here win, as kubectl
    /// does for the files of `KUBECONFIG`.
    public func merging(_ other: KubeConfig) -> KubeConfig {
        var m = self
        m.clusters.merge(other.clusters) { mine, _ in mine }
        m.users.merge(other.users) { mine, _ in mine }
        m.contexts.merge(other.contexts) { mine, _ in mine }
        if m.currentContext == nil { m.currentContext = other.currentContext }
        m.files += other.files
        return m
    }

    static func reason(_ error: any Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain,
           let msg = strerror(Int32(underlying.code)) {
            return String(cString: msg)
        }
        if ns.domain == NSCocoaErrorDomain && ns.code == NSFileReadNoSuchFileError { return "no such file" }
        return ns.localizedDescription
    }
}

/// Reads typed fields out of a kubeconfig document, turning type mismatches into one-line errors
/// that name the file and the field path.
private struct FieldReader {
    let file: String
    let directory: String

    func fail(_ path: String, _ message: String) -> KubeConfigError {
        .invalid(file: file, message: path.isEmpty ? message : path + ": " + message)
    }

    /// `dir/relative` with `.` and `..` resolved lexically (symlinks are left alone).
    static func resolve(_ relative: String, in dir: String) -> String {
        URL(fileURLWithPath: relative, relativeTo: URL(fileURLWithPath: dir.isEmpty ? "." : dir, isDirectory: true))
            .standardizedFileURL.path
    }

    func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : path + "." + key }

    func string(_ obj: JSON, _ key: String, at path: String) throws(KubeConfigError) -> String? {
        let v = obj[key]
        switch v {
        case .null: return nil
        case .string(let s): return s
        // YAML turns unquoted numbers and booleans into scalars; a token or name may be one.
        case .int(let i): return String(i)
        case .bool(let b): return String(b)
        default: throw fail(join(path, key), "expected a string, got \(v.typeName)")
        }
    }

    func path(_ obj: JSON, _ key: String, at p: String) throws(KubeConfigError) -> String? {
        guard let s = try string(obj, key, at: p), !s.isEmpty else { return nil }
        let expanded = s.hasPrefix("~/") ? NSHomeDirectory() + String(s.dropFirst(1)) : s
        if expanded.hasPrefix("/") { return expanded }
        return Self.resolve(expanded, in: directory)
    }

    func base64(_ obj: JSON, _ key: String, at p: String) throws(KubeConfigError) -> Data? {
        guard let s = try string(obj, key, at: p), !s.isEmpty else { return nil }
        let compact = s.filter { !$0.isWhitespace }
        guard let d = Data(base64Encoded: compact) else { throw fail(join(p, key), "invalid base64") }
        return d
    }

    func literalTrue(_ obj: JSON, _ key: String, at p: String) throws(KubeConfigError) -> Bool {
        switch obj[key] {
        case .null: return false
        case .bool(let b): return b
        case let v: throw fail(join(p, key), "expected true or false, got \(v.typeName) \(v.serialized())")
        }
    }

    /// `[{name: n, <body>: {...}}]` entries; `body` may be missing (an empty entry).
    func entries(_ doc: JSON, _ key: String, body: String) throws(KubeConfigError) -> [(Int, (name: String, body: JSON))] {
        let v = doc[key]
        if v.isNull { return [] }
        guard let list = v.arrayValue else { throw fail(key, "expected a list, got \(v.typeName)") }
        var out: [(Int, (name: String, body: JSON))] = []
        for (i, item) in list.enumerated() {
            guard item.objectValue != nil else { throw fail("\(key)[\(i)]", "expected a mapping, got \(item.typeName)") }
            guard let name = try string(item, "name", at: "\(key)[\(i)]"), !name.isEmpty else {
                throw fail("\(key)[\(i)].name", "missing")
            }
            let b = item[body]
            if !b.isNull && b.objectValue == nil { throw fail("\(key)[\(i)].\(body)", "expected a mapping, got \(b.typeName)") }
            out.append((i, (name, b.isNull ? .object([:]) : b)))
        }
        return out
    }

    func exec(_ v: JSON, at p: String) throws(KubeConfigError) -> ExecConfig? {
        if v.isNull { return nil }
        guard v.objectValue != nil else { throw fail(p, "expected a mapping, got \(v.typeName)") }
        guard var command = try string(v, "command", at: p), !command.isEmpty else { throw fail(p + ".command", "missing") }
        // kubectl resolves a relative command that names a path against the kubeconfig's directory.
        if command.contains("/") && !command.hasPrefix("/") {
            command = Self.resolve(command, in: directory)
        }
        guard let apiVersion = try string(v, "apiVersion", at: p), !apiVersion.isEmpty else {
            throw fail(p + ".apiVersion", "missing (want one of \(ExecConfig.supportedAPIVersions.joined(separator: ", ")))")
        }
        guard ExecConfig.supportedAPIVersions.contains(apiVersion) else {
            throw fail(p + ".apiVersion", "unsupported \"\(apiVersion)\" (want one of \(ExecConfig.supportedAPIVersions.joined(separator: ", ")))")
        }
        var args: [String] = []
        if !v["args"].isNull {
            guard let list = v["args"].arrayValue else { throw fail(p + ".args", "expected a list, got \(v["args"].typeName)") }
            for (i, a) in list.enumerated() {
                guard let s = try string(.object(["a": a]), "a", at: "\(p).args[\(i)]") else {
                    throw fail("\(p).args[\(i)]", "expected a string, got null")
                }
                args.append(s)
            }
        }
        var env: [ExecConfig.EnvEntry] = []
        if !v["env"].isNull {
            guard let list = v["env"].arrayValue else { throw fail(p + ".env", "expected a list, got \(v["env"].typeName)") }
            for (i, e) in list.enumerated() {
                guard let name = try string(e, "name", at: "\(p).env[\(i)]"), !name.isEmpty else {
                    throw fail("\(p).env[\(i)].name", "missing")
                }
                env.append(.init(name: name, value: try string(e, "value", at: "\(p).env[\(i)]") ?? ""))
            }
        }
        let provide = try literalTrue(v, "provideClusterInfo", at: p)
        let mode = try string(v, "interactiveMode", at: p)
        if let m = mode, !["Never", "IfAvailable", "Always"].contains(m) {
            throw fail(p + ".interactiveMode", "unsupported \"\(m)\" (want Never, IfAvailable or Always)")
        }
        return ExecConfig(command: command, args: args, env: env, apiVersion: apiVersion,
                          installHint: try string(v, "installHint", at: p), provideClusterInfo: provide,
                          interactiveMode: mode)
    }
}
