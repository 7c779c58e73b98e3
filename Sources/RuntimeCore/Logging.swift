import FoundationEssentials
import Glibc
import Synchronization

/// Severity of a log record, in increasing order.
public enum LogLevel: String, Sendable, Comparable, CaseIterable {
    case debug, info, warning, error

    /// Parses a command-line or environment spelling (case-insensitive; `warn` is accepted).
    public init?(parsing text: String) {
        let t = text.lowercased()
        if t == "warn" { self = .warning; return }
        self.init(rawValue: t)
    }

    private var rank: Int {
        switch self {
        case .debug: return 0
        case .info: return 1
        case .warning: return 2
        case .error: return 3
        }
    }

    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rank < b.rank }

    /// Fixed-width upper-case name for the text format.
    var textLabel: String {
        switch self {
        case .debug: return "DEBUG"
        case .info: return "INFO "
        case .warning: return "WARN "
        case .error: return "ERROR"
        }
    }
}

/// How records are rendered: one JSON object per line (machines), or a single readable line (people).
public enum LogFormat: String, Sendable {
    case json, text
}

/// Errors from setting up logging.
public enum LoggingError: Error, CustomStringConvertible, Sendable {
    /// A log file could not be opened; `errno` from open(2).
    case cannotOpen(path: String, errno: Int32)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let e): return "cannot open log file \(path): \(String(cString: strerror(e)))"
        }
    }
}

/// Process-wide defaults that loggers created without an explicit level or format follow.
private let logDefaults = Mutex<(level: LogLevel, format: LogFormat)>((.info, .json))

/// A structured logger. Cheap to copy; `with(_:)` returns a child carrying extra metadata.
///
/// Metadata whose key looks like a credential (see ``Logger/redactedKeyFragments``) is replaced by
/// `"[REDACTED]"` at any depth, so secrets never reach a log.
public struct Logger: Sendable {
    /// The `logger` field of every record.
    public let label: String
    /// Where records go.
    public let sink: LogSink
    /// Metadata attached to every record of this logger.
    public let metadata: [String: JSON]
    private let fixedLevel: LogLevel?
    private let fixedFormat: LogFormat?

    /// Key fragments (matched case-insensitively) whose values are never logged.
    public static let redactedKeyFragments = [
        "token", "password", "secret", "apikey", "api_key", "api-key", "authorization", "cookie",
    ]
    /// Record fields that metadata cannot override; clashing metadata keys get a leading underscore.
    static let reservedKeys: Set<String> = ["ts", "level", "logger", "msg"]

    /// Creates a logger. A nil `level` or `format` follows the process-wide default set by
    /// ``bootstrap(level:format:)`` (initially `.info` and `.json`), read at each call.
    public init(label: String, sink: LogSink = .standardError, level: LogLevel? = nil, format: LogFormat? = nil,
                metadata: [String: JSON] = [:])
    {
        self.label = label
        self.sink = sink
        self.fixedLevel = level
        self.fixedFormat = format
        self.metadata = metadata
    }

    /// Sets the process-wide default level and/or format (e.g. from `--log-level` / `--log-format`).
    public static func bootstrap(level: LogLevel? = nil, format: LogFormat? = nil) {
        logDefaults.withLock {
            if let level { $0.level = level }
            if let format { $0.format = format }
        }
    }

    /// The process-wide default level.
    public static var defaultLevel: LogLevel { logDefaults.withLock { $0.level } }
    /// The process-wide default format.
    public static var defaultFormat: LogFormat { logDefaults.withLock { $0.format } }

    /// The minimum level this logger writes.
    public var level: LogLevel { fixedLevel ?? Logger.defaultLevel }
    /// The format this logger writes.
    public var format: LogFormat { fixedFormat ?? Logger.defaultFormat }

    /// A logger with `metadata` merged over this one's (new keys win).
    public func with(_ metadata: [String: JSON]) -> Logger {
        Logger(label: label, sink: sink, level: fixedLevel, format: fixedFormat,
               metadata: self.metadata.merging(metadata) { _, new in new })
    }

    /// Whether a record at `level` would be written.
    public func isEnabled(_ level: LogLevel) -> Bool { level >= self.level }

