/// A terminal screen model: an xterm subset good enough to show what a person would see, even for full-screen
/// TUIs that redraw with cursor addressing (Codex, Claude Code, Gemini CLI).
///
/// Supported: printable text with UTF-8 and wide characters (2 cells), autowrap with the pending-wrap flag
/// (DECAWM), CR/LF/BS/HT, cursor movement (CUU CUD CUF CUB CNL CPL CHA HPA HPR VPA VPR CUP HVP), erase
/// (ED EL ECH), insert/delete (ICH DCH IL DL), scrolling (SU SD IND RI NEL, DECSTBM margins, DECOM origin
/// mode), tab stops (HTS TBC CHT CBT), save/restore cursor (DECSC DECRC, SCOSC SCORC, mode 1048), the
/// alternate screen (modes 47, 1047, 1049), REP, RIS, DECALN, insert mode (IRM), and replies to the
/// status queries DSR 5/6 and DA (primary and secondary) when ``answerQueries`` is on. SGR (colours,
/// attributes) and OSC strings are ignored: the model keeps characters only.
public struct ScreenModel: Sendable {
    struct SavedCursor: Sendable {
        var x: Int
        var y: Int
        var pendingWrap: Bool
        var originMode: Bool
        var autowrap: Bool
    }

    /// Columns.
    public private(set) var cols: Int
    /// Rows.
    public private(set) var rows: Int
    /// The buffer shown (primary or alternate).
    private var grid: ScreenGrid
    /// The other buffer.
    private var inactive: ScreenGrid
    /// Whether the alternate screen is shown.
    public private(set) var usingAlternate = false
    /// Cursor column (0-based).
    public private(set) var cursorX = 0
    /// Cursor row (0-based).
    public private(set) var cursorY = 0
    /// The cursor sits past the last column: the next printable character wraps first.
    private(set) var pendingWrap = false
    private var scrollTop = 0
    private var scrollBottom: Int
    private var autowrap = true
    private var originMode = false
    private var insertMode = false
    private var tabStops: [Bool]
    private var saved: [SavedCursor?] = [nil, nil]  // primary, alternate
    private var lastPrinted: UInt32 = 0x20
    private var parser = VTParser()
    /// Bytes the terminal answers to status queries (DSR, DA); the owner writes them to the agent's input.
    var responses: [UInt8] = []
    /// Whether to answer status queries. Off while a real terminal (an attached viewer) answers them.
    var answerQueries = true

    /// Creates a blank screen.
    public init(cols: Int, rows: Int) {
        let c = max(1, cols), r = max(1, rows)
        self.cols = c
        self.rows = r
        grid = ScreenGrid(cols: c, rows: r)
        inactive = ScreenGrid(cols: c, rows: r)
        scrollBottom = r - 1
        tabStops = ScreenModel.defaultTabStops(c)
    }

    private static func defaultTabStops(_ cols: Int) -> [Bool] { (0..<cols).map { $0 % 8 == 0 && $0 > 0 } }

    // MARK: Input

    /// Interprets output bytes (the model keeps its own parser state between calls).
    public mutating func feed(_ bytes: [UInt8]) {
        var p = parser
        p.feed(bytes, into: &self)
        parser = p
    }

    /// Interprets a string's UTF-8.
    public mutating func feed(_ text: String) { feed(Array(text.utf8)) }

    /// Takes the pending answers to status queries.
    mutating func takeResponses() -> [UInt8] {
        defer { responses.removeAll() }
        return responses
    }

    // MARK: Output

    /// The screen as text: rows joined by newlines, trailing spaces trimmed per row.
    public var text: String {
        (0..<rows).map { grid.text(row: $0) }.joined(separator: "\n")
    }

    /// Row `y` as text (trailing spaces trimmed).
    public func row(_ y: Int) -> String { grid.text(row: y) }

    /// The screen as logical lines: rows joined by automatic wraps become one line, so a long URL that
    /// wrapped is whole again (login detection uses this).
    public var logicalText: String {
        var out = ""
        for y in 0..<rows {
            out += grid.text(row: y)
            if !(grid.isWrapped(y) && y < rows - 1) { out += "\n" }
        }
        return out
    }

    // MARK: Resize

