import Foundation

/// What local mode keeps on disk about one agent, so a restarted daemon finds what still runs (and
/// cleans up what does not). One JSON file per agent: `<workdir-root>/state/<name>/agent.json` (0600,
/// written atomically), next to the supervisor's token (`token`, 0600) and log (`supervisor.log`).
///
/// Environment values are not stored (they may hold keys); the running processes already have them.
public struct LocalAgentRecord: Codable, Sendable, Equatable {
    /// Format version.
    public var version = 1
    /// The Parallax id.
    public var agentId: String
    /// The directory name (``AgentNames/name(for:)``).
    public var name: String
    /// The agent type.
    public var agentType: String
    /// The workspace id.
    public var workspaceId: String
    /// Capabilities.
    public var capabilities: [String]
    /// The registry metadata namespace.
    public var namespace: String
    /// The display name (registry `name`).
    public var displayName: String
    /// The CLI command (after any limit wrapper).
    public var command: [String]
    /// The CLI's working directory.
    public var workdir: String
    /// Names of the extra environment variables (values are not stored).
    public var envNames: [String]
    /// The supervisor's pid (the leader of its own session and process group).
    public var supervisorPid: Int32
    /// Its start time in clock ticks after boot, to tell it from a later process with the same pid.
    public var supervisorStartTicks: UInt64
    /// The supervisor's loopback port, once known.
    public var port: Int?
    /// When the supervisor was started (ISO-8601).
    public var startedAt: String
    /// The agent CLI's pid and start time as last reported by the supervisor (cleanup after a crash).
    public var agentPid: Int32?
    /// See ``agentPid``.
    public var agentStartTicks: UInt64?
    /// The agent's cgroup directory, if any.
    public var cgroup: String?
    /// True once a stop was requested (a restarted daemon finishes it).
    public var stopping = false

    /// `http://127.0.0.1:<port>` once the port is known.
    public var endpoint: String? { port.map { "http://127.0.0.1:\($0)" } }
}

/// The `<workdir-root>` layout: `state/<name>/` per agent (0700) and `workspaces/<name>/` (the agent's
/// working directory tree).
public struct LocalLayout: Sendable {
    /// `--workdir-root`.
    public let root: String

    /// Creates the layout (and its directories, 0700).
    public init(root: String) throws {
        self.root = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
        for dir in [self.root, stateRoot, workspacesRoot] {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        }
    }

    /// `<root>/state`.
    public var stateRoot: String { root + "/state" }
    /// `<root>/workspaces`.
    public var workspacesRoot: String { root + "/workspaces" }
    /// The agent's state directory.
    public func stateDirectory(_ name: String) -> String { stateRoot + "/" + name }
    /// The agent's workspace directory.
    public func workspace(_ name: String) -> String { workspacesRoot + "/" + name }
    /// `agent.json`.
    public func recordFile(_ name: String) -> String { stateDirectory(name) + "/agent.json" }
    /// The supervisor token file.
    public func tokenFile(_ name: String) -> String { stateDirectory(name) + "/token" }
    /// The supervisor's stdout and stderr.
    public func logFile(_ name: String) -> String { stateDirectory(name) + "/supervisor.log" }

    /// Writes a record atomically (temp file, rename), 0600.
    public func save(_ record: LocalAgentRecord) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(record)
        let path = recordFile(record.name)
        let temp = path + ".tmp"
        guard FileManager.default.createFile(atPath: temp, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: temp])
        }
        guard rename(temp, path) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    /// Every record on disk; unreadable ones are returned as names to clean up.
    public func loadAll() -> (records: [LocalAgentRecord], broken: [String]) {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: stateRoot)) ?? []).sorted()
        var records: [LocalAgentRecord] = []
        var broken: [String] = []
        for name in names where !name.hasPrefix(".") {
            guard let data = FileManager.default.contents(atPath: recordFile(name)),
                  let r = try? JSONDecoder().decode(LocalAgentRecord.self, from: data), r.name == name else {
                broken.append(name)
                continue
            }
            records.append(r)
        }
        return (records, broken)
    }

    /// Writes the supervisor token (0600) in a fresh state directory (0700).
    public func prepare(name: String, token: String) throws {
        let dir = stateDirectory(name)
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        guard FileManager.default.createFile(atPath: tokenFile(name), contents: Data(token.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: tokenFile(name)])
        }
    }

    /// The token of an agent, if its file is there.
    public func token(_ name: String) -> String? {
        (try? String(contentsOfFile: tokenFile(name), encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Removes the state directory (and the workspace when asked).
    public func remove(_ name: String, workspace: Bool) {
        try? FileManager.default.removeItem(atPath: stateDirectory(name))
        if workspace { try? FileManager.default.removeItem(atPath: self.workspace(name)) }
    }
}
