/// Turns a stream of byte chunks into text without splitting a UTF-8 character across chunks.
///
/// PTY reads end wherever the kernel's buffer ended, often in the middle of a multi-byte character. The
/// decoder keeps an incomplete trailing sequence (at most 3 bytes) and prepends it to the next chunk; bytes
/// that can never form a character become U+FFFD, like any lenient decoder.
public struct UTF8StreamDecoder: Sendable {
    private var pending: [UInt8] = []

    /// Creates a decoder with nothing pending.
    public init() {}

    /// Bytes held back from the last chunk (an incomplete character).
    public var pendingByteCount: Int { pending.count }

    /// Decodes a chunk; an incomplete character at its end is kept for the next call.
    public mutating func decode(_ chunk: UnsafeRawBufferPointer) -> String {
        var bytes = pending
        bytes.append(contentsOf: chunk)
        let keep = UTF8StreamDecoder.incompleteSuffixLength(bytes)
        pending = Array(bytes.suffix(keep))
        return String(decoding: bytes.dropLast(keep), as: UTF8.self)
    }

    /// Decodes an array chunk.
    public mutating func decode(_ chunk: [UInt8]) -> String {
        chunk.withUnsafeBytes { decode($0) }
    }

    /// Whatever is pending, decoded (with U+FFFD for the incomplete character); the decoder is then empty.
    public mutating func flush() -> String {
        defer { pending = [] }
        return String(decoding: pending, as: UTF8.self)
    }

    /// Length of a trailing sequence that is a valid *start* of a character but not complete yet.
    static func incompleteSuffixLength(_ bytes: [UInt8]) -> Int {
        let n = bytes.count
        // Look back over up to 3 continuation bytes for the lead byte.
        var i = n - 1
        var continuation = 0
        while i >= 0, continuation < 3, bytes[i] & 0xC0 == 0x80 {
            continuation += 1
            i -= 1
        }
        guard i >= 0 else { return 0 }
        let lead = bytes[i]
        let needed: Int
        switch lead {
        case 0xC2...0xDF: needed = 2
        case 0xE0...0xEF: needed = 3
        case 0xF0...0xF4: needed = 4
        default: return 0  // ASCII or invalid lead: nothing to wait for
        }
        let have = n - i
        return have < needed ? have : 0
    }
}