    /// Changes the size; content keeps its top-left position and the cursor's row stays visible.
    public mutating func resize(cols newCols: Int, rows newRows: Int) {
        let c = max(1, newCols), r = max(1, newRows)
        guard c != cols || r != rows else { return }
        let (g, shift) = grid.resized(cols: c, rows: r, keepRow: cursorY)
        let otherKeep = saved[usingAlternate ? 0 : 1]?.y ?? 0
        let (o, otherShift) = inactive.resized(cols: c, rows: r, keepRow: otherKeep)
        grid = g
        inactive = o
        cols = c
        rows = r
        cursorY = min(max(cursorY - shift, 0), r - 1)
        cursorX = min(cursorX, c - 1)
        pendingWrap = false
        scrollTop = 0
        scrollBottom = r - 1
        tabStops = ScreenModel.defaultTabStops(c)
        for i in 0..<2 {
            guard var s = saved[i] else { continue }
            let sh = (i == 0) == !usingAlternate ? shift : otherShift
            s.y = min(max(s.y - sh, 0), r - 1)
            s.x = min(s.x, c - 1)
            saved[i] = s
        }
    }

    // MARK: Bulk output

    /// Whether plain lines scroll the whole screen (no margins), the condition for ``skipScrolledOff(lastPrinted:)``.
    var scrollsWholeScreen: Bool { scrollTop == 0 && scrollBottom == rows - 1 }

    /// Stands in for plain text (printables, CR, LF, TAB, BS; no escape sequences) of at least `rows` lines
    /// that ended with CR LF and is followed by at least `rows` more lines: everything it drew scrolls off
    /// before the end, so only its end state matters: a blank screen with the cursor at the bottom-left.
    /// This keeps the screen model's cost per batch at a screenful however much a program prints at once.
    mutating func skipScrolledOff(lastPrinted: UInt32?) {
        grid.clear(rows: 0..<rows)
        cursorX = 0
        cursorY = rows - 1
        pendingWrap = false
        if let lastPrinted { self.lastPrinted = lastPrinted }
    }

    // MARK: Primitives

    private mutating func index() {
        if cursorY == scrollBottom {
            grid.scrollUp(top: scrollTop, bottom: scrollBottom, count: 1)
        } else if cursorY < rows - 1 {
            cursorY += 1
        }
    }

    private mutating func reverseIndex() {
        if cursorY == scrollTop {
            grid.scrollDown(top: scrollTop, bottom: scrollBottom, count: 1)
        } else if cursorY > 0 {
            cursorY -= 1
        }
    }

    /// Before overwriting cell `x`, break up a wide character that the write would cut in half.
    @inline(__always)
    private mutating func splitWide(at x: Int) {
        guard x >= 0, x < cols else { return }
        let c = grid[x, cursorY]
        if c == ScreenGrid.wideTail, x > 0 {
            grid[x - 1, cursorY] = ScreenGrid.blank
        } else if x + 1 < cols, grid[x + 1, cursorY] == ScreenGrid.wideTail {
            grid[x + 1, cursorY] = ScreenGrid.blank
        }
    }

    private mutating func moveTo(x: Int, y: Int) {
        cursorX = min(max(x, 0), cols - 1)
        cursorY = min(max(y, 0), rows - 1)
        pendingWrap = false
    }

    private mutating func saveCursor() {
        saved[usingAlternate ? 1 : 0] = SavedCursor(x: cursorX, y: cursorY, pendingWrap: pendingWrap,
                                                     originMode: originMode, autowrap: autowrap)
    }

    private mutating func restoreCursor() {
        if let s = saved[usingAlternate ? 1 : 0] {
            cursorX = min(s.x, cols - 1)
            cursorY = min(s.y, rows - 1)
            pendingWrap = s.pendingWrap
            originMode = s.originMode
            autowrap = s.autowrap
        } else {
            moveTo(x: 0, y: 0)
            originMode = false
        }
    }

    private mutating func switchToAlternate(clear: Bool) {
        if !usingAlternate {
            swap(&grid, &inactive)
            usingAlternate = true
        }
        if clear { grid.clear(rows: 0..<rows) }
    }

    private mutating func switchToPrimary(clearAlternate: Bool) {
        guard usingAlternate else { return }
        if clearAlternate { grid.clear(rows: 0..<rows) }
        swap(&grid, &inactive)
        usingAlternate = false
    }

    private mutating func fullReset() {
        let c = cols, r = rows
        self = ScreenModel(cols: c, rows: r)
    }

