import XCTest
@testable import RuntimeCore

final class YAMLTests: XCTestCase {
    private func value(_ text: String) throws -> JSON { try YAML.parse("v: " + text)["v"] }

    private func assertError(_ text: String, line: Int, column: Int, contains fragment: String,
                             file: StaticString = #filePath, lineNo: UInt = #line)
    {
        do {
            let docs = try YAML.parseAll(text, source: "test.yaml")
            XCTFail("expected an error, got \(docs)", file: file, line: lineNo)
        } catch {
            XCTAssertEqual(error.source, "test.yaml", file: file, line: lineNo)
            XCTAssertEqual(error.line, line, "\(error)", file: file, line: lineNo)
            XCTAssertEqual(error.column, column, "\(error)", file: file, line: lineNo)
            XCTAssertTrue(error.message.contains(fragment), "\(error)", file: file, line: lineNo)
            XCTAssertTrue(error.description.hasPrefix("test.yaml:\(line):\(column): "), file: file, line: lineNo)
        }
    }

    // MARK: Scalars

    func testPlainScalarResolution() throws {
        let cases: [(String, JSON)] = [
            ("~", .null), ("null", .null), ("Null", .null), ("NULL", .null), ("", .null),
            ("true", true), ("True", true), ("TRUE", true), ("false", false), ("FALSE", false),
            ("yes", "yes"), ("no", "no"), ("on", "on"), ("tRUE", "tRUE"),
            ("42", 42), ("-7", -7), ("+3", 3), ("0", 0), ("0777", 777), ("0x1F", 31), ("0o17", 15),
            ("9223372036854775807", .int(Int64.max)), ("9223372036854775808", .double(9223372036854775808)),
            ("1.5", 1.5), ("-0.25", -0.25), ("1e3", .double(1000)), ("2.", .double(2)), (".5", 0.5),
            ("6.02E+23", .double(6.02e23)), (".inf", .double(.infinity)), ("-.Inf", .double(-.infinity)),
            ("+.INF", .double(.infinity)),
            ("1.2.3", "1.2.3"), ("0x", "0x"), ("0xZZ", "0xZZ"), ("1e", "1e"), ("infinity", "infinity"),
            ("nan", "nan"), ("hello world", "hello world"), ("12:30", "12:30"), ("2026-01-01", "2026-01-01"),
            ("1_000", "1_000"), ("-x", "-x"), ("<<", "<<"),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(try value(text), expected, "plain scalar \(text)")
        }
        XCTAssertTrue(try value(".nan").doubleValue!.isNaN)
        XCTAssertTrue(try value(".NaN").doubleValue!.isNaN)
    }

    func testQuotedAndBlockScalarsAreStrings() throws {
        XCTAssertEqual(try value("\"true\""), "true")
        XCTAssertEqual(try value("'123'"), "123")
        XCTAssertEqual(try value("\"\""), "")
        XCTAssertEqual(try value("'~'"), "~")
        XCTAssertEqual(try value("\"tab\\there \\u00e9 \\x41\""), "tab\there é A")
        XCTAssertEqual(try value("'it''s'"), "it's")
        XCTAssertEqual(try YAML.parse("a: |\n  line1\n    indented\n  42\nb: x\n")["a"], "line1\n  indented\n42\n")
        XCTAssertEqual(try YAML.parse("a: |-\n  no newline\n")["a"], "no newline")
        XCTAssertEqual(try YAML.parse("a: >\n  folded\n  text\n\n  para\n")["a"], "folded text\npara\n")
        XCTAssertEqual(try YAML.parse("a: |+\n  keep\n\n\nb: 1\n")["a"], "keep\n\n\n")
    }

    func testExplicitTags() throws {
        XCTAssertEqual(try value("!!str 123"), "123")
        XCTAssertEqual(try value("!!str true"), "true")
        XCTAssertEqual(try value("!!int \"42\""), 42)
        XCTAssertEqual(try value("!!int 0x10"), 16)
        XCTAssertEqual(try value("!!bool 'false'"), false)
        XCTAssertEqual(try value("!!float 1"), .double(1))
        XCTAssertEqual(try value("!!float '2.5'"), 2.5)
        XCTAssertEqual(try value("!!null ''"), .null)
        XCTAssertEqual(try value("! 12"), "12", "the non-specific tag forces a string")
        XCTAssertEqual(try value("!custom 12"), 12, "unknown tags do not change resolution")
        XCTAssertEqual(try YAML.parse("%TAG !k! tag:yaml.org,2002:\n---\nv: !k!str 7\n")["v"], "7")
        assertError("a: !!int abc\n", line: 1, column: 4, contains: "invalid !!int value \"abc\"")
        assertError("a: !!bool yes\n", line: 1, column: 4, contains: "invalid !!bool")
        assertError("a: !!float x\n", line: 1, column: 4, contains: "invalid !!float")
    }

    // MARK: Structure

    func testMappingsSequencesAndFlowStyle() throws {
        let doc = try YAML.parse("""
            apiVersion: v1
            kind: Pod
            metadata:
              name: web
              labels: {app: web, tier: "1"}
            spec:
              containers:
              - name: c
                args: [--port, 8080, "--x"]
                env:
                  - {name: A, value: ''}
              empty: []
              nothing: {}
              nullish:
            """)
        XCTAssertEqual(doc["kind"], "Pod")
        XCTAssertEqual(doc.value(at: ["metadata", "labels"]), ["app": "web", "tier": "1"])
        XCTAssertEqual(doc["spec"]["containers"][0]["args"], ["--port", 8080, "--x"])
        XCTAssertEqual(doc["spec"]["containers"][0]["env"], [["name": "A", "value": ""]])
        XCTAssertEqual(doc["spec"]["empty"], [])
        XCTAssertEqual(doc["spec"]["nothing"], .object([:]))
        XCTAssertEqual(doc["spec"].objectValue?["nullish"], .null)
    }

    func testNonStringKeysBecomeStrings() throws {
        let doc = try YAML.parse("1: a\ntrue: b\n~: c\n1.5: d\n2.0: e\n0x10: f\n\"q\": g\n")
        XCTAssertEqual(doc, ["1": "a", "true": "b", "null": "c", "1.5": "d", "2": "e", "16": "f", "q": "g"])
        assertError("[a, b]: c\n", line: 1, column: 1, contains: "mapping keys must be scalars")
    }

    func testDuplicateKeysAreRejectedWithPosition() {
        assertError("a: 1\nb:\n  c: 2\n  c: 3\n", line: 4, column: 3, contains: "duplicate mapping key \"c\"")
        assertError("1: x\n\"1\": y\n", line: 2, column: 1, contains: "duplicate mapping key \"1\"")
        assertError("{a: 1, a: 2}", line: 1, column: 8, contains: "duplicate")
    }

    // MARK: Anchors, aliases, merges

    func testAnchorsAndAliasesAcrossKeys() throws {
        let doc = try YAML.parse("""
            defaults: &d
              image: busybox
              args: &args [sh, -c]
            first: *d
            second:
              args: *args
            scalar: &s 5
            again: *s
            """)
        XCTAssertEqual(doc["first"], ["image": "busybox", "args": ["sh", "-c"]])
        XCTAssertEqual(doc["second"]["args"], ["sh", "-c"])
        XCTAssertEqual(doc["again"], 5)
    }

    func testMergeKeys() throws {
        let doc = try YAML.parse("""
            base: &base {a: 1, b: 2}
            extra: &extra {b: 20, c: 30}
            single:
              <<: *base
              b: explicit
            list:
              c: explicit
              <<: [*base, *extra]
            inline:
              <<: {z: 26}
            quoted:
              "<<": not a merge
            """)
        XCTAssertEqual(doc["single"], ["a": 1, "b": "explicit"])
        XCTAssertEqual(doc["list"], ["a": 1, "b": 2, "c": "explicit"], "explicit keys win; earlier maps win")
        XCTAssertEqual(doc["inline"], ["z": 26])
        XCTAssertEqual(doc["quoted"], ["<<": "not a merge"])
        assertError("a: &x 1\nb:\n  <<: *x\n", line: 3, column: 7, contains: "merge key")
        assertError("a: &x 1\nb:\n  <<: [*x]\n", line: 3, column: 7, contains: "merge key")
    }

    func testUnknownAliasIsAnError() {
        assertError("a: 1\nb: *nope\n", line: 2, column: 4, contains: "unknown alias '*nope'")
    }

    func testAliasBombIsRejected() {
        var text = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1...9 {
            let refs = Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ")
            text += "a\(i): &a\(i) [\(refs)]\n"
        }
        let start = Date()
        // a5 is the first level past 1,000,000 nodes; its 8th alias (column 45) crosses the limit.
        assertError(text, line: 6, column: 45, contains: "aliases expand to more than 1000000 nodes")
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
        // A modest fan-out stays well under the limit, and large literal documents are not limited.
        XCTAssertNoThrow(try YAML.parse("a: &a [1, 2]\nb: [*a, *a, *a]\n"))
        let big = "[" + Array(repeating: "1", count: 1_100_000).joined(separator: ",") + "]"
        XCTAssertEqual(try YAML.parse(big).arrayValue?.count, 1_100_000)
    }

    func testDeepNestingIsRejected() {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        assertError(deep, line: 1, column: 513, contains: "deeper than 512")
        XCTAssertNoThrow(try YAML.parse(String(repeating: "[", count: 100) + String(repeating: "]", count: 100)))
    }

    // MARK: Documents

    func testMultiDocumentStreams() throws {
        let docs = try YAML.parseAll("""
            ---
            kind: A
            shared: &s {x: 1}
            use: *s
            ---
            # only a comment
            ---
            kind: B
            list: &l [1]
            again: *l
            ...
            ---
            """)
        XCTAssertEqual(docs.count, 2)
        XCTAssertEqual(docs[0]["use"], ["x": 1])
        XCTAssertEqual(docs[1]["again"], [1])
        XCTAssertEqual(try YAML.parseAll("a: 1"), [["a": 1]])
        XCTAssertEqual(try YAML.parseAll(""), [])
        XCTAssertEqual(try YAML.parseAll("--- ~\n--- 3\n"), [.null, 3], "explicit nulls are not empty")
    }

    func testAnchorsDoNotLeakAcrossDocuments() {
        assertError("a: &x 1\n---\nb: *x\n", line: 3, column: 4, contains: "unknown alias")
    }

    func testParseWantsExactlyOneDocument() throws {
        XCTAssertEqual(try YAML.parse(""), .null)
        XCTAssertEqual(try YAML.parse("# nothing\n"), .null)
        XCTAssertEqual(try YAML.parse("---\na: 1\n---\n"), ["a": 1])
        XCTAssertThrowsError(try YAML.parse("a: 1\n---\nb: 2\n", source: "two.yaml")) { error in
            let e = error as! YAMLError
            XCTAssertEqual(e.line, 2)
            XCTAssertEqual(e.column, 1)
            XCTAssertTrue(e.description.hasPrefix("two.yaml:2:1: expected a single YAML document"), "\(e)")
        }
    }

    // MARK: Syntax errors

    func testSyntaxErrorsCarryLibyamlPositions() {
        assertError("a: b\n  c: d\n", line: 2, column: 4, contains: "mapping values are not allowed")
        assertError("a:\n  - x\n  y: 1\n", line: 3, column: 3, contains: "did not find expected '-' indicator")
        assertError("a: \"open\nb: 2\n", line: 3, column: 1, contains: "found unexpected end of stream")
        assertError("key: [1, 2\nother: 3\n", line: 2, column: 6, contains: "did not find expected ',' or ']'")
        assertError("a:\n\t- b\n", line: 2, column: 1, contains: "found character that cannot start any token")
        assertError("a: \u{1}\n", line: 1, column: 4, contains: "control characters are not allowed")
    }

    func testErrorDescriptionIncludesContext() {
        do {
            _ = try YAML.parse("a: [1, 2\n")
            XCTFail("expected an error")
        } catch {
            XCTAssertTrue(error.message.contains("while parsing a flow sequence at line 1, column 4"), "\(error)")
        }
    }

    // MARK: Emitting

    func testEmitFormat() {
        let value: JSON = [
            "kind": "Pod",
            "metadata": ["name": "web", "labels": ["app": "web"]],
            "spec": ["containers": [["name": "c", "args": ["a", 1, true]]], "tolerations": [], "extra": [:]],
            "count": 3, "ratio": 0.5, "whole": .double(2), "none": .null,
        ]
        XCTAssertEqual(YAML.emit(value), """
            count: 3
            kind: Pod
            metadata:
              labels:
                app: web
              name: web
            none: null
            ratio: 0.5
            spec:
              containers:
                - args:
                    - a
                    - 1
                    - true
                  name: c
              extra: {}
              tolerations: []
            whole: 2.0

            """)
        XCTAssertEqual(YAML.emit("plain"), "plain\n")
        XCTAssertEqual(YAML.emit(.null), "null\n")
        XCTAssertEqual(YAML.emit([[1, 2], [[:], []]]), "- - 1\n  - 2\n- - {}\n  - []\n")
        XCTAssertEqual(YAML.emit(["s": "a\nb\n"]), "s: |2\n  a\n  b\n")
    }

    static let trickyStrings: [String] = [
        "true", "True", "false", "null", "~", "", " ", "123", "-1", "0x1F", "0o7", "1.5", "1e3", ".inf", "-.inf",
        ".nan", "yes", "no", "on", "off", "y", "N", "0777", "1_000", "12:30", "2026-11-21", "<<",
        "a: b", "a:b", "trailing:", "# comment", "a #b", "a#b", "  leading", "trailing  ", "-", "- item", "--- x",
        "...", "?", "? x", "!tag", "&anchor", "*alias", "|", ">", "@at", "`tick", "%pct", "[x]", "{y}", ",", "'",
        "\"", "back\\slash", "quote\"inside", "it's", "multi\nline", "\nleading newline", "trailing newline\n",
        "two trailing\n\n", "\n", "\n\n", "\r\n", "  indented\n    more\nless", "\n  after blank", "tab\there",
        "\ttab first", "nul\u{0}byte", "bell\u{7}", "del\u{7F}", "c1\u{85}", "bom\u{FEFF}", "ls\u{2028}ps\u{2029}",
        "héllo wörld", "日本語", "emoji 🚀 ok", "\u{10FFFF}", "{\"json\": [1, 2]}", "key=value", "http://x:80/p",
        "a - b", "a, b", "a]", "x\n- y\n", "text\n...\n", "text\n---\nmore", "\u{A0}nbsp",
        String(repeating: "long ", count: 400),
    ]

    func testTrickyStringsRoundTrip() throws {
        for s in Self.trickyStrings {
            for wrapped: JSON in [.string(s), ["k": .string(s)], [.string(s)], ["a": [["b": [.string(s)]]]],
                                  [[.string(s)]], .object([s: "key"])] {
                let text = YAML.emit(wrapped)
                XCTAssertEqual(try YAML.parseAll(text), [wrapped], "round trip of \(s.debugDescription) via:\n\(text)")
            }
        }
    }

    /// Seeded random trees over an alphabet of YAML-significant characters.
    func testRandomTreesRoundTrip() throws {
        var rng = SplitMix64(seed: 42)
        let alphabet = Array("a b:#-\n'\"\\1.0é\t{}[],&*!|>%@~\r\u{0}xyz?<")
        func randomString() -> String {
            String((0..<Int(rng.next() % 9)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
        }
        func randomValue(depth: Int) -> JSON {
            switch rng.next() % (depth > 2 ? 5 : 7) {
            case 0: return .null
            case 1: return .bool(rng.next() % 2 == 0)
            case 2: return .int(Int64(bitPattern: rng.next()) >> Int64(rng.next() % 64))
            case 3: return .double(Double(Int64(rng.next() % 2_000_000) - 1_000_000) / 64)
            case 4: return .string(randomString())
            case 5: return .array((0..<Int(rng.next() % 4)).map { _ in randomValue(depth: depth + 1) })
            default:
                var o: [String: JSON] = [:]
                for _ in 0..<Int(rng.next() % 4) { o[randomString()] = randomValue(depth: depth + 1) }
                return .object(o)
            }
        }
        for _ in 0..<500 {
            let value = randomValue(depth: 0)
            let text = YAML.emit(value)
            XCTAssertEqual(try YAML.parseAll(text), value.isNull ? [.null] : [value], text)
        }
    }

    func testWindowsLineEndingsAndBOM() throws {
        XCTAssertEqual(try YAML.parse("a: 1\r\nb: |\r\n  x\r\n"), ["a": 1, "b": "x\n"])
        XCTAssertEqual(try YAML.parse("\u{FEFF}a: 1\n"), ["a": 1])
    }

    func testOtherValuesRoundTrip() throws {
        let value: JSON = [
            "ints": [0, -1, .int(Int64.max), .int(Int64.min)],
            "doubles": [0.1, -2.5, 1e20, 1e-7, .double(3), .double(.infinity), .double(-.infinity)],
            "bools": [true, false], "null": .null, "empty": ["a": [], "o": [:], "s": ""],
            "nested": [[["deep": [[1]]]]],
            String(repeating: "k", count: 1500): ["nested": [1, "x"]], String(repeating: "j", count: 1100): "long key",
            "multi\nline key": ["v": "x\ny"],
        ]
        let text = YAML.emit(value)
        XCTAssertEqual(try YAML.parse(text), value, text)
        XCTAssertTrue(try YAML.parse(YAML.emit(.double(.nan))).doubleValue!.isNaN)
    }
}

/// A tiny deterministic generator so random tests are reproducible.
private struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