    /// Writes a record if `level` is enabled; the message is only built when it is.
    public func log(_ level: LogLevel, _ message: @autoclosure () -> String, _ metadata: [String: JSON] = [:]) {
        guard isEnabled(level) else { return }
        let merged = metadata.isEmpty ? self.metadata : self.metadata.merging(metadata) { _, new in new }
        sink.write(Logger.render(level: level, label: label, message: message(), metadata: merged,
                                 format: format, date: Date()))
    }

    /// Debug-level record.
    public func debug(_ message: @autoclosure () -> String, _ metadata: [String: JSON] = [:]) {
        log(.debug, message(), metadata)
    }
    /// Info-level record.
    public func info(_ message: @autoclosure () -> String, _ metadata: [String: JSON] = [:]) {
        log(.info, message(), metadata)
    }
    /// Warning-level record.
    public func warning(_ message: @autoclosure () -> String, _ metadata: [String: JSON] = [:]) {
        log(.warning, message(), metadata)
    }
    /// Error-level record.
    public func error(_ message: @autoclosure () -> String, _ metadata: [String: JSON] = [:]) {
        log(.error, message(), metadata)
    }

    // MARK: Rendering

    /// One record as a single line (no trailing newline).
    static func render(level: LogLevel, label: String, message: String, metadata: [String: JSON],
                       format: LogFormat, date: Date) -> String
    {
        let ts = Timestamp.iso8601(date)
        let keys = metadata.keys.sorted()
        switch format {
        case .json:
            var out = "{\"ts\":\"\(ts)\",\"level\":\"\(level.rawValue)\",\"logger\":"
            out += JSON.string(label).serialized() + ",\"msg\":" + JSON.string(message).serialized()
            for key in keys {
                let name = reservedKeys.contains(key) ? "_" + key : key
                out += "," + JSON.string(name).serialized() + ":" + redacted(key, metadata[key]!).serialized()
            }
            return out + "}"
        case .text:
            var out = ts + " " + level.textLabel + " " + label + ": " + escapeLineBreaks(message)
            for key in keys {
                out += " " + textValue(.string(key)) + "=" + textValue(redacted(key, metadata[key]!))
            }
            return out
        }
    }

    static func isSecretKey(_ key: String) -> Bool {
        let k = key.lowercased()
        return redactedKeyFragments.contains { k.contains($0) }
    }

    /// Replaces secret-looking keys' values, looking inside nested objects and arrays too.
    static func redacted(_ key: String, _ value: JSON) -> JSON {
        if isSecretKey(key) { return "[REDACTED]" }
        switch value {
        case .object(let o): return .object(o.reduce(into: [:]) { $0[$1.key] = redacted($1.key, $1.value) })
        case .array(let a): return .array(a.map { redacted("", $0) })
        default: return value
        }
    }

    /// Bare when unambiguous, otherwise JSON-quoted, so `key=value` pairs stay parseable.
    private static func textValue(_ v: JSON) -> String {
        guard case .string(let s) = v else { return v.serialized() }
        let bare = !s.isEmpty && s.unicodeScalars.allSatisfy { c in
            c.value > 0x20 && c.value != 0x7F && c != "\"" && c != "=" && c != "\\"
        }
        return bare ? s : v.serialized()
    }

    private static func escapeLineBreaks(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: { $0 == "\n" || $0 == "\r" }) else { return s }
        return s.replacing("\r", with: "\\r").replacing("\n", with: "\\n")
    }
}

/// A destination for log lines. Each line reaches the file descriptor in a single write(2) under a lock,
/// so lines from concurrent threads never interleave.
public final class LogSink: Sendable {
    private enum Target {
        case descriptor(Int32, owned: Bool)
        case memory
    }

    private let target: Target
    /// Serialises writes; for the memory sink it also holds the captured lines.
    private let state = Mutex<[String]>([])

    private init(target: Target) { self.target = target }

    deinit {
        if case .descriptor(let fd, true) = target { close(fd) }
    }

    /// The process's standard error.
    public static let standardError = LogSink(target: .descriptor(2, owned: false))
    /// The process's standard output.
    public static let standardOutput = LogSink(target: .descriptor(1, owned: false))

