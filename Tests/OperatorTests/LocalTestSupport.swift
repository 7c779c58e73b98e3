import AgentTestSupport
import CurlHTTP
import Foundation
import Registry
import RuntimeCore
import XCTest

@testable import Operator

/// A CLI that shows a Codex-style device-code login, then its ready screen after a line of input.
let loginCLI = ["python3", repoRoot + "/Tests/PodTests/Fixtures/fake_login_cli.py"]
/// A CLI that prints a banner and echoes what it reads (custom type: ready once output is quiet).
let echoCLI = ["sh", "-c", "echo 'echo agent ready'; while IFS= read -r line; do echo \"you said: $line\"; done"]

/// A runtime API client for tests: JSON in, status and JSON (or text) out.
struct APIClient: Sendable {
    let base: String
    let token: String?

    func call(_ method: String, _ path: String, json: JSON? = nil, body: Data? = nil, contentType: String? = nil,
              token override: String?? = nil) async throws -> (status: Int, json: JSON, text: String) {
        var headers: [(String, String)] = []
        if let t = override ?? token { headers.append(("Authorization", "Bearer " + t)) }
        var data = body
        if let json {
            data = json.data()
            headers.append(("Content-Type", contentType ?? "application/json"))
        } else if let contentType {
            headers.append(("Content-Type", contentType))
        }
        let r = try await HTTPClient.shared.execute(HTTPClientRequest(method: method, url: base + path, headers: headers, body: data,
                                                                      timeout: .seconds(30)))
        let text = String(decoding: r.body, as: UTF8.self)
        return (r.status, (try? JSON.parse(r.body)) ?? .null, text)
    }

    func spawn(_ id: String, type: String = "custom", command: [String]? = echoCLI, extra: [String: JSON] = [:]) async throws
        -> (status: Int, json: JSON, text: String)
    {
        var body: [String: JSON] = ["agentId": .string(id), "agentType": .string(type), "workspaceId": "ws-test",
                                    "capabilities": ["code", "review"]]
        if let command { body["command"] = .array(command.map(JSON.string)) }
        for (k, v) in extra { body[k] = v }
        return try await call("POST", "/spawn", json: .object(body))
    }

    func stop(_ id: String) async throws -> Int { try await call("POST", "/stop", json: ["agentId": .string(id)]).status }

    func agent(_ id: String) async throws -> JSON? {
        let r = try await call("GET", "/agents/" + (id.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? id))
        // Not `? r.json : nil`: JSON is ExpressibleByNilLiteral, so that `nil` would be JSON.null.
        guard r.status == 200 else { return Optional<JSON>.none }
        return r.json
    }

    /// Waits until the agent satisfies `check`; returns its JSON.
    @discardableResult
    func waitFor(_ id: String, _ what: String, timeout: Duration = .seconds(30), _ check: @escaping (JSON) -> Bool) async throws -> JSON {
        try await AgentTestSupport.waitFor("\(id): \(what)", timeout: timeout, every: .milliseconds(100)) { () async throws -> JSON? in
            guard let a = try await agent(id), check(a) else { return Optional<JSON>.none }
            return a
        }
    }

    /// Waits until the agent is gone (404).
    func waitGone(_ id: String, timeout: Duration = .seconds(30)) async throws {
        _ = try await AgentTestSupport.waitFor("\(id) gone", timeout: timeout) { () async throws -> Bool? in
            try await agent(id) == nil ? true : nil
        }
    }
}

/// Reads a server-sent event stream in the background and keeps the events.
final class SSERecorder: @unchecked Sendable {
    let events = LockedBox([(name: String, data: JSON)]())
    private var task: Task<Void, Never>?

    init(url: String, token: String) async throws {
        let stream = try await HTTPClient.shared.stream(HTTPClientRequest(method: "GET", url: url, headers: [("Authorization", "Bearer " + token)],
                                                                          timeout: nil))
        guard stream.status == 200 else { throw TestSupportError.timeout("GET /events answered \(stream.status)") }
        let events = self.events
        task = Task {
            var buffer = ""
            var name = "message"
            var data: [String] = []
            do {
                for try await chunk in stream.body {
                    buffer += String(decoding: chunk, as: UTF8.self)
                    while let nl = buffer.firstIndex(of: "\n") {
                        let line = String(buffer[..<nl])
                        buffer.removeSubrange(...nl)
                        if line.isEmpty {
                            if !data.isEmpty {
                                let json = (try? JSON.parse(data.joined(separator: "\n"))) ?? .null
                                events.withLock { $0.append((name, json)) }
                            }
                            name = "message"
                            data = []
                        } else if line.hasPrefix("event: ") {
                            name = String(line.dropFirst(7))
                        } else if line.hasPrefix("data: ") {
                            data.append(String(line.dropFirst(6)))
                        }
                    }
                }
            } catch {}
            stream.cancel()
        }
    }

