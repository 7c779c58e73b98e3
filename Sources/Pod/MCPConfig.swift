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
        return try FirstRun.createExclusively(path, content(serverURL: serverURL), mode: 0o644)
    }
}
