import CurlHTTP
import Foundation
import RuntimeCore

/// `agentctl spawn AGENT_ID --type T [flags] [-- COMMAND ARGS...]`: `POST /spawn`.
enum SpawnCommand: AgentctlCommand {
    static let name = "spawn"
    static let summary = "start an agent (POST /spawn)"

    static func run(_ arguments: [String]) async -> Int32 {
        let extra: [FlagSpec] = [
            .value("type", "TYPE", help: "agent type: claude, codex, gemini, aider or custom (required)"),
            .value("workspace", "ID", help: "Raven/Parallax workspace id"),
            .value("capability", "NAME", help: "a capability", repeated: true),
            .value("env", "NAME=VALUE", help: "an environment variable", repeated: true),
            .value("workdir", "DIR", help: "working directory (cluster: absolute; local: inside the agent's workspace)"),
            .value("namespace", "NS", help: "namespace (cluster) or registry namespace (local)"),
            .value("image", "IMAGE", help: "CLI image (cluster only)"),
            .value("arg", "ARG", help: "an argument after the CLI command", repeated: true),
            .value("role", "ROLE", help: "AGENT_ROLE"),
            .value("display-name", "NAME", help: "display name in the registry"),
            .value("restart-policy", "POLICY", help: "Always, OnFailure or Never"),
            .value("from-file", "FILE", help: "send this JSON file as the request body (- for stdin) instead of the flags"),
        ]
        let parsed = parseRuntimeFlags(name, usage: "AGENT_ID --type TYPE [flags] [-- COMMAND [ARGS...]]", summary: """
            Starts an agent. Everything after -- is its command (default: the runtime's command for the type).
            Exit codes: 0 created, 2 invalid request, 4 exists, 5 refused by policy or quota, 6 bad token.
            """, extra: extra, arguments)
        guard case .success(let (flags, conn)) = parsed else { return parsed.failureCode }
        var body: JSON
        if let file = flags.string("from-file") {
            let data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: file)
            guard let data, let json = try? JSON.parse(data) else { return CommandFailure("\(file) is not readable JSON", code: ExitCode.usage).report() }
            body = json
        } else {
            guard flags.positional.count == 1, let id = flags.positional.first else {
                return CommandFailure("usage: agentctl spawn AGENT_ID --type TYPE [flags] [-- COMMAND ARGS...]", code: ExitCode.usage).report()
            }
            guard let type = flags.string("type") else { return CommandFailure("--type is required", code: ExitCode.usage).report() }
            body = ["agentId": .string(id), "agentType": .string(type)]
            if let w = flags.string("workspace") { body["workspaceId"] = .string(w) }
            let caps = flags.strings("capability").flatMap { $0.split(separator: ",").map(String.init) }
            if !caps.isEmpty { body["capabilities"] = .array(caps.map(JSON.string)) }
            var env: [String: JSON] = [:]
            for pair in flags.strings("env") {
                guard let eq = pair.firstIndex(of: "=") else { return CommandFailure("--env \(pair): expected NAME=VALUE", code: ExitCode.usage).report() }
                env[String(pair[..<eq])] = .string(String(pair[pair.index(after: eq)...]))
            }
            if !env.isEmpty { body["env"] = .object(env) }
            for (flag, field) in [("workdir", "workdir"), ("namespace", "namespace"), ("image", "image"), ("role", "role"),
                                  ("display-name", "displayName"), ("restart-policy", "restartPolicy")] {
                if let v = flags.string(flag) { body[field] = .string(v) }
            }
            if !flags.trailing.isEmpty { body["command"] = .array(flags.trailing.map(JSON.string)) }
            if !flags.strings("arg").isEmpty { body["args"] = .array(flags.strings("arg").map(JSON.string)) }
        }
        switch await conn.expect("POST", "/spawn", json: body) {
        case .failure(let f): return f.report()
        case .success(let r): return printAgent(r, conn)
        }
    }
}

/// `agentctl stop AGENT_ID [--wait]`: `POST /stop`.
enum StopCommand: AgentctlCommand {
    static let name = "stop"
    static let summary = "stop an agent (POST /stop)"

