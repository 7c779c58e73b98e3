import Foundation
import KubeClient
import XCTest

@testable import Operator

final class LeaderElectionTests: XCTestCase {
    let wall = Date(timeIntervalSince1970: 1_800_000_000)
    func machine(_ id: String = "me") -> LeaderElectionMachine {
        LeaderElectionMachine(config: LeaderElectionConfig(namespace: "ns", identity: id))
    }

    func testDefaultsAreClientGos() {
        let c = LeaderElectionConfig(namespace: "ns", identity: "x")
        XCTAssertEqual(c.leaseDuration, .seconds(15))
        XCTAssertEqual(c.renewDeadline, .seconds(10))
        XCTAssertEqual(c.retryPeriod, .seconds(2))
    }

    func testCreatesAMissingLeaseAndLeads() {
        var m = machine()
        let t0 = ContinuousClock.now
        let (step, _) = m.step(lease: nil, now: t0, wallClock: wall)
        guard case .create(let spec) = step else { return XCTFail("\(step)") }
        XCTAssertEqual(spec.holderIdentity, "me")
        XCTAssertEqual(spec.leaseDurationSeconds, 15)
        XCTAssertEqual(spec.leaseTransitions, 0)
        XCTAssertEqual(m.succeeded(spec, now: t0), [.startedLeading])
        XCTAssertTrue(m.isLeader)
        XCTAssertEqual(m.nextDelay(random: 0.9), .seconds(2), "the leader renews every retry period")
    }

    func testFollowerWaitsWhileAnotherHolderRenews() {
        var m = machine()
        let t0 = ContinuousClock.now
        let held = LeaseSpec(holderIdentity: "other", leaseDurationSeconds: 15, renewTime: MicroTime(wall), leaseTransitions: 3)
        let (s1, t1) = m.step(lease: held, now: t0, wallClock: wall)
        XCTAssertEqual(s1, .wait(holder: "other"))
        XCTAssertEqual(t1, [.newLeader("other")])
        // Renewed (record changed) at t0+10s: still valid at t0+20s.
        var renewed = held
        renewed.renewTime = MicroTime(wall.addingTimeInterval(10))
        XCTAssertEqual(m.step(lease: renewed, now: t0 + .seconds(10), wallClock: wall).0, .wait(holder: "other"))
        XCTAssertEqual(m.step(lease: renewed, now: t0 + .seconds(20), wallClock: wall).0, .wait(holder: "other"))
        XCTAssertTrue(m.nextDelay(random: 1) <= .milliseconds(2400) && m.nextDelay(random: 1) > .seconds(2), "jittered")
    }

    /// Expiry is measured on our clock from when the record last changed, not from its renewTime.
    func testTakesOverAnExpiredLeaseWithATransition() {
        var m = machine()
        let t0 = ContinuousClock.now
        let stale = LeaseSpec(holderIdentity: "other", leaseDurationSeconds: 15, acquireTime: MicroTime(wall),
                              renewTime: MicroTime(wall.addingTimeInterval(3600)), leaseTransitions: 3)
        XCTAssertEqual(m.step(lease: stale, now: t0, wallClock: wall).0, .wait(holder: "other"))
        let (step, _) = m.step(lease: stale, now: t0 + .seconds(16), wallClock: wall.addingTimeInterval(16))
        guard case .update(let spec) = step else { return XCTFail("\(step)") }
        XCTAssertEqual(spec.holderIdentity, "me")
        XCTAssertEqual(spec.leaseTransitions, 4)
        XCTAssertEqual(spec.acquireTime, MicroTime(wall.addingTimeInterval(16)))
        XCTAssertEqual(m.succeeded(spec, now: t0 + .seconds(16)), [.startedLeading])
    }

    func testRenewKeepsAcquireTimeAndTransitions() {
        var m = machine()
        let t0 = ContinuousClock.now
        let (s, _) = m.step(lease: nil, now: t0, wallClock: wall)
        guard case .create(let created) = s else { return XCTFail() }
        _ = m.succeeded(created, now: t0)
        let (s2, _) = m.step(lease: created, now: t0 + .seconds(2), wallClock: wall.addingTimeInterval(2))
        guard case .update(let renewed) = s2 else { return XCTFail("\(s2)") }
        XCTAssertEqual(renewed.acquireTime, created.acquireTime)
        XCTAssertEqual(renewed.leaseTransitions, 0)
        XCTAssertEqual(renewed.renewTime, MicroTime(wall.addingTimeInterval(2)))
        XCTAssertEqual(m.succeeded(renewed, now: t0 + .seconds(2)), [], "still leading: no transition")
    }

    func testLeaderGivesUpAfterTheRenewDeadline() {
        var m = machine()
        let t0 = ContinuousClock.now
        _ = m.succeeded(LeaseSpec(holderIdentity: "me", leaseDurationSeconds: 15), now: t0)
        XCTAssertEqual(m.failed(now: t0 + .seconds(4)), [])
        XCTAssertEqual(m.failed(now: t0 + .seconds(9)), [])
        XCTAssertEqual(m.failed(now: t0 + .seconds(10)).count, 1)
        XCTAssertEqual(m.state, .lost)
        XCTAssertEqual(m.failed(now: t0 + .seconds(11)), [], "lost is terminal")
    }

    func testLeaderSeeingAnotherHolderStopsAtOnce() {
        var m = machine()
        let t0 = ContinuousClock.now
        _ = m.succeeded(LeaseSpec(holderIdentity: "me", leaseDurationSeconds: 15), now: t0)
        let (step, transitions) = m.step(lease: LeaseSpec(holderIdentity: "thief", leaseDurationSeconds: 15), now: t0 + .seconds(2),
                                         wallClock: wall)
        XCTAssertEqual(step, .wait(holder: "thief"))
        XCTAssertTrue(transitions.contains { if case .stoppedLeading = $0 { return true } else { return false } })
        XCTAssertFalse(m.isLeader)
    }

    func testReleaseEmptiesTheHolderAndAnotherTakesOverAtOnce() {
        var me = machine()
        let t0 = ContinuousClock.now
        _ = me.succeeded(LeaseSpec(holderIdentity: "me", leaseDurationSeconds: 15, leaseTransitions: 2), now: t0)
        let released = me.release(wallClock: wall)
        XCTAssertEqual(released?.holderIdentity, "")
        XCTAssertEqual(released?.leaseDurationSeconds, 1)
        XCTAssertNil(me.release(wallClock: wall), "only once")
        var next = machine("next")
        guard case .update(let spec) = next.step(lease: released, now: t0 + .milliseconds(10), wallClock: wall).0 else {
            return XCTFail("an empty holder is free to take")
        }
        XCTAssertEqual(spec.holderIdentity, "next")
        XCTAssertEqual(spec.leaseTransitions, 3)
    }
}
