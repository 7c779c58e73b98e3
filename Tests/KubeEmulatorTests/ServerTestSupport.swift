import Foundation
import XCTest

/// Runs the real kubectl binary for tests.
enum Kubectl {
    /// kubectl on PATH (or in /usr/bin), nil when absent.
    static let path: String? = {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/bin", "/usr/local/bin"]
        return dirs.map { "\($0)/kubectl" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs kubectl to completion (60 s at most).
    static func run(_ args: [String], kubeconfig: String, input: String? = nil) throws -> Result {
        let p = try start(args, kubeconfig: kubeconfig, input: input)
        return try p.waitForExit(timeout: 60)
    }

    /// Starts kubectl in the background.
    static func start(_ args: [String], kubeconfig: String, input: String? = nil) throws -> Running {
        try Running(args, kubeconfig: kubeconfig, input: input)
    }

    /// The watch event types printed by `kubectl get --watch --output-watch-events -o json`.
    static func eventTypes(_ output: String) -> [String] {
        let pattern = try! NSRegularExpression(pattern: #""type":\s*"(ADDED|MODIFIED|DELETED|BOOKMARK|ERROR)""#)
        let ns = output as NSString
        return pattern.matches(in: output, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range(at: 1)) }
    }

    /// A kubectl process whose output is collected as it arrives.
    final class Running: @unchecked Sendable {
        let process = Process()
        private let lock = NSLock()
        private var out = Data()
        private var err = Data()
        private let outPipe = Pipe(), errPipe = Pipe()

        init(_ args: [String], kubeconfig: String, input: String?) throws {
            process.executableURL = URL(fileURLWithPath: Kubectl.path!)
            process.arguments = args
            var env = ProcessInfo.processInfo.environment
            env["KUBECONFIG"] = kubeconfig
            env["HOME"] = FileManager.default.temporaryDirectory.path  // no user cache or config leaks in
            process.environment = env
            let o = outPipe, e = errPipe, i = Pipe()
            process.standardOutput = o
            process.standardError = e
            process.standardInput = i
            o.fileHandleForReading.readabilityHandler = { [weak self] h in
                let d = h.availableData
                self?.lock.withLock { self?.out.append(d) }
            }
            e.fileHandleForReading.readabilityHandler = { [weak self] h in
                let d = h.availableData
                self?.lock.withLock { self?.err.append(d) }
            }
            try process.run()
            if let input { i.fileHandleForWriting.write(Data(input.utf8)) }
            try? i.fileHandleForWriting.close()
        }

        var isRunning: Bool { process.isRunning }
        var stdout: String { lock.withLock { String(decoding: out, as: UTF8.self) } }
        var stderr: String { lock.withLock { String(decoding: err, as: UTF8.self) } }

        /// Polls stdout until `check` returns a value or the deadline passes.
        func waitForOutput<T>(timeout: TimeInterval, _ check: (String) -> T?) throws -> T {
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline {
                if let v = check(stdout) { return v }
                usleep(50_000)
            }
            throw NSError(domain: "kubectl", code: 1, userInfo: [
                NSLocalizedDescriptionKey: "timed out waiting for kubectl output; stdout: \(stdout) stderr: \(stderr)",
            ])
        }

        /// Waits for the process to exit.
        func waitForExit(timeout: TimeInterval) throws -> Result {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning {
                terminate()
                throw NSError(domain: "kubectl", code: 2, userInfo: [NSLocalizedDescriptionKey: "kubectl did not exit in \(timeout)s: \(stderr)"])
            }
            // Collect whatever the handlers have not read yet.
            for (pipe, isOut) in [(outPipe, true), (errPipe, false)] {
                pipe.fileHandleForReading.readabilityHandler = nil
                let rest = pipe.fileHandleForReading.readDataToEndOfFile()
                lock.withLock { if isOut { out.append(rest) } else { err.append(rest) } }
            }
            return Result(status: process.terminationStatus, stdout: stdout, stderr: stderr)
        }

        func terminate() {
            if process.isRunning { process.terminate() }
        }
    }
}
