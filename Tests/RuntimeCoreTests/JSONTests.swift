import Foundation
import RuntimeCore
import XCTest

/// The byte-level JSON writer and parser: escaping, unicode, numbers, and round trips checked against
/// Foundation's JSONSerialization reading and writing the same bytes.
final class JSONTests: XCTestCase {
    func testEscapesWhatJSONRequiresAndNothingElse() {
        let s: JSON = .string("a\"b\\c\nd\re\tf\u{01}g\u{1F}h/i\u{7F}é😀")
        XCTAssertEqual(s.serialized(), "\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u001fh/i\u{7F}é😀\"")
    }

    func testSortsKeysAndWritesCompactAndPrettyForms() {
        let v: JSON = ["b": [1, 2], "a": ["y": nil, "x": true], "c": [:], "d": []]
        XCTAssertEqual(v.serialized(), #"{"a":{"x":true,"y":null},"b":[1,2],"c":{},"d":[]}"#)
        XCTAssertEqual(v.serialized(pretty: true), """
            {
              "a": {
                "x": true,
                "y": null
              },
              "b": [
                1,
                2
              ],
              "c": {},
              "d": []
            }
            """)
    }

    func testWritesNumbersExactly() {
        let cases: [(JSON, String)] = [
            (.int(0), "0"), (.int(-7), "-7"), (.int(Int64.max), "9223372036854775807"),
            (.int(Int64.min), "-9223372036854775808"), (.double(2), "2"), (.double(-0.5), "-0.5"),
            (.double(1e15), "1000000000000000.0"), (.double(1.5e300), "1.5e+300"), (.double(.nan), "null"), (.double(.infinity), "null"),
        ]
        for (value, text) in cases { XCTAssertEqual(value.serialized(), text, "\(value)") }
    }

    func testParsesNumbersKeepingIntegersExact() throws {
        XCTAssertEqual(try JSON.parse("9223372036854775807"), .int(.max))
        XCTAssertEqual(try JSON.parse("-9223372036854775808"), .int(.min))
        XCTAssertEqual(try JSON.parse("-0"), .int(0))
        XCTAssertEqual(try JSON.parse("9223372036854775808"), .double(9223372036854775808))
        XCTAssertEqual(try JSON.parse("1.5e3"), .double(1500))
        XCTAssertEqual(try JSON.parse("-2E-2"), .double(-0.02))
        XCTAssertThrowsError(try JSON.parse("-")) { XCTAssert($0 is JSONError) }
        XCTAssertThrowsError(try JSON.parse("1.2.3")) { XCTAssert($0 is JSONError) }
    }

    func testParsesEscapesAndUnicode() throws {
        XCTAssertEqual(try JSON.parse(#""plain ascii""#), "plain ascii")
        XCTAssertEqual(try JSON.parse(#""\u00e9\ud83d\ude00\/\b\f\n\"x""#), .string("é😀/\u{08}\u{0C}\n\"x"))
        XCTAssertEqual(try JSON.parse("\"é😀 raw\""), .string("é😀 raw"))
        XCTAssertThrowsError(try JSON.parse(#""\ud83d""#)) { XCTAssert($0 is JSONError) }
        XCTAssertThrowsError(try JSON.parse("\"tab\there\"")) { XCTAssert($0 is JSONError) }
        XCTAssertThrowsError(try JSON.parse(bytes: [0x22, 0xFF, 0x22])) { XCTAssert($0 is JSONError) }
        XCTAssertThrowsError(try JSON.parse(#""unterminated"#)) { XCTAssert($0 is JSONError) }
    }

    /// A pod-sized object: written by us, read by Foundation, and the other way round.
    func testRoundTripsAgainstFoundation() throws {
        let value: JSON = [
            "apiVersion": "v1", "kind": "Pod",
            "metadata": ["name": "s-1", "labels": ["app.kubernetes.io/name": "agent"], "generation": 3,
                         "annotations": ["note": "line1\nline2 \"quoted\" \\ tab\t ünï 🚀 \u{02}"]],
            "spec": ["containers": [["name": "agent", "args": ["--x", "", "-"], "ports": [["containerPort": 8080]]]],
                     "terminationGracePeriodSeconds": 30, "ratio": 0.25, "enabled": false, "nothing": nil],
        ]
        let ours = value.data()
        let foundation = try JSONSerialization.jsonObject(with: ours) as! NSDictionary
        let back = try JSONSerialization.data(withJSONObject: foundation, options: [.sortedKeys])
        XCTAssertEqual(try JSON.parse(back), value)
        XCTAssertEqual(try JSON.parse(ours), value)
        // Foundation's own escaping of the same strings parses to the same values.
        let strings = ["é", "\u{0}", "\u{1F}", "/", "\\", "\"", "😀", "a\u{2028}b"]
        let encoded = try JSONSerialization.data(withJSONObject: strings)
        XCTAssertEqual(try JSON.parse(encoded), .array(strings.map(JSON.string)))
        XCTAssertEqual(try JSONSerialization.jsonObject(with: JSON.array(strings.map(JSON.string)).data()) as? [String], strings)
    }

    func testWriterAppendsFragments() {
        var w = JSONWriter()
        w.append(raw: "{\"type\":")
        w.writeString("ADDED")
        w.append(raw: ",\"n\":")
        w.writeInteger(-42)
        w.append(raw: "}")
        XCTAssertEqual(String(decoding: w.bytes, as: UTF8.self), #"{"type":"ADDED","n":-42}"#)
    }
}
