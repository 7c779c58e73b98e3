import CurlHTTP
import Foundation
import RuntimeCore

/// Finds the cluster configuration the way the contract (§8) and client-go do:
/// `--kubeconfig` flag, then `KUBECONFIG` (a colon-separated list merged with first-wins per entry;
/// missing files are skipped), then the in-cluster service account, then `~/.kube/config`.
public struct KubeConfigLoader: Sendable {
    /// The `--kubeconfig` flag; when set, only this file is used.
    public var explicitPath: String?
    /// Context override (`--context`); nil uses `current-context`.
    public var context: String?
    /// Namespace override (`--namespace`); nil uses the context's, then `default`.
    public var namespace: String?
    /// The environment (`KUBECONFIG`, `KUBERNETES_SERVICE_HOST/PORT`, `HOME`).
    public var environment: [String: String]
    /// Where the service account files live (injectable for tests).
    public var inClusterDirectory: String
    /// The home directory for `~/.kube/config`; nil uses `HOME`.
    public var homeDirectory: String?

    /// The service account directory of every pod.
    public static let defaultInClusterDirectory = "/var/run/secrets/kubernetes.io/serviceaccount"

    /// Creates a loader.
    public init(explicitPath: String? = nil, context: String? = nil, namespace: String? = nil,
                environment: [String: String] = ProcessInfo.processInfo.environment,
                inClusterDirectory: String = KubeConfigLoader.defaultInClusterDirectory,
                homeDirectory: String? = nil) {
        self.explicitPath = explicitPath
        self.context = context
        self.namespace = namespace
        self.environment = environment
        self.inClusterDirectory = inClusterDirectory
        self.homeDirectory = homeDirectory
    }

    /// Resolves the configuration. Reads files synchronously: call it at startup, or use
    /// ``loadInBackground()`` from async code.
    public func load() throws(KubeConfigError) -> ClientConfig {
        var config = try resolve()
        if let ns = namespace, !ns.isEmpty { config.namespace = ns }
        return config
    }

    /// ``load()`` on a dedicated thread, so the cooperative pool never blocks on file reads.
    public func loadInBackground() async throws(KubeConfigError) -> ClientConfig {
        let me = self
        do {
            return try await BlockingWork.run(name: "kubeconfig-load") { () throws(KubeConfigError) -> ClientConfig in
                try me.load()
            }
        } catch let e as KubeConfigError {
            throw e
        } catch {
            throw .notFound("\(error)")
        }
    }

    private func resolve() throws(KubeConfigError) -> ClientConfig {
        if let path = explicitPath, !path.isEmpty {
            return try Self.clientConfig(from: KubeConfig.load(file: path), context: context)
        }
        if let list = environment["KUBECONFIG"], !list.isEmpty {
            let files = list.split(separator: ":").map(String.init).filter { !$0.isEmpty }
            var merged: KubeConfig?
            for f in files where FileManager.default.fileExists(atPath: f) {
                let c = try KubeConfig.load(file: f)
                merged = merged.map { $0.merging(c) } ?? c
            }
            if let m = merged { return try Self.clientConfig(from: m, context: context) }
        }
        if environment["KUBERNETES_SERVICE_HOST"].map({ !$0.isEmpty }) ?? false,
           FileManager.default.fileExists(atPath: inClusterDirectory + "/token")
        {
            return try Self.inCluster(environment: environment, directory: inClusterDirectory)
        }
        let home = homeDirectory ?? environment["HOME"] ?? NSHomeDirectory()
        let defaultPath = (home as NSString).appendingPathComponent(".kube/config")
        if FileManager.default.fileExists(atPath: defaultPath) {
            return try Self.clientConfig(from: KubeConfig.load(file: defaultPath), context: context)
        }
        var tried = ["--kubeconfig not given"]
        tried.append(environment["KUBECONFIG"].map { $0.isEmpty ? "KUBECONFIG empty" : "KUBECONFIG=\($0) has no existing file" } ?? "KUBECONFIG unset")
        tried.append("not in a cluster (KUBERNETES_SERVICE_HOST unset or no service account token)")
        tried.append("\(defaultPath) missing")
        throw .notFound(tried.joined(separator: "; "))
    }

    /// The in-cluster configuration: `https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT`, the
    /// service account CA, the token file (re-read every minute) and the namespace file.
    public static func inCluster(environment: [String: String] = ProcessInfo.processInfo.environment,
                                 directory: String = defaultInClusterDirectory) throws(KubeConfigError) -> ClientConfig {
        guard let host = environment["KUBERNETES_SERVICE_HOST"], !host.isEmpty,
              let port = environment["KUBERNETES_SERVICE_PORT"], !port.isEmpty
        else { throw .inCluster("KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set") }
        let tokenPath = directory + "/token"
        guard FileManager.default.isReadableFile(atPath: tokenPath) else {
            throw .inCluster("service account token \(tokenPath) is not readable")
        }
        let caPath = directory + "/ca.crt"
        var tls = TLSConfiguration()
        if FileManager.default.fileExists(atPath: caPath) { tls.caFile = caPath }
        var namespace = "default"
        if let data = FileManager.default.contents(atPath: directory + "/namespace") {
            let ns = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if !ns.isEmpty { namespace = ns }
        }
        // An IPv6 service address needs brackets in a URL.
        let hostPart = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return ClientConfig(server: "https://\(hostPart):\(port)", tls: tls, credentials: .tokenFile(tokenPath),
                            namespace: namespace, source: "in-cluster")
    }

