import Foundation
import RuntimeCore
import XCTest

@testable import KubeClient

final class TimeTests: XCTestCase {
    func testRFC3339ParseAndFormat() {
        let d = RFC3339.parse("2024-05-01T10:20:30Z")!
        XCTAssertEqual(d.timeIntervalSince1970, 1_714_558_830)
        XCTAssertEqual(RFC3339.format(d, fractionDigits: 0), "2024-05-01T10:20:30Z")
        XCTAssertEqual(RFC3339.parse("2024-05-01T12:20:30+02:00"), d)
        XCTAssertEqual(RFC3339.parse("2024-05-01t10:20:30z"), d)
        XCTAssertEqual(RFC3339.parse("2024-05-01T10:20:30.25Z")!.timeIntervalSince1970, 1_714_558_830.25, accuracy: 1e-6)
        for bad in ["", "2024-05-01", "2024-13-01T00:00:00Z", "2024-05-01T10:20:30", "2024-05-01T10:20:30.Z", "x2024-05-01T10:20:30Z",
                    "2024-05-01T10:20:30Zjunk"] {
            XCTAssertNil(RFC3339.parse(bad), bad)
        }
    }

    func testTimeDropsFractionsAndRoundTrips() throws {
        let t = Time(Date(timeIntervalSince1970: 1_714_558_830.987))
        XCTAssertEqual(t.description, "2024-05-01T10:20:30Z")
        let back = try JSON(encoding: ["t": t]).decode([String: Time].self)["t"]
        XCTAssertEqual(back, t)
        XCTAssertNil(Time(rfc3339: "yesterday"))
        XCTAssertThrowsError(try JSON.parse(#"{"t": "nope"}"#).decode([String: Time].self))
    }

    func testMicroTimeKeepsMicroseconds() throws {
        let m = MicroTime(rfc3339: "2024-05-01T10:20:30.123456Z")!
        XCTAssertEqual(m.description, "2024-05-01T10:20:30.123456Z")
        XCTAssertEqual(MicroTime(rfc3339: "2024-05-01T10:20:30Z")!.description, "2024-05-01T10:20:30.000000Z")
        XCTAssertEqual(MicroTime(Date(timeIntervalSince1970: 1.9999999)).description, "1970-01-01T00:00:02.000000Z")
        let back = try JSON(encoding: ["m": m]).decode([String: MicroTime].self)["m"]
        XCTAssertEqual(back, m)
        XCTAssertLessThan(MicroTime(rfc3339: "2024-05-01T10:20:30.000001Z")!, MicroTime(rfc3339: "2024-05-01T10:20:30.000002Z")!)
    }

    func testIntOrString() throws {
        let j = try JSON.parse(#"[8080, "http", "25%"]"#)
        let v = try j.decode([IntOrString].self)
        XCTAssertEqual(v, [.int(8080), .string("http"), .string("25%")])
        XCTAssertEqual(try JSON(encoding: v), j)
    }
}
