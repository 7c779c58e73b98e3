import Foundation
import RuntimeCore

/// How agentctl shows agents of the runtime API: kubectl-style tables for people, the API's JSON for
/// scripts (`-o json` prints exactly what the API answered).
enum AgentOutput {
    static let columns = ["AGENT ID", "TYPE", "PHASE", "HEALTH", "REGISTERED", "WORKSPACE", "AGE"]
    static let wideColumns = columns + ["NAMESPACE", "NAME", "ENDPOINT", "MESSAGE"]

    static func row(_ a: JSON, wide: Bool) -> [String] {
        var cells = [
            a["agentId"].stringValue ?? "?", a["agentType"].stringValue ?? "", a["phase"].stringValue ?? "",
            a["health"].stringValue ?? "", a["registered"].boolValue == true ? "yes" : "no",
            a["workspaceId"].stringValue.map { $0.isEmpty ? "-" : $0 } ?? "-",
            a["startedAt"].stringValue.map { age($0) } ?? "-",
        ]
        if wide {
            cells += [a["namespace"].stringValue ?? "", a["name"].stringValue ?? "", a["endpoint"].stringValue ?? "-",
                      a["message"].stringValue ?? ""]
        }
        return cells
    }

    /// A table of agents.
    static func table(_ agents: [JSON], wide: Bool) -> String {
        RegistryEntryView.render([wide ? wideColumns : columns] + agents.map { row($0, wide: wide) })
    }

    /// The details of one agent.
    static func details(_ a: JSON) -> String {
        var lines: [(String, String)] = [
            ("Agent ID", a["agentId"].stringValue ?? ""), ("Type", a["agentType"].stringValue ?? ""),
            ("Phase", a["phase"].stringValue ?? ""), ("Message", a["message"].stringValue ?? ""),
            ("Supervisor state", a["state"].stringValue ?? "-"), ("Health", a["health"].stringValue ?? ""),
            ("Workspace", a["workspaceId"].stringValue ?? ""),
            ("Capabilities", (a["capabilities"].arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ")),
            ("Runtime", a["runtime"].stringValue ?? ""), ("Namespace", a["namespace"].stringValue ?? ""),
            ("Name", a["name"].stringValue ?? ""), ("Endpoint", a["endpoint"].stringValue ?? "-"),
            ("Registry key", a["registryKey"].stringValue ?? "- (not registered)"),
            ("Started", a["startedAt"].stringValue.map { "\($0) (\(age($0)) ago)" } ?? "-"),
            ("Restarts", a["restarts"].intValue.map(String.init) ?? "0"),
        ]
        if let login = a["login"].objectValue {
            lines.append(("Login", "required"))
            if let url = login["url"]?.stringValue { lines.append(("  URL", url)) }
            if let code = login["code"]?.stringValue { lines.append(("  Code", code)) }
            if let msg = login["message"]?.stringValue { lines.append(("  Prompt", msg)) }
            let id = a["agentId"].stringValue ?? "ID"
            lines.append(("  Answer with", "agentctl input \(id) TEXT   or   agentctl attach \(id)"))
        }
        let width = (lines.map(\.0.count).max() ?? 0) + 2
        return lines.map { ($0.0 + ":").padding(toLength: width, withPad: " ", startingAt: 0) + $0.1 }.joined(separator: "\n")
    }

    /// One line for an event of `GET /events` (people's format).
    static func eventLine(_ name: String, _ data: JSON) -> String {
        let time = Timestamp.iso8601(Date())
        switch name {
        case "agent":
            let a = data["agent"]
            var text = "\(time)  \((data["type"].stringValue ?? "").uppercased().padding(toLength: 9, withPad: " ", startingAt: 0)) "
                + "\(a["agentId"].stringValue ?? "?")  phase=\(a["phase"].stringValue ?? "?") health=\(a["health"].stringValue ?? "?")"
            if let prev = data["previousPhase"].stringValue { text += " (was \(prev))" }
            return text
        case "login_required":
            var text = "\(time)  LOGIN     \(data["agentId"].stringValue ?? "?")  login required"
            if let url = data["url"].stringValue { text += ": open \(url)" }
            if let code = data["code"].stringValue { text += " code \(code)" }
            return text
        case "login_completed":
            return "\(time)  LOGGED-IN \(data["agentId"].stringValue ?? "?")  login completed (phase \(data["phase"].stringValue ?? "?"))"
        default:
            return "\(time)  \(name.uppercased())  \(data.serialized())"
        }
    }
}