    private mutating func respond(_ text: String) {
        if answerQueries { responses += Array(text.utf8) }
    }

    private mutating func tab(forward n: Int) {
        var x = cursorX
        for _ in 0..<n {
            x += 1
            while x < cols - 1 && !tabStops[x] { x += 1 }
            if x >= cols - 1 { x = cols - 1; break }
        }
        cursorX = x
    }

    private mutating func tab(backward n: Int) {
        var x = cursorX
        for _ in 0..<n {
            x -= 1
            while x > 0 && !tabStops[x] { x -= 1 }
            if x <= 0 { x = 0; break }
        }
        cursorX = x
        pendingWrap = false
    }
}

extension ScreenModel: VTHandler {
    /// A character printed after the last column moves to the next line first (when autowrap is on), marking
    /// the row as wrapped so `/screen` can join it back; with autowrap off it overwrites the last column.
    @inline(__always)
    private mutating func wrapIfPending() {
        guard pendingWrap else { return }
        pendingWrap = false
        if autowrap {
            grid.setWrapped(cursorY, true)
            cursorX = 0
            index()
        }
    }

    mutating func print(_ scalar: UInt32) {
        let width = scalar < 0x300 ? 1 : CharacterWidth.of(scalar)
        if width == 0 { return }
        wrapIfPending()
        if width == 2 && cursorX == cols - 1 {
            // A wide character does not fit in the last column: wrap first (or drop it without autowrap).
            guard autowrap, cols > 1 else { return }
            splitWide(at: cursorX)
            grid[cursorX, cursorY] = ScreenGrid.blank
            grid.setWrapped(cursorY, true)
            cursorX = 0
            index()
        }
        if insertMode { grid.insertCells(x: cursorX, y: cursorY, count: width) }
        splitWide(at: cursorX)
        if width == 2 { splitWide(at: cursorX + 1) }
        grid[cursorX, cursorY] = scalar
        if width == 2 && cursorX + 1 < cols { grid[cursorX + 1, cursorY] = ScreenGrid.wideTail }
        lastPrinted = scalar
        cursorX += width
        if cursorX >= cols {
            cursorX = cols - 1
            pendingWrap = autowrap
        }
    }

    mutating func printASCII(_ run: UnsafeRawBufferPointer) {
        if insertMode {
            for b in run { print(UInt32(b)) }
            return
        }
        var k = 0
        let count = run.count
        while k < count {
            wrapIfPending()
            let m = min(cols - cursorX, count - k)
            splitWide(at: cursorX)
            if cursorX + m < cols && grid[cursorX + m, cursorY] == ScreenGrid.wideTail {
                grid[cursorX + m, cursorY] = ScreenGrid.blank
            }
            grid.writeASCII(UnsafeRawBufferPointer(rebasing: run[k..<(k + m)]), x: cursorX, y: cursorY)
            cursorX += m
            k += m
            if cursorX >= cols {
                cursorX = cols - 1
                if autowrap {
                    pendingWrap = true
                } else if k < count {
                    // Without autowrap the rest overwrites the last column; only the final byte remains.
                    grid[cols - 1, cursorY] = UInt32(run[count - 1])
                    k = count
                }
            }
        }
        lastPrinted = UInt32(run[count - 1])
    }

    mutating func execute(_ byte: UInt8) {
        switch byte {
        case 0x08:  // BS
            pendingWrap = false
            if cursorX > 0 { cursorX -= 1 }
        case 0x09:  // HT
            tab(forward: 1)
        case 0x0A, 0x0B, 0x0C:  // LF VT FF
            pendingWrap = false
            index()
        case 0x0D:  // CR
            cursorX = 0
            pendingWrap = false
        default:
            break  // BEL, SO, SI, NUL...: nothing to draw
        }
    }

    mutating func escDispatch(intermediate: UInt8, final: UInt8) {
        if intermediate == UInt8(ascii: "#") {
            if final == UInt8(ascii: "8") {  // DECALN: fill with E
                for y in 0..<rows { for x in 0..<cols { grid[x, y] = 0x45 } }
                scrollTop = 0
                scrollBottom = rows - 1
                moveTo(x: 0, y: 0)
            }
            return
        }
        guard intermediate == 0 else { return }  // charset designations and the like
        switch final {
        case UInt8(ascii: "7"): saveCursor()
        case UInt8(ascii: "8"): restoreCursor()
        case UInt8(ascii: "D"): pendingWrap = false; index()
        case UInt8(ascii: "M"): pendingWrap = false; reverseIndex()
        case UInt8(ascii: "E"): cursorX = 0; pendingWrap = false; index()
        case UInt8(ascii: "H"): tabStops[cursorX] = true
        case UInt8(ascii: "c"): fullReset()
        default: break
        }
    }

