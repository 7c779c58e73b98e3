import Foundation
import Synchronization
import XCTest
@testable import RuntimeCore

final class LoggingTests: XCTestCase {
    func testJSONLineFieldsAndOrder() throws {
        let sink = LogSink.memory()
        let log = Logger(label: "operator", sink: sink, level: .debug, format: .json, metadata: ["pod": "web-0"])
        log.info("started \"fast\"", ["attempt": 2, "ok": true])
        let line = try XCTUnwrap(sink.lines.first)
        XCTAssertEqual(sink.lines.count, 1)
        XCTAssertFalse(line.contains("\n"))
        let ts = try XCTUnwrap(JSON.parse(line)["ts"].stringValue)
        XCTAssertEqual(line, #"{"ts":"\#(ts)","level":"info","logger":"operator","msg":"started \"fast\"","#
                       + #""attempt":2,"ok":true,"pod":"web-0"}"#)
        let when = try XCTUnwrap(Timestamp.parse(ts))
        XCTAssertLessThan(abs(when.timeIntervalSinceNow), 60)
        XCTAssertTrue(ts.hasSuffix("Z"))
        XCTAssertEqual(ts.count, 24)
    }

    func testLevelFilteringSkipsMessageConstruction() {
        let sink = LogSink.memory()
        let log = Logger(label: "x", sink: sink, level: .warning)
        var built = 0
        func expensive() -> String { built += 1; return "m" }
        log.debug(expensive())
        log.info(expensive())
        log.warning(expensive())
        log.error(expensive())
        XCTAssertEqual(built, 2)
        XCTAssertEqual(sink.lines.count, 2)
        XCTAssertTrue(sink.lines[0].contains(#""level":"warning""#))
        XCTAssertTrue(sink.lines[1].contains(#""level":"error""#))
        XCTAssertTrue(log.isEnabled(.error))
        XCTAssertFalse(log.isEnabled(.info))
    }

    func testLevelOrderingAndParsing() {
        XCTAssertEqual(LogLevel.allCases.sorted(), [.debug, .info, .warning, .error])
        XCTAssertLessThan(LogLevel.debug, LogLevel.error)
        XCTAssertEqual(LogLevel(parsing: "WARN"), .warning)
        XCTAssertEqual(LogLevel(parsing: "Debug"), .debug)
        XCTAssertNil(LogLevel(parsing: "loud"))
        XCTAssertEqual(LogFormat(rawValue: "text"), .text)
    }

    func testSecretsAreRedacted() throws {
        let sink = LogSink.memory()
        let log = Logger(label: "x", sink: sink, metadata: ["GITHUB_TOKEN": "ghp_abc"])
        log.info("call", [
            "password": "hunter2", "dbPassword": 1234, "ClientSecret": "s", "apiKey": "k1", "x-api-key": "k2",
            "OPENAI_API_KEY": "k3", "Authorization": "Bearer t", "headers": ["authorization": "Bearer u", "accept": "*/*"],
            "items": [["secretRef": "s2", "name": "n"]], "user": "alice",
        ])
        let line = try XCTUnwrap(sink.lines.first)
        for secret in ["ghp_abc", "hunter2", "1234", "k1", "k2", "k3", "Bearer"] {
            XCTAssertFalse(line.contains(secret), "\(secret) leaked: \(line)")
        }
        let record = try JSON.parse(line)
        XCTAssertEqual(record["GITHUB_TOKEN"], "[REDACTED]")
        XCTAssertEqual(record["dbPassword"], "[REDACTED]")
        XCTAssertEqual(record["headers"], ["authorization": "[REDACTED]", "accept": "*/*"])
        XCTAssertEqual(record["items"], [["secretRef": "[REDACTED]", "name": "n"]])
        XCTAssertEqual(record["user"], "alice")

        let text = LogSink.memory()
        Logger(label: "x", sink: text, format: .text).info("m", ["refresh_token": "r"])
        XCTAssertTrue(text.lines[0].hasSuffix("refresh_token=[REDACTED]"), text.lines[0])
    }

    func testTextFormat() throws {
        let date = try XCTUnwrap(Timestamp.parse("2026-11-21T10:00:00Z"))
        let line = Logger.render(level: .info, label: "runtime", message: "hello\nworld",
                                 metadata: ["b": "two words", "a": 1, "c": "plain", "d": ["x": 1], "e": ""],
                                 format: .text, date: date)
        XCTAssertEqual(line, #"2026-11-21T10:00:00.000Z INFO  runtime: hello\nworld a=1 b="two words" c=plain d={"x":1} e="""#)
        XCTAssertEqual(Logger.render(level: .warning, label: "l", message: "m", metadata: [:], format: .text, date: date),
                       "2026-11-21T10:00:00.000Z WARN  l: m")
        let sink = LogSink.memory()
        Logger(label: "runtime", sink: sink, format: .text).error("boom")
        XCTAssertTrue(sink.lines[0].hasSuffix(" ERROR runtime: boom"), sink.lines[0])
    }

    func testMetadataMergingAndReservedKeys() throws {
        let sink = LogSink.memory()
        let base = Logger(label: "x", sink: sink, metadata: ["a": 1, "b": 1])
        let child = base.with(["b": 2, "c": 3])
        child.info("m", ["c": 4, "msg": "clash", "level": "clash"])
        let record = try JSON.parse(sink.lines[0])
        XCTAssertEqual(record["a"], 1)
        XCTAssertEqual(record["b"], 2)
        XCTAssertEqual(record["c"], 4)
        XCTAssertEqual(record["msg"], "m")
        XCTAssertEqual(record["level"], "info")
        XCTAssertEqual(record["_msg"], "clash")
        XCTAssertEqual(record["_level"], "clash")
        XCTAssertEqual(base.metadata, ["a": 1, "b": 1], "with() does not change the parent")
    }

    func testBootstrapSetsProcessDefaults() {
        let (oldLevel, oldFormat) = (Logger.defaultLevel, Logger.defaultFormat)
        defer { Logger.bootstrap(level: oldLevel, format: oldFormat) }
        let sink = LogSink.memory()
        let follows = Logger(label: "x", sink: sink)
        let pinned = Logger(label: "y", sink: sink, level: .info, format: .json)
        Logger.bootstrap(level: .debug, format: .text)
        XCTAssertEqual(follows.level, .debug)
        XCTAssertEqual(follows.format, .text)
        follows.debug("d")
        pinned.debug("hidden")
        pinned.info("i")
        XCTAssertEqual(sink.lines.count, 2)
        XCTAssertTrue(sink.lines[0].contains(" DEBUG x: d"), sink.lines[0])
        XCTAssertTrue(sink.lines[1].hasPrefix("{"), sink.lines[1])
        Logger.bootstrap(format: .json)
        XCTAssertEqual(Logger.defaultLevel, .debug, "nil leaves the level alone")
        XCTAssertEqual(Logger.defaultFormat, .json)
    }

    func testFileSinkKeepsLinesWholeUnderConcurrency() throws {
        let path = NSTemporaryDirectory() + "logging-test-\(UUID().uuidString).log"
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let log = Logger(label: "conc", sink: try LogSink.file(path: path), format: .json)
            let padding = String(repeating: "x", count: 3000)
            DispatchQueue.concurrentPerform(iterations: 4) { worker in
                for i in 0..<250 { log.info("line", ["worker": .int(Int64(worker)), "i": .int(Int64(i)), "pad": .string(padding)]) }
            }
        }
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 1000)
        var seen = Set<String>()
        for line in lines {
            let record = try JSON.parse(String(line))
            seen.insert("\(record["worker"])-\(record["i"])")
        }
        XCTAssertEqual(seen.count, 1000)
    }

    func testFileSinkErrors() {
        XCTAssertThrowsError(try LogSink.file(path: "/nonexistent-dir/x.log")) { error in
            XCTAssertTrue("\(error)".contains("cannot open log file /nonexistent-dir/x.log"), "\(error)")
        }
    }

    func testTimestampFormatting() {
        XCTAssertEqual(Timestamp.iso8601(Date(timeIntervalSince1970: 0)), "1970-01-01T00:00:00.000Z")
        XCTAssertEqual(Timestamp.iso8601(Date(timeIntervalSince1970: 1_795_255_200.123)), "2026-11-21T10:00:00.123Z")
        XCTAssertEqual(Timestamp.iso8601(Date(timeIntervalSince1970: 951_782_400.9999)), "2000-02-29T00:00:01.000Z")
        XCTAssertEqual(Timestamp.iso8601(Date(timeIntervalSince1970: -0.5)), "1969-12-31T23:59:59.500Z")
    }

    func testTimestampParsing() throws {
        let base = 1_795_255_200.0
        XCTAssertEqual(Timestamp.parse("2026-11-21T10:00:00Z")?.timeIntervalSince1970, base)
        XCTAssertEqual(Timestamp.parse("2026-11-21t10:00:00z")?.timeIntervalSince1970, base)
        XCTAssertEqual(try XCTUnwrap(Timestamp.parse("2026-11-21T10:00:00.25Z")).timeIntervalSince1970, base + 0.25)
        let nanos = try XCTUnwrap(Timestamp.parse("2026-11-21T10:00:00.123456789Z")).timeIntervalSince1970
        XCTAssertEqual(nanos, base + 0.123456789, accuracy: 1e-6)
        XCTAssertEqual(Timestamp.parse("2026-11-21T12:30:00+02:30")?.timeIntervalSince1970, base)
        XCTAssertEqual(Timestamp.parse("2026-11-21T05:00:00-05:00")?.timeIntervalSince1970, base)
        for bad in ["", "2026-11-21", "2026-11-21T10:00:00", "2026-13-01T00:00:00Z", "2026-11-21T24:00:00Z",
                    "2026-11-21T10:00:00.Z", "2026-11-21T10:00:00Zjunk", "2026-11-21T10:00:00+0200", "26-11-21T10:00:00Z"] {
            XCTAssertNil(Timestamp.parse(bad), bad)
        }
        for t in [0.0, 1.001, 1_795_255_200.123, 4_102_444_799.999] {
            let d = Date(timeIntervalSince1970: t)
            XCTAssertEqual(try XCTUnwrap(Timestamp.parse(Timestamp.iso8601(d))).timeIntervalSince1970, t, accuracy: 1e-6)
        }
    }

    func testTimestampIsThreadSafe() {
        let expected = Timestamp.iso8601(Date(timeIntervalSince1970: 1_795_255_200.5))
        let mismatches = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            for _ in 0..<2000 where Timestamp.iso8601(Date(timeIntervalSince1970: 1_795_255_200.5)) != expected {
                mismatches.withLock { $0 += 1 }
            }
        }
        XCTAssertEqual(mismatches.withLock { $0 }, 0)
    }
}
