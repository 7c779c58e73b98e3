import CurlHTTP
import Foundation
import KubeClient
import RuntimeCore

/// `kube-emulator` as a process on a random loopback port, optionally with the process kubelet.
public final class KubeEmulatorProcess: Sendable {
    /// The process.
    public let process: ManagedProcess
    /// The kubeconfig it wrote.
    public let kubeconfig: String
    /// Its base URL.
    public let server: String
    /// Where the kubelet keeps pod directories (with `runPods`).
    public let workRoot: String

    /// Starts the emulator and waits for `ready`. `extraArgs` go to the command line (faults...).
    public init(runPods: Bool = false, extraArgs: [String] = [], directory: String) async throws {
        let binary = try BuiltBinaries.path("kube-emulator")
        kubeconfig = directory + "/emulator.kubeconfig"
        workRoot = directory + "/pods"
        var args = ["--listen", "127.0.0.1:0", "--kubeconfig-out", kubeconfig, "--log-format", "text", "--log-level", "info"]
        if runPods {
            args += ["--run-pods", "--supervisor-binary", try BuiltBinaries.path("agent-supervisor"), "--pod-root", workRoot]
        }
        process = try ManagedProcess(name: "kube-emulator", executable: binary, arguments: args + extraArgs, logDirectory: directory)
        try await process.waitForLog("ready")
        let text = try String(contentsOfFile: kubeconfig, encoding: .utf8)
        guard let range = text.range(of: #"http://[0-9.]+:[0-9]+"#, options: .regularExpression) else {
            throw TestSupportError.notReady("kube-emulator (no server in kubeconfig)", log: text)
        }
        server = String(text[range])
    }

    /// A KubeClient for the emulator.
    public func client(metrics: MetricsRegistry? = nil) -> KubeClient {
        KubeClient(config: ClientConfig(server: server, namespace: "default"), metrics: metrics,
                   logger: Logger(label: "test-client", sink: .memory()))
    }

    /// POST to one of the emulator's fault endpoints (`/emulator/drop-watches`, `/emulator/compact`).
    public func post(_ path: String) async throws {
        let r = try await HTTPClient.shared.execute(HTTPClientRequest(method: "POST", url: server + path, timeout: .seconds(5)))
        guard (200..<300).contains(r.status) else { throw TestSupportError.timeout("POST \(path) answered \(r.status)") }
    }

    /// PUT /emulator/faults with a JSON body.
    public func setFaults(_ faults: JSON) async throws {
        let r = try await HTTPClient.shared.execute(HTTPClientRequest(method: "PUT", url: server + "/emulator/faults",
                                                                       headers: [("Content-Type", "application/json")],
                                                                       body: faults.data(), timeout: .seconds(5)))
        guard (200..<300).contains(r.status) else { throw TestSupportError.timeout("PUT /emulator/faults answered \(r.status)") }
    }

    /// Stops it.
    public func stop() async { await process.stop() }
}

/// `agent-operator` as a process with random metrics and health ports.
public final class OperatorProcess: Sendable {
    /// The process.
    public let process: ManagedProcess
    /// `http://127.0.0.1:<port>` of /metrics.
    public let metricsURL: String
    /// `http://127.0.0.1:<port>` of /healthz and /readyz.
    public let healthURL: String

    /// Starts the operator and waits until `/readyz` answers 200 (unless `waitReady` is false).
    public init(kubeconfig: String, etcdEndpoint: String?, extraArgs: [String] = [], directory: String, name: String = "agent-operator",
                waitReady: Bool = true) async throws {
        let binary = try BuiltBinaries.path("agent-operator")
        let metricsPort = try freeLoopbackPort()
        var healthPort = try freeLoopbackPort()
        while healthPort == metricsPort { healthPort = try freeLoopbackPort() }
        metricsURL = "http://127.0.0.1:\(metricsPort)"
        healthURL = "http://127.0.0.1:\(healthPort)"
        var args = ["--kubeconfig", kubeconfig, "--metrics-addr", "127.0.0.1:\(metricsPort)", "--health-addr", "127.0.0.1:\(healthPort)",
                    "--log-format", "text", "--log-level", "debug"]
        if let etcdEndpoint { args += ["--etcd-endpoints", etcdEndpoint] }
        process = try ManagedProcess(name: name, executable: binary, arguments: args + extraArgs, logDirectory: directory)
        if waitReady { try await waitUntilReady() }
    }