    /// Appends to the file at `path`, creating it (mode 0644) if needed.
    public static func file(path: String) throws(LoggingError) -> LogSink {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .cannotOpen(path: path, errno: errno) }
        return LogSink(target: .descriptor(fd, owned: true))
    }

    /// Keeps lines in memory (for tests); read them with ``lines``.
    public static func memory() -> LogSink { LogSink(target: .memory) }

    /// Lines captured by a memory sink, oldest first; empty for other sinks.
    public var lines: [String] { state.withLock { $0 } }

    /// Writes one line; a newline is appended.
    public func write(_ line: String) {
        switch target {
        case .memory:
            state.withLock { $0.append(line) }
        case .descriptor(let fd, _):
            var bytes = Array(line.utf8)
            bytes.append(0x0A)
            // Nowhere left to report a failing log write.
            state.withLock { _ in _ = bytes.withUnsafeBytes { writeFully(fd, $0) } }
        }
    }
}

/// ISO-8601 timestamps in UTC with milliseconds (`2026-11-21T10:00:00.000Z`), formatted by hand so it
/// is thread-safe and allocation-light.
public enum Timestamp {
    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    public static func iso8601(_ date: Date) -> String {
        // Round to the nearest millisecond: truncating would turn .123 (stored as .12299…) into .122.
        let totalMillis = Int64((date.timeIntervalSince1970 * 1000).rounded())
        let seconds = totalMillis >= 0 ? totalMillis / 1000 : (totalMillis - 999) / 1000
        let millis = Int(totalMillis - seconds * 1000)
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        var out = [UInt8]()
        out.reserveCapacity(24)
        func digits(_ value: Int, _ width: Int) {
            var v = value, buf = [UInt8](repeating: UInt8(ascii: "0"), count: width)
            for i in stride(from: width - 1, through: 0, by: -1) {
                buf[i] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            }
            out += buf
        }
        digits(Int(parts.tm_year) + 1900, 4)
        out.append(UInt8(ascii: "-")); digits(Int(parts.tm_mon) + 1, 2)
        out.append(UInt8(ascii: "-")); digits(Int(parts.tm_mday), 2)
        out.append(UInt8(ascii: "T")); digits(Int(parts.tm_hour), 2)
        out.append(UInt8(ascii: ":")); digits(Int(parts.tm_min), 2)
        out.append(UInt8(ascii: ":")); digits(Int(parts.tm_sec), 2)
        out.append(UInt8(ascii: ".")); digits(millis, 3)
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`: Kubernetes' `metav1.Time` (whole seconds).
    public static func rfc3339(_ date: Date) -> String {
        let ms = iso8601(Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down)))
        return String(ms.prefix(19)) + "Z"
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; `t`/`z` and a space separator are accepted too.
    public static func parse(_ text: String) -> Date? {
        let b = Array(text.utf8)
        var i = 0
        func number(_ n: Int) -> Int? {
            guard i + n <= b.count else { return nil }
            var v = 0
            for k in 0..<n {
                let c = b[i + k]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            i += n
            return v
        }
        func expect(_ chars: String) -> Bool {
            guard i < b.count, chars.utf8.contains(b[i]) else { return false }
            i += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2),
              expect("Tt "), let hour = number(2), expect(":"), let minute = number(2), expect(":"),
              let second = number(2)
        else { return nil }
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second <= 60 else { return nil }
        var fraction = 0.0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var scale = 0.1
            let start = i
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                fraction += Double(b[i] - 48) * scale
                scale /= 10
                i += 1
            }
            if i == start { return nil }
        }
        var offset = 0
        guard i < b.count else { return nil }
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            guard let oh = number(2), expect(":"), let om = number(2) else { return nil }
            offset = sign * (oh * 3600 + om * 60)
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        var tmv = tm()
        tmv.tm_year = Int32(year - 1900)
        tmv.tm_mon = Int32(month - 1)
        tmv.tm_mday = Int32(day)
        tmv.tm_hour = Int32(hour)
        tmv.tm_min = Int32(minute)
        tmv.tm_sec = Int32(second)
        let epoch = timegm(&tmv)
        return Date(timeIntervalSince1970: Double(epoch - offset) + fraction)
    }
}
