import Foundation
import XCTest

@testable import Pod

/// Login/ready detection rules and URL/code extraction.
final class LoginDetectorTests: XCTestCase {
    private let t0 = Date(timeIntervalSince1970: 1_000_000)

    private func at(_ s: Double) -> Date { t0.addingTimeInterval(s) }

    private func evaluate(_ d: inout LoginDetector, _ screen: String, lines: [String] = [], at s: Double) -> LoginDetector.Verdict {
        d.evaluate(screen: screen, newLines: lines, now: at(s), startedAt: t0, firstOutputAt: at(0), lastOutputAt: at(s))
    }

    func testCodexDeviceCodeScreenGivesURLAndCode() throws {
        var d = try LoginDetector(agentType: .codex)
        let screen = """
            Welcome to Codex, OpenAI's command-line coding agent

            Follow these steps to sign in with ChatGPT using device code authorization:

            1. Open this link in your browser and sign in to your account
               https://auth.openai.com/codex/device

            2. Enter this one-time code (expires in 15 minutes)
               SZZY-QEPOG

            Device codes are a common phishing target. Never share this code.
            """
        guard case .loginRequired(let info) = evaluate(&d, screen, at: 1) else { return XCTFail("no login detected") }
        XCTAssertEqual(info.url, "https://auth.openai.com/codex/device")
        XCTAssertEqual(info.code, "SZZY-QEPOG")
        XCTAssertTrue(info.message.contains("sign in with ChatGPT"), info.message)
        XCTAssertEqual(info.detectedAt, at(1))
    }

    /// Claude Code's "Not logged in" screen also links its docs; a documentation link is never the login URL,
    /// while a URL on the CLI's auth host is, wherever it is on the screen.
    func testDocumentationLinksAreNotLoginURLs() throws {
        var d = try LoginDetector(agentType: .claude)
        let screen = """
            ❯ say hi
              ⎿  Not logged in · Please run /login

              Permission modes: https://code.claude.com/docs/en/permission-modes
            """
        guard case .loginRequired(let info) = evaluate(&d, screen, at: 1) else { return XCTFail("no login detected") }
        XCTAssertNil(info.url)
        var withAuth = try LoginDetector(agentType: .claude)
        let oauth = "Docs: https://docs.anthropic.com/en/login\nBrowser didn't open? Use the url below to sign in\n"
            + "https://claude.ai/oauth/authorize?code=true&client_id=abc\nPaste code here if prompted >"
        guard case .loginRequired(let auth) = evaluate(&withAuth, oauth, at: 1) else { return XCTFail("no login detected") }
        XCTAssertEqual(auth.url, "https://claude.ai/oauth/authorize?code=true&client_id=abc")
        XCTAssertTrue(LoginPatterns.isDocumentation("https://code.claude.com/docs/en/permission-modes"))
        XCTAssertFalse(LoginPatterns.isDocumentation("https://openrouter.ai/auth?x=1"))
        XCTAssertEqual(LoginPatterns.host(of: "https://user@Auth.OpenAI.com:443/codex"), "auth.openai.com")
    }

    func testBuiltInPatternsPerAgentType() throws {
        let cases: [(AgentType, String)] = [
            (.gemini, "│ How would you like to authenticate for this project? │\n│ ● 1. Login with Google │"),
            (.aider, "No LLM model was specified and no API keys were provided.\nOpenRouter provides free and paid access to many LLMs."),
            (.claude, "Select login method:\n ❯ 1. Claude account with subscription\n   2. Anthropic Console account"),
            (.claude, "> hi\n  ⎿  Invalid API key · Please run /login"),
            (.codex, "  > Sign in with ChatGPT\n    Provide your own API key"),
        ]
        for (type, screen) in cases {
            var d = try LoginDetector(agentType: type)
            guard case .loginRequired = evaluate(&d, screen, at: 1) else { XCTFail("\(type): not detected in \(screen)"); continue }
        }
        var custom = try LoginDetector(agentType: .custom)
        XCTAssertNotEqual(evaluate(&custom, "Select login method:", at: 1), .loginRequired(.init(url: nil, code: nil, message: "", detectedAt: t0)))
    }

    func testWrappedURLAndBoxDrawingAreHandled() throws {
        var d = try LoginDetector(agentType: .gemini)
        let screen = "╭──────────╮\n│ Please visit the following URL to authorize the application: │\n│ https://accounts.google.com/o/oauth2/v2/auth?client_id=abc&scope=x│\n╰──────────╯"
        guard case .loginRequired(let info) = evaluate(&d, screen, at: 1) else { return XCTFail("no login") }
        XCTAssertEqual(info.url, "https://accounts.google.com/o/oauth2/v2/auth?client_id=abc&scope=x")
        XCTAssertEqual(info.message, "Please visit the following URL to authorize the application:")
        XCTAssertNil(info.code)
    }

