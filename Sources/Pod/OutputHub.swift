import FoundationEssentials
import Glibc
import Synchronization

/// Limits and options of the output path.
public struct OutputConfiguration: Sendable {
    /// Raw scrollback kept for attach replay and `/logs?raw=1`.
    public var scrollbackBytes = 1 << 20
    /// Stripped lines kept for `/logs`.
    public var logLines = 10_000
    /// Bytes across the stripped lines kept.
    public var logBytes = 1 << 20
    /// Longest stripped line before it is cut.
    public var maxLineLength = 4096
    /// Queue limit per attached viewer or `/events` stream before it is dropped.
    public var subscriberBufferBytes = 8 << 20
    /// Optional log file of stripped lines.
    public var logFile: String?
    /// Size at which the log file rotates.
    public var logFileMaxBytes = 10 << 20
    /// Rotated log files kept.
    public var logFileKeep = 3
    /// Creates the defaults.
    public init() {}
}

/// Everything the agent's output feeds: raw scrollback ring, screen model, stripped line log, optional log
/// file, counters and subscribers. One lock guards it all; the PTY output thread calls ``consume(_:)``
/// (the screen and the line log each keep their own parser state), HTTP threads read snapshots.
public final class OutputHub: Sendable {
    struct State {
        var ring: ByteRing
        var screenParser = VTParser()
        var screen: ScreenModel
        var log: LineLog
        var logFile: LogFileWriter?
        var bytesOut: UInt64 = 0
        var bytesIn: UInt64 = 0
        var lastActivity = Date()
        var version: UInt64 = 0
        var shortcuts = 0
        var viewers: [OutputSubscription] = []
        var streams: [OutputSubscription] = []
    }

    /// The limits in force.
    public let configuration: OutputConfiguration
    private let state: Mutex<State>

    /// Creates the hub; opens the log file when one is configured.
    public init(configuration: OutputConfiguration, size: WindowSize) throws(SupervisorError) {
        self.configuration = configuration
        var logFile: LogFileWriter?
        if let path = configuration.logFile {
            logFile = try LogFileWriter(path: path, maxBytes: configuration.logFileMaxBytes, keep: configuration.logFileKeep)
        }
        let log = LineLog(maxLines: configuration.logLines, maxBytes: configuration.logBytes,
                          maxLineLength: configuration.maxLineLength)
        state = Mutex(State(ring: ByteRing(capacity: max(1, configuration.scrollbackBytes)),
                            screen: ScreenModel(cols: size.cols, rows: size.rows), log: log, logFile: logFile))
    }

    // MARK: Producer side (PTY reader thread)

    /// Takes one chunk of agent output. Returns the terminal's answers to status queries in it (DSR, DA),
    /// which the caller writes back to the agent.
    @discardableResult
    public func consume(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        state.withLock { s in
            s.bytesOut &+= UInt64(bytes.count)
            s.lastActivity = Date()
            s.version &+= 1
            s.ring.append(bytes)
            s.log.collectText = !s.streams.isEmpty
            s.log.collectLines = s.logFile != nil
            s.log.feed(bytes)
            if OutputHub.feedScreen(bytes, screen: &s.screen, parser: &s.screenParser) { s.shortcuts += 1 }
            if let file = s.logFile, !s.log.completedText.isEmpty {
                file.append(s.log.completedText)
                s.log.completedText.removeAll(keepingCapacity: true)
                file.flush()
            }
            if !s.viewers.isEmpty {
                let data = Data(bytes: bytes.baseAddress!, count: bytes.count)
                for v in s.viewers { v.push(.output(data)) }
            }
            if !s.streams.isEmpty, !s.log.chunkText.isEmpty {
                let data = Data(s.log.chunkText)
                s.log.chunkText.removeAll(keepingCapacity: true)
                for v in s.streams { v.push(.output(data)) }
            }
            return s.screen.takeResponses()
        }
    }

    /// Feeds the screen model, skipping the part of a bulk chunk that would scroll off anyway: when the chunk
    /// has more than a screenful of plain lines, everything before the last `rows + 1` line feeds is replaced
    /// by its end state (see ``ScreenModel/skipScrolledOff(lastPrinted:)``). Only plain text qualifies: the
    /// skipped part must hold no ESC, must end with CR LF, and no scroll margins may be set.
    @discardableResult
    static func feedScreen(_ bytes: UnsafeRawBufferPointer, screen: inout ScreenModel, parser: inout VTParser) -> Bool {
        var start = 0
        let rows = screen.rows
        if bytes.count > rows * 2, parser.isAtGround, screen.scrollsWholeScreen {
            var feeds = 0
            var cut = -1
            var i = bytes.count - 1
            while i >= 0 {
                if bytes[i] == 0x0A {
                    feeds += 1
                    if feeds == rows + 1 { cut = i + 1; break }
                }
                i -= 1
            }
            if cut >= 2, bytes[cut - 2] == 0x0D, feeds >= rows + 1,
               memchr(bytes.baseAddress!, 0x1B, cut) == nil, Self.countLineFeeds(bytes, upTo: cut, limit: rows) >= rows {
                var last: UInt32?
                var k = cut - 1
                while k >= 0 { let b = bytes[k]; if b >= 0x20 && b < 0x7F { last = UInt32(b); break }; k -= 1 }
                screen.skipScrolledOff(lastPrinted: last)
                start = cut
            }
        }
        parser.feed(UnsafeRawBufferPointer(rebasing: bytes[start...]), into: &screen)
        return start > 0
    }

