import XCTest

@testable import Pod

/// The terminal screen model, one control sequence (or feature) per test.
final class ScreenModelTests: XCTestCase {
    private let esc = "\u{1B}"

    private func screen(_ input: String) -> ScreenModel { screen(10, 4, input) }

    private func screen(_ cols: Int, _ rows: Int, _ input: String) -> ScreenModel {
        var s = ScreenModel(cols: cols, rows: rows)
        s.feed(input)
        return s
    }

    private func rows(_ s: ScreenModel) -> [String] { (0..<s.rows).map { s.row($0) } }

    func testPlainTextCRLFAndTrailingSpacesTrimmed() {
        let s = screen("ab  \r\ncd")
        XCTAssertEqual(s.text, "ab\ncd\n\n")
        XCTAssertEqual(s.cursorX, 2)
        XCTAssertEqual(s.cursorY, 1)
    }

    func testBareLineFeedKeepsColumn() {
        XCTAssertEqual(rows(screen("ab\ncd")), ["ab", "  cd", "", ""])
    }

    func testCursorPositionCUPAndHVP() {
        let s = screen("\(esc)[2;3HX\(esc)[4;1fY\(esc)[HZ")
        XCTAssertEqual(rows(s), ["Z", "  X", "", "Y"])
    }

    func testCursorPositionIsClamped() {
        let s = screen("\(esc)[99;99HX")
        XCTAssertEqual(s.row(3), "         X")
    }

    func testRelativeMovesCUUCUDCUFCUB() {
        let s = screen("\(esc)[3;5H\(esc)[2AA\(esc)[B\(esc)[3DB\(esc)[4CC")
        // A at (4,0); B at (2,1) after down 1 and back 3 from col 5; C at col 3+4=7
        XCTAssertEqual(rows(s), ["    A", "  B    C", "", ""])
    }

    func testZeroParameterMovesOne() {
        let s = screen("\(esc)[2;2H\(esc)[0AX")
        XCTAssertEqual(s.row(0), " X")
    }

    func testCHAAndVPAAndNextPrecedingLine() {
        var s = screen("\(esc)[3GX\(esc)[3dY")
        XCTAssertEqual(rows(s), ["  X", "", "   Y", ""])
        s.feed("\(esc)[EN\(esc)[2FP")
        XCTAssertEqual(rows(s), ["  X", "P", "   Y", "N"])
    }

    func testEraseInLine() {
        var s = screen("abcdefgh\(esc)[4G\(esc)[K")
        XCTAssertEqual(s.row(0), "abc")
        s = screen("abcdefgh\(esc)[4G\(esc)[1K")
        XCTAssertEqual(s.row(0), "    efgh")
        s = screen("abcdefgh\(esc)[2K")
        XCTAssertEqual(s.row(0), "")
    }

    func testEraseInDisplay() {
        let full = "111\r\n222\r\n333\r\n444"
        var s = screen(full + "\(esc)[2;2H\(esc)[J")
        XCTAssertEqual(rows(s), ["111", "2", "", ""])
        s = screen(full + "\(esc)[3;2H\(esc)[1J")
        XCTAssertEqual(rows(s), ["", "", "  3", "444"])
        s = screen(full + "\(esc)[2J")
        XCTAssertEqual(rows(s), ["", "", "", ""])
    }

    func testEraseDeleteInsertCharacters() {
        var s = screen("abcdef\(esc)[2G\(esc)[2X")
        XCTAssertEqual(s.row(0), "a  def")
        s = screen("abcdef\(esc)[2G\(esc)[2P")
        XCTAssertEqual(s.row(0), "adef")
        s = screen("abcdef\(esc)[2G\(esc)[2@")
        XCTAssertEqual(s.row(0), "a  bcdef")
    }

    func testInsertAndDeleteLines() {
        var s = screen("1\r\n2\r\n3\r\n4\(esc)[2;1H\(esc)[L")
        XCTAssertEqual(rows(s), ["1", "", "2", "3"])
        s = screen("1\r\n2\r\n3\r\n4\(esc)[2;1H\(esc)[2M")
        XCTAssertEqual(rows(s), ["1", "4", "", ""])
    }

    func testLineFeedAtBottomScrolls() {
        let s = screen("1\r\n2\r\n3\r\n4\r\n5")
        XCTAssertEqual(rows(s), ["2", "3", "4", "5"])
    }

    func testScrollUpAndDownSUSD() {
        var s = screen("1\r\n2\r\n3\r\n4\(esc)[S")
        XCTAssertEqual(rows(s), ["2", "3", "4", ""])
        s = screen("1\r\n2\r\n3\r\n4\(esc)[2T")
        XCTAssertEqual(rows(s), ["", "", "1", "2"])
    }

