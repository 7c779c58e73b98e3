import Foundation

/// Errors of the process-level test helpers (one line each).
public enum TestSupportError: Error, CustomStringConvertible, Sendable {
    /// A binary is missing (not built, or not installed).
    case missingBinary(String)
    /// A process did not become ready in time; the log tail says why.
    case notReady(String, log: String)
    /// A process exited early.
    case exited(String, status: Int32, log: String)
    /// A condition did not hold in time.
    case timeout(String)

    public var description: String {
        switch self {
        case .missingBinary(let b): return "missing binary: \(b)"
        case .notReady(let p, let log): return "\(p) not ready; log tail:\n\(log)"
        case .exited(let p, let s, let log): return "\(p) exited with status \(s); log tail:\n\(log)"
        case .timeout(let what): return "timed out: \(what)"
        }
    }
}

/// Where the package's built executables are: `$AGENT_BIN_DIR`, else the directory of the running test
/// bundle (SwiftPM puts executables and the test bundle side by side).
public enum BuiltBinaries {
    /// The bin directory.
    public static let directory: String = {
        if let d = ProcessInfo.processInfo.environment["AGENT_BIN_DIR"], !d.isEmpty { return d }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var url = URL(fileURLWithPath: exe)
        // .../debug/agent-runtimePackageTests.xctest (a file on Linux) → .../debug
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("kube-emulator").path) { return url.path }
        }
        return URL(fileURLWithPath: exe).deletingLastPathComponent().path
    }()

    /// The path of a built executable, or an error naming what to build.
    public static func path(_ name: String) throws -> String {
        let p = directory + "/" + name
        guard FileManager.default.isExecutableFile(atPath: p) else {
            throw TestSupportError.missingBinary("\(p) (swift build --product \(name))")
        }
        return p
    }

    /// A program on PATH (kubectl, etcd), or nil.
    public static func onPath(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") + ["/usr/bin", "/usr/local/bin"] {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

/// A free TCP port on 127.0.0.1 (bound, read, released).
public func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(.EMFILE) }
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = 0
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
    }
    guard bound else { throw POSIXError(.EADDRINUSE) }
    return Int(UInt16(bigEndian: addr.sin_port))
}

/// Polls `condition` every `interval` until it holds (true) or `timeout` passes (false). Never blocks a
/// thread: waits with `Task.sleep`.
public func eventually(_ timeout: Duration = .seconds(10), every interval: Duration = .milliseconds(100),
                       _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if try await condition() { return true }
        if ContinuousClock.now >= deadline { return false }
        try? await Task.sleep(for: interval)
    }
}

/// Like ``eventually(_:every:_:)`` but returns the first non-nil value, or throws ``TestSupportError/timeout(_:)``.
@discardableResult
public func waitFor<T>(_ what: String, timeout: Duration = .seconds(10), every interval: Duration = .milliseconds(100),
                       _ probe: () async throws -> T?) async throws -> T {
    let deadline = ContinuousClock.now + timeout
    var lastError: (any Error)?
    while true {
        do {
            if let v = try await probe() { return v }
        } catch {
            lastError = error
        }
        if ContinuousClock.now >= deadline {
            throw TestSupportError.timeout(what + (lastError.map { " (last error: \($0))" } ?? ""))
        }
        try? await Task.sleep(for: interval)
    }
}

/// A child process whose output goes to a log file, killed when the test process dies (a watchdog shell
/// checks on both), and stopped without blocking the cooperative pool.
public final class ManagedProcess: @unchecked Sendable {
    /// A name for messages.
    public let name: String
    /// The executable.
    public let executable: String
    /// Its arguments.
    public let arguments: [String]
    /// Combined stdout and stderr.
    public let logPath: String
    private let lock = NSLock()
    private var process: Process?
    private var watchdog: Process?