    /// Line feeds in the first `count` bytes, stopping once `limit`-many are found (cheap in the common case).
    private static func countLineFeeds(_ bytes: UnsafeRawBufferPointer, upTo count: Int, limit: Int = .max) -> Int {
        var n = 0
        var p = bytes.baseAddress!
        var remaining = count
        while remaining > 0, n < limit, let hit = memchr(p, 0x0A, remaining) {
            n += 1
            let advance = p.distance(to: UnsafeRawPointer(hit)) + 1
            p += advance
            remaining -= advance
        }
        return n
    }

    /// Convenience for tests and fixtures.
    @discardableResult
    public func consume(_ bytes: [UInt8]) -> [UInt8] { bytes.withUnsafeBytes { consume($0) } }

    /// Counts input sent to the agent (it moves the activity clock too).
    public func recordInput(_ count: Int) {
        state.withLock { s in
            s.bytesIn &+= UInt64(count)
            s.lastActivity = Date()
        }
    }

    // MARK: Readers

    /// The screen as text (rows joined by newlines, trailing spaces trimmed).
    public var screenText: String { state.withLock { $0.screen.text } }

    /// Screen text with wrapped rows joined, and a change counter to skip unchanged screens.
    func screenForDetection() -> (text: String, version: UInt64) {
        state.withLock { ($0.screen.logicalText, $0.version) }
    }

    /// A copy of the screen model.
    public var screen: ScreenModel { state.withLock { $0.screen } }

    /// The last `n` stripped lines (the unfinished line included).
    public func tail(_ n: Int) -> [String] { state.withLock { $0.log.tail(n) } }

    /// The last `n` raw lines from the scrollback ring (escape sequences kept, CR removed at line ends).
    public func rawTail(_ n: Int) -> [String] {
        let bytes = state.withLock { $0.ring.snapshotAtCharacterBoundary() }
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }
        return lines.suffix(n).map { line in
            String(decoding: line.last == 0x0D ? line.dropLast() : line, as: UTF8.self)
        }
    }

    /// Lines completed so far (a sequence number for ``lines(after:limit:)``).
    var lineSequence: UInt64 { state.withLock { $0.log.totalLines } }

    /// Stripped lines completed after `sequence` (at most the last `limit`), and the current sequence number.
    func lines(after sequence: UInt64, limit: Int = .max) -> (lines: [String], sequence: UInt64) {
        state.withLock { s in
            let newer = s.log.totalLines &- sequence
            let from = newer > UInt64(limit) ? s.log.totalLines &- UInt64(limit) : sequence
            return (s.log.lines(after: from), s.log.totalLines)
        }
    }

    /// How often the bulk-output shortcut of the screen model was taken (tests).
    var screenShortcuts: Int { state.withLock { $0.shortcuts } }

    /// Bytes read from the agent.
    public var bytesOut: UInt64 { state.withLock { $0.bytesOut } }
    /// Bytes written to the agent.
    public var bytesIn: UInt64 { state.withLock { $0.bytesIn } }
    /// When output or input last happened.
    public var lastActivity: Date { state.withLock { $0.lastActivity } }
    /// Output chunks consumed so far (changes whenever the screen may have changed).
    public var version: UInt64 { state.withLock { $0.version } }

    /// Resizes the screen model (the PTY is resized by the caller).
    public func resize(_ size: WindowSize) {
        state.withLock { $0.screen.resize(cols: size.cols, rows: size.rows) }
    }

    // MARK: Subscribers

    /// Registers a raw-output viewer; the scrollback is its first item, taken atomically with the registration
    /// so no byte is missed or repeated.
    public func attachViewer() -> OutputSubscription {
        let sub = OutputSubscription(kind: .raw, capacity: configuration.subscriberBufferBytes)
        state.withLock { s in
            let replay = s.ring.snapshotAtCharacterBoundary()
            if !replay.isEmpty { sub.push(.output(Data(replay))) }
            s.viewers.append(sub)
            // A viewer's terminal answers status queries itself; two answers would confuse the agent.
            s.screen.answerQueries = false
        }
        return sub
    }

    /// Registers an `/events` stream (stripped text and state changes).
    public func attachStream() -> OutputSubscription {
        let sub = OutputSubscription(kind: .text, capacity: configuration.subscriberBufferBytes)
        state.withLock { $0.streams.append(sub) }
        return sub
    }

    /// Removes a subscription.
    public func detach(_ sub: OutputSubscription) {
        sub.close()
        state.withLock { s in
            s.viewers.removeAll { $0 === sub }
            s.streams.removeAll { $0 === sub }
            s.screen.answerQueries = s.viewers.isEmpty
        }
    }

    /// Number of attached viewers.
    public var viewerCount: Int { state.withLock { $0.viewers.count } }

    /// Sends a state change to every `/events` stream.
    func broadcastState(_ json: String) {
        let streams = state.withLock { $0.streams }
        for s in streams { s.push(.state(json)) }
    }

    /// Sends a named event (JSON data) to every `/events` stream.
    func broadcastEvent(_ name: String, _ json: String) {
        let streams = state.withLock { $0.streams }
        for s in streams { s.push(.event(name, json)) }
    }
}
