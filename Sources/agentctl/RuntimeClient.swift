import CurlHTTP
import Foundation
import RuntimeCore

extension ExitCode {
    /// The agent exists already (409), or is not in a state that allows the request.
    static let conflict: Int32 = 4
    /// The runtime's policy or a quota refused the request (403, 429).
    static let refused: Int32 = 5
    /// The API token is missing or wrong (401).
    static let unauthorized: Int32 = 6

    /// The exit code for an HTTP status of the runtime API.
    static func forStatus(_ status: Int) -> Int32 {
        switch status {
        case 200..<300: return ok
        case 400, 413, 415, 422: return usage
        case 401: return unauthorized
        case 403, 429: return refused
        case 404: return notFound
        case 409: return conflict
        default: return failure
        }
    }
}

/// Where the runtime API is and how to authenticate, from flags, then `AGENTCTL_SERVER` /
/// `AGENTCTL_TOKEN_FILE`, then the config file (`$AGENTCTL_CONFIG`, else `~/.config/agentctl/config.yaml`):
///
/// ```yaml
/// server: http://127.0.0.1:8090
/// tokenFile: ~/.config/agentctl/token
/// ```
struct RuntimeConnection: Sendable {
    var server: String
    var token: String
    var timeout: Duration
    var json: Bool
    var wide: Bool

    /// The flags every runtime command takes.
    static let flags: [FlagSpec] = [
        .value("server", "URL", help: "runtime API base URL (default http://127.0.0.1:8090)", env: "AGENTCTL_SERVER"),
        .value("token-file", "FILE", help: "file holding an API bearer token", env: "AGENTCTL_TOKEN_FILE"),
        .value("config", "FILE", help: "agentctl config (default ~/.config/agentctl/config.yaml)", env: "AGENTCTL_CONFIG"),
        .value("output", "table|wide|json", help: "output format (-o); json is for scripts", default: "table"),
        .value("timeout", "DURATION", help: "limit of one request", default: "30s"),
    ]

    init(_ flags: ParsedFlags, environment: [String: String] = ProcessInfo.processInfo.environment) throws(UsageError) {
        let home = environment["HOME"] ?? NSHomeDirectory()
        let explicitConfig = flags.string("config")
        let configPath = explicitConfig ?? home + "/.config/agentctl/config.yaml"
        var fileServer: String?
        var fileToken: String?
        if FileManager.default.fileExists(atPath: configPath) {
            guard let text = try? String(contentsOfFile: configPath, encoding: .utf8), let doc = try? YAML.parse(text) else {
                throw UsageError("config \(configPath) is not readable YAML")
            }
            let unknown = (doc.objectValue ?? [:]).keys.filter { $0 != "server" && $0 != "tokenFile" }.sorted()
            guard doc.objectValue != nil || doc.isNull, unknown.isEmpty else {
                throw UsageError("config \(configPath): unknown key \(unknown.first ?? "") (server, tokenFile)")
            }
            fileServer = doc["server"].stringValue
            fileToken = doc["tokenFile"].stringValue
        } else if explicitConfig != nil {
            throw UsageError("config \(configPath) does not exist")
        }
        var server = flags.string("server") ?? fileServer ?? "http://127.0.0.1:8090"
        while server.hasSuffix("/") { server.removeLast() }
        guard server.hasPrefix("http://") || server.hasPrefix("https://"), URL(string: server)?.host != nil else {
            throw UsageError("--server must be an http(s) URL, got '\(server)'")
        }
        self.server = server
        guard var tokenFile = flags.string("token-file") ?? fileToken else {
            throw UsageError("no API token: give --token-file, set AGENTCTL_TOKEN_FILE, or tokenFile in \(configPath)")
        }
        if tokenFile.hasPrefix("~/") { tokenFile = home + tokenFile.dropFirst() }
        guard let text = try? String(contentsOfFile: tokenFile, encoding: .utf8) else {
            throw UsageError("token file \(tokenFile) cannot be read")
        }
        // The first token of the file (the server's own token files hold one per line).
        guard let first = text.split(whereSeparator: \.isNewline).map({ $0.trimmingCharacters(in: .whitespaces) })
            .first(where: { !$0.isEmpty && !$0.hasPrefix("#") }) else {
            throw UsageError("token file \(tokenFile) holds no token")
        }
        token = first
        timeout = try flags.duration("timeout") ?? .seconds(30)
        switch flags.string("output") ?? "table" {
        case "json": (json, wide) = (true, false)
        case "table": (json, wide) = (false, false)
        case "wide": (json, wide) = (false, true)
        case let other: throw UsageError("--output must be table, wide or json, not \(other)")
        }
    }

