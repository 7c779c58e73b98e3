import Foundation
import XCTest
import RuntimeCore
@testable import KubeEmulator

final class SupportTests: XCTestCase {
    func testHumanDurationMatchesKubectl() {
        let cases: [(Double, String)] = [
            (-5, "<invalid>"), (-1, "0s"), (0, "0s"), (59, "59s"), (119, "119s"), (120, "2m"), (150, "2m30s"),
            (600, "10m"), (3 * 3600 - 1, "179m"), (3 * 3600, "3h"), (3 * 3600 + 60, "3h1m"), (8 * 3600, "8h"),
            (47 * 3600, "47h"), (48 * 3600, "2d"), (3 * 86400 + 4 * 3600, "3d4h"), (8 * 86400, "8d"), (400 * 86400, "400d"),
            (800 * 86400, "2y70d"), (730 * 86400, "2y"), (10 * 365 * 86400, "10y"),
        ]
        for (secs, expected) in cases { XCTAssertEqual(KubeTime.humanDuration(secs), expected, "\(secs)") }
    }

    func testTimestamps() {
        XCTAssertEqual(KubeTime.format(Fixtures.epoch), "2023-11-14T22:13:20Z")
        XCTAssertEqual(KubeTime.format(Fixtures.epoch.addingTimeInterval(0.9)), "2023-11-14T22:13:20Z")
        XCTAssertEqual(KubeTime.parse("2023-11-14T22:13:20Z"), Fixtures.epoch)
        XCTAssertEqual(KubeTime.parse("2023-11-14T23:13:20+01:00"), Fixtures.epoch)
        XCTAssertEqual(KubeTime.parse("2023-11-14T22:13:20.500000Z")?.timeIntervalSince1970, 1_700_000_000.5)
        XCTAssertNil(KubeTime.parse("yesterday"))
    }

    func testRandomNames() {
        XCTAssertEqual(RandomNames.generate(from: String(repeating: "a", count: 70)).count, 63)
        XCTAssertEqual(RandomNames.suffix().count, 5)
        XCTAssertNotEqual(RandomNames.uid(), RandomNames.uid())
    }

    func testGoFormatting() {
        XCTAssertEqual(GoFormat.quote("a\tb\u{1}"), "\"a\\tb\\x01\"")
        XCTAssertEqual(GoFormat.number(5), "5")
        XCTAssertEqual(GoFormat.number(0.25), "0.25")
        XCTAssertEqual(GoFormat.value(["a"]), "[\"a\"]")
    }

    func testJSONHelpers() {
        var o: JSON = ["a": ["b": 1, "c": 2]]
        o.removeValue(at: ["a", "b"])
        o.removeValue(at: ["missing", "x"])
        XCTAssertEqual(o, ["a": ["c": 2]])
        o.setRaw("n", .null)
        XCTAssertEqual(o.objectValue?["n"], .null)
        XCTAssertEqual(o.removingKeys(["n"]), ["a": ["c": 2]])
        XCTAssertTrue(JSON.object(["a": [1, 2.0]]).looselyEquals(["a": [1.0, 2]]))
        XCTAssertFalse(JSON.object(["a": 1]).looselyEquals(["a": 1, "b": 2]))
        XCTAssertFalse(JSON.int(1).looselyEquals("1"))
    }
}
