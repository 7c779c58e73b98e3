/// The cells of one screen buffer (primary or alternate): `rows × cols` characters.
///
/// Rows are addressed through a row map, so scrolling a region moves row indices instead of cells: a
/// program that prints a 100 MB file scrolls the screen a million times, and each scroll costs one
/// short array rotation plus clearing one row.
struct ScreenGrid: Sendable {
    /// Cell value of a blank cell.
    static let blank: UInt32 = 0
    /// Cell value of the right half of a wide character.
    static let wideTail: UInt32 = 0xFFFF_FFFF

    private(set) var cols: Int
    private(set) var rows: Int
    /// `rows * cols` cells, physical row-major.
    private var cells: [UInt32]
    /// Logical row → physical row.
    private var rowMap: [Int]
    /// Per physical row: the line continues on the next row because of an automatic wrap.
    private var wrapped: [Bool]

    init(cols: Int, rows: Int) {
        self.cols = cols
        self.rows = rows
        cells = [UInt32](repeating: ScreenGrid.blank, count: cols * rows)
        rowMap = Array(0..<rows)
        wrapped = [Bool](repeating: false, count: rows)
    }

    @inline(__always)
    func index(_ x: Int, _ y: Int) -> Int { rowMap[y] * cols + x }

    @inline(__always)
    subscript(x: Int, y: Int) -> UInt32 {
        get { cells[index(x, y)] }
        set { cells[index(x, y)] = newValue }
    }

    /// Writes ASCII bytes into row `y` from column `x` (the caller made sure they fit).
    @inline(__always)
    mutating func writeASCII(_ run: UnsafeRawBufferPointer, x: Int, y: Int) {
        let base = rowMap[y] * cols + x
        cells.withUnsafeMutableBufferPointer { p in
            for (t, b) in run.enumerated() { p[base + t] = UInt32(b) }
        }
    }

    /// Whether logical row `y` wraps into the next one.
    func isWrapped(_ y: Int) -> Bool { wrapped[rowMap[y]] }

    mutating func setWrapped(_ y: Int, _ value: Bool) { wrapped[rowMap[y]] = value }

    /// Blanks columns `from..<to` of row `y`.
    mutating func clear(row y: Int, from: Int = 0, to: Int? = nil) {
        let end = min(to ?? cols, cols)
        guard from < end else { return }
        let base = rowMap[y] * cols
        cells.withUnsafeMutableBufferPointer { p in
            for i in (base + from)..<(base + end) { p[i] = ScreenGrid.blank }
        }
        if end == cols { wrapped[rowMap[y]] = false }
    }

    /// Blanks every row in `range`.
    mutating func clear(rows range: Range<Int>) {
        for y in range { clear(row: y) }
    }

    /// Scrolls rows `top...bottom` up by `n`: the top rows disappear, blank rows appear at the bottom.
    mutating func scrollUp(top: Int, bottom: Int, count n: Int) {
        guard top <= bottom else { return }
        let n = min(n, bottom - top + 1)
        for _ in 0..<n {
            let p = rowMap.remove(at: top)
            rowMap.insert(p, at: bottom)
            clear(row: bottom)
        }
    }

    /// Scrolls rows `top...bottom` down by `n`: blank rows appear at the top.
    mutating func scrollDown(top: Int, bottom: Int, count n: Int) {
        guard top <= bottom else { return }
        let n = min(n, bottom - top + 1)
        for _ in 0..<n {
            let p = rowMap.remove(at: bottom)
            rowMap.insert(p, at: top)
            clear(row: top)
        }
    }

    /// Inserts `n` blank cells at column `x` of row `y`, shifting the rest right (cells pushed past the
    /// edge are lost).
    mutating func insertCells(x: Int, y: Int, count n: Int) {
        let base = rowMap[y] * cols
        let n = min(n, cols - x)
        guard n > 0 else { return }
        var i = cols - 1
        while i >= x + n {
            cells[base + i] = cells[base + i - n]
            i -= 1
        }
        for j in x..<(x + n) { cells[base + j] = ScreenGrid.blank }
    }

    /// Deletes `n` cells at column `x` of row `y`, shifting the rest left and blanking the right end.
    mutating func deleteCells(x: Int, y: Int, count n: Int) {
        let base = rowMap[y] * cols
        let n = min(n, cols - x)
        guard n > 0 else { return }
        for i in x..<(cols - n) { cells[base + i] = cells[base + i + n] }
        for i in (cols - n)..<cols { cells[base + i] = ScreenGrid.blank }
    }

    /// Row `y` as text: blanks become spaces, wide-character tails are skipped, trailing spaces trimmed.
    func text(row y: Int) -> String {
        let base = rowMap[y] * cols
        var scalars = String.UnicodeScalarView()
        var lastNonBlank = 0
        var out: [UInt32] = []
        out.reserveCapacity(cols)
        for x in 0..<cols {
            let c = cells[base + x]
            if c == ScreenGrid.wideTail { continue }
            out.append(c == ScreenGrid.blank ? 0x20 : c)
            if c != ScreenGrid.blank && c != 0x20 { lastNonBlank = out.count }
        }
        for c in out.prefix(lastNonBlank) { scalars.append(Unicode.Scalar(c) ?? "\u{FFFD}") }
        return String(scalars)
    }

    /// The grid resized to `newCols × newRows`, keeping the top-left content; when rows shrink, the top
    /// rows are dropped so that row `keepRow` (the cursor's) stays visible. Returns the rows dropped.
    func resized(cols newCols: Int, rows newRows: Int, keepRow: Int) -> (ScreenGrid, Int) {
        var g = ScreenGrid(cols: newCols, rows: newRows)
        let shift = max(0, keepRow - (newRows - 1))
        for y in 0..<newRows {
            let src = y + shift
            guard src < rows else { break }
            for x in 0..<min(cols, newCols) { g[x, y] = self[x, src] }
            // A wide character cut in half at the new right edge would leave a lone head.
            if newCols < cols, g[newCols - 1, y] != ScreenGrid.blank, self[newCols, src] == ScreenGrid.wideTail {
                g[newCols - 1, y] = ScreenGrid.blank
            }
            g.setWrapped(y, newCols == cols && isWrapped(src))
        }
        return (g, shift)
    }
}