    /// `/agents/<id>` with the id percent-encoded.
    static func agentPath(_ id: String, _ suffix: String = "") -> String {
        "/agents/" + (id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? id) + suffix
    }

    /// One request; transport failures become a one-line error with exit code 1.
    func call(_ method: String, _ path: String, json body: JSON? = nil, raw: Data? = nil, contentType: String? = nil)
        async -> Result<HTTPClientResponse, CommandFailure>
    {
        var headers = [("Authorization", "Bearer " + token), ("Accept", "application/json")]
        var data: Data?
        if let body {
            data = body.data()
            headers.append(("Content-Type", "application/json"))
        } else if let raw {
            data = raw
            headers.append(("Content-Type", contentType ?? "application/octet-stream"))
        }
        do throws(HTTPClientError) {
            return .success(try await HTTPClient.shared.execute(HTTPClientRequest(method: method, url: server + path, headers: headers,
                                                                                  body: data, timeout: timeout)))
        } catch {
            return .failure(CommandFailure("cannot reach the runtime API at \(server): \(error)", code: ExitCode.failure))
        }
    }

    /// A request whose answer must be 2xx; otherwise the API's error message and the matching exit code.
    func expect(_ method: String, _ path: String, json body: JSON? = nil, raw: Data? = nil, contentType: String? = nil)
        async -> Result<HTTPClientResponse, CommandFailure>
    {
        switch await call(method, path, json: body, raw: raw, contentType: contentType) {
        case .failure(let f): return .failure(f)
        case .success(let r) where (200..<300).contains(r.status): return .success(r)
        case .success(let r): return .failure(CommandFailure.from(r))
        }
    }
}

/// A failed command: one line for stderr and the exit code.
struct CommandFailure: Error, Sendable {
    let message: String
    let code: Int32

    init(_ message: String, code: Int32) {
        self.message = message
        self.code = code
    }

    /// From an error answer of the API (`{"error": {"code", "message"}}`).
    static func from(_ r: HTTPClientResponse) -> CommandFailure { from(status: r.status, body: r.body) }

    /// From a status and an error body.
    static func from(status: Int, body: Data) -> CommandFailure {
        let json = try? JSON.parse(body)
        let message = json?["error"]["message"].stringValue ?? String(decoding: body.prefix(300), as: UTF8.self)
        let code = json?["error"]["code"].stringValue ?? "HTTP \(status)"
        return CommandFailure("\(message) (\(status) \(code))", code: ExitCode.forStatus(status))
    }

    /// Prints and returns the exit code.
    func report() -> Int32 {
        printError(message)
        return code
    }
}

/// Parses a runtime command's flags (the shared ones plus `extra`); usage errors print and give 2.
func parseRuntimeFlags(_ program: String, usage: String, summary: String, extra: [FlagSpec], _ arguments: [String])
    -> Result<(ParsedFlags, RuntimeConnection), CommandFailure>
{
    // `-o json` is ours only before `--`; after it the agent's command line is passed verbatim.
    let split = arguments.firstIndex(of: "--") ?? arguments.endIndex
    let args = expandShortFlags(Array(arguments[..<split])) + arguments[split...]
    let spec = CommandLineSpec(program: "agentctl " + program, usage: usage, summary: summary, flags: extra + RuntimeConnection.flags)
    do throws(UsageError) {
        let flags = try spec.parse(args)
        try configureToolLogging(args, flags)
        return .success((flags, try RuntimeConnection(flags)))
    } catch {
        return .failure(CommandFailure(error.message, code: ExitCode.usage))
    }
}