    mutating func csiDispatch(_ p: VTParams, prefix: UInt8, intermediate: UInt8, final: UInt8) {
        if prefix == UInt8(ascii: "?") {
            switch final {
            case UInt8(ascii: "h"): for i in 0..<max(p.count, 1) { setPrivateMode(p.raw(i), true) }
            case UInt8(ascii: "l"): for i in 0..<max(p.count, 1) { setPrivateMode(p.raw(i), false) }
            case UInt8(ascii: "J"), UInt8(ascii: "K"): csiDispatch(p, prefix: 0, intermediate: intermediate, final: final)
            default: break
            }
            return
        }
        if prefix == UInt8(ascii: ">") {
            if final == UInt8(ascii: "c") && p.raw(0) == 0 { respond("\u{1B}[>1;10;0c") }
            return
        }
        guard prefix == 0 else { return }
        if intermediate != 0 {
            if intermediate == UInt8(ascii: "!") && final == UInt8(ascii: "p") { softReset() }
            return  // DECSCUSR (cursor style) and other intermediates: nothing to model
        }
        let n = p.at(0, default: 1)
        switch final {
        case UInt8(ascii: "A"):  // CUU
            let top = cursorY >= scrollTop ? scrollTop : 0
            moveTo(x: cursorX, y: max(cursorY - n, top))
        case UInt8(ascii: "B"), UInt8(ascii: "e"):  // CUD, VPR
            let bottom = cursorY <= scrollBottom ? scrollBottom : rows - 1
            moveTo(x: cursorX, y: min(cursorY + n, bottom))
        case UInt8(ascii: "C"), UInt8(ascii: "a"):  // CUF, HPR
            moveTo(x: cursorX + n, y: cursorY)
        case UInt8(ascii: "D"):  // CUB
            moveTo(x: cursorX - n, y: cursorY)
        case UInt8(ascii: "E"):  // CNL
            let bottom = cursorY <= scrollBottom ? scrollBottom : rows - 1
            moveTo(x: 0, y: min(cursorY + n, bottom))
        case UInt8(ascii: "F"):  // CPL
            let top = cursorY >= scrollTop ? scrollTop : 0
            moveTo(x: 0, y: max(cursorY - n, top))
        case UInt8(ascii: "G"), UInt8(ascii: "`"):  // CHA, HPA
            moveTo(x: n - 1, y: cursorY)
        case UInt8(ascii: "d"):  // VPA
            moveTo(x: cursorX, y: originMode ? min(scrollTop + n - 1, scrollBottom) : n - 1)
        case UInt8(ascii: "H"), UInt8(ascii: "f"):  // CUP, HVP
            let row = p.at(0, default: 1), col = p.at(1, default: 1)
            if originMode {
                moveTo(x: col - 1, y: min(scrollTop + row - 1, scrollBottom))
            } else {
                moveTo(x: col - 1, y: row - 1)
            }
        case UInt8(ascii: "J"): eraseDisplay(p.raw(0))
        case UInt8(ascii: "K"): eraseLine(p.raw(0))
        case UInt8(ascii: "X"):  // ECH
            splitWide(at: cursorX)
            splitWide(at: min(cursorX + n, cols) - 1)
            grid.clear(row: cursorY, from: cursorX, to: min(cursorX + n, cols))
            pendingWrap = false
        case UInt8(ascii: "P"):  // DCH
            splitWide(at: cursorX)
            grid.deleteCells(x: cursorX, y: cursorY, count: n)
            pendingWrap = false
        case UInt8(ascii: "@"):  // ICH
            splitWide(at: cursorX)
            grid.insertCells(x: cursorX, y: cursorY, count: n)
            pendingWrap = false
        case UInt8(ascii: "L"):  // IL
            if cursorY >= scrollTop && cursorY <= scrollBottom {
                grid.scrollDown(top: cursorY, bottom: scrollBottom, count: n)
                moveTo(x: 0, y: cursorY)
            }
        case UInt8(ascii: "M"):  // DL
            if cursorY >= scrollTop && cursorY <= scrollBottom {
                grid.scrollUp(top: cursorY, bottom: scrollBottom, count: n)
                moveTo(x: 0, y: cursorY)
            }
        case UInt8(ascii: "S"):  // SU
            grid.scrollUp(top: scrollTop, bottom: scrollBottom, count: n)
        case UInt8(ascii: "T"):  // SD (the 5-parameter form is mouse tracking)
            if p.count <= 1 { grid.scrollDown(top: scrollTop, bottom: scrollBottom, count: n) }
        case UInt8(ascii: "r"):  // DECSTBM
            let top = p.at(0, default: 1), bottom = min(p.at(1, default: rows), rows)
            if top < bottom {
                scrollTop = top - 1
                scrollBottom = bottom - 1
                moveTo(x: 0, y: originMode ? scrollTop : 0)
            }
        case UInt8(ascii: "s"): if p.count == 0 { saveCursor() }  // SCOSC (with params it is DECSLRM)
        case UInt8(ascii: "u"): restoreCursor()  // SCORC
        case UInt8(ascii: "I"): tab(forward: n)  // CHT
        case UInt8(ascii: "Z"): tab(backward: n)  // CBT
        case UInt8(ascii: "g"):  // TBC
            switch p.raw(0) {
            case 0: tabStops[cursorX] = false
            case 3: tabStops = [Bool](repeating: false, count: cols)
            default: break
            }
        case UInt8(ascii: "b"):  // REP
            for _ in 0..<min(n, cols * rows) { print(lastPrinted) }
        case UInt8(ascii: "h"), UInt8(ascii: "l"):  // SM/RM: only IRM matters
            for i in 0..<p.count where p.raw(i) == 4 { insertMode = final == UInt8(ascii: "h") }
        case UInt8(ascii: "n"):  // DSR
            switch p.raw(0) {
            case 5: respond("\u{1B}[0n")
            case 6:
                let row = originMode ? cursorY - scrollTop + 1 : cursorY + 1
                respond("\u{1B}[\(row);\(cursorX + 1)R")
            default: break
            }
        case UInt8(ascii: "c"):  // DA
            if p.raw(0) == 0 { respond("\u{1B}[?1;2c") }
        default:
            break  // SGR (m), window ops (t), and the rest: no effect on characters
        }
    }

