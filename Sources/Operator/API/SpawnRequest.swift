import Foundation
import RuntimeCore

/// The body of `POST /spawn`, parsed strictly.
///
/// ```json
/// {"agentId": "team-a.fix-bug", "agentType": "codex", "workspaceId": "ws-42", "capabilities": ["code"],
///  "env": {"FOO": "bar"}, "workdir": "/workspace", "namespace": "team-a", "image": "...",
///  "command": ["codex"], "args": ["--model", "o3"]}
/// ```
///
/// Strictness (why: a typo such as `"capabilites"` must not silently spawn an agent without capabilities):
/// - the body must be one JSON object (else 400);
/// - `agentId` and `agentType` are required; every field has a fixed type; unknown fields are refused
///   (422, naming them);
/// - `env` is an object of strings or a list of `{"name", "value"}`, `workdir` a path without `..`, `image`
///   a valid reference: the rules admission applies to AgentSessions too (``SpecRules``), so both doors agree;
/// - besides the contract's fields, `role`, `displayName` and `restartPolicy` (as in the AgentSession
///   spec) are accepted.
public struct SpawnRequest: Sendable, Equatable {
    /// The Parallax id (``AgentNames``).
    public var agentId: String
    /// `claude`, `codex`, `gemini`, `aider` or `custom`.
    public var agentType: String
    /// The workspace; empty for none.
    public var workspaceId: String = ""
    /// Capabilities.
    public var capabilities: [String] = []
    /// Extra environment, in order.
    public var env: [(name: String, value: String)] = []
    /// The working directory (absolute in a cluster; inside the agent's directory in local mode).
    public var workdir: String?
    /// The namespace (cluster) or the registry metadata namespace (local).
    public var namespace: String?
    /// The CLI image (cluster only; ignored in local mode).
    public var image: String?
    /// The CLI command; default per agent type.
    public var command: [String] = []
    /// Extra arguments.
    public var args: [String] = []
    /// `AGENT_ROLE`.
    public var role: String = ""
    /// The display name (registry `name`).
    public var displayName: String = ""
    /// `Always`, `OnFailure` or `Never`; empty for the default (`OnFailure`).
    public var restartPolicy: String = ""

    /// The fields accepted.
    public static let fields: Set<String> = [
        "agentId", "agentType", "workspaceId", "capabilities", "env", "workdir", "namespace", "image", "command", "args",
        "role", "displayName", "restartPolicy",
    ]
    /// The agent types the runtime knows.
    public static let agentTypes = OperatorConfig.knownAgentTypes

    public static func == (a: SpawnRequest, b: SpawnRequest) -> Bool {
        a.agentId == b.agentId && a.agentType == b.agentType && a.workspaceId == b.workspaceId && a.capabilities == b.capabilities
            && a.env.map(\.name) == b.env.map(\.name) && a.env.map(\.value) == b.env.map(\.value) && a.workdir == b.workdir
            && a.namespace == b.namespace && a.image == b.image && a.command == b.command && a.args == b.args && a.role == b.role
            && a.displayName == b.displayName && a.restartPolicy == b.restartPolicy
    }

    /// Creates a request (tests, clients).
    public init(agentId: String, agentType: String) {
        self.agentId = agentId
        self.agentType = agentType
    }

