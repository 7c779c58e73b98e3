import Foundation
import RuntimeCore

/// `agentctl send AGENT_ID TASK... [--wait] [--timeout D]`: a turn on the agent (`POST /agents/{id}/messages`).
enum SendCommand: AgentctlCommand {
    static let name = "send"
    static let summary = "give an agent a task (POST /agents/{id}/messages); --wait prints its reply"

    static func run(_ arguments: [String]) async -> Int32 {
        let parsed = parseRuntimeFlags(name, usage: "AGENT_ID TASK... [--wait] [--timeout D]", summary: """
            Types TASK (words joined by spaces) into the agent the way its CLI takes a message and submits it.
            The agent must be running and idle (stable); a busy agent answers 409 AgentBusy. With --wait,
            waits for the turn to end and prints the agent's reply (read off its screen) on stdout.
            """, extra: [
                .bool("wait", help: "wait for the reply and print it"),
                .value("timeout", "DURATION", help: "longest wait for the reply", default: "10m"),
            ], arguments)
        guard case .success(let (flags, conn)) = parsed else { return parsed.failureCode }
        guard let id = flags.positional.first else {
            return CommandFailure("usage: agentctl send AGENT_ID TASK...", code: ExitCode.usage).report()
        }
        let task = (Array(flags.positional.dropFirst()) + flags.trailing).joined(separator: " ")
        guard !task.isEmpty else { return CommandFailure("no task given", code: ExitCode.usage).report() }
        let timeout: Duration
        do { timeout = try flags.duration("timeout") ?? .seconds(600) } catch { return CommandFailure(error.message, code: ExitCode.usage).report() }
        let sent: JSON
        switch await conn.expect("POST", RuntimeConnection.agentPath(id, "/messages"), json: ["content": .string(task), "type": "user"]) {
        case .failure(let f): return f.report()
        case .success(let r): sent = (try? JSON.parse(r.body)) ?? .null
        }
        guard flags.bool("wait") else {
            printLine(conn.json ? sent.serialized(pretty: true) : "turn \(sent["turnId"].intValue ?? 0) started")
            return ExitCode.ok
        }
        // The reply is the first agent message after ours; polled, so no stream has to stay open.
        let after = sent["message"]["id"].intValue ?? 0
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            switch await conn.expect("GET", RuntimeConnection.agentPath(id, "/messages") + "?since=\(after)") {
            case .failure(let f): return f.report()
            case .success(let r):
                let json = (try? JSON.parse(r.body)) ?? .null
                if let reply = json["messages"].arrayValue?.first(where: { $0["role"] == "agent" }) {
                    printLine(conn.json ? reply.serialized(pretty: true) : reply["content"].stringValue ?? "")
                    return ExitCode.ok
                }
                // A turn that failed leaves no agent message: the agent is stable again without one.
                if json["activity"] == "stable", json["turnInProgress"] == false {
                    return CommandFailure("the turn ended without a reply (see agentctl screen \(id))", code: ExitCode.failure).report()
                }
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
        return CommandFailure("no reply within \(timeout)", code: ExitCode.failure).report()
    }
}
