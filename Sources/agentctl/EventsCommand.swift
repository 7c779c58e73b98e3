import CurlHTTP
import Foundation
import RuntimeCore

/// `agentctl events [AGENT_ID]`: follows `GET /events` (server-sent events) until interrupted.
enum EventsCommand: AgentctlCommand {
    static let name = "events"
    static let summary = "follow agent changes and login prompts (GET /events)"

    static func run(_ arguments: [String]) async -> Int32 {
        let parsed = parseRuntimeFlags(name, usage: "[AGENT_ID] [-o json]", summary: """
            Prints the current agents, then every change (added, modified, deleted) and every login prompt
            (URL and code) until interrupted. -o json prints one {"event": NAME, "data": {...}} object per line.
            Exit codes: 0 interrupted, 1 the stream ended or failed.
            """, extra: [], arguments)
        guard case .success(let (flags, conn)) = parsed else { return parsed.failureCode }
        guard flags.positional.count <= 1 else { return CommandFailure("usage: agentctl events [AGENT_ID]", code: ExitCode.usage).report() }
        let signals = onTerminationSignal { exit(ExitCode.ok) }
        defer { _ = signals }
        var path = "/events"
        if let id = flags.positional.first {
            path += "?agentId=" + (id.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? id)
        }
        let stream: HTTPClientStream
        do throws(HTTPClientError) {
            stream = try await HTTPClient.shared.stream(HTTPClientRequest(
                method: "GET", url: conn.server + path,
                headers: [("Authorization", "Bearer " + conn.token), ("Accept", "text/event-stream")], timeout: nil))
        } catch {
            return CommandFailure("cannot reach the runtime API at \(conn.server): \(error)", code: ExitCode.failure).report()
        }
        guard stream.status == 200 else {
            let body = (try? await stream.collect()) ?? Data()
            return CommandFailure.from(status: stream.status, body: body).report()
        }
        var parser = SSEParser()
        do {
            for try await chunk in stream.body {
                for event in parser.feed(chunk) {
                    let data = (try? JSON.parse(event.data)) ?? .string(event.data)
                    if conn.json {
                        printLine(JSON.object(["event": .string(event.name), "data": data]).serialized())
                    } else {
                        printLine(AgentOutput.eventLine(event.name, data))
                    }
                }
            }
        } catch {
            return CommandFailure("the event stream failed: \(error)", code: ExitCode.failure).report()
        }
        return CommandFailure("the runtime ended the event stream", code: ExitCode.failure).report()
    }
}

/// Splits a server-sent event stream into events (`event:` name, joined `data:` lines); comments and
/// ids are skipped. Bytes are buffered until a whole line arrived.
struct SSEParser {
    struct Event: Equatable {
        var name: String
        var data: String
    }

    private var buffer = Data()
    private var name = ""
    private var data: [String] = []

    mutating func feed(_ chunk: Data) -> [Event] {
        buffer.append(chunk)
        var out: [Event] = []
        while let nl = buffer.firstIndex(of: 0x0A) {
            var line = String(decoding: buffer[buffer.startIndex..<nl], as: UTF8.self)
            buffer.removeSubrange(buffer.startIndex...nl)
            if line.hasSuffix("\r") { line.removeLast() }
            if line.isEmpty {
                if !data.isEmpty { out.append(Event(name: name.isEmpty ? "message" : name, data: data.joined(separator: "\n"))) }
                name = ""
                data = []
            } else if line.hasPrefix(":") {
                continue
            } else if line.hasPrefix("event:") {
                name = line.dropFirst(6).trimmingCharacters(in: .whitespaces)
            } else if line.hasPrefix("data:") {
                var d = line.dropFirst(5)
                if d.first == " " { d = d.dropFirst() }
                data.append(String(d))
            }
        }
        return out
    }
}
