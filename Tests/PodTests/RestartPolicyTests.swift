import XCTest

@testable import Pod

/// Restart decisions and backoff arithmetic.
final class RestartPolicyTests: XCTestCase {
    func testPolicies() {
        XCTAssertTrue(RestartPolicy.always.shouldRestart(after: .exited(0)))
        XCTAssertTrue(RestartPolicy.always.shouldRestart(after: .exited(1)))
        XCTAssertFalse(RestartPolicy.onFailure.shouldRestart(after: .exited(0)))
        XCTAssertTrue(RestartPolicy.onFailure.shouldRestart(after: .exited(2)))
        XCTAssertTrue(RestartPolicy.onFailure.shouldRestart(after: .signaled(9)))
        XCTAssertFalse(RestartPolicy.never.shouldRestart(after: .signaled(9)))
        XCTAssertEqual(RestartPolicy(parsing: "onfailure"), .onFailure)
        XCTAssertEqual(RestartPolicy(parsing: "On-Failure"), .onFailure)
        XCTAssertEqual(RestartPolicy(parsing: "ALWAYS"), .always)
        XCTAssertNil(RestartPolicy(parsing: "sometimes"))
    }

    func testDelaysDoubleFromOneSecondUpToSixty() {
        let b = Backoff()
        let delays = (1...9).map { b.delay(forAttempt: $0) }
        XCTAssertEqual(delays, [1, 2, 4, 8, 16, 32, 60, 60, 60].map { Duration.seconds($0) })
    }

    func testCrashLoopGrowsAndHealthyRunResets() {
        var b = Backoff()
        XCTAssertEqual(b.next(afterRunOf: .seconds(1)), .seconds(1))
        XCTAssertEqual(b.next(afterRunOf: .seconds(1)), .seconds(2))
        XCTAssertEqual(b.next(afterRunOf: .seconds(299)), .seconds(4))
        XCTAssertEqual(b.failures, 3)
        // Five minutes of healthy running: the next crash starts the sequence again.
        XCTAssertEqual(b.next(afterRunOf: .seconds(300)), .seconds(1))
        XCTAssertEqual(b.next(afterRunOf: .milliseconds(10)), .seconds(2))
        b.reset()
        XCTAssertEqual(b.next(afterRunOf: .zero), .seconds(1))
    }

    func testCustomScale() {
        let b = Backoff(initial: .milliseconds(200), maximum: .seconds(1))
        XCTAssertEqual((1...5).map { b.delay(forAttempt: $0) },
                       [.milliseconds(200), .milliseconds(400), .milliseconds(800), .seconds(1), .seconds(1)])
    }

    func testExitStatusDecoding() {
        XCTAssertEqual(ExitStatus(waitStatus: 0x0300), .exited(3))
        XCTAssertEqual(ExitStatus(waitStatus: 9), .signaled(9))
        XCTAssertEqual(ExitStatus.signaled(15).code, 143)
        XCTAssertEqual(signalNumber("sigint"), SIGINT)
        XCTAssertEqual(signalNumber("TERM"), SIGTERM)
        XCTAssertEqual(signalNumber("9"), 9)
        XCTAssertNil(signalNumber("SIGFOO"))
        XCTAssertEqual(signalName(SIGKILL), "SIGKILL")
    }
}
