import Foundation
import XCTest

@testable import Pod

/// The output path: one parse feeding screen and log, subscribers with replay, terminal answers.
final class OutputHubTests: XCTestCase {
    private func hub(_ configure: (inout OutputConfiguration) -> Void = { _ in }) throws -> OutputHub {
        var c = OutputConfiguration()
        configure(&c)
        return try OutputHub(configuration: c, size: WindowSize(cols: 20, rows: 5))
    }

    func testUTF8SplitAcrossReadsReachesScreenAndLogWhole() throws {
        let h = try hub()
        let bytes = Array("Grüße 世界 🌍\r\n".utf8)
        for b in bytes { h.consume([b]) }  // worst case: one byte per read
        XCTAssertEqual(h.screen.row(0), "Grüße 世界 🌍")
        XCTAssertEqual(h.tail(1), ["Grüße 世界 🌍"])
        XCTAssertEqual(h.bytesOut, UInt64(bytes.count))
    }

    func testViewerGetsScrollbackThenLiveOutputWithoutGapOrRepeat() throws {
        let h = try hub()
        h.consume(Array("before ".utf8))
        let v = h.attachViewer()
        h.consume(Array("after".utf8))
        let items = v.next(timeout: 1) ?? []
        let text = items.compactMap { item -> String? in
            if case .output(let d) = item { return String(decoding: d, as: UTF8.self) }
            return nil
        }.joined()
        XCTAssertEqual(text, "before after")
        h.detach(v)
        XCTAssertEqual(h.viewerCount, 0)
        XCTAssertNil(v.next(timeout: 0.1))
    }

    func testStreamsGetStrippedTextAndStates() throws {
        let h = try hub()
        let s = h.attachStream()
        h.consume(Array("\u{1B}[31mred\u{1B}[0m\r\n".utf8))
        h.broadcastState(#"{"state":"running"}"#)
        let items = s.next(timeout: 1) ?? []
        XCTAssertEqual(items, [.output(Data("red\n".utf8)), .state(#"{"state":"running"}"#)])
    }

    func testSlowSubscriberOverflowsInsteadOfGrowing() throws {
        let h = try hub { $0.subscriberBufferBytes = 1000 }
        let v = h.attachViewer()
        for _ in 0..<20 { h.consume([UInt8](repeating: 0x61, count: 100)) }
        XCTAssertTrue(v.isOverflowed)
        XCTAssertNil(v.next(timeout: 0.1))
    }

    func testTerminalAnswersOnlyWithoutViewers() throws {
        let h = try hub()
        XCTAssertEqual(String(decoding: h.consume(Array("\u{1B}[6n".utf8)), as: UTF8.self), "\u{1B}[1;1R")
        let v = h.attachViewer()
        XCTAssertEqual(h.consume(Array("\u{1B}[6n".utf8)), [])
        h.detach(v)
        XCTAssertFalse(h.consume(Array("\u{1B}[6n".utf8)).isEmpty)
    }

    func testRawTailKeepsEscapesAndDropsCR() throws {
        let h = try hub()
        h.consume(Array("\u{1B}[1mone\u{1B}[0m\r\ntwo\r\nthree".utf8))
        XCTAssertEqual(h.rawTail(2), ["two", "three"])
        XCTAssertEqual(h.rawTail(5).first, "\u{1B}[1mone\u{1B}[0m")
    }

    func testBulkOutputShortcutGivesTheSameScreenAsFullInterpretation() throws {
        var generator = SystemRandomNumberGenerator()
        let pieces = ["alpha", "中文", "\t", "x", "emoji 😀", "a\u{08}b", String(repeating: "w", count: 27)]
        func randomLine() -> String {
            (0..<Int.random(in: 0...6, using: &generator)).map { _ in pieces.randomElement(using: &generator)! }.joined(separator: " ")
        }
        let cases: [String] = [
            (0..<200).map { _ in randomLine() }.joined(separator: "\r\n"),  // plain bulk: shortcut applies
            "\u{1B}[2;4r" + (0..<50).map { "margin \($0)" }.joined(separator: "\r\n"),  // margins: no shortcut
            (0..<50).map { "l\($0)" }.joined(separator: "\r\n") + "\u{1B}[1;1Htop",  // ESC after the cut
            "\u{1B}[31m" + (0..<50).map { "c\($0)" }.joined(separator: "\r\n"),  // ESC before the cut
            (0..<50).map { "lf-only \($0)" }.joined(separator: "\n"),  // no CR: no shortcut
            "start\r\n" + (0..<12).map { "s\($0)" }.joined(separator: "\r\n"),  // barely more than a screen
        ]
        for (n, input) in cases.enumerated() {
            let h = try hub()
            h.consume(Array("previous content\r\nmore".utf8))
            h.consume(Array(input.utf8))
            var reference = ScreenModel(cols: 20, rows: 5)
            reference.feed("previous content\r\nmore")
            reference.feed(input)
            XCTAssertEqual(h.screen.text, reference.text, input)
            XCTAssertEqual(h.screen.cursorX, reference.cursorX, input)
            XCTAssertEqual(h.screen.cursorY, reference.cursorY, input)
            // The line log still saw every line.
            var all = Array(("previous content\r\nmore" + input).utf8).split(separator: 0x0A, omittingEmptySubsequences: false)
            // Input that ends with a newline has no partial last line yet (a random last line may be empty).
            if all.last?.isEmpty == true { all.removeLast() }
            XCTAssertEqual(h.tail(1000).count, min(1000, all.count), input)
            XCTAssertEqual(h.screenShortcuts, [0, 2, 5].contains(n) ? 1 : 0, "case \(n)")
        }
    }

    func testLogFileRotatesBySize() throws {
        let dir = try Fixtures.temporaryDirectory()
        let path = dir + "/agent.log"
        let h = try hub { c in
            c.logFile = path
            c.logFileMaxBytes = 2048
            c.logFileKeep = 2
        }
        for i in 0..<300 { h.consume(Array("line number \(i) \u{1B}[32mgreen\u{1B}[0m\r\n".utf8)) }
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).sorted()
        XCTAssertEqual(files, ["agent.log", "agent.log.1", "agent.log.2"])
        for f in files {
            let size = try FileManager.default.attributesOfItem(atPath: dir + "/" + f)[.size] as? Int ?? 0
            XCTAssertLessThanOrEqual(size, 2048, f)
        }
        let current = try String(contentsOfFile: path, encoding: .utf8)
        XCTAssertTrue(current.hasSuffix("line number 299 green\n"), current)
        XCTAssertFalse(current.contains("\u{1B}"))
    }
}
