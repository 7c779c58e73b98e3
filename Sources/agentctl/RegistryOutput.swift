import Foundation
import Registry
import RuntimeCore

/// One registry key as agentctl shows it: the Parallax record when the value is one, the raw value
/// otherwise (a key at the agents prefix written by someone else is shown, not hidden).
struct RegistryEntryView {
    let kv: EtcdKeyValue
    let agentId: String
    let record: ParallaxAgentRecord?
    let value: JSON?
    var leaseTTL: EtcdLeaseTimeToLive?

    init(kv: EtcdKeyValue, keys: RegistryKeys) {
        self.kv = kv
        agentId = keys.agentId(fromKey: kv.key) ?? kv.key
        record = try? ParallaxAgentRecord.decode(kv.value)
        value = try? JSON.parse(kv.value)
    }

    /// The `-o json` form: key metadata plus the value exactly as stored (parsed when it is JSON).
    var json: JSON {
        var j: JSON = [
            "key": .string(kv.key), "agentId": .string(agentId),
            "lease": .string(String(kv.lease, radix: 16)),
            "createRevision": .int(kv.createRevision), "modRevision": .int(kv.modRevision),
            "value": value ?? .string(kv.valueString),
            "parallaxRecord": .bool(record != nil),
        ]
        if let leaseTTL {
            j["leaseTTL"] = .int(leaseTTL.ttl)
            j["leaseGrantedTTL"] = .int(leaseTTL.grantedTTL)
        }
        return j
    }

    private var cells: [String] {
        guard let r = record else {
            return [agentId, "?", "?", "?", value == nil ? "(not JSON)" : "(not a Parallax agent record)", "", "", "", ""]
        }
        return [r.id, r.metadata.agentType, r.metadata.state, r.health.status.rawValue, r.endpoint,
                r.metadata.workspaceId, r.metadata.namespace, String(r.ttl) + "s", age(r.registeredAt)]
    }

    static let columns = ["AGENT ID", "TYPE", "STATE", "HEALTH", "ENDPOINT", "WORKSPACE", "NAMESPACE", "TTL", "AGE"]

    /// A kubectl-style table.
    static func table(_ views: [RegistryEntryView]) -> String {
        render([columns] + views.map(\.cells))
    }

    /// Watch lines are printed one at a time, so their columns have fixed widths (wider cells push on).
    static let watchWidths = [8, 9, 30, 8, 15, 10, 28, 12, 14, 5, 4]

    static let watchHeader = fixed(["EVENT", "REVISION"] + columns)

    /// One watch line, aligned with ``watchHeader``.
    func watchLine(_ type: String) -> String { RegistryEntryView.fixed([type, String(kv.modRevision)] + cells) }

    static func fixed(_ cells: [String]) -> String {
        var out = ""
        for (i, c) in cells.enumerated() {
            if i == cells.count - 1 { out += c; break }
            let width = i < watchWidths.count ? watchWidths[i] : c.count
            out += c.padding(toLength: max(width, c.count) + 2, withPad: " ", startingAt: 0)
        }
        return out
    }

    /// The `get` details for people.
    var details: String {
        var lines: [(String, String)] = [("Key", kv.key)]
        var lease = kv.lease == 0 ? "none" : String(kv.lease, radix: 16)
        if let t = leaseTTL { lease += t.exists ? " (expires in \(t.ttl)s, granted \(t.grantedTTL)s)" : " (expired)" }
        lines.append(("Lease", lease))
        lines.append(("Revisions", "created \(kv.createRevision), modified \(kv.modRevision)"))
        if let r = record {
            lines += [("ID", r.id), ("Name", r.name), ("Type", r.type), ("Endpoint", r.endpoint),
                      ("Agent type", r.metadata.agentType), ("Capabilities", r.metadata.capabilities.joined(separator: ", ")),
                      ("Workspace", r.metadata.workspaceId), ("Namespace", r.metadata.namespace),
                      ("Session", r.metadata.session), ("Pod", r.metadata.pod), ("Protocol", r.metadata.protocol),
                      ("State", r.metadata.state), ("Version", r.metadata.version),
                      ("Health", "\(r.health.status.rawValue) (last check \(r.health.lastCheck), every \(r.health.checkInterval)ms)"),
                      ("Registered", "\(r.registeredAt) (\(age(r.registeredAt)) ago)"), ("TTL", "\(r.ttl)s")]
        } else {
            lines.append(("Value", kv.valueString))
            lines.append(("Note", "not a Parallax agent record"))
        }
        let width = (lines.map(\.0.count).max() ?? 0) + 2
        return lines.map { ($0.0 + ":").padding(toLength: width, withPad: " ", startingAt: 0) + $0.1 }
            .joined(separator: "\n")
    }

    static func render(_ rows: [[String]]) -> String {
        guard let first = rows.first else { return "" }
        var widths = Array(repeating: 0, count: first.count)
        for row in rows { for (i, c) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        return rows.map { row in
            row.enumerated().map { i, c in i == row.count - 1 ? c : c.padding(toLength: widths[i] + 3, withPad: " ", startingAt: 0) }
                .joined()
        }.joined(separator: "\n")
    }
}

/// kubectl-style age: `45s`, `12m`, `3h`, `2d`.
func age(_ iso: String, now: Date = Date()) -> String {
    guard let date = Timestamp.parse(iso) else { return "?" }
    let s = max(0, Int(now.timeIntervalSince(date)))
    if s < 120 { return "\(s)s" }
    if s < 7200 { return "\(s / 60)m" }
    if s < 172_800 { return "\(s / 3600)h" }
    return "\(s / 86400)d"
}
