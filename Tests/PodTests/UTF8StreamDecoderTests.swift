import XCTest

@testable import Pod

/// Decoding a byte stream without splitting UTF-8 characters across chunk boundaries.
final class UTF8StreamDecoderTests: XCTestCase {
    func testEverySplitPointOfMultiByteCharacters() {
        let text = "aé中😀z"
        let bytes = Array(text.utf8)
        for cut in 0...bytes.count {
            var d = UTF8StreamDecoder()
            let out = d.decode(Array(bytes[..<cut])) + d.decode(Array(bytes[cut...]))
            XCTAssertEqual(out, text, "split at \(cut)")
            XCTAssertEqual(d.pendingByteCount, 0)
        }
    }

    func testByteByByte() {
        let text = "Grüße, 世界 🌍!"
        var d = UTF8StreamDecoder()
        var out = ""
        for b in text.utf8 { out += d.decode([b]) }
        XCTAssertEqual(out, text)
    }

    func testIncompleteTailIsHeldBack() {
        var d = UTF8StreamDecoder()
        XCTAssertEqual(d.decode([0x61, 0xE4, 0xB8]), "a")
        XCTAssertEqual(d.pendingByteCount, 2)
        XCTAssertEqual(d.decode([0xAD]), "中")
    }

    func testInvalidBytesBecomeReplacementCharacters() {
        var d = UTF8StreamDecoder()
        XCTAssertEqual(d.decode([0x61, 0xFF, 0x62]), "a\u{FFFD}b")
        XCTAssertEqual(d.decode([0x80, 0x63]), "\u{FFFD}c")  // stray continuation byte
        XCTAssertEqual(d.decode([0xE4, 0xB8]), "")
        XCTAssertEqual(d.flush(), "\u{FFFD}")  // an incomplete character at the very end
    }

    func testIncompleteSuffixLength() {
        XCTAssertEqual(UTF8StreamDecoder.incompleteSuffixLength([0x61]), 0)
        XCTAssertEqual(UTF8StreamDecoder.incompleteSuffixLength([0xF0, 0x9F, 0x98]), 3)
        XCTAssertEqual(UTF8StreamDecoder.incompleteSuffixLength([0xF0, 0x9F, 0x98, 0x80]), 0)
        XCTAssertEqual(UTF8StreamDecoder.incompleteSuffixLength([0xC3]), 1)
    }
}
