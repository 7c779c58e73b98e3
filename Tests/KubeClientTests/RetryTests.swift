import Foundation
import RuntimeCore
import XCTest

@testable import KubeClient

final class RetryTests: XCTestCase {
    func testWatchBackoffGrowsAndStaysWithinBounds() {
        let b = Backoff.watch
        XCTAssertEqual(b.baseDelay(attempt: 0), .milliseconds(800))
        XCTAssertEqual(b.baseDelay(attempt: 1), .milliseconds(1600))
        XCTAssertEqual(b.baseDelay(attempt: 5), .milliseconds(25600))
        XCTAssertEqual(b.baseDelay(attempt: 6), .seconds(30))
        XCTAssertEqual(b.baseDelay(attempt: 1000), .seconds(30))
        for attempt in 0..<12 {
            let base = b.baseDelay(attempt: attempt)
            for _ in 0..<200 {
                let d = b.delay(attempt: attempt)
                XCTAssertLessThanOrEqual(d, base)
                XCTAssertLessThanOrEqual(d, .seconds(30))
                XCTAssertGreaterThanOrEqual(d, base * 0.8 - .nanoseconds(1))
            }
        }
        XCTAssertEqual(b.delay(attempt: 0, random: 0), .milliseconds(800))
        XCTAssertEqual(b.delay(attempt: 0, random: 1), .milliseconds(640))
        XCTAssertEqual(b.delay(attempt: 10, random: 0.5), .seconds(27))
    }

    func testJitterSpreadsDelays() {
        let delays = Set((0..<50).map { _ in Backoff.watch.delay(attempt: 3) })
        XCTAssertGreaterThan(delays.count, 10)
    }

    func testRetryDecisions() {
        let p = RetryPolicy(maxAttempts: 3, backoff: Backoff(initial: .milliseconds(100), max: .seconds(1), jitter: 0))
        func status(_ code: Int, _ header: String? = nil, _ hint: Int? = nil) -> RetryPolicy.Failure {
            .status(code: code, retryAfterHeader: header, retryAfterSeconds: hint)
        }
        // 429: any verb, Retry-After honoured.
        XCTAssertEqual(p.retryDelay(method: "POST", attempt: 1, failure: status(429, "2")), .seconds(2))
        XCTAssertEqual(p.retryDelay(method: "POST", attempt: 1, failure: status(429, nil, 3)), .seconds(3))
        XCTAssertEqual(p.retryDelay(method: "GET", attempt: 1, failure: status(429)), .milliseconds(100))
        XCTAssertEqual(p.retryDelay(method: "GET", attempt: 2, failure: status(429)), .milliseconds(200))
        XCTAssertNil(p.retryDelay(method: "GET", attempt: 3, failure: status(429)), "bounded")
        XCTAssertEqual(p.retryDelay(method: "GET", attempt: 1, failure: status(429, "3600")), .seconds(60), "capped")
        // 5xx: idempotent verbs, or any verb when the server sends Retry-After.
        XCTAssertEqual(p.retryDelay(method: "GET", attempt: 1, failure: status(503)), .milliseconds(100))
        XCTAssertEqual(p.retryDelay(method: "PUT", attempt: 1, failure: status(500)), .milliseconds(100))
        XCTAssertNil(p.retryDelay(method: "POST", attempt: 1, failure: status(500)))
        XCTAssertNil(p.retryDelay(method: "PATCH", attempt: 1, failure: status(504)))
        XCTAssertEqual(p.retryDelay(method: "POST", attempt: 1, failure: status(503, "1")), .seconds(1))
        XCTAssertNil(p.retryDelay(method: "GET", attempt: 1, failure: status(501)))
        // 4xx never.
        for code in [400, 401, 403, 404, 409, 410, 422] {
            XCTAssertNil(p.retryDelay(method: "GET", attempt: 1, failure: status(code)), "\(code)")
        }
        // Transport errors: idempotent verbs only; TLS, URL and cancellation never.
        XCTAssertNotNil(p.retryDelay(method: "GET", attempt: 1, failure: .transport(.connectionFailed("refused"))))
        XCTAssertNotNil(p.retryDelay(method: "DELETE", attempt: 1, failure: .transport(.timedOut("t"))))
        XCTAssertNil(p.retryDelay(method: "POST", attempt: 1, failure: .transport(.connectionFailed("refused"))))
        XCTAssertNil(p.retryDelay(method: "GET", attempt: 1, failure: .transport(.tls("bad cert"))))
        XCTAssertNil(p.retryDelay(method: "GET", attempt: 1, failure: .transport(.cancelled)))
        XCTAssertNil(RetryPolicy.none.retryDelay(method: "GET", attempt: 1, failure: status(429)))
    }

    func testParseRetryAfter() {
        XCTAssertEqual(RetryPolicy.parseRetryAfter("5"), .seconds(5))
        XCTAssertEqual(RetryPolicy.parseRetryAfter(" 0 "), .zero)
        XCTAssertEqual(RetryPolicy.parseRetryAfter("1.5"), .milliseconds(1500))
        XCTAssertEqual(RetryPolicy.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT"), .seconds(1))
        XCTAssertNil(RetryPolicy.parseRetryAfter(nil))
        XCTAssertNil(RetryPolicy.parseRetryAfter(""))
    }
}