    /// Parses and checks a request body: 400 when it is not a JSON object, 422 for any field problem.
    public static func parse(_ body: Data) throws(APIError) -> SpawnRequest {
        let json: JSON
        do {
            json = try JSON.parse(body)
        } catch {
            throw .badRequest("the body is not valid JSON: \(error)")
        }
        guard let object = json.objectValue else { throw .badRequest("the body must be a JSON object, not \(json.typeName)") }
        let unknown = object.keys.filter { !fields.contains($0) }.sorted()
        if !unknown.isEmpty {
            throw .invalid("unknown field\(unknown.count == 1 ? "" : "s") \(unknown.map { AgentNames.quoted($0) }.joined(separator: ", ")) "
                + "(accepted: \(fields.sorted().joined(separator: ", ")))")
        }
        var r = SpawnRequest(agentId: try string(object, "agentId", required: true) ?? "",
                             agentType: try string(object, "agentType", required: true) ?? "")
        try AgentNames.validate(agentId: r.agentId)
        guard agentTypes.contains(r.agentType) else {
            throw .invalid("agentType \(AgentNames.quoted(r.agentType)) is unknown (known: \(agentTypes.joined(separator: ", ")))")
        }
        r.workspaceId = try string(object, "workspaceId", max: 253) ?? ""
        r.capabilities = try strings(object, "capabilities", maxCount: 64, maxLength: 128)
        if let bad = r.capabilities.first(where: { $0.isEmpty || $0.contains(where: { $0.isWhitespace || $0.isNewline }) }) {
            throw .invalid("capabilities entry \(AgentNames.quoted(bad)) must be a non-empty word without whitespace")
        }
        r.env = try environment(object["env"])
        r.workdir = try string(object, "workdir", max: 4096)
        if let w = r.workdir, w.isEmpty { r.workdir = nil }
        if let w = r.workdir, let problem = SpecRules.workdirProblem(w, absolute: false) { throw .invalid(problem) }
        r.namespace = try string(object, "namespace", max: 63)
        if let ns = r.namespace, ns.isEmpty { r.namespace = nil }
        if let ns = r.namespace, !AgentNames.isDNSLabel(ns) {
            throw .invalid("namespace \(AgentNames.quoted(ns)) is not a valid namespace name (lower-case letters, digits, '-')")
        }
        r.image = try string(object, "image", max: 1024)
        if let i = r.image, i.isEmpty { r.image = nil }
        if let i = r.image, let problem = SpecRules.imageProblem(i) { throw .invalid(problem) }
        r.command = try strings(object, "command", maxCount: 256, maxLength: 32768)
        r.args = try strings(object, "args", maxCount: 256, maxLength: 32768)
        r.role = try string(object, "role", max: 253) ?? ""
        r.displayName = try string(object, "displayName", max: 253) ?? ""
        r.restartPolicy = try string(object, "restartPolicy") ?? ""
        if !r.restartPolicy.isEmpty, !["Always", "OnFailure", "Never"].contains(r.restartPolicy) {
            throw .invalid("restartPolicy \(AgentNames.quoted(r.restartPolicy)) must be Always, OnFailure or Never")
        }
        return r
    }

    // MARK: Field readers

    private static func string(_ o: [String: JSON], _ key: String, required: Bool = false, max: Int = 253)
        throws(APIError) -> String?
    {
        guard let v = o[key], !v.isNull else {
            if required { throw .invalid("\(key) is required") }
            return nil
        }
        guard let s = v.stringValue else { throw .invalid("\(key) must be a string, not \(v.typeName)") }
        guard s.count <= max else { throw .invalid("\(key) is \(s.count) characters; at most \(max) are allowed") }
        return s
    }

    private static func strings(_ o: [String: JSON], _ key: String, maxCount: Int, maxLength: Int) throws(APIError) -> [String] {
        guard let v = o[key], !v.isNull else { return [] }
        guard let items = v.arrayValue else { throw .invalid("\(key) must be a list of strings, not \(v.typeName)") }
        guard items.count <= maxCount else { throw .invalid("\(key) has \(items.count) entries; at most \(maxCount) are allowed") }
        var out: [String] = []
        for (i, item) in items.enumerated() {
            guard let s = item.stringValue else { throw .invalid("\(key)[\(i)] must be a string, not \(item.typeName)") }
            guard s.count <= maxLength else { throw .invalid("\(key)[\(i)] is longer than \(maxLength) characters") }
            out.append(s)
        }
        return out
    }

    private static func environment(_ v: JSON?) throws(APIError) -> [(name: String, value: String)] {
        guard let v, !v.isNull else { return [] }
        var out: [(name: String, value: String)] = []
        if let o = v.objectValue {
            for key in o.keys.sorted() {
                guard let s = o[key]!.stringValue else { throw .invalid("env.\(key) must be a string, not \(o[key]!.typeName)") }
                out.append((key, s))
            }
        } else if let list = v.arrayValue {
            for (i, item) in list.enumerated() {
                guard let o = item.objectValue, let name = o["name"]?.stringValue else {
                    throw .invalid("env[\(i)] must be an object {\"name\": \"...\", \"value\": \"...\"}")
                }
                let extra = o.keys.filter { $0 != "name" && $0 != "value" }
                guard extra.isEmpty else { throw .invalid("env[\(i)] has unknown field \(AgentNames.quoted(extra.sorted()[0])) (name and value only)") }
                let value = o["value"] ?? .string("")
                guard let s = value.isNull ? "" : value.stringValue else { throw .invalid("env[\(i)].value must be a string") }
                out.append((name, s))
            }
        } else {
            throw .invalid("env must be an object of strings or a list of {name, value}, not \(v.typeName)")
        }
        if let problem = SpecRules.envProblems(out.map { ($0.name, $0.value) }).first { throw .invalid(problem) }
        return out
    }
}