    func testStreamCompletesAURLCutAtTheScreenEdge() throws {
        var d = try LoginDetector(agentType: .aider)
        let screen = "Please open this URL in your browser to connect Aider with OpenRouter:\n\nhttps://openrouter.ai/auth?callback"
        let lines = ["https://openrouter.ai/auth?callback_url=http://localhost:8484/callback/aider&code_challenge=xyz"]
        guard case .loginRequired(let info) = evaluate(&d, screen, lines: lines, at: 1) else { return XCTFail("no login") }
        XCTAssertEqual(info.url, lines[0])
    }

    func testCodesNeedALetterAndAreNotTakenFromURLs() throws {
        let d = try LoginDetector(agentType: .codex)
        XCTAssertNil(d.extractCode("on 2026-1121 at https://x.test/ABCD-EFGH", after: "".startIndex))
        let text = "code: AB12-CD34"
        XCTAssertEqual(d.extractCode(text, after: text.startIndex), "AB12-CD34")
    }

    func testBackToRunningWhenLoginTextLeavesTheScreen() throws {
        var d = try LoginDetector(agentType: .custom, loginPatterns: ["Sign in"])
        d.clearDelay = 0.5
        guard case .loginRequired = evaluate(&d, "Sign in please", at: 1) else { return XCTFail("no login") }
        // A redraw that clears first must not flap.
        guard case .loginRequired = evaluate(&d, "", at: 1.1) else { return XCTFail("flapped on a blank screen") }
        guard case .loginRequired = evaluate(&d, "Sign in please", at: 1.2) else { return XCTFail("lost login") }
        guard case .loginRequired = evaluate(&d, "> ready", at: 1.3) else { return XCTFail("cleared too early") }
        XCTAssertEqual(evaluate(&d, "> ready", at: 1.9), .running)
    }

    func testReadyPatternClearsAtOnce() throws {
        var d = try LoginDetector(agentType: .custom, loginPatterns: ["Sign in"], readyPatterns: ["^> $"])
        _ = evaluate(&d, "Sign in", lines: ["Sign in"], at: 1)
        XCTAssertEqual(evaluate(&d, "welcome\n> \n", at: 1.01), .running)
    }

    func testStreamOnlyLoginClearsAfterInput() throws {
        var d = try LoginDetector(agentType: .custom, loginPatterns: ["Sign in"])
        d.clearDelay = 0.2
        guard case .loginRequired = evaluate(&d, "scrolled away", lines: ["Sign in at https://x.test"], at: 1) else {
            return XCTFail("stream login not detected")
        }
        guard case .loginRequired = evaluate(&d, "scrolled away", at: 5) else { return XCTFail("cleared without input") }
        d.noteInput()
        _ = evaluate(&d, "scrolled away", at: 5.1)
        XCTAssertEqual(evaluate(&d, "scrolled away", at: 5.4), .running)
    }

    func testStartingPhase() throws {
        var withReady = try LoginDetector(agentType: .custom, readyPatterns: ["READY"])
        XCTAssertEqual(evaluate(&withReady, "booting", at: 5), .starting)
        XCTAssertEqual(evaluate(&withReady, "READY", at: 6), .running)

        var quiet = try LoginDetector(agentType: .custom)
        quiet.quietPeriod = 0.3
        XCTAssertEqual(quiet.evaluate(screen: "x", newLines: [], now: at(1), startedAt: t0, firstOutputAt: at(0.9), lastOutputAt: at(0.9)), .starting)
        XCTAssertEqual(quiet.evaluate(screen: "x", newLines: [], now: at(1.3), startedAt: t0, firstOutputAt: at(0.9), lastOutputAt: at(0.9)), .running)

        var silent = try LoginDetector(agentType: .custom, readyPatterns: ["never"])
        silent.readyTimeout = 10
        XCTAssertEqual(silent.evaluate(screen: "", newLines: [], now: at(10), startedAt: t0, firstOutputAt: nil, lastOutputAt: nil), .running)
    }

    func testInvalidPatternIsATypedError() {
        XCTAssertThrowsError(try LoginDetector(agentType: .custom, loginPatterns: ["(unclosed"])) { error in
            XCTAssertEqual(error as? SupervisorError, .invalidPattern("(unclosed"))
        }
    }
}
