import Foundation
import KubeClient
import Registry
import RuntimeCore
import XCTest

@testable import Operator

final class SessionLifetimeTests: XCTestCase {
    let now = Date(timeIntervalSince1970: 1_800_000_100)

    func eff(_ lifetime: AgentSessionSpec.Lifetime = .init(), policy: String = "OnFailure", suspend: Bool = false) -> EffectiveSession {
        effective(makeSession { s in
            s.lifetime = lifetime
            s.restartPolicy = policy
            s.suspend = suspend
        })
    }

    func testNothingStopsByDefault() {
        let (r, at) = SessionLifetime.stopReason(eff(), status: .init(), pod: makePod(), supervisor: observation("running"), now: now)
        XCTAssertNil(r)
        XCTAssertNil(at)
        XCTAssertNil(SessionLifetime.nextDeadline(eff(), status: .init(), pod: makePod(), supervisor: observation("running"), now: now))
    }

    func testMaxDurationFromPodStart() {
        // makePod starts at 1_800_000_000: 100 s ago.
        let e = eff(.init(maxDurationSeconds: 300))
        XCTAssertNil(SessionLifetime.stopReason(e, status: .init(), pod: makePod(), supervisor: nil, now: now).0)
        let d = SessionLifetime.nextDeadline(e, status: .init(), pod: makePod(), supervisor: nil, now: now)!
        XCTAssertEqual(d.inSeconds, 200.05, accuracy: 0.01)
        let (r, at) = SessionLifetime.stopReason(eff(.init(maxDurationSeconds: 60)), status: .init(), pod: makePod(), supervisor: nil, now: now)
        XCTAssertEqual(r?.reason, "MaxDurationExceeded")
        XCTAssertEqual(at, now)
    }

    func testIdleTimeoutFromLastActivity() {
        let e = eff(.init(idleTimeoutSeconds: 60))
        let active = observation("running", lastActivity: now.addingTimeInterval(-30))
        XCTAssertNil(SessionLifetime.stopReason(e, status: .init(), pod: makePod(), supervisor: active, now: now).0)
        XCTAssertEqual(SessionLifetime.nextDeadline(e, status: .init(), pod: makePod(), supervisor: active, now: now)!.inSeconds, 30.05, accuracy: 0.01)
        let idle = observation("running", lastActivity: now.addingTimeInterval(-61))
        XCTAssertEqual(SessionLifetime.stopReason(e, status: .init(), pod: makePod(), supervisor: idle, now: now).0?.reason, "IdleTimeout")
    }

    func testCLIEndingFinishesPerRestartPolicy() {
        let exited0 = observation("exited", exitCode: 0)
        let failed1 = observation("failed", exitCode: 1)
        XCTAssertEqual(SessionLifetime.stopReason(eff(policy: "Never"), status: .init(), pod: makePod(), supervisor: exited0, now: now).0?.reason, "Completed")
        let (f, _) = SessionLifetime.stopReason(eff(policy: "Never"), status: .init(), pod: makePod(), supervisor: failed1, now: now)
        XCTAssertEqual(f, .finished(reason: "Failed", message: "the agent CLI failed with exit code 1", failed: true))
        XCTAssertEqual(SessionLifetime.stopReason(eff(policy: "OnFailure"), status: .init(), pod: makePod(), supervisor: exited0, now: now).0?.reason, "Completed")
        XCTAssertNil(SessionLifetime.stopReason(eff(policy: "OnFailure"), status: .init(), pod: makePod(), supervisor: failed1, now: now).0, "restarted")
        XCTAssertNil(SessionLifetime.stopReason(eff(policy: "Always"), status: .init(), pod: makePod(), supervisor: exited0, now: now).0, "restarted")
    }

    func testFinishedIsFinalAndSuspendIsNot() {
        var st = AgentSessionStatus()
        st.finishedAt = Timestamp.iso8601(now.addingTimeInterval(-10))
        st.phase = "Stopped"
        st.conditions = [Condition(type: "Ready", status: "False", reason: "IdleTimeout", message: "idle")]
        let (r, at) = SessionLifetime.stopReason(eff(), status: st, pod: nil, supervisor: nil, now: now)
        XCTAssertEqual(r, .finished(reason: "IdleTimeout", message: "idle", failed: false))
        XCTAssertEqual(at?.timeIntervalSince1970 ?? 0, now.addingTimeInterval(-10).timeIntervalSince1970, accuracy: 0.01)
        XCTAssertEqual(SessionLifetime.stopReason(eff(suspend: true), status: .init(), pod: nil, supervisor: nil, now: now).0, .suspended)
    }

    func testTTLAfterFinished() {
        XCTAssertNil(SessionLifetime.ttlRemaining(eff(), finishedAt: now, now: now), "0 keeps the session")
        let e = eff(.init(ttlSecondsAfterFinished: 60))
        XCTAssertNil(SessionLifetime.ttlRemaining(e, finishedAt: nil, now: now))
        XCTAssertEqual(SessionLifetime.ttlRemaining(e, finishedAt: now.addingTimeInterval(-30), now: now)!.inSeconds, 30.05, accuracy: 0.01)
        XCTAssertEqual(SessionLifetime.ttlRemaining(e, finishedAt: now.addingTimeInterval(-61), now: now), .zero)
    }
}
