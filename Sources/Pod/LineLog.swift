/// The agent's output as plain text lines (ANSI stripped), bounded in memory.
///
/// Parsed with the same ``VTParser`` as the screen model (its own instance). A line ends at LF; a CR not
/// followed by LF rewinds to the line start so progress bars that redraw with `\r` leave their last state, and
/// erase-in-line truncates like a terminal would. Memory stays bounded however the agent writes: a line longer than
/// ``maxLineLength`` bytes is cut into several lines, and the oldest lines are dropped once more than
/// ``maxLines`` lines or ``maxBytes`` bytes are held, so 10 MB without a newline costs no more than the budget.
///
/// `@unchecked Sendable`: the one pointer it holds (`borrowed`) is always nil outside ``feed(_:)``.
struct LineLog: @unchecked Sendable {
    /// Most lines kept.
    let maxLines: Int
    /// Most bytes (UTF-8) kept across all lines.
    let maxBytes: Int
    /// Longest line, in UTF-8 bytes, before it is cut.
    let maxLineLength: Int

    /// Text of the completed lines, back to back in a byte ring (no allocation per line: a fast agent
    /// completes a million lines a second). It grows with the text until it holds ``maxBytes``, then wraps,
    /// so a quiet agent's log costs only what it printed.
    private var ring: [UInt8] = []
    /// Bytes ever appended to the ring (absolute positions; `position % maxBytes` is the index).
    private var written: UInt64 = 0
    /// Absolute start and length of each held line; entries before `head` are dropped (compacted now and then).
    private var starts: [UInt64] = []
    private var lengths: [Int32] = []
    private var head = 0
    /// Lines ever completed (a sequence number: new lines since a previous count are the last few).
    private(set) var totalLines: UInt64 = 0
    /// The line being written, UTF-8.
    private var current: [UInt8] = []
    /// Cursor position in `current` as a byte offset (always on a character boundary).
    private var cursor = 0
    /// `current` is pure ASCII, so byte offsets are character offsets (the fast path).
    private var ascii = true
    /// A line's text not copied into `current` yet: it points into the chunk being parsed, so most lines go
    /// from the PTY buffer to the ring in one copy. Valid only during ``feed(_:)``, which settles it before
    /// returning.
    private var borrowed: UnsafeRawBufferPointer?
    private var parser = VTParser()
    /// Stripped text of the current chunk, collected for `/events` subscribers when ``collectText`` is on.
    var chunkText: [UInt8] = []
    /// Whether to collect ``chunkText``.
    var collectText = false
    /// Every completed line plus a newline, collected for the log file when ``collectLines`` is on (the ring
    /// may drop lines of a large batch before the file sees them; this buffer does not).
    var completedText: [UInt8] = []
    /// Whether to collect ``completedText``.
    var collectLines = false

    /// Creates an empty log.
    init(maxLines: Int = 10_000, maxBytes: Int = 1 << 20, maxLineLength: Int = 4096) {
        self.maxLines = max(1, maxLines)
        self.maxBytes = max(1, maxBytes)
        self.maxLineLength = min(max(8, maxLineLength), max(8, maxBytes))
        current.reserveCapacity(256)
    }

    /// Number of completed lines held.
    var count: Int { starts.count - head }

    /// The last `n` completed lines (oldest first), plus the unfinished line when it has text.
    func tail(_ n: Int, includePartial: Bool = true) -> [String] {
        let partial = includePartial && !current.isEmpty
        let take = min(max(0, n - (partial ? 1 : 0)), count)
        var out = [String]()
        out.reserveCapacity(take + 1)
        for i in (starts.count - take)..<starts.count { out.append(line(i)) }
        if partial && n > 0 { out.append(currentText) }
        return out
    }

    private func line(_ i: Int) -> String {
        let length = Int(lengths[i])
        guard length > 0 else { return "" }
        let cap = maxBytes
        let from = Int(starts[i] % UInt64(cap))
        if from + length <= cap { return String(decoding: ring[from..<(from + length)], as: UTF8.self) }
        return String(decoding: ring[from...] + ring[..<(from + length - cap)], as: UTF8.self)
    }

    /// Completed lines numbered after `sequence` (at most the ones still held).
    func lines(after sequence: UInt64) -> [String] {
        let newCount = Int(min(totalLines &- sequence, UInt64(count)))
        return tail(newCount, includePartial: false)
    }

    /// The unfinished line.
    var currentText: String { String(decoding: current, as: UTF8.self) }