    static func run(_ arguments: [String]) async -> Int32 {
        let parsed = parseRuntimeFlags(name, usage: "AGENT_ID [--wait]", summary: """
            Stops an agent; with --wait, returns once it is gone (within --wait-timeout).
            Exit codes: 0 stopping (or gone with --wait), 3 unknown agent, 1 timed out.
            """, extra: [.bool("wait", help: "wait until the agent is gone"),
                         .value("wait-timeout", "DURATION", help: "limit of --wait", default: "120s")], arguments)
        guard case .success(let (flags, conn)) = parsed else { return parsed.failureCode }
        guard flags.positional.count == 1, let id = flags.positional.first else {
            return CommandFailure("usage: agentctl stop AGENT_ID [--wait]", code: ExitCode.usage).report()
        }
        switch await conn.expect("POST", "/stop", json: ["agentId": .string(id)]) {
        case .failure(let f): return f.report()
        case .success(let r):
            if !flags.bool("wait") { return printAgent(r, conn) }
        }
        let deadline = ContinuousClock.now + ((try? flags.duration("wait-timeout")) ?? nil ?? .seconds(120))
        while ContinuousClock.now < deadline {
            if case .success(let r) = await conn.call("GET", RuntimeConnection.agentPath(id)), r.status == 404 {
                if !conn.json { printLine("agent \(id) stopped") }
                return ExitCode.ok
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
        return CommandFailure("agent \(id) is still stopping", code: ExitCode.failure).report()
    }
}

/// `agentctl list`: `GET /agents`.
enum ListCommand: AgentctlCommand {
    static let name = "list"
    static let summary = "list agents (GET /agents)"

    static func run(_ arguments: [String]) async -> Int32 {
        let parsed = parseRuntimeFlags(name, usage: "[-o table|wide|json]", summary: "Lists the runtime's agents.", extra: [], arguments)
        guard case .success(let (flags, conn)) = parsed else { return parsed.failureCode }
        guard flags.positional.isEmpty else { return CommandFailure("list takes no arguments", code: ExitCode.usage).report() }
        switch await conn.expect("GET", "/agents") {
        case .failure(let f): return f.report()
        case .success(let r):
            guard let json = try? JSON.parse(r.body), let agents = json["agents"].arrayValue else {
                return CommandFailure("the runtime answered something that is not an agent list", code: ExitCode.failure).report()
            }
            if conn.json {
                printLine(json.serialized(pretty: true))
            } else if agents.isEmpty {
                printLine("No agents")
            } else {
                printLine(AgentOutput.table(agents, wide: conn.wide))
            }
            return ExitCode.ok
        }
    }
}

/// `agentctl get AGENT_ID`: `GET /agents/{id}`.
enum GetCommand: AgentctlCommand {
    static let name = "get"
    static let summary = "show one agent (GET /agents/{id})"

    static func run(_ arguments: [String]) async -> Int32 {
        let parsed = parseRuntimeFlags(name, usage: "AGENT_ID [-o json]", summary: "Shows one agent; exit code 3 when it does not exist.",
                                       extra: [], arguments)
        guard case .success(let (flags, conn)) = parsed else { return parsed.failureCode }
        guard flags.positional.count == 1, let id = flags.positional.first else {
            return CommandFailure("usage: agentctl get AGENT_ID", code: ExitCode.usage).report()
        }
        switch await conn.expect("GET", RuntimeConnection.agentPath(id)) {
        case .failure(let f): return f.report()
        case .success(let r): return printAgent(r, conn, details: true)
        }
    }
}

/// `agentctl wait AGENT_ID --for PHASE[,PHASE]`: polls until the agent reaches a phase (or is gone).
enum WaitCommand: AgentctlCommand {
    static let name = "wait"
    static let summary = "wait until an agent reaches a phase (Ready, Authenticating, ..., or gone)"

    static func run(_ arguments: [String]) async -> Int32 {
        let parsed = parseRuntimeFlags(name, usage: "AGENT_ID --for PHASE[,PHASE...] [--wait-timeout 120s]", summary: """
            Waits until the agent's phase is one of the given ones (Pending, Starting, Authenticating, Ready, Stopping,
            Error; 'gone' for deleted) and prints it. Exit codes: 0 reached, 1 timed out, 3 unknown agent.
            """, extra: [.value("for", "PHASES", help: "phases to wait for, comma-separated"),
                         .value("wait-timeout", "DURATION", help: "how long to wait", default: "120s")], arguments)
        guard case .success(let (flags, conn)) = parsed else { return parsed.failureCode }
        guard flags.positional.count == 1, let id = flags.positional.first, let phases = flags.string("for") else {
            return CommandFailure("usage: agentctl wait AGENT_ID --for PHASE[,PHASE...]", code: ExitCode.usage).report()
        }
        let wanted = Set(phases.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
        let deadline = ContinuousClock.now + ((try? flags.duration("wait-timeout")) ?? nil ?? .seconds(120))
        var last = "?"
        while ContinuousClock.now < deadline {
            switch await conn.call("GET", RuntimeConnection.agentPath(id)) {
            case .failure(let f): return f.report()
            case .success(let r) where r.status == 404:
                if wanted.contains("gone") {
                    if !conn.json { printLine("agent \(id) is gone") }
                    return ExitCode.ok
                }
                return CommandFailure.from(r).report()
            case .success(let r) where r.status == 200:
                let phase = (try? JSON.parse(r.body))?["phase"].stringValue ?? "?"
                last = phase
                if wanted.contains(phase.lowercased()) { return printAgent(r, conn, details: true) }
            case .success(let r):
                return CommandFailure.from(r).report()
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
        return CommandFailure("agent \(id) did not reach \(phases) in time (phase \(last))", code: ExitCode.failure).report()
    }
}

/// `agentctl logs AGENT_ID [--tail N] [--raw]`.
enum LogsCommand: AgentctlCommand {
    static let name = "logs"
    static let summary = "print an agent's terminal output lines (GET /agents/{id}/logs)"

    static func run(_ arguments: [String]) async -> Int32 {
        let parsed = parseRuntimeFlags(name, usage: "AGENT_ID [--tail N] [--raw]", summary: "Prints the agent's last output lines (ANSI-stripped unless --raw).",
                                       extra: [.value("tail", "N", help: "number of lines", default: "100"),
                                               .bool("raw", help: "keep escape sequences")], arguments)
        guard case .success(let (flags, conn)) = parsed else { return parsed.failureCode }
        guard flags.positional.count == 1, let id = flags.positional.first else {
            return CommandFailure("usage: agentctl logs AGENT_ID [--tail N]", code: ExitCode.usage).report()
        }
        var query = "?tail=" + (flags.string("tail") ?? "100")
        if flags.bool("raw") { query += "&raw=1" }
        return await printText(conn, RuntimeConnection.agentPath(id, "/logs") + query)
    }
}

/// `agentctl screen AGENT_ID`.
enum ScreenCommand: AgentctlCommand {
    static let name = "screen"
    static let summary = "print an agent's current terminal screen, without its empty bottom rows"

    static func run(_ arguments: [String]) async -> Int32 {
        let parsed = parseRuntimeFlags(name, usage: "AGENT_ID", summary: "Prints what the agent's terminal shows now.", extra: [], arguments)
        guard case .success(let (flags, conn)) = parsed else { return parsed.failureCode }
        guard flags.positional.count == 1, let id = flags.positional.first else {
            return CommandFailure("usage: agentctl screen AGENT_ID", code: ExitCode.usage).report()
        }
        switch await conn.expect("GET", RuntimeConnection.agentPath(id, "/screen")) {
        case .failure(let f): return f.report()
        case .success(let r):
            // The screen is a full terminal; its empty bottom rows are noise on a console.
            var lines = String(decoding: r.body, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            while let last = lines.last, last.allSatisfy(\.isWhitespace) { lines.removeLast() }
            printLine(lines.joined(separator: "\n"))
            return ExitCode.ok
        }
    }
}

/// `agentctl input AGENT_ID TEXT... [--no-enter]`.
enum InputCommand: AgentctlCommand {
    static let name = "input"
    static let summary = "type text into an agent's terminal (POST /agents/{id}/input)"

    static func run(_ arguments: [String]) async -> Int32 {
        let parsed = parseRuntimeFlags(name, usage: "AGENT_ID TEXT... [--no-enter]", summary: """
            Types TEXT (words joined by spaces) into the agent's terminal, then Enter unless --no-enter.
            With no TEXT and --no-enter: just nothing; with no TEXT: Enter alone.
            """, extra: [.bool("no-enter", help: "do not press Enter after the text")], arguments)
        guard case .success(let (flags, conn)) = parsed else { return parsed.failureCode }
        guard let id = flags.positional.first else {
            return CommandFailure("usage: agentctl input AGENT_ID TEXT...", code: ExitCode.usage).report()
        }
        let text = (Array(flags.positional.dropFirst()) + flags.trailing).joined(separator: " ")
        let enter = !flags.bool("no-enter")
        guard !text.isEmpty || enter else { return CommandFailure("nothing to send", code: ExitCode.usage).report() }
        switch await conn.expect("POST", RuntimeConnection.agentPath(id, "/input"), json: ["text": .string(text), "enter": .bool(enter)]) {
        case .failure(let f): return f.report()
        case .success(let r):
            if conn.json { printLine(String(decoding: r.body, as: UTF8.self)) }
            return ExitCode.ok
        }
    }
}

// MARK: Shared

/// Prints an agent answer: JSON as received, a table row, or details.
func printAgent(_ r: HTTPClientResponse, _ conn: RuntimeConnection, details: Bool = false) -> Int32 {
    guard let json = try? JSON.parse(r.body), json.objectValue != nil else {
        printLine(String(decoding: r.body, as: UTF8.self))
        return ExitCode.ok
    }
    if conn.json {
        printLine(json.serialized(pretty: true))
    } else if details {
        printLine(AgentOutput.details(json))
    } else {
        printLine(AgentOutput.table([json], wide: conn.wide))
    }
    return ExitCode.ok
}

/// GETs a text resource and writes it to stdout as is.
func printText(_ conn: RuntimeConnection, _ path: String) async -> Int32 {
    switch await conn.expect("GET", path) {
    case .failure(let f): return f.report()
    case .success(let r):
        FileHandle.standardOutput.write(r.body)
        return ExitCode.ok
    }
}

extension Result where Failure == CommandFailure {
    /// The exit code of a failure (after printing it); 0 for a success.
    var failureCode: Int32 {
        if case .failure(let f) = self { return f.report() }
        return ExitCode.ok
    }
}