    /// Waits until `/readyz` answers 200.
    public func waitUntilReady(timeout: Duration = .seconds(30)) async throws {
        let url = healthURL + "/readyz"
        let ok = await eventually(timeout, every: .milliseconds(100)) {
            if !process.isRunning { return true }
            return (try? await HTTPClient.shared.execute(HTTPClientRequest(url: url, timeout: .seconds(2))))?.status == 200
        }
        if let status = process.exitStatus { throw TestSupportError.exited("agent-operator", status: status, log: process.logTail()) }
        guard ok else { throw TestSupportError.notReady("agent-operator", log: process.logTail()) }
    }

    /// The `/metrics` text.
    public func metrics() async throws -> String {
        let r = try await HTTPClient.shared.execute(HTTPClientRequest(url: metricsURL + "/metrics", timeout: .seconds(5)))
        return String(decoding: r.body, as: UTF8.self)
    }

    /// Sum of a metric's samples whose label text contains every fragment in `labels`.
    public func metricValue(_ name: String, labels: [String] = []) async throws -> Double {
        MetricsText.sum(try await metrics(), name: name, labels: labels)
    }
}

/// Reading Prometheus text.
public enum MetricsText {
    /// Sum of the samples of `name` (exact family sample name) whose label text contains all `labels`.
    public static func sum(_ text: String, name: String, labels: [String] = []) -> Double {
        var total = 0.0
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard line.hasPrefix(name) else { continue }
            let rest = line.dropFirst(name.count)
            guard rest.first == "{" || rest.first == " " else { continue }
            if !labels.allSatisfy({ rest.contains($0) }) { continue }
            if let v = line.split(separator: " ").last.flatMap({ Double($0) }) { total += v }
        }
        return total
    }
}

/// The real kubectl, run without blocking the pool.
public struct Kubectl: Sendable {
    /// The kubeconfig it uses.
    public let kubeconfig: String

    /// kubectl on PATH, or nil.
    public static let path = BuiltBinaries.onPath("kubectl")

    /// A kubectl for a kubeconfig. Throws when kubectl is missing.
    public init(kubeconfig: String) throws {
        guard Self.path != nil else { throw TestSupportError.missingBinary("kubectl") }
        self.kubeconfig = kubeconfig
    }

    /// Runs `kubectl args` (with `input` on stdin); returns the outcome.
    @discardableResult
    public func run(_ args: [String], input: String? = nil) async throws -> (status: Int32, stdout: String, stderr: String) {
        try await runToCompletion(Self.path!, args, environment: ["KUBECONFIG": kubeconfig, "HOME": NSTemporaryDirectory()],
                                  input: input)
    }

    /// `kubectl apply -f -` with YAML text; throws with kubectl's stderr on failure.
    @discardableResult
    public func apply(_ yaml: String) async throws -> String {
        let r = try await run(["apply", "-f", "-"], input: yaml)
        guard r.status == 0 else { throw KubectlError(message: r.stderr) }
        return r.stdout
    }
}

/// A kubectl command failed; `message` is its stderr.
public struct KubectlError: Error, CustomStringConvertible, Sendable {
    /// kubectl's stderr.
    public let message: String
    public var description: String { "kubectl: \(message)" }
}

/// A temporary directory removed by ``remove()``.
public struct TempDirectory: Sendable {
    /// Its path.
    public let path: String

    /// Creates one.
    public init(prefix: String = "agent-test") throws {
        path = NSTemporaryDirectory() + prefix + "-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// Removes it.
    public func remove() { try? FileManager.default.removeItem(atPath: path) }
}
