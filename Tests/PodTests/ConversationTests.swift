import Foundation
import RuntimeCore
import XCTest

@testable import Pod

/// The turn state machine (Conversation.swift) and reply extraction (ReplyExtractor.swift), on made-up
/// screens and times: no process, no clock.
final class ConversationTests: XCTestCase {
    let t0 = Date(timeIntervalSince1970: 1_000_000)

    func screen(_ transcript: [String], status: String? = nil, input: String = "") -> String {
        (transcript + [""] + (status.map { [$0] } ?? []) + [
            "╭──────────────────────────────╮", "│ > \(input.padding(toLength: 26, withPad: " ", startingAt: 0)) │",
            "╰──────────────────────────────╯", "  ? for shortcuts",
        ]).joined(separator: "\n")
    }

    func testATurnCompletesWithTheReplyWithoutChrome() throws {
        var c = try Conversation(profile: .builtIn(for: .claude))
        let before = screen(["Welcome"])
        XCTAssertEqual(c.observe(screen: before, version: 1, now: t0), [])
        XCTAssertEqual(c.activity(now: t0.addingTimeInterval(2)), .stable)
        let (m, started) = try c.begin("say hi", screen: before, now: t0.addingTimeInterval(2))
        XCTAssertEqual(m.role, .user)
        XCTAssertEqual(started.name, "turn.started")
        XCTAssertThrowsError(try c.begin("again", screen: before, now: t0.addingTimeInterval(2)))
        // Typing shows in the box; then the CLI thinks (busy marker), then replies.
        _ = c.observe(screen: screen(["Welcome"], input: "say hi"), version: 2, now: t0.addingTimeInterval(2.1))
        let busy = screen(["Welcome", "> say hi"], status: "✻ Thinking… (esc to interrupt)")
        _ = c.observe(screen: busy, version: 3, now: t0.addingTimeInterval(2.3))
        XCTAssertEqual(c.activity(now: t0.addingTimeInterval(9)), .running, "a busy marker keeps it running")
        let done = screen(["Welcome", "> say hi", "⏺ Hello there!", "  How can I help?"])
        let deltas = c.observe(screen: done, version: 4, now: t0.addingTimeInterval(3))
        XCTAssertEqual(deltas.map(\.name), ["item.delta"])
        XCTAssertEqual(deltas.first?.fields["text"], "Hello there!\nHow can I help?")
        XCTAssertEqual(c.observe(screen: done, version: 4, now: t0.addingTimeInterval(3.5)), [], "not settled yet")
        let end = c.observe(screen: done, version: 4, now: t0.addingTimeInterval(4.1))
        XCTAssertEqual(end.map(\.name), ["turn.completed"])
        XCTAssertEqual(end.first?.fields["reply"], "Hello there!\nHow can I help?")
        XCTAssertEqual(c.messages.map(\.role), [.user, .agent])
        XCTAssertEqual(c.messages(after: 1).map(\.content), ["Hello there!\nHow can I help?"])
        XCTAssertFalse(c.turnInProgress)
    }

    func testNoReactionFailsTheTurnAndLeavingRunningAbortsIt() throws {
        var c = try Conversation(profile: .builtIn(for: .claude))
        c.reactionTimeout = 5
        let s = screen(["Welcome"])
        _ = c.observe(screen: s, version: 1, now: t0)
        _ = try c.begin("hello?", screen: s, now: t0.addingTimeInterval(2))
        XCTAssertEqual(c.observe(screen: s, version: 1, now: t0.addingTimeInterval(6)), [])
        let failed = c.observe(screen: s, version: 1, now: t0.addingTimeInterval(7.1))
        XCTAssertEqual(failed.map(\.name), ["turn.failed"])
        _ = try c.begin("again", screen: s, now: t0.addingTimeInterval(8))
        XCTAssertEqual(c.abort("the agent exited", now: t0.addingTimeInterval(9))?.fields["reason"], "the agent exited")
        XCTAssertNil(c.abort("twice", now: t0.addingTimeInterval(9)))
    }

