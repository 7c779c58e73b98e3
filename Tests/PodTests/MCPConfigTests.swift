import Foundation
import RuntimeCore
import XCTest

@testable import Pod

/// `.mcp.json` for Claude Code (contract §4).
final class MCPConfigTests: XCTestCase {
    func testWritesExactlyTheContractShapeAndNeverClobbers() throws {
        let dir = try Fixtures.temporaryDirectory()
        XCTAssertTrue(try MCPConfig.writeIfAbsent(workdir: dir, serverURL: "https://raven.example/api/mcp-standard"))
        let written = try JSON.parse(Data(contentsOf: URL(fileURLWithPath: dir + "/.mcp.json")))
        let expected = try JSON.parse(#"{"mcpServers": {"raven-docs": {"type": "http", "url": "https://raven.example/api/mcp-standard", "headers": {"Authorization": "Bearer ${MCP_API_KEY}"}}}}"#)
        XCTAssertEqual(written, expected)

        try Data("{\"mine\": true}".utf8).write(to: URL(fileURLWithPath: dir + "/.mcp.json"))
        XCTAssertFalse(try MCPConfig.writeIfAbsent(workdir: dir, serverURL: "https://other"))
        XCTAssertEqual(try String(contentsOfFile: dir + "/.mcp.json", encoding: .utf8), "{\"mine\": true}")
    }

    func testUnwritableDirectoryIsATypedError() {
        XCTAssertThrowsError(try MCPConfig.writeIfAbsent(workdir: "/nonexistent-dir", serverURL: "x")) { error in
            guard case .cannotWrite? = error as? SupervisorError else { return XCTFail("\(error)") }
        }
    }
}
