import Foundation
import Synchronization
import XCTest

@testable import Registry

final class AsyncPrimitivesTests: XCTestCase {
    final class Counts: Sendable {
        let value = Mutex((now: 0, max: 0))
        func withLock<T>(_ body: (inout (now: Int, max: Int)) -> T) -> T { value.withLock { body(&$0) } }
    }

    func testLimiterBoundsConcurrency() async {
        let limiter = AsyncLimiter(limit: 3)
        let counts = Counts()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<30 {
                group.addTask {
                    await limiter.acquire()
                    counts.withLock { $0.now += 1; $0.max = max($0.max, $0.now) }
                    try? await Task.sleep(for: .milliseconds(5))
                    counts.withLock { $0.now -= 1 }
                    limiter.release()
                }
            }
        }
        XCTAssertEqual(counts.withLock { $0.max }, 3)
        XCTAssertEqual(counts.withLock { $0.now }, 0)
    }

    func testWakeupReturnsAtTheDeadlineOrWhenPoked() async {
        let wakeup = Wakeup()
        let start = ContinuousClock.now
        await wakeup.wait(until: start + .milliseconds(100))
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - start, .milliseconds(100))

        let poked = ContinuousClock.now
        Task {
            try? await Task.sleep(for: .milliseconds(20))
            wakeup.poke()
        }
        await wakeup.wait(until: poked + .seconds(30))
        XCTAssertLessThan(ContinuousClock.now - poked, .seconds(5))

        // A poke while nobody waits is kept for the next wait.
        wakeup.poke()
        let early = ContinuousClock.now
        await wakeup.wait(until: early + .seconds(30))
        XCTAssertLessThan(ContinuousClock.now - early, .seconds(1))
    }
}
