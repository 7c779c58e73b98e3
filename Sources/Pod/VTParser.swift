/// Receives the actions of ``VTParser``: printable characters, C0 controls and complete escape sequences.
///
/// A generic handler (rather than closures) lets the compiler specialise the parser's byte loop for each
/// consumer, which is what keeps the output path faster than `script(1)`.
protocol VTHandler {
    /// A printable character (already UTF-8 decoded; invalid bytes arrive as U+FFFD).
    mutating func print(_ scalar: UInt32)
    /// A C0 control byte (BS, HT, LF, VT, FF, CR, BEL, ...).
    mutating func execute(_ byte: UInt8)
    /// `CSI [prefix] params [intermediate] final`, e.g. `CSI ? 1049 h` has prefix `?`, final `h`.
    mutating func csiDispatch(_ params: VTParams, prefix: UInt8, intermediate: UInt8, final: UInt8)
    /// `ESC [intermediate] final`, e.g. `ESC 7` or `ESC ( B`.
    mutating func escDispatch(intermediate: UInt8, final: UInt8)
    /// A run of printable ASCII (0x20-0x7E) in the ground state: the same as calling ``print(_:)`` for each
    /// byte, but handlers can copy whole runs (most output is plain text).
    mutating func printASCII(_ run: UnsafeRawBufferPointer)
}

extension VTHandler {
    mutating func printASCII(_ run: UnsafeRawBufferPointer) {
        for b in run { print(UInt32(b)) }
    }
}

/// The numeric parameters of a control sequence; a missing parameter reads as the given default.
struct VTParams: Sendable {
    /// Raw values; -1 means "not given".
    private(set) var values: [Int] = []

    init() { values.reserveCapacity(VTParams.maxCount) }

    /// More parameters than this are ignored (xterm allows 30; sequences this program handles use few).
    static let maxCount = 32

    /// Number of parameters given (an empty sequence has 0).
    var count: Int { values.count }

    /// Parameter `i`, or `defaultValue` when missing or zero-as-default (`CSI 0 A` moves one line like `CSI A`).
    @inline(__always)
    func at(_ i: Int, default defaultValue: Int, zeroIsDefault: Bool = true) -> Int {
        guard i < values.count else { return defaultValue }
        let v = values[i]
        if v < 0 || (zeroIsDefault && v == 0) { return defaultValue }
        return v
    }

    /// Parameter `i` as given (0 when missing).
    @inline(__always)
    func raw(_ i: Int) -> Int { i < values.count ? max(values[i], 0) : 0 }

    mutating func reset() { values.removeAll(keepingCapacity: true) }

    mutating func startNext() {
        if values.count < VTParams.maxCount { values.append(-1) }
    }

    mutating func addDigit(_ d: Int) {
        if values.isEmpty { values.append(-1) }
        let i = values.count - 1
        let v = max(values[i], 0)
        values[i] = v > 99_999 ? v : v * 10 + d  // clamp absurd numbers instead of overflowing
    }

    /// Builds parameters from a list (tests).
    init(_ list: [Int]) { values = list }
}

/// A DEC/xterm escape sequence parser (after Paul Williams' state machine), with UTF-8 decoding in the
/// ground state. OSC, DCS, SOS, PM and APC strings are consumed and ignored (titles, hyperlinks, sixel):
/// nothing of them reaches the screen or the log. State survives across ``feed(_:into:)`` calls, so a
/// sequence or character split between two PTY reads is handled like an unsplit one.
struct VTParser: Sendable {
    private enum State: UInt8 {
        case ground, escape, escapeIntermediate, csiEntry, csiParam, csiIntermediate, csiIgnore
        case oscString, ignoredString, stringEscape
    }

    private var state: State = .ground
    private var params = VTParams()
    private var prefix: UInt8 = 0
    private var intermediate: UInt8 = 0
    private var utf8Scalar: UInt32 = 0
    private var utf8Remaining = 0
    private var utf8Min: UInt32 = 0
    /// The string state to go back to when an ESC inside a string is not followed by `\`.
    private var stringState: State = .oscString

    init() {}

    /// In the ground state with no partial UTF-8 character: the next byte starts something new.
    var isAtGround: Bool { state == .ground && utf8Remaining == 0 }

