import Foundation
import RuntimeCore
import XCTest

@testable import KubeClient

final class RateLimiterTests: XCTestCase {
    func testBurstThenSteadyRate() {
        let t0 = ContinuousClock.now
        var b = TokenBucket(qps: 10, burst: 3, now: t0)
        XCTAssertEqual(b.reserve(now: t0), .zero)
        XCTAssertEqual(b.reserve(now: t0), .zero)
        XCTAssertEqual(b.reserve(now: t0), .zero)
        XCTAssertEqual(b.reserve(now: t0), .milliseconds(100), "the burst is spent: wait for the next token")
        XCTAssertEqual(b.reserve(now: t0), .milliseconds(200), "reservations queue up")
        // After a quiet second the bucket is full again, never fuller than the burst.
        let t1 = t0 + .seconds(10)
        for _ in 0..<3 { XCTAssertEqual(b.reserve(now: t1), .zero) }
        XCTAssertGreaterThan(b.reserve(now: t1), .zero)
    }

    func testTryTake() {
        let t0 = ContinuousClock.now
        var b = TokenBucket(qps: 1, burst: 1, now: t0)
        XCTAssertTrue(b.tryTake(now: t0))
        XCTAssertFalse(b.tryTake(now: t0))
        XCTAssertFalse(b.tryTake(now: t0 + .milliseconds(500)))
        XCTAssertTrue(b.tryTake(now: t0 + .milliseconds(1001)))
    }

    func testLimiterPacesRequests() async throws {
        let limiter = RateLimiter(qps: 50, burst: 2)
        let start = ContinuousClock.now
        for _ in 0..<7 { try await limiter.acquire() }
        let elapsed = ContinuousClock.now - start
        // 2 free, then 5 at 20 ms each.
        XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(95))
        XCTAssertLessThan(elapsed, .seconds(2))
        XCTAssertEqual(limiter.qps, 50)
        XCTAssertEqual(limiter.burst, 2)
    }

    func testClientUsesLimiterOnlyWhenConfigured() async throws {
        let transport = FakeTransport { _, _ in .success(jsonResponse(200, ["major": "1"])) }
        var config = testConfig()
        config.qps = 20
        config.burst = 1
        let client = KubeClient(config: config, transport: transport)
        let start = ContinuousClock.now
        for _ in 0..<4 { _ = try await client.serverVersion() }
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - start, .milliseconds(140))
        XCTAssertNil(KubeClient(config: testConfig(), transport: transport).limiter, "off by default")
    }
}
