import Foundation
import Synchronization
import XCTest

@testable import Operator

final class RateLimitersTests: XCTestCase {
    func testItemExponentialIs5msDoublingTo1000s() {
        let l = ItemExponentialRateLimiter()
        XCTAssertEqual(l.when("a"), .milliseconds(5))
        XCTAssertEqual(l.when("a"), .milliseconds(10))
        XCTAssertEqual(l.when("a"), .milliseconds(20))
        XCTAssertEqual(l.when("b"), .milliseconds(5), "per key")
        XCTAssertEqual(l.numRequeues("a"), 3)
        for _ in 0..<100 { _ = l.when("a") }
        XCTAssertEqual(l.when("a"), .seconds(1000), "capped, no overflow")
        l.forget("a")
        XCTAssertEqual(l.numRequeues("a"), 0)
        XCTAssertEqual(l.when("a"), .milliseconds(5))
    }

    func testBucketAllowsBurstThenTenPerSecond() {
        let clock = FakeClock()
        let l = BucketRateLimiter(qps: 10, burst: 100, now: { clock.now })
        for i in 0..<100 { XCTAssertEqual(l.when("k\(i)"), .zero) }
        XCTAssertEqual(l.when("x").components.seconds, 0)
        XCTAssertEqual(Double(l.when("y").components.attoseconds) / 1e18, 0.2, accuracy: 0.001, "the 102nd waits 2 tokens")
        clock.advance(.seconds(10))
        XCTAssertEqual(l.when("z"), .zero, "refilled")
    }

    func testMaxOfTakesTheLongestDelay() {
        let clock = FakeClock()
        let l = MaxOfRateLimiter([ItemExponentialRateLimiter(), BucketRateLimiter(qps: 1, burst: 1, now: { clock.now })])
        XCTAssertEqual(l.when("a"), .milliseconds(5))
        XCTAssertEqual(l.when("a"), .seconds(1), "the bucket is empty: 1 s > 10 ms")
        XCTAssertEqual(l.numRequeues("a"), 2)
        l.forget("a")
        XCTAssertEqual(l.numRequeues("a"), 0)
    }
}

/// A manually advanced clock for rate limiter tests.
final class FakeClock: Sendable {
    private let offset = Mutex(Duration.zero)
    private let base = ContinuousClock.now
    var now: ContinuousClock.Instant { base + offset.withLock { $0 } }
    func advance(_ d: Duration) { offset.withLock { $0 += d } }
}
