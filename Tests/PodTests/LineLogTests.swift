import XCTest

@testable import Pod

/// ANSI stripping and the bounded, stripped line log.
final class LineLogTests: XCTestCase {
    private let esc = "\u{1B}"

    private func log(_ input: String, maxLines: Int = 100, maxBytes: Int = 1 << 16, maxLineLength: Int = 64) -> LineLog {
        var log = LineLog(maxLines: maxLines, maxBytes: maxBytes, maxLineLength: maxLineLength)
        log.feed(Array(input.utf8))
        return log
    }

    func testStripRemovesCSIOSCAndEscapeSequences() {
        XCTAssertEqual(ANSI.strip("\(esc)[1;31mred\(esc)[0m plain"), "red plain")
        XCTAssertEqual(ANSI.strip("a\(esc)]0;window title\u{07}b"), "ab")
        XCTAssertEqual(ANSI.strip("a\(esc)]8;;https://x\(esc)\\link\(esc)]8;;\(esc)\\b"), "alinkb")
        XCTAssertEqual(ANSI.strip("\(esc)(B\(esc)7x\(esc)8\(esc)[?1049h\(esc)[2J"), "x")
        XCTAssertEqual(ANSI.strip("\(esc)P+q544e\(esc)\\ok"), "ok")  // DCS string
        XCTAssertEqual(ANSI.strip("tab\there\r\nnext\u{07}"), "tab\there\r\nnext")
        XCTAssertEqual(ANSI.strip("bad\(esc)[12;\u{18}text"), "badtext")  // CAN aborts a sequence
        XCTAssertEqual(ANSI.strip("ünï\(esc)[Kcødé 中"), "ünïcødé 中")
    }

    func testLinesEndAtLineFeed() {
        let l = log("one\r\ntwo\r\nthree")
        XCTAssertEqual(l.tail(10), ["one", "two", "three"])
        XCTAssertEqual(l.tail(10, includePartial: false), ["one", "two"])
        XCTAssertEqual(l.tail(2), ["two", "three"])
        XCTAssertEqual(l.totalLines, 2)
    }

    func testCarriageReturnOverwritesLikeAProgressBar() {
        XCTAssertEqual(log("10%\r20%\r100%\n").tail(1), ["100%"])
        XCTAssertEqual(log("downloading 10%\r\(esc)[Kdone\n").tail(1), ["done"])
        XCTAssertEqual(log("abcdef\r\(esc)[3Gx\n").tail(1), ["abxdef"])
        XCTAssertEqual(log("abc\u{08}\u{08}X\n").tail(1), ["aXc"])
    }

    func testColouredTextIsStripped() {
        XCTAssertEqual(log("\(esc)[38;5;214mWarning:\(esc)[0m disk \(esc)[1mfull\(esc)[22m\n").tail(1), ["Warning: disk full"])
    }

    func testLongLinesAreCut() {
        let l = log(String(repeating: "x", count: 150), maxLineLength: 64)
        XCTAssertEqual(l.tail(10).map(\.count), [64, 64, 22])
    }

    func testTenMegabytesWithoutNewlineStaysWithinBudget() {
        var l = LineLog(maxLines: 1000, maxBytes: 64 * 1024, maxLineLength: 4096)
        let chunk = [UInt8](repeating: UInt8(ascii: "y"), count: 64 * 1024)
        for _ in 0..<160 { l.feed(chunk) }  // 10 MiB
        XCTAssertEqual(l.totalLines, 2560)
        XCTAssertLessThanOrEqual(l.count * 4096, 64 * 1024)
        XCTAssertTrue(l.tail(3).allSatisfy { $0.count <= 4096 })
    }

    func testOldLinesAreDroppedByCountAndBytes() {
        var l = log((1...50).map { "line \($0)" }.joined(separator: "\n") + "\n", maxLines: 10)
        XCTAssertEqual(l.count, 10)
        XCTAssertEqual(l.tail(100).first, "line 41")
        l = log((1...50).map { "line \($0)" }.joined(separator: "\n") + "\n", maxBytes: 64)
        XCTAssertLessThanOrEqual(l.tail(100).joined().utf8.count, 64)
        XCTAssertEqual(l.tail(1), ["line 50"])
    }

    /// The ring grows with the text, then wraps: the held lines are always the newest that fit in `maxBytes`.
    func testGrowingRingAgreesWithAModelAcrossWraps() {
        let cap = 10_000
        var l = LineLog(maxLines: 100_000, maxBytes: cap, maxLineLength: 4096)
        var model: [(start: Int, text: String)] = []
        var written = 0
        for i in 0..<3_000 {
            let text = "\(i) " + String(repeating: "abcdefghij", count: Int.random(in: 0...30))
            l.feed(Array((text + "\n").utf8))
            model.append((written, text))
            written += text.utf8.count
            while model.count > 1 && written - model[0].start > cap { model.removeFirst() }
            if i % 97 == 0 || i == 2_999 { XCTAssertEqual(l.tail(100_000), model.map(\.text), "after line \(i)") }
        }
    }

    func testLinesSplitAcrossChunksAndBorrowedRuns() {
        var l = LineLog()
        for chunk in ["par", "tial li", "ne\r", "\nnext\rNE", "XT\r\nlast"] { l.feed(Array(chunk.utf8)) }
        XCTAssertEqual(l.tail(10), ["partial line", "NEXT", "last"])
    }

    func testLinesAfterSequence() {
        var l = LineLog()
        l.feed(Array("a\nb\n".utf8))
        let seq = l.totalLines
        l.feed(Array("c\nd\npartial".utf8))
        XCTAssertEqual(l.lines(after: seq), ["c", "d"])
    }

    func testChunkTextIsCollectedForStreams() {
        var l = LineLog()
        l.collectText = true
        l.feed(Array("\(esc)[32mok\(esc)[0m\r\nnext ü".utf8))
        XCTAssertEqual(String(decoding: l.chunkText, as: UTF8.self), "ok\nnext ü")
    }
}
