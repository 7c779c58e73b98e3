import FoundationEssentials
import Glibc
import RuntimeCore

/// Writes Claude Code's project MCP configuration (contract §4).
public enum MCPConfig {
    /// The file's content: one HTTP MCP server named `raven-docs` whose key stays an environment reference
    /// (Claude Code expands `${MCP_API_KEY}`), so no secret is written to disk.
    public static func content(serverURL: String) -> JSON {
        ["mcpServers": ["raven-docs": ["type": "http", "url": .string(serverURL),
                                       "headers": ["Authorization": "Bearer ${MCP_API_KEY}"]]]]
    }

    /// Creates `<workdir>/.mcp.json` unless it exists. Returns true when it wrote the file.
    @discardableResult
    public static func writeIfAbsent(workdir: String, serverURL: String) throws(SupervisorError) -> Bool {
        let path = workdir.isEmpty ? ".mcp.json" : workdir.hasSuffix("/") ? workdir + ".mcp.json" : workdir + "/.mcp.json"
        // O_EXCL: never clobber a file the user (or an earlier start) put there, even in a race.
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fd < 0 {
            if errno == EEXIST { return false }
            throw .cannotWrite(path: path, errno: errno)
        }
        defer { close(fd) }
        let bytes = Array((content(serverURL: serverURL).serialized(pretty: true) + "\n").utf8)
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard n == bytes.count else { throw .cannotWrite(path: path, errno: errno) }
        return true
    }
}