    private mutating func setPrivateMode(_ mode: Int, _ on: Bool) {
        switch mode {
        case 6:
            originMode = on
            moveTo(x: 0, y: on ? scrollTop : 0)
        case 7:
            autowrap = on
            if !on { pendingWrap = false }
        case 47:
            if on { switchToAlternate(clear: false) } else { switchToPrimary(clearAlternate: false) }
        case 1047:
            if on { switchToAlternate(clear: false) } else { switchToPrimary(clearAlternate: true) }
        case 1048:
            if on { saveCursor() } else { restoreCursor() }
        case 1049:
            if on {
                saveCursor()
                switchToAlternate(clear: true)
            } else {
                switchToPrimary(clearAlternate: false)
                restoreCursor()
            }
        default:
            break  // cursor keys, cursor visibility, mouse, bracketed paste...: input-side or cosmetic
        }
    }

    private mutating func eraseDisplay(_ mode: Int) {
        switch mode {
        case 0:
            splitWide(at: cursorX)
            grid.clear(row: cursorY, from: cursorX)
            if cursorY + 1 < rows { grid.clear(rows: (cursorY + 1)..<rows) }
        case 1:
            splitWide(at: cursorX)
            grid.clear(rows: 0..<cursorY)
            grid.clear(row: cursorY, from: 0, to: cursorX + 1)
        case 2, 3:
            grid.clear(rows: 0..<rows)
        default:
            break
        }
    }

    private mutating func eraseLine(_ mode: Int) {
        splitWide(at: cursorX)
        switch mode {
        case 0: grid.clear(row: cursorY, from: cursorX)
        case 1: grid.clear(row: cursorY, from: 0, to: cursorX + 1)
        case 2: grid.clear(row: cursorY)
        default: break
        }
    }

    private mutating func softReset() {
        scrollTop = 0
        scrollBottom = rows - 1
        originMode = false
        autowrap = true
        insertMode = false
        pendingWrap = false
        saved = [nil, nil]
    }
}