    /// Parses bytes, calling `handler` for each action.
    mutating func feed<H: VTHandler>(_ bytes: UnsafeRawBufferPointer, into handler: inout H) {
        guard let base = bytes.baseAddress else { return }
        let n = bytes.count
        var i = 0
        while i < n {
            if state == .ground && utf8Remaining == 0 {
                // Plain text comes in runs: hand the whole run over at once. Eight bytes at a time: a word
                // has a byte < 0x20 when (w - 0x20…) & ~w & 0x80… is non-zero, one >= 0x7F when
                // ((w + 0x01…) | w) & 0x80… is (carries only follow a real hit, so "any" stays exact).
                var j = i
                while j + 8 <= n {
                    let w = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: j, as: UInt64.self))
                    let control = (w &- 0x2020_2020_2020_2020) & ~w & 0x8080_8080_8080_8080
                    let high = ((w &+ 0x0101_0101_0101_0101) | w) & 0x8080_8080_8080_8080
                    if control | high != 0 { break }
                    j += 8
                }
                while j < n {
                    let b = base.load(fromByteOffset: j, as: UInt8.self)
                    if b < 0x20 || b >= 0x7F { break }
                    j += 1
                }
                if j > i {
                    handler.printASCII(UnsafeRawBufferPointer(start: base + i, count: j - i))
                    i = j
                    continue
                }
            }
            step(base.load(fromByteOffset: i, as: UInt8.self), &handler)
            i += 1
        }
    }

    /// Parses an array of bytes.
    mutating func feed<H: VTHandler>(_ bytes: [UInt8], into handler: inout H) {
        bytes.withUnsafeBytes { feed($0, into: &handler) }
    }

    private mutating func step<H: VTHandler>(_ b: UInt8, _ h: inout H) {
        // A pending UTF-8 sequence interrupted by anything but a continuation byte is invalid.
        if utf8Remaining > 0 {
            if b & 0xC0 == 0x80 {
                utf8Scalar = (utf8Scalar << 6) | UInt32(b & 0x3F)
                utf8Remaining -= 1
                if utf8Remaining == 0 {
                    let valid = utf8Scalar >= utf8Min && utf8Scalar <= 0x10FFFF && !(0xD800...0xDFFF).contains(utf8Scalar)
                    h.print(valid ? utf8Scalar : 0xFFFD)
                }
                return
            }
            utf8Remaining = 0
            h.print(0xFFFD)
        }
        // Controls that act in every state.
        switch b {
        case 0x18, 0x1A:  // CAN, SUB abort a sequence
            state = .ground
            return
        case 0x1B:
            if state == .oscString || state == .ignoredString {
                stringState = state
                state = .stringEscape
            } else {
                enterEscape()
            }
            return
        default:
            break
        }
        switch state {
        case .ground:
            if b < 0x20 || b == 0x7F {
                if b != 0x7F { h.execute(b) }
            } else if b < 0x80 {
                h.print(UInt32(b))
            } else {
                startUTF8(b, &h)
            }
        case .escape:
            if b < 0x20 { h.execute(b); return }
            switch b {
            case 0x20...0x2F:
                intermediate = b
                state = .escapeIntermediate
            case UInt8(ascii: "["):
                params.reset()
                prefix = 0
                intermediate = 0
                state = .csiEntry
            case UInt8(ascii: "]"):
                state = .oscString
            case UInt8(ascii: "P"), UInt8(ascii: "X"), UInt8(ascii: "^"), UInt8(ascii: "_"):
                state = .ignoredString
            case 0x30...0x7E:
                state = .ground
                h.escDispatch(intermediate: 0, final: b)
            default:
                state = .ground
            }
        case .escapeIntermediate:
            if b < 0x20 { h.execute(b); return }
            if b >= 0x30 && b <= 0x7E {
                state = .ground
                h.escDispatch(intermediate: intermediate, final: b)
            } else if b >= 0x80 {
                state = .ground
            }
        case .csiEntry, .csiParam:
            if b < 0x20 { h.execute(b); return }
            switch b {
            case 0x30...0x39:
                params.addDigit(Int(b - 0x30))
                state = .csiParam
            case UInt8(ascii: ";"), UInt8(ascii: ":"):
                if params.count == 0 { params.startNext() }
                params.startNext()
                state = .csiParam
            case 0x3C...0x3F:  // < = > ? private markers, only valid first
                if state == .csiEntry { prefix = b; state = .csiParam } else { state = .csiIgnore }
            case 0x20...0x2F:
                intermediate = b
                state = .csiIntermediate
            case 0x40...0x7E:
                state = .ground
                h.csiDispatch(params, prefix: prefix, intermediate: 0, final: b)
            default:
                state = .csiIgnore
            }
        case .csiIntermediate:
            if b < 0x20 { h.execute(b); return }
            if b >= 0x40 && b <= 0x7E {
                state = .ground
                h.csiDispatch(params, prefix: prefix, intermediate: intermediate, final: b)
            } else if b < 0x20 || b > 0x7E || (b >= 0x30 && b <= 0x3F) {
                state = .csiIgnore
            }
        case .csiIgnore:
            if b < 0x20 { h.execute(b); return }
            if b >= 0x40 && b <= 0x7E { state = .ground }
        case .oscString, .ignoredString:
            if b == 0x07 { state = .ground }  // BEL ends an OSC (xterm)
        case .stringEscape:
            if b == UInt8(ascii: "\\") {
                state = .ground  // ST
            } else {
                // ESC followed by something else: the string ends and a new escape sequence begins.
                enterEscape()
                step(b, &h)
            }
        }
    }

    private mutating func enterEscape() {
        state = .escape
        intermediate = 0
    }

    private mutating func startUTF8<H: VTHandler>(_ b: UInt8, _ h: inout H) {
        switch b {
        case 0xC2...0xDF: utf8Scalar = UInt32(b & 0x1F); utf8Remaining = 1; utf8Min = 0x80
        case 0xE0...0xEF: utf8Scalar = UInt32(b & 0x0F); utf8Remaining = 2; utf8Min = 0x800
        case 0xF0...0xF4: utf8Scalar = UInt32(b & 0x07); utf8Remaining = 3; utf8Min = 0x10000
        default: h.print(0xFFFD)  // stray continuation byte or invalid lead
        }
    }
}
