import Foundation
import RuntimeCore
import XCTest

@testable import Pod

/// The built-in login patterns against a real CLI: Aider, installed by scripts/setup.sh into `.venv-aider`.
final class LoginPatternsTests: XCTestCase {
    func testEveryBuiltInPatternCompiles() throws {
        for type in AgentType.allCases {
            _ = try LoginDetector(agentType: type)
            if type != .custom {
                XCTAssertFalse(LoginPatterns.login(for: type).isEmpty)
                XCTAssertFalse(LoginPatterns.ready(for: type).isEmpty)
            }
        }
    }

    /// Real Aider without any API key, offline (HOME in a temp dir, analytics and update checks off, the
    /// model cost map read locally): it offers the OpenRouter login, the supervisor reports login_required
    /// with Aider's own words, and after "yes" the OpenRouter OAuth URL it prints.
    func testRealAiderWithoutKeysIsLoginRequired() async throws {
        let aider = Fixtures.repositoryRoot + "/.venv-aider/bin/aider"
        guard FileManager.default.isExecutableFile(atPath: aider) else {
            if ProcessInfo.processInfo.environment["AGENT_RUNTIME_SKIP_AIDER"] == "1" {
                throw XCTSkip("Aider not installed and AGENT_RUNTIME_SKIP_AIDER=1")
            }
            XCTFail("Aider is not installed at \(aider): run scripts/setup.sh")
            return
        }
        let home = try Fixtures.temporaryDirectory()
        let work = try Fixtures.temporaryDirectory()
        let env: [String: String] = [
            "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8",
            "AIDER_ANALYTICS": "false", "AIDER_CHECK_UPDATE": "false", "AIDER_SHOW_RELEASE_NOTES": "false",
            "AIDER_GIT": "false", "LITELLM_LOCAL_MODEL_COST_MAP": "True", "NO_BROWSER": "1", "BROWSER": "true",
        ]
        let h = try SupervisorHarness([aider]) { c in
            c.agentType = .aider
            c.command.environment = env
            c.command.workdir = work
            c.size = WindowSize(cols: 120, rows: 40)
            c.restartPolicy = .never
        }
        defer { Task { await h.shutdown() } }

        await eventually("aider asks for a login", timeout: 120) { (try? await h.state()) == "login_required" }
        let status = try await h.status()
        XCTAssertEqual(status["agentType"].stringValue, "aider")
        let message = status["login"]["message"].stringValue ?? ""
        XCTAssertTrue(message.contains("No LLM model was specified and no API keys were provided") ||
                      message.contains("Login to OpenRouter"), message)
        let readyz = try await h.request("GET", "/readyz", token: .some(nil))
        XCTAssertEqual(readyz.status, 503)
        let screen = try await h.screen()
        XCTAssertTrue(screen.contains("No LLM model was specified and no API keys were provided"), screen)
        XCTAssertTrue(screen.contains("Login to OpenRouter or create a free account?"), screen)

        // Accept: Aider starts its OAuth flow and prints the OpenRouter URL (all local; no network needed).
        let yes = try await h.post("/input", ["text": "y", "enter": true])
        XCTAssertEqual(yes.status, 200)
        await eventually("OpenRouter URL extracted", timeout: 60) {
            let url = (try? await h.status()["login"]["url"].stringValue) ?? nil
            return url?.hasPrefix("https://openrouter.ai/auth?callback_url=http") == true
        }
        let final = try await h.status()
        XCTAssertEqual(final["state"].stringValue, "login_required")
        let url = final["login"]["url"].stringValue ?? ""
        XCTAssertTrue(url.contains("code_challenge="), url)
    }
}
