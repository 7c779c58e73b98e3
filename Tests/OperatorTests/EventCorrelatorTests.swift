import Foundation
import KubeClient
import XCTest

@testable import Operator

final class EventCorrelatorTests: XCTestCase {
    let obj = ObjectReference(apiVersion: "parallax.ai/v1alpha1", kind: "AgentSession", namespace: "ns", name: "s", uid: "u1")
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func input(_ reason: String = "PodCreated", _ message: String = "created pod s", object: ObjectReference? = nil) -> EventCorrelator.Input {
        .init(object: object ?? obj, type: "Normal", reason: reason, message: message)
    }

    func testRepeatsBecomeCountUpdatesOfOneEvent() {
        var c = EventCorrelator()
        guard case .create(let name, _, 1, _) = c.correlate(input(), now: t0) else { return XCTFail() }
        XCTAssertTrue(name.hasPrefix("s."))
        guard case .update(let n2, _, 2, let first) = c.correlate(input(), now: t0.addingTimeInterval(5)) else { return XCTFail() }
        XCTAssertEqual(n2, name)
        XCTAssertEqual(first, t0)
        guard case .update(_, _, 3, _) = c.correlate(input(), now: t0.addingTimeInterval(9)) else { return XCTFail() }
        guard case .create(let other, _, 1, _) = c.correlate(input("Ready", "ready"), now: t0.addingTimeInterval(10)) else { return XCTFail() }
        XCTAssertNotEqual(other, name)
    }

    func testAfterTheWindowARepeatIsANewEvent() {
        var c = EventCorrelator()
        _ = c.correlate(input(), now: t0)
        guard case .create = c.correlate(input(), now: t0.addingTimeInterval(601)) else { return XCTFail() }
    }

    func testSimilarEventsAggregate() {
        var c = EventCorrelator()
        for i in 0..<9 {
            guard case .create(_, let m, _, _) = c.correlate(input("Unhealthy", "failure \(i)"), now: t0.addingTimeInterval(Double(i))) else {
                return XCTFail()
            }
            XCTAssertEqual(m, "failure \(i)")
        }
        guard case .create(let name, let m, 1, _) = c.correlate(input("Unhealthy", "failure 9"), now: t0.addingTimeInterval(9)) else {
            return XCTFail()
        }
        XCTAssertEqual(m, "(combined from similar events): failure 9")
        guard case .update(let n2, let m2, 2, _) = c.correlate(input("Unhealthy", "failure 10"), now: t0.addingTimeInterval(10)) else {
            return XCTFail()
        }
        XCTAssertEqual(n2, name)
        XCTAssertEqual(m2, "(combined from similar events): failure 10")
    }

    func testSpamFilterPerObject() {
        var c = EventCorrelator()
        var dropped = 0
        for i in 0..<40 where c.correlate(input("R\(i)", "m"), now: t0) == .drop { dropped += 1 }
        XCTAssertEqual(dropped, 15, "burst of 25 per object")
        let other = ObjectReference(kind: "AgentSession", namespace: "ns", name: "t", uid: "u2")
        XCTAssertNotEqual(c.correlate(input(object: other), now: t0), .drop, "other objects are unaffected")
        XCTAssertEqual(c.correlate(input("late", "m"), now: t0.addingTimeInterval(299)), .drop)
        XCTAssertNotEqual(c.correlate(input("later", "m"), now: t0.addingTimeInterval(301)), .drop, "one token per 5 minutes")
    }

    func testCacheIsBounded() {
        var options = EventCorrelator.Options()
        options.cacheSize = 100
        var c = EventCorrelator(options: options)
        for i in 0..<1000 {
            let o = ObjectReference(kind: "AgentSession", namespace: "ns", name: "s\(i)", uid: "u\(i)")
            _ = c.correlate(input(object: o), now: t0)
        }
        XCTAssertLessThanOrEqual(c.cachedEvents, 101)
    }

    func testNamesFitAndAreUnique() {
        var seq: UInt64 = 0
        let long = String(repeating: "x", count: 300)
        let a = EventCorrelator.eventName(for: long, at: t0, sequence: &seq)
        let b = EventCorrelator.eventName(for: long, at: t0, sequence: &seq)
        XCTAssertLessThanOrEqual(a.count, 253)
        XCTAssertNotEqual(a, b)
    }
}
