import CurlHTTP
import Foundation
import RuntimeCore
import XCTest

@testable import KubeClient

/// A scripted transport: answers requests with a handler and records them.
final class FakeTransport: KubeTransport, @unchecked Sendable {
    typealias Handler = @Sendable (HTTPClientRequest, Int) -> Result<KubeHTTPResponse, HTTPClientError>
    private let lock = NSLock()
    private var _requests: [HTTPClientRequest] = []
    private let handler: Handler
    var streamHandler: (@Sendable (HTTPClientRequest) -> Result<KubeHTTPStream, HTTPClientError>)?

    init(_ handler: @escaping Handler) { self.handler = handler }

    var requests: [HTTPClientRequest] { lock.withLock { _requests } }

    func execute(_ request: HTTPClientRequest) async throws(HTTPClientError) -> KubeHTTPResponse {
        let n = lock.withLock { () -> Int in
            _requests.append(request)
            return _requests.count
        }
        return try handler(request, n).get()
    }

    func stream(_ request: HTTPClientRequest) async throws(HTTPClientError) -> KubeHTTPStream {
        lock.withLock { _requests.append(request) }
        guard let h = streamHandler else { throw .connectionFailed("no stream handler") }
        return try h(request).get()
    }
}

extension HTTPClientRequest {
    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    var bodyJSON: JSON? { body.flatMap { try? JSON.parse($0) } }
    /// Path and query without the server prefix.
    var pathAndQuery: String {
        guard let r = url.range(of: "://") else { return url }
        let rest = url[r.upperBound...]
        return rest.firstIndex(of: "/").map { String(rest[$0...]) } ?? "/"
    }
}

func jsonResponse(_ status: Int, _ json: JSON, headers: [String: String] = [:]) -> KubeHTTPResponse {
    KubeHTTPResponse(status: status, headers: headers.merging(["content-type": "application/json"]) { a, _ in a }, body: json.data())
}

func statusJSON(_ code: Int, _ reason: String, _ message: String) -> JSON {
    ["kind": "Status", "apiVersion": "v1", "status": "Failure", "code": .int(Int64(code)), "reason": .string(reason),
     "message": .string(message)]
}

/// A logger that keeps its lines in memory instead of printing them.
let quietLogger = Logger(label: "test", sink: .memory())

/// A fresh temporary directory, removed when the test ends.
func temporaryDirectory(_ test: XCTestCase) throws -> String {
    let dir = NSTemporaryDirectory() + "kubeclient-tests-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
    return dir
}

func write(_ text: String, to path: String, executable: Bool = false) throws {
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    if executable { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path) }
}

/// Polls `condition` until it holds or `timeout` passes.
func eventually(timeout: Duration = .seconds(5), _ condition: @Sendable () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return await condition()
}

/// Fails the test unless `condition` holds within `timeout`.
func assertEventually(timeout: Duration = .seconds(5), file: StaticString = #filePath, line: UInt = #line,
                      _ condition: @Sendable () async -> Bool) async {
    let ok = await eventually(timeout: timeout, condition)
    XCTAssertTrue(ok, "condition not met within \(timeout)", file: file, line: line)
}

/// Collects values from concurrent callbacks.
final class Recorder<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var _items: [T] = []
    func append(_ t: T) { lock.withLock { _items.append(t) } }
    var items: [T] { lock.withLock { _items } }
}

func testConfig(server: String = "https://k8s.example:6443", credentials: Credentials = .none,
                retry: RetryPolicy = RetryPolicy(maxAttempts: 10, backoff: Backoff(initial: .milliseconds(1), max: .milliseconds(5)))) -> ClientConfig {
    ClientConfig(server: server, credentials: credentials, namespace: "team-a", retry: retry)
}
