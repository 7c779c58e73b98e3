import Foundation
import RuntimeCore

/// A client-go credential plugin (`users[].user.exec` in a kubeconfig).
public struct ExecConfig: Sendable, Hashable {
    /// The program: an absolute path, a path relative to the kubeconfig's directory (already resolved
    /// by the loader), or a bare name looked up in `PATH`.
    public var command: String
    /// Arguments.
    public var args: [String]
    /// Extra environment variables for the plugin, in order.
    public var env: [EnvEntry]
    /// `client.authentication.k8s.io/v1` or `client.authentication.k8s.io/v1beta1`; the plugin must
    /// answer with the same version.
    public var apiVersion: String
    /// Shown when the program cannot be started.
    public var installHint: String?
    /// Pass the cluster's details in `KUBERNETES_EXEC_INFO`.
    public var provideClusterInfo: Bool
    /// `Never`, `IfAvailable` or `Always`; the operator never has a terminal, so `Always` fails.
    public var interactiveMode: String?
    /// The cluster passed with `provideClusterInfo` (`server`, `certificate-authority-data`, ...).
    public var cluster: JSON?
    /// How long the plugin may run.
    public var timeout: Duration

    /// One environment variable of the plugin.
    public struct EnvEntry: Sendable, Hashable {
        /// The name.
        public var name: String
        /// The value.
        public var value: String
        /// Creates a variable.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The API versions of ExecCredential this client speaks.
    public static let supportedAPIVersions = ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"]

    /// Creates a plugin configuration.
    public init(command: String, args: [String] = [], env: [EnvEntry] = [],
                apiVersion: String = "client.authentication.k8s.io/v1", installHint: String? = nil,
                provideClusterInfo: Bool = false, interactiveMode: String? = nil, cluster: JSON? = nil,
                timeout: Duration = .seconds(60)) {
        self.command = command
        self.args = args
        self.env = env
        self.apiVersion = apiVersion
        self.installHint = installHint
        self.provideClusterInfo = provideClusterInfo
        self.interactiveMode = interactiveMode
        self.cluster = cluster
        self.timeout = timeout
    }
}

/// The `status` of an ExecCredential: what the plugin hands back.
public struct ExecCredentialStatus: Sendable, Hashable {
    /// A bearer token.
    public var token: String?
    /// A PEM client certificate (with `clientKeyData`).
    public var clientCertificateData: String?
    /// The PEM key of `clientCertificateData`.
    public var clientKeyData: String?
    /// When the credential expires; nil means it is used until a request gets a 401.
    public var expirationTimestamp: Date?

    /// Creates a status.
    public init(token: String? = nil, clientCertificateData: String? = nil, clientKeyData: String? = nil,
                expirationTimestamp: Date? = nil) {
        self.token = token
        self.clientCertificateData = clientCertificateData
        self.clientKeyData = clientKeyData
        self.expirationTimestamp = expirationTimestamp
    }

    /// Whether the credential is still usable at `now`.
    public func isValid(at now: Date) -> Bool { expirationTimestamp.map { now < $0 } ?? true }

    /// Parses a plugin's standard output.
    public static func parse(_ output: Data, config: ExecConfig) throws(KubeError) -> ExecCredentialStatus {
        let name = (config.command as NSString).lastPathComponent
        guard let json = try? JSON.parse(output), json.objectValue != nil else {
            throw .credentials("exec plugin \(name): output is not a JSON object")
        }
        guard json["kind"].stringValue == "ExecCredential" else {
            throw .credentials("exec plugin \(name): kind is \(json["kind"].stringValue.map { "\"\($0)\"" } ?? "missing"), want \"ExecCredential\"")
        }
        let version = json["apiVersion"].stringValue ?? ""
        guard version == config.apiVersion else {
            throw .credentials("exec plugin \(name): apiVersion \"\(version)\" does not match the configured \"\(config.apiVersion)\"")
        }
        let s = json["status"]
        guard s.objectValue != nil else { throw .credentials("exec plugin \(name): status is missing") }
        var out = ExecCredentialStatus(token: s["token"].stringValue, clientCertificateData: s["clientCertificateData"].stringValue,
                                       clientKeyData: s["clientKeyData"].stringValue)
        if let t = s["expirationTimestamp"].stringValue {
            guard let d = RFC3339.parse(t) else {
                throw .credentials("exec plugin \(name): invalid status.expirationTimestamp \"\(t)\"")
            }
            out.expirationTimestamp = d
        }
        let hasToken = !(out.token ?? "").isEmpty
        let hasCert = !(out.clientCertificateData ?? "").isEmpty
        let hasKey = !(out.clientKeyData ?? "").isEmpty
        if hasCert != hasKey {
            throw .credentials("exec plugin \(name): clientCertificateData and clientKeyData must be set together")
        }
        if !hasToken && !hasCert {
            throw .credentials("exec plugin \(name): status has neither a token nor a client certificate")
        }
        return out
    }
}

