import AgentTestSupport
import Foundation
import RuntimeCore
import XCTest

@testable import Operator

/// `--api-token-file` (APITokens.swift): several tokens, comments, rotation without restart, and a bad
/// rewrite that keeps the previous tokens.
final class APITokensTests: XCTestCase {
    func testParseSkipsCommentsAndBlankLines() {
        XCTAssertEqual(APITokens.parse("# tokens\n\n  one  \ntwo\r\n#three\n"), ["one", "two"])
    }

    func testLoadRotateAndKeepOnBadRewrite() async throws {
        let dir = try TempDirectory(prefix: "api-tokens")
        defer { dir.remove() }
        let path = dir.path + "/tokens"
        try "# ci\nfirst-token\nsecond-token\n".write(toFile: path, atomically: true, encoding: .utf8)
        let logs = LogSink.memory()
        let tokens = try APITokens(path: path, logger: Logger(label: "t", sink: logs))
        XCTAssertEqual(tokens.current, ["first-token", "second-token"])

        try "third-token\n".write(toFile: path, atomically: true, encoding: .utf8)
        try await waitFor("rotation seen", timeout: .seconds(5)) { tokens.current == ["third-token"] ? true : nil }
        XCTAssertTrue(logs.lines.contains { $0.contains("API tokens reloaded") })

        try "\n# nothing\n".write(toFile: path, atomically: true, encoding: .utf8)
        try await waitFor("bad rewrite noticed", timeout: .seconds(5)) {
            _ = tokens.current  // the file is looked at when tokens are needed
            return logs.lines.contains { $0.contains("keeping the previous tokens") } ? true : nil
        }
        XCTAssertEqual(tokens.current, ["third-token"])
        XCTAssertFalse(logs.lines.joined().contains("third-token"), "tokens are never logged")
    }

    func testStartupErrors() throws {
        let dir = try TempDirectory(prefix: "api-tokens")
        defer { dir.remove() }
        XCTAssertThrowsError(try APITokens(path: dir.path + "/missing")) { XCTAssertTrue("\($0)".contains("cannot be read")) }
        try "# only a comment\n".write(toFile: dir.path + "/empty", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try APITokens(path: dir.path + "/empty")) { XCTAssertTrue("\($0)".contains("holds no token")) }
    }

    func testMiddlewareUsesEveryTokenAndLogsNoToken() {
        let logs = LogSink.memory()
        let auth = RuntimeAPIServer.authMiddleware(tokens: APITokens(tokens: ["alpha-secret", "beta-secret"]),
                                                   logger: Logger(label: "t", sink: logs))
        func request(_ headers: [String: String], path: String = "/agents", query: String = "") -> HTTPRequest {
            HTTPRequest(method: "GET", path: path, rawQuery: query, headers: headers)
        }
        XCTAssertNil(auth(request(["authorization": "Bearer alpha-secret"])))
        XCTAssertNil(auth(request(["authorization": "Bearer beta-secret"])))
        XCTAssertNil(auth(request(["upgrade": "websocket"], query: "token=beta-secret")))
        XCTAssertEqual(auth(request([:], query: "token=beta-secret"))?.status, 401, "?token= counts on WebSocket upgrades only")
        XCTAssertNil(auth(request([:], path: "/healthz")))
        XCTAssertEqual(auth(request([:]))?.status, 401)
        XCTAssertEqual(auth(request(["authorization": "Bearer alpha-secreT"]))?.status, 401)
        XCTAssertEqual(auth(request(["authorization": "Bearer gamma-guess"]))?.status, 401)
        let text = logs.lines.joined(separator: "\n")
        XCTAssertTrue(text.contains("request refused: invalid token"))
        XCTAssertFalse(text.contains("secret") || text.contains("gamma-guess"), text)
    }
}
