import XCTest

@testable import RuntimeCore

/// The string helpers that stand in for full Foundation's.
final class TextHelpersTests: XCTestCase {
    func testTrimming() {
        XCTAssertEqual("  a b \t\r\n".trimmingWhitespace(), "a b")
        XCTAssertEqual(" \n ".trimmingWhitespace(), "")
        XCTAssertEqual("".trimmingWhitespace(), "")
        XCTAssertEqual("x;y".split(separator: ";")[1].trimmingWhitespace(), "y")
        XCTAssertEqual("│ Sign in │".trimming(while: { "│ ".contains($0) }), "Sign in")
        XCTAssertEqual("https://x.test/a).".trimming(while: { ".,;:)]}".contains($0) }), "https://x.test/a")
    }

    func testPadding() {
        XCTAssertEqual("ab".padded(to: 5), "ab   ")
        XCTAssertEqual("abcdef".padded(to: 3), "abcdef")
        XCTAssertEqual("中".padded(to: 3).count, 3)
    }
}
