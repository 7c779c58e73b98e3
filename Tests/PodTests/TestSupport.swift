import CurlHTTP
import Foundation
import RuntimeCore
import XCTest

@testable import Pod

/// Paths of the test fixtures and of the built programs.
enum Fixtures {
    /// `Tests/PodTests/Fixtures`.
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
    /// The repository root.
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    static func path(_ name: String) -> String { directory + "/" + name }

    /// The `agent-supervisor` binary next to the test bundle (built by `swift build --build-tests`).
    static var supervisorBinary: String? {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        let candidates = [exe, exe.deletingLastPathComponent()].map { $0.appendingPathComponent("agent-supervisor").path }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// A fresh temporary directory.
    static func temporaryDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("podtests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A minimal environment for agents in tests.
    static var environment: [String: String] {
        ["PATH": "/usr/local/bin:/usr/bin:/bin:" + (ProcessInfo.processInfo.environment["PATH"] ?? ""),
         "HOME": NSTemporaryDirectory(), "LANG": "C.UTF-8"]
    }
}

/// Waits until `condition` holds, checking every 25 ms; fails the test (with `what`) after `timeout` seconds.
@discardableResult
func eventually(_ what: String, timeout: TimeInterval = 10, file: StaticString = #filePath, line: UInt = #line,
                _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(25))
    }
    if try await condition() { return true }
    XCTFail("timed out after \(timeout) s waiting for: \(what)", file: file, line: line)
    return false
}

/// A supervisor with its HTTP API on a random loopback port, and helpers to call it.
final class SupervisorHarness: @unchecked Sendable {
    let supervisor: Supervisor
    let api: SupervisorAPI
    let token = "test-token-\(UInt32.random(in: 0...UInt32.max))"
    var port: Int { api.server.port }
    var base: String { "http://127.0.0.1:\(port)" }

    init(_ command: [String], maxBodyBytes: Int = 1 << 20, limits: SupervisorAPI.Limits = .init(),
         configure: (inout SupervisorConfiguration) -> Void = { _ in }) throws {
        var config = SupervisorConfiguration(command: AgentCommand(
            executable: command[0], arguments: Array(command.dropFirst()), environment: Fixtures.environment,
            workdir: NSTemporaryDirectory()))
        config.size = WindowSize(cols: 80, rows: 24)
        config.gracePeriod = .seconds(2)
        config.logLevel = .error
        configure(&config)
        supervisor = try Supervisor(configuration: config)
        api = SupervisorAPI(supervisor: supervisor, listen: "127.0.0.1:0", token: token, maxBodyBytes: maxBodyBytes, limits: limits)
        try api.start()
        supervisor.start()
    }

    func shutdown() async {
        await supervisor.stop()
        await api.shutdown()
    }

    func request(_ method: String, _ path: String, body: Data? = nil, contentType: String = "application/json",
                 token: String?? = .none) async throws -> HTTPClientResponse {
        // No keep-alive: an idle pooled connection would hold a server worker until its timeout on shutdown.
        var headers: [(String, String)] = [("Content-Type", contentType), ("Connection", "close")]
        let presented: String? = switch token {
        case .none: self.token
        case .some(let t): t
        }
        if let presented { headers.append(("Authorization", "Bearer \(presented)")) }
        return try await HTTPClient.shared.execute(HTTPClientRequest(
            method: method, url: base + path, headers: headers, body: body, timeout: .seconds(20)))
    }

    func get(_ path: String) async throws -> HTTPClientResponse { try await request("GET", path) }

    func post(_ path: String, _ json: JSON) async throws -> HTTPClientResponse {
        try await request("POST", path, body: json.data())
    }

    func status() async throws -> JSON { try JSON.parse(try await get("/status").body) }

    func state() async throws -> String { try await status()["state"].stringValue ?? "" }

    func screen() async throws -> String { String(decoding: try await get("/screen").body, as: UTF8.self) }
}

extension HTTPClientResponse {
    var text: String { String(decoding: body, as: UTF8.self) }
    var json: JSON { (try? JSON.parse(body)) ?? .null }
}