    /// Interprets a chunk of output (the log keeps its own parser state between chunks).
    mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        var p = parser
        p.feed(bytes, into: &self)
        parser = p
        settle()  // the log may point into `bytes`, which the caller is about to release
    }

    /// Interprets an array chunk.
    mutating func feed(_ bytes: [UInt8]) { bytes.withUnsafeBytes { feed($0) } }

    /// Copies a borrowed line start into owned storage; ``feed(_:)`` calls it before returning.
    private mutating func settle() {
        guard let b = borrowed else { return }
        borrowed = nil
        current.append(contentsOf: b)
    }

    private mutating func commit() {
        if let b = borrowed {
            borrowed = nil
            store(b)
        } else {
            current.withUnsafeBytes { store($0) }
        }
        current.removeAll(keepingCapacity: true)
        cursor = 0
        ascii = true
    }

    private mutating func store(_ line: UnsafeRawBufferPointer) {
        if collectLines {
            completedText.append(contentsOf: line)
            completedText.append(0x0A)
        }
        let cap = maxBytes
        let length = line.count
        if ring.count < cap {
            // Before the first wrap, positions are indices; growing the ring keeps them valid.
            let needed = Int(min(UInt64(cap), written + UInt64(length)))
            if needed > ring.count {
                let size = min(cap, max(needed, 2 * ring.count, 4096))
                ring.reserveCapacity(size)
                ring.append(contentsOf: repeatElement(0, count: size - ring.count))
            }
        }
        let from = Int(written % UInt64(cap))
        let first = min(length, cap - from)
        ring.withUnsafeMutableBytes { dst in
            if first > 0 { UnsafeMutableRawBufferPointer(rebasing: dst[from..<(from + first)]).copyMemory(from: UnsafeRawBufferPointer(rebasing: line[0..<first])) }
            if first < length { UnsafeMutableRawBufferPointer(rebasing: dst[0..<(length - first)]).copyMemory(from: UnsafeRawBufferPointer(rebasing: line[first..<length])) }
        }
        starts.append(written)
        lengths.append(Int32(length))
        written &+= UInt64(length)
        totalLines &+= 1
        // Drop lines over the count budget, and lines the ring has started to overwrite.
        while count > maxLines || (count > 1 && written - starts[head] > UInt64(cap)) { head += 1 }
        if head > 4096 && head * 2 > starts.count {
            starts.removeFirst(head)
            lengths.removeFirst(head)
            head = 0
        }
    }

    /// Byte offset after the character starting at `offset`.
    private func nextBoundary(_ offset: Int) -> Int {
        var i = offset + 1
        while i < current.count && current[i] & 0xC0 == 0x80 { i += 1 }
        return i
    }

    /// Byte offset of the character before `offset`.
    private func previousBoundary(_ offset: Int) -> Int {
        var i = offset - 1
        while i > 0 && current[i] & 0xC0 == 0x80 { i -= 1 }
        return max(i, 0)
    }

    /// Writes one character's bytes at the cursor (appending or overwriting one character).
    private mutating func put(_ bytes: some Collection<UInt8>) {
        if cursor == current.count {
            if current.count + bytes.count > maxLineLength { commit() }
            current.append(contentsOf: bytes)
            cursor = current.count
        } else {
            let end = ascii ? cursor + 1 : nextBoundary(cursor)
            current.replaceSubrange(cursor..<end, with: bytes)
            cursor += bytes.count
        }
    }
}

extension LineLog: VTHandler {
    mutating func printASCII(_ run: UnsafeRawBufferPointer) {
        if collectText { chunkText.append(contentsOf: run) }
        if borrowed == nil && current.isEmpty && cursor == 0 && run.count < maxLineLength {
            borrowed = run
            cursor = run.count
            return
        }
        settle()
        guard cursor == current.count else {
            for b in run { put(CollectionOfOne(b)) }  // overwriting after a CR
            return
        }
        var k = 0
        while k < run.count {
            let m = min(maxLineLength - current.count, run.count - k)
            if m > 0 {
                current.append(contentsOf: UnsafeRawBufferPointer(rebasing: run[k..<(k + m)]))
                cursor = current.count
                k += m
            }
            if current.count >= maxLineLength { commit() }
        }
    }

    mutating func print(_ scalar: UInt32) {
        settle()
        guard let s = Unicode.Scalar(scalar) else { return }
        let utf8 = String(s).utf8
        if collectText { chunkText.append(contentsOf: utf8) }
        if scalar >= 0x80 { ascii = false }
        put(utf8)
    }

    mutating func execute(_ byte: UInt8) {
        switch byte {
        case 0x0A:
            commit()
            if collectText { chunkText.append(0x0A) }
        case 0x0D:
            cursor = 0
        case 0x08:
            settle()
            if cursor > 0 { cursor = ascii ? cursor - 1 : previousBoundary(cursor) }
        case 0x09:
            settle()
            if collectText { chunkText.append(0x09) }
            put(CollectionOfOne(0x09))
        default:
            break
        }
    }

    mutating func csiDispatch(_ params: VTParams, prefix: UInt8, intermediate: UInt8, final: UInt8) {
        guard prefix == 0, intermediate == 0 else { return }
        settle()
        switch final {
        case UInt8(ascii: "K"):
            switch params.raw(0) {
            case 0: if cursor < current.count { current.removeSubrange(cursor...) }
            case 2: current.removeAll(keepingCapacity: true); cursor = 0; ascii = true
            default: break
            }
        case UInt8(ascii: "G"):
            let target = params.at(0, default: 1) - 1
            var offset = 0
            for _ in 0..<target where offset < current.count { offset = ascii ? offset + 1 : nextBoundary(offset) }
            cursor = min(offset, current.count)
        default:
            break
        }
    }

    mutating func escDispatch(intermediate: UInt8, final: UInt8) {}
}

/// ANSI escape sequence stripping for text that is not a stream (tests, patterns, one-off strings).
public enum ANSI {
    /// `text` without CSI/OSC/DCS/ESC sequences and without control characters other than `\n`, `\r`
    /// and `\t`. Uses the same parser as the output path.
    public static func strip(_ text: String) -> String {
        var parser = VTParser()
        var sink = StripSink()
        parser.feed(Array(text.utf8), into: &sink)
        return String(decoding: sink.bytes, as: UTF8.self)
    }

    private struct StripSink: VTHandler {
        var bytes: [UInt8] = []
        mutating func print(_ scalar: UInt32) {
            if scalar < 0x80 {
                bytes.append(UInt8(scalar))
            } else if let s = Unicode.Scalar(scalar) {
                bytes += Array(String(s).utf8)
            }
        }
        mutating func execute(_ byte: UInt8) {
            if byte == 0x0A || byte == 0x0D || byte == 0x09 { bytes.append(byte) }
        }
        mutating func csiDispatch(_ params: VTParams, prefix: UInt8, intermediate: UInt8, final: UInt8) {}
        mutating func escDispatch(intermediate: UInt8, final: UInt8) {}
    }
}