    /// Waits for an event matching `check`.
    @discardableResult
    func waitFor(_ what: String, timeout: Duration = .seconds(30), _ check: @escaping (String, JSON) -> Bool) async throws -> JSON {
        try await AgentTestSupport.waitFor("event: \(what)", timeout: timeout, every: .milliseconds(50)) { () -> JSON? in
            events.withLock { list -> JSON? in
                guard let hit = list.first(where: { check($0.name, $0.data) }) else { return Optional<JSON>.none }
                return hit.data
            }
        }
    }

    func stop() { task?.cancel() }
}

/// The local runtime in this process: ``LocalBackend`` and ``RuntimeAPIServer`` on a random port, with
/// the built `agent-supervisor` and, optionally, Debian's etcd.
final class LocalRuntime: @unchecked Sendable {
    let dir: TempDirectory
    let etcd: EtcdProcess?
    let registry: AgentRegistry?
    let backend: LocalBackend
    let server: RuntimeAPIServer
    let logs = LogSink.memory()
    let token = "api-token-" + CredentialsSecret.newToken().prefix(24)
    var api: APIClient { APIClient(base: "http://127.0.0.1:\(server.port)", token: token) }

    init(etcd withEtcd: Bool = true, configure: (inout LocalBackendOptions) -> Void = { _ in }) async throws {
        do {
            dir = try TempDirectory(prefix: "local-api")
            etcd = withEtcd ? try await EtcdProcess.started(directory: dir.path) : nil
            var options = LocalBackendOptions(workdirRoot: dir.path + "/root", supervisorBinary: try BuiltBinaries.path("agent-supervisor"))
            options.gracePeriod = .seconds(2)
            options.registryTTLSeconds = 5
            configure(&options)
            let logger = Logger(label: "local-test", sink: logs, level: .debug, format: .json)
            if let etcd {
                let client = try EtcdClient(configuration: EtcdConfiguration(endpoints: [etcd.endpoint]))
                registry = AgentRegistry(client: client, logger: logger)
            } else {
                registry = nil
            }
            let registrar: any Registrar = registry.map { EtcdRegistrar(registry: $0) } ?? NoRegistrar()
            backend = try LocalBackend(options: options, registrar: registrar, logger: logger)
            try await backend.start(registryEvents: registry?.events)
            server = RuntimeAPIServer(configuration: .init(listen: "127.0.0.1:0"), backend: backend, tokens: APITokens(tokens: [token]),
                                      logger: logger)
            try server.start()
        } catch TestSupportError.missingBinary(let what) {
            throw XCTSkip("local runtime test needs \(what)")
        }
    }

    /// The registry keys under the default prefix.
    func registryKeys() async throws -> [EtcdKeyValue] {
        guard let etcd else { return [] }
        let c = try etcd.client()
        defer { c.shutdown() }
        return try await c.getPrefix("/parallax/services/agent/").kvs
    }

    /// Live processes carrying this runtime's agent marker (anything an agent started).
    func agentProcesses() -> [pid_t] {
        let marker = String(fnv1a64(Data(backend.layout.root.utf8)) & 0xffff_ffff, radix: 16)
        return ProcessTools.processes(withEnvironment: LocalBackend.markerVariable, prefix: marker + "/").values.flatMap { $0 }
    }

    /// Stops everything; dumps the logs when the test failed.
    func tearDown(failed: Bool) async {
        await server.shutdown()
        await backend.shutdown(keepAgents: false)
        await registry?.shutdown(revokeLeases: true)
        if failed { print("---- local runtime log ----\n" + logs.lines.suffix(80).joined(separator: "\n")) }
        await etcd?.stop()
        dir.remove()
    }
}