/// Runs credential plugins as child processes, on a dedicated thread (never the cooperative pool).
public enum ExecCredentialRunner {
    /// Runs the plugin and parses its ExecCredential.
    public static func run(_ config: ExecConfig) async throws(KubeError) -> ExecCredentialStatus {
        let output: Data
        do {
            output = try await BlockingWork.run(name: "kubeclient-exec") { () throws(KubeError) -> Data in
                try runBlocking(config)
            }
        } catch let e as KubeError {
            throw e
        } catch {
            throw .credentials("exec plugin \(config.command): \(error)")
        }
        return try ExecCredentialStatus.parse(output, config: config)
    }

    /// The `KUBERNETES_EXEC_INFO` value handed to the plugin.
    static func execInfo(_ config: ExecConfig) -> String {
        var spec: JSON = ["interactive": false]
        if config.provideClusterInfo, let cluster = config.cluster { spec["cluster"] = cluster }
        let info: JSON = ["apiVersion": .string(config.apiVersion), "kind": "ExecCredential", "spec": spec]
        return info.serialized()
    }

    /// Finds a bare command in `PATH`; paths containing `/` are used as given.
    static func resolveExecutable(_ command: String, path: String?) -> String? {
        if command.contains("/") { return FileManager.default.isExecutableFile(atPath: command) ? command : nil }
        for dir in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") where !dir.isEmpty {
            let candidate = String(dir) + "/" + command
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    private static func runBlocking(_ config: ExecConfig) throws(KubeError) -> Data {
        let name = (config.command as NSString).lastPathComponent
        if config.interactiveMode == "Always" {
            throw .credentials("exec plugin \(name): interactiveMode Always needs a terminal, and this process has none")
        }
        var env = ProcessInfo.processInfo.environment
        for e in config.env { env[e.name] = e.value }
        env["KUBERNETES_EXEC_INFO"] = execInfo(config)
        guard let executable = resolveExecutable(config.command, path: env["PATH"]) else {
            var msg = "exec plugin \(name): executable \"\(config.command)\" not found"
            if let hint = config.installHint, !hint.isEmpty {
                msg += " (" + hint.replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces) + ")"
            }
            throw .credentials(msg)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = config.args
        process.environment = env
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw .credentials("exec plugin \(name): cannot start \(executable): \(error)")
        }
        // The plugin may fill the stderr pipe while we read stdout: drain it on its own thread.
        let errBox = Locked(Data())
        let errDone = DispatchSemaphore(value: 0)
        let errThread = Thread {
            let d = stderr.fileHandleForReading.readDataToEndOfFile()
            errBox.withLock { $0 = d }
            errDone.signal()
        }
        errThread.name = "kubeclient-exec-stderr"
        errThread.start()
        let timedOut = Locked(false)
        let box = ProcessBox(process)
        DispatchQueue.global().asyncAfter(deadline: .now() + config.timeout.inSeconds) {
            if box.process.isRunning {
                timedOut.withLock { $0 = true }
                // SIGKILL: the plugin may ignore SIGTERM (inherited dispositions), and it has no state to save.
                kill(box.process.processIdentifier, SIGKILL)
            }
        }
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        errDone.wait()
        process.waitUntilExit()
        if timedOut.current {
            throw .credentials("exec plugin \(name): timed out after \(String(format: "%g", config.timeout.inSeconds)) s")
        }
        guard process.terminationStatus == 0, process.terminationReason == .exit else {
            let err = String(decoding: errBox.current, as: UTF8.self)
                .split(separator: "\n").first.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? ""
            let how = process.terminationReason == .exit ? "exit status \(process.terminationStatus)" : "killed by signal \(process.terminationStatus)"
            throw .credentials("exec plugin \(name) failed: \(how)" + (err.isEmpty ? "" : ": " + err))
        }
        return out
    }
}

/// Lets the timeout timer reach the Process; `isRunning` and `processIdentifier` are safe to read from
/// another thread.
private final class ProcessBox: @unchecked Sendable {
    let process: Process
    init(_ process: Process) { self.process = process }
}