    /// Starts the process (environment: ours plus `environment`).
    public init(name: String, executable: String, arguments: [String], environment: [String: String] = [:],
                workingDirectory: String? = nil, logDirectory: String = NSTemporaryDirectory()) throws {
        self.name = name
        self.executable = executable
        self.arguments = arguments
        logPath = logDirectory + "/\(name)-\(UUID().uuidString.prefix(8)).log"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        if let workingDirectory { p.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = FileHandle(forWritingAtPath: logPath)!
        p.standardOutput = log
        p.standardError = log
        p.standardInput = FileHandle.nullDevice
        try p.run()
        try? log.close()
        let guardian = Process()
        guardian.executableURL = URL(fileURLWithPath: "/bin/sh")
        guardian.arguments = ["-c", "while kill -0 \(getpid()) 2>/dev/null && kill -0 \(p.processIdentifier) 2>/dev/null; do sleep 1; done; kill -9 \(p.processIdentifier) 2>/dev/null"]
        guardian.standardOutput = FileHandle.nullDevice
        guardian.standardError = FileHandle.nullDevice
        try guardian.run()
        process = p
        watchdog = guardian
    }

    /// The process id while running.
    public var pid: Int32? { lock.withLock { process?.isRunning == true ? process?.processIdentifier : nil } }
    /// True while running.
    public var isRunning: Bool { pid != nil }
    /// The exit status once exited.
    public var exitStatus: Int32? { lock.withLock { process.flatMap { $0.isRunning ? nil : $0.terminationStatus } } }

    /// The whole log.
    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
    /// The last `n` characters of the log.
    public func logTail(_ n: Int = 3000) -> String { String(log.suffix(n)) }

    /// Waits until the log contains `marker` (the process' readiness line).
    public func waitForLog(_ marker: String, timeout: Duration = .seconds(30)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if log.contains(marker) { return }
            if let status = exitStatus { throw TestSupportError.exited(name, status: status, log: logTail()) }
            try? await Task.sleep(for: .milliseconds(50))
        }
        throw TestSupportError.notReady(name, log: logTail())
    }

    /// Sends `signal` and waits (up to `timeout`) for the exit; returns the exit status.
    @discardableResult
    public func stop(signal sig: Int32 = SIGTERM, timeout: Duration = .seconds(20)) async -> Int32? {
        let (p, w) = lock.withLock { (process, watchdog) }
        guard let p else { return nil }
        if p.isRunning { kill(p.processIdentifier, sig) }
        let deadline = ContinuousClock.now + timeout
        while p.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            let killDeadline = ContinuousClock.now + .seconds(10)
            while p.isRunning, ContinuousClock.now < killDeadline { try? await Task.sleep(for: .milliseconds(20)) }
        }
        if let w, w.isRunning { kill(w.processIdentifier, SIGKILL) }
        if p.isRunning {
            // Foundation missed the SIGCHLD (it can be lost to a thread with the default disposition) and
            // never reaps the child; reap it here rather than hang the test's teardown forever.
            var status: Int32 = 0
            guard waitpid(p.processIdentifier, &status, 0) == p.processIdentifier else { return nil }
            // Like `Process.terminationStatus`: the exit code, or the number of the signal that ended it.
            return status & 0x7f == 0 ? (status >> 8) & 0xff : status & 0x7f
        }
        return p.terminationStatus
    }

    /// SIGKILL, like a crash.
    public func kill9() async { await stop(signal: SIGKILL, timeout: .seconds(5)) }

    deinit {
        if let p = process, p.isRunning { kill(p.processIdentifier, SIGKILL) }
        if let w = watchdog, w.isRunning { kill(w.processIdentifier, SIGKILL) }
    }
}

/// Runs a program to completion without blocking the cooperative pool; returns status and output.
public func runToCompletion(_ path: String, _ args: [String], environment: [String: String] = [:], input: String? = nil,
                            timeout: Duration = .seconds(60)) async throws -> (status: Int32, stdout: String, stderr: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    var env = ProcessInfo.processInfo.environment
    for (k, v) in environment { env[k] = v }
    p.environment = env
    let base = NSTemporaryDirectory() + "run-" + UUID().uuidString
    _ = FileManager.default.createFile(atPath: base + ".out", contents: nil)
    _ = FileManager.default.createFile(atPath: base + ".err", contents: nil)
    defer {
        try? FileManager.default.removeItem(atPath: base + ".out")
        try? FileManager.default.removeItem(atPath: base + ".err")
        try? FileManager.default.removeItem(atPath: base + ".in")
    }
    let out = FileHandle(forWritingAtPath: base + ".out")!
    let err = FileHandle(forWritingAtPath: base + ".err")!
    p.standardOutput = out
    p.standardError = err
    if let input {
        _ = FileManager.default.createFile(atPath: base + ".in", contents: Data(input.utf8))
        p.standardInput = FileHandle(forReadingAtPath: base + ".in")
    } else {
        p.standardInput = FileHandle.nullDevice
    }
    try p.run()
    let deadline = ContinuousClock.now + timeout
    while p.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
    if p.isRunning {
        p.terminate()
        throw TestSupportError.timeout("\(path) \(args.joined(separator: " "))")
    }
    try? out.close()
    try? err.close()
    return (p.terminationStatus,
            (try? String(contentsOfFile: base + ".out", encoding: .utf8)) ?? "",
            (try? String(contentsOfFile: base + ".err", encoding: .utf8)) ?? "")
}

/// A value shared between tasks and server threads in tests.
public final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    /// Wraps a value.
    public init(_ value: Value) { self.value = value }

    /// Runs `body` with exclusive access.
    public func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }

    /// A copy of the value.
    public var current: Value { withLock { $0 } }
}