    /// Resolves one context of a parsed kubeconfig into a client configuration.
    public static func clientConfig(from config: KubeConfig, context override: String? = nil) throws(KubeConfigError) -> ClientConfig {
        let files = config.files.joined(separator: ":")
        guard let contextName = override ?? config.currentContext, !contextName.isEmpty else {
            throw .invalid(file: files, message: "no current-context set and no context given")
        }
        guard let ctx = config.contexts[contextName] else {
            throw .invalid(file: files, message: "context \"\(contextName)\" not found")
        }
        guard let cluster = config.clusters[ctx.cluster] else {
            throw .invalid(file: ctx.source, message: "cluster \"\(ctx.cluster)\" (of context \"\(contextName)\") not found")
        }
        guard let server = cluster.server, !server.isEmpty else {
            throw .invalid(file: cluster.source, message: "cluster \"\(ctx.cluster)\" has no server")
        }
        let lower = server.lowercased()
        guard lower.hasPrefix("https://") || lower.hasPrefix("http://") else {
            throw .invalid(file: cluster.source, message: "cluster \"\(ctx.cluster)\": server \"\(server)\" is not an http(s) URL")
        }
        var user: KubeConfig.User?
        if let userName = ctx.user, !userName.isEmpty {
            guard let u = config.users[userName] else {
                throw .invalid(file: ctx.source, message: "user \"\(userName)\" (of context \"\(contextName)\") not found")
            }
            user = u
        }
        var tls = TLSConfiguration(caFile: cluster.certificateAuthority, caData: cluster.certificateAuthorityData,
                                   insecureSkipVerify: cluster.insecureSkipTLSVerify, serverName: cluster.tlsServerName)
        var credentials = Credentials.none
        if let u = user, let userName = ctx.user {
            if u.clientCertificate != nil && u.clientCertificateData != nil {
                throw .invalid(file: u.source, message: "user \"\(userName)\": client-certificate and client-certificate-data are both set")
            }
            if u.clientKey != nil && u.clientKeyData != nil {
                throw .invalid(file: u.source, message: "user \"\(userName)\": client-key and client-key-data are both set")
            }
            let hasCert = u.clientCertificate != nil || u.clientCertificateData != nil
            let hasKey = u.clientKey != nil || u.clientKeyData != nil
            if hasCert != hasKey {
                throw .invalid(file: u.source, message: "user \"\(userName)\": a client certificate needs a client key and vice versa")
            }
            tls.clientCertFile = u.clientCertificate
            tls.clientCertData = u.clientCertificateData
            tls.clientKeyFile = u.clientKey
            tls.clientKeyData = u.clientKeyData
            let hasToken = !(u.token ?? "").isEmpty
            let hasBasic = !(u.username ?? "").isEmpty || !(u.password ?? "").isEmpty
            if hasToken && hasBasic {
                throw .invalid(file: u.source, message: "user \"\(userName)\": more than one authentication method (token and username/password)")
            }
            if let t = u.token, !t.isEmpty {
                credentials = .bearerToken(t)
            } else if let f = u.tokenFile {
                credentials = .tokenFile(f)
            } else if var exec = u.exec {
                if exec.provideClusterInfo { exec.cluster = Self.execClusterInfo(cluster, server: server) }
                credentials = .exec(exec)
            } else if hasBasic {
                credentials = .basic(username: u.username ?? "", password: u.password ?? "")
            }
        }
        let namespace = ctx.namespace.flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        return ClientConfig(server: server, tls: lower.hasPrefix("https://") ? tls : nil, credentials: credentials,
                            namespace: namespace, source: "kubeconfig \(ctx.source) (context \(contextName))")
    }

    /// The `spec.cluster` of `KUBERNETES_EXEC_INFO` (client.authentication.k8s.io Cluster).
    static func execClusterInfo(_ c: KubeConfig.Cluster, server: String) -> JSON {
        var j: JSON = ["server": .string(server)]
        if let n = c.tlsServerName { j["tls-server-name"] = .string(n) }
        if c.insecureSkipTLSVerify { j["insecure-skip-tls-verify"] = true }
        if let d = c.certificateAuthorityData ?? c.certificateAuthority.flatMap({ FileManager.default.contents(atPath: $0) }) {
            j["certificate-authority-data"] = .string(d.base64EncodedString())
        }
        return j
    }
}