    func testAStableScreenWithoutAReplyWaitsForTheGrace() throws {
        var c = try Conversation(profile: .builtIn(for: .claude))
        let s = screen(["Welcome"])
        _ = c.observe(screen: s, version: 1, now: t0)
        _ = try c.begin("slow", screen: s, now: t0.addingTimeInterval(2))
        let echoed = screen(["Welcome", "> slow"])
        _ = c.observe(screen: echoed, version: 2, now: t0.addingTimeInterval(2.2))
        XCTAssertEqual(c.observe(screen: echoed, version: 2, now: t0.addingTimeInterval(4)), [], "no reply yet, no busy marker: wait")
        let late = screen(["Welcome", "> slow", "⏺ Finally."])
        _ = c.observe(screen: late, version: 3, now: t0.addingTimeInterval(5))
        XCTAssertEqual(c.observe(screen: late, version: 3, now: t0.addingTimeInterval(6.1)).last?.fields["reply"], "Finally.")
    }

    func testInterruptKeepsThePartialReply() throws {
        var c = try Conversation(profile: .builtIn(for: .claude))
        let s = screen(["Welcome"])
        _ = c.observe(screen: s, version: 1, now: t0)
        _ = try c.begin("write a novel", screen: s, now: t0.addingTimeInterval(2))
        let partial = screen(["Welcome", "> write a novel", "⏺ Chapter one."], status: "✻ Writing… (esc to interrupt)")
        _ = c.observe(screen: partial, version: 2, now: t0.addingTimeInterval(3))
        let e = c.interrupted(screen: partial, now: t0.addingTimeInterval(3.2))
        XCTAssertEqual(e?.name, "turn.interrupted")
        XCTAssertEqual(e?.fields["reply"], "Chapter one.")
        XCTAssertEqual(c.messages.last?.content, "Chapter one.")
    }

    func testReplyWhenTheMessageScrolledOffIsTheNewRows() throws {
        let x = try ReplyExtractor(profile: .builtIn(for: .custom))
        let before = "old 1\nold 2\n> "
        let after = "old 2\nanswer line\nsecond line\n> "
        XCTAssertEqual(x.reply(before: before, after: after, message: "not on screen"), "answer line\nsecond line")
    }

    func testBoxedAndMultiLineMessages() throws {
        let x = try ReplyExtractor(profile: .builtIn(for: .claude))
        let after = """
            > first line of the task
              second line of the task
            ⏺ Done:
              - item one
              - item two
            ╭────╮
            │ >  │
            ╰────╯
              ? for shortcuts
            """
        XCTAssertEqual(x.reply(before: "", after: after, message: "first line of the task\nsecond line of the task"),
                       "Done:\n- item one\n- item two")
        XCTAssertEqual(ReplyExtractor.unboxed("│ inside │"), " inside ")
        XCTAssertEqual(ReplyExtractor.content(of: "│ > hello │"), "hello")
    }

    /// Verbatim reply screens of the real CLIs (docs/agent-clis.md, inline rendering).
    func testRepliesOnTheRealCLIsScreens() throws {
        let claude = """
             ▐▛███▛█   Claude Code v2.1.332
            ▝▜██████▀  Opus 5.5 · API Usage Billing
             ▝▝   ▝▝   /tmp/a13/cc5w


            ❯ say hi

            ● PONG-42 from fake

            ✻ Worked for 0s · done 9:44 PM

            ────────────────────────────────────────
            ❯
            ────────────────────────────────────────
              ⏵⏵ auto mode on (shift+tab to cycle)
            """
        XCTAssertEqual(try ReplyExtractor(profile: .builtIn(for: .claude)).reply(before: "", after: claude, message: "say hi"), "PONG-42 from fake")
        let codex = """

              >_ OpenAI Codex (v0.163.0)
                 /tmp/a13/cx2w


            › say hi


            • PONG-42 from fake

              Worked for 6s • 22:03

            › Ask Codex to do anything

              fake-model default · /tmp/a13/cx2w
              ← for agents · ? for shortcuts                                  ⚠ 2 warnings · f2 to view
            """
        XCTAssertEqual(try ReplyExtractor(profile: .builtIn(for: .codex)).reply(before: "", after: codex, message: "say hi"), "PONG-42 from fake")
    }

    func testTypingUsesBracketedPasteOrSpaces() {
        XCTAssertEqual(ConversationProfile.builtIn(for: .claude).typing("a\nb"), Array("\u{1B}[200~a\nb\u{1B}[201~".utf8))
        XCTAssertEqual(ConversationProfile.builtIn(for: .custom).typing("a\nb"), Array("a b".utf8))
    }
}
