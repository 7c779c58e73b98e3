import FoundationEssentials
import Glibc
import RuntimeCore

/// The answers a CLI's first start would otherwise ask a person for, written before that start so an agent
/// needs nobody but for its login (docs/agent-clis.md has the screens they skip).
///
/// Claude Code: `~/.claude.json` with the entries the CLI itself writes when a person answers its dialogs:
/// onboarding done (which also skips its connectivity preflight to api.anthropic.com, fatal offline), the
/// workdir trusted, and, when `ANTHROPIC_API_KEY` is set, that key approved (the CLI stores the last 20
/// characters of the trimmed key). Nothing is written when the file exists: a person's or an earlier
/// start's answers win.
public enum FirstRun {
    /// The `~/.claude.json` content for `workdir` (and an API key from the environment, if any).
    public static func claudeState(workdir: String, apiKey: String?) -> JSON {
        // The CLI keys projects by the absolute path without a trailing slash.
        let project = workdir.count > 1 && workdir.hasSuffix("/") ? String(workdir.dropLast()) : workdir
        var state: [String: JSON] = [
            "hasCompletedOnboarding": true,
            "hasSeenAutoDefaultNotice": true,
            "projects": .object([project: ["hasTrustDialogAccepted": true]]),
        ]
        if let key = apiKey?.trimmingWhitespace(), !key.isEmpty {
            state["customApiKeyResponses"] = ["approved": [.string(String(key.suffix(20)))], "rejected": []]
        }
        return .object(state)
    }

    /// Writes `~/.claude.json` into `home` unless it exists (mode 0600: it holds part of the key). Returns
    /// true when it wrote the file.
    @discardableResult
    public static func seedClaude(home: String, workdir: String, apiKey: String?) throws(SupervisorError) -> Bool {
        try createExclusively(home + "/.claude.json", claudeState(workdir: workdir, apiKey: apiKey), mode: 0o600)
    }

    /// Creates `path` with `json` unless it exists. `O_EXCL`: never clobbers a file the user (or an earlier
    /// start) put there, even in a race.
    static func createExclusively(_ path: String, _ json: JSON, mode: mode_t) throws(SupervisorError) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        if fd < 0 {
            if errno == EEXIST { return false }
            throw .cannotWrite(path: path, errno: errno)
        }
        defer { close(fd) }
        let bytes = Array((json.serialized(pretty: true) + "\n").utf8)
        guard bytes.withUnsafeBytes({ writeFully(fd, $0) }) else { throw .cannotWrite(path: path, errno: errno) }
        return true
    }
}