    func testScrollRegionDECSTBM() {
        // Region rows 2-3: a line feed at row 3 scrolls only rows 2-3; the status rows stay.
        var s = screen(10, 5, "top\(esc)[5;1Hbottom\(esc)[2;4r")
        XCTAssertEqual(s.cursorX, 0)
        XCTAssertEqual(s.cursorY, 0)
        s.feed("\(esc)[2;1Ha\r\nb\r\nc\r\nd")
        XCTAssertEqual(rows(s), ["top", "b", "c", "d", "bottom"])
    }

    func testIndexReverseIndexNextLine() {
        var s = screen("\(esc)[4;3HA\(esc)DB")  // IND at bottom scrolls
        XCTAssertEqual(rows(s), ["", "", "  A", "   B"])
        s = screen("1\r\n2\(esc)[1;1H\(esc)MX")  // RI at top scrolls down
        XCTAssertEqual(rows(s), ["X", "1", "2", ""])
        s = screen("ab\(esc)Ecd")  // NEL
        XCTAssertEqual(rows(s), ["ab", "cd", "", ""])
    }

    func testReverseIndexInsideRegion() {
        let s = screen(10, 4, "1\r\n2\r\n3\r\n4\(esc)[2;3r\(esc)[2;1H\(esc)MX")
        XCTAssertEqual(rows(s), ["1", "X", "2", "4"])
    }

    func testOriginModeAddressesInsideRegion() {
        let s = screen(10, 5, "\(esc)[2;4r\(esc)[?6h\(esc)[1;1HA\(esc)[9;1HB")
        XCTAssertEqual(rows(s), ["", "A", "", "B", ""])
    }

    func testAutowrapWithPendingWrap() {
        var s = screen(5, 3, "abcde")
        XCTAssertTrue(s.pendingWrap)
        XCTAssertEqual(s.cursorX, 4)
        XCTAssertEqual(s.cursorY, 0)
        s.feed("f")
        XCTAssertEqual(rows(s), ["abcde", "f", ""])
        // A CR while the wrap is pending cancels it: no blank line appears.
        s = screen(5, 3, "abcde\r\nx")
        XCTAssertEqual(rows(s), ["abcde", "x", ""])
        XCTAssertEqual(s.logicalText, "abcde\nx\n\n")
    }

    func testWrappedRowsJoinInLogicalText() {
        let s = screen(5, 3, "https://x.y/abc")
        XCTAssertEqual(rows(s), ["https", "://x.", "y/abc"])
        XCTAssertTrue(s.logicalText.hasPrefix("https://x.y/abc\n"))
    }

    func testAutowrapOff() {
        let s = screen(5, 2, "\(esc)[?7labcdefg")
        XCTAssertEqual(rows(s), ["abcdg", ""])
    }

    func testSaveRestoreCursorDECSCAndSCOSC() {
        var s = screen("\(esc)[2;3H\(esc)7\(esc)[4;1HX\(esc)8Y")
        XCTAssertEqual(s.row(1), "  Y")
        s = screen("\(esc)[3;2H\(esc)[s\(esc)[1;1HX\(esc)[uY")
        XCTAssertEqual(s.row(2), " Y")
    }

    func testAlternateScreen1049SavesAndRestores() {
        var s = screen("main\(esc)[?1049h")
        XCTAssertTrue(s.usingAlternate)
        XCTAssertEqual(s.text, "\n\n\n")
        s.feed("\(esc)[2;2Halt")
        XCTAssertEqual(s.row(1), " alt")
        s.feed("\(esc)[?1049l")
        XCTAssertFalse(s.usingAlternate)
        XCTAssertEqual(s.row(0), "main")
        XCTAssertEqual(s.cursorX, 4)
        XCTAssertEqual(s.cursorY, 0)
        // Entering again starts from a clear alternate screen.
        s.feed("\(esc)[?1049h")
        XCTAssertEqual(s.text, "\n\n\n")
    }

    func testAlternateScreen47And1047() {
        var s = screen("one\(esc)[?47hX")
        XCTAssertEqual(s.row(0), "   X")  // 47 keeps the cursor and does not clear
        s.feed("\(esc)[?47l")
        XCTAssertEqual(s.row(0), "one")
        s.feed("\(esc)[?1047hY\(esc)[?1047l\(esc)[?47h")
        XCTAssertEqual(s.row(0), "")  // 1047 cleared the alternate screen on leaving
    }

    func testSGRAndOSCAreIgnored() {
        let s = screen(20, 2, "\(esc)[1;31mred\(esc)[0m \(esc)]0;title\u{07}\(esc)]8;;http://x\(esc)\\link\(esc)]8;;\(esc)\\")
        XCTAssertEqual(s.row(0), "red link")
    }

