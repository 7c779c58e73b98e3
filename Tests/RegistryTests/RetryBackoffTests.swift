import Foundation
import XCTest

@testable import Registry

final class RetryBackoffTests: XCTestCase {
    func testDoublesUpToTheCapWithBoundedJitter() {
        let b = RetryBackoff(initial: .milliseconds(100), max: .seconds(1))
        XCTAssertEqual(b.delay(attempt: 0, random: 0), .milliseconds(100))
        XCTAssertEqual(b.delay(attempt: 1, random: 0), .milliseconds(200))
        XCTAssertEqual(b.delay(attempt: 3, random: 0), .milliseconds(800))
        XCTAssertEqual(b.delay(attempt: 10, random: 0), .seconds(1))
        XCTAssertEqual(b.delay(attempt: 10, random: 1), .milliseconds(800), "jitter takes at most 20 %")
        XCTAssertEqual(b.delay(attempt: 1000, random: 0), .seconds(1))
    }
}