    func testTabsBackspaceAndTabStops() {
        var s = screen(20, 2, "a\tb\u{08}c")
        XCTAssertEqual(s.row(0), "a       c")  // tab to column 8, b there, back one, c over it
        s = screen(20, 2, "\(esc)[3g\(esc)[4G\(esc)H\ra\tb")  // clear all, set stop at col 3
        XCTAssertEqual(s.row(0), "a  b")
        s = screen(20, 2, "\(esc)[17G\(esc)[Zx")  // CBT back one stop: 16 -> 8
        XCTAssertEqual(s.row(0), "        x")
        s = screen(20, 2, "\(esc)[17G\(esc)[2Zx")  // back two: 16 -> 8 -> 0
        XCTAssertEqual(s.row(0), "x")
    }

    func testWideCharactersTakeTwoCells() {
        var s = screen(6, 2, "a中b😀")
        XCTAssertEqual(s.row(0), "a中b😀")
        XCTAssertEqual(s.cursorX, 5)
        XCTAssertTrue(s.pendingWrap)
        // A wide character that does not fit in the last column wraps whole.
        s = screen(4, 2, "abc中")
        XCTAssertEqual(rows(s), ["abc", "中"])
        // Overwriting half of a wide character blanks the other half.
        s = screen(6, 2, "中文\(esc)[1;2Hx")
        XCTAssertEqual(s.row(0), " x文")
    }

    func testCombiningMarksAreDropped() {
        XCTAssertEqual(screen("e\u{301}x").row(0), "ex")
    }

    func testUTF8AcrossFeeds() {
        var s = ScreenModel(cols: 10, rows: 2)
        let bytes = Array("é中".utf8)
        s.feed(Array(bytes[0..<1]))
        s.feed(Array(bytes[1..<3]))
        s.feed(Array(bytes[3...]))
        XCTAssertEqual(s.row(0), "é中")
    }

    func testInvalidUTF8BecomesReplacementCharacter() {
        var s = ScreenModel(cols: 10, rows: 2)
        s.feed([0x61, 0xFF, 0x62, 0xE4, 0x41])
        XCTAssertEqual(s.row(0), "a\u{FFFD}b\u{FFFD}A")
    }

    func testRepeatAndInsertMode() {
        var s = screen("x\(esc)[3b")
        XCTAssertEqual(s.row(0), "xxxx")
        s = screen("abc\r\(esc)[4hZ\(esc)[4lY")
        XCTAssertEqual(s.row(0), "ZYbc")
    }

    func testStatusQueriesAreAnswered() {
        var s = screen("\(esc)[2;3H\(esc)[6n\(esc)[5n\(esc)[c")
        XCTAssertEqual(String(decoding: s.takeResponses(), as: UTF8.self), "\(esc)[2;3R\(esc)[0n\(esc)[?1;2c")
        s.answerQueries = false
        s.feed("\(esc)[6n")
        XCTAssertTrue(s.takeResponses().isEmpty)
    }

    func testFullResetAndDECALN() {
        var s = screen("abc\(esc)[?1049h\(esc)c")
        XCTAssertFalse(s.usingAlternate)
        XCTAssertEqual(s.text, "\n\n\n")
        s.feed("\(esc)#8")
        XCTAssertEqual(s.row(3), "EEEEEEEEEE")
    }

    func testResizeKeepsContentAndCursorRow() {
        var s = screen(10, 4, "1\r\n2\r\n3\r\n4")
        s.resize(cols: 5, rows: 2)
        XCTAssertEqual(rows(s), ["3", "4"])
        XCTAssertEqual(s.cursorY, 1)
        s.resize(cols: 8, rows: 3)
        XCTAssertEqual(rows(s), ["3", "4", ""])
        s.feed("\(esc)[3;8HZ")
        XCTAssertEqual(s.row(2), "       Z")
    }

    func testSplitEscapeSequenceAcrossFeeds() {
        var s = ScreenModel(cols: 10, rows: 3)
        s.feed("\(esc)[")
        s.feed("2;")
        s.feed("4HX")
        XCTAssertEqual(s.row(1), "   X")
    }

    func testCharacterWidthTable() {
        XCTAssertEqual(CharacterWidth.of(0x41), 1)
        XCTAssertEqual(CharacterWidth.of(0x4E2D), 2)  // 中
        XCTAssertEqual(CharacterWidth.of(0x1F600), 2)  // 😀
        XCTAssertEqual(CharacterWidth.of(0xFF21), 2)  // fullwidth A
        XCTAssertEqual(CharacterWidth.of(0x0301), 0)  // combining acute
        XCTAssertEqual(CharacterWidth.of(0x200B), 0)  // zero-width space
        XCTAssertEqual(CharacterWidth.of(0x2500), 1)  // box drawing
    }
}
