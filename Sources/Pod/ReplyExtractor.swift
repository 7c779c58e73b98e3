import FoundationEssentials
import RuntimeCore

/// Reads the agent's reply off its screen: what follows the user's message, without the CLI's chrome.
///
/// 1. Find the message on the screen after the turn: the last row that, once the CLI's prompt marker and box
///    border are removed, starts with the message's first line (the start of a wrapped message is on one row).
///    The reply is what comes after it (rows that merely continue the message skipped). When the message is
///    not on the screen any more (it scrolled off), the reply is every row the screen before the turn did
///    not have.
/// 2. Drop chrome rows (``ConversationProfile/chromePatterns``: rules, boxes, empty prompts, footers,
///    spinners), unwrap boxed rows (`│ text │`), strip reply markers (`⏺ `), dedent, and trim empty rows at
///    both ends.
///
/// What it cannot see: a reply longer than the screen loses its first rows (the screen model has no
/// scrollback), and a CLI that draws its reply in place of the message (no echo) falls back to step 1's diff.
struct ReplyExtractor: @unchecked Sendable {  // Regex<AnyRegexOutput> is immutable once built
    private let busy: [Regex<AnyRegexOutput>]
    private let chrome: [Regex<AnyRegexOutput>]
    private let markers: [String]

    init(profile: ConversationProfile) throws(SupervisorError) {
        func compile(_ list: [String]) throws(SupervisorError) -> [Regex<AnyRegexOutput>] {
            var out: [Regex<AnyRegexOutput>] = []
            for p in list {
                do { out.append(try Regex(p).ignoresCase()) } catch { throw .invalidPattern(p) }
            }
            return out
        }
        busy = try compile(profile.busyPatterns)
        chrome = try compile(profile.chromePatterns)
        markers = profile.replyMarkers
    }

    /// Whether a row of the screen shows a busy marker.
    func isBusy(_ screen: String) -> Bool {
        screen.split(separator: "\n").contains { row in busy.contains { (try? $0.firstMatch(in: row)) != nil } }
    }

    /// The reply to `message` on screen `after`, given the screen `before` the message was typed.
    func reply(before: String, after: String, message: String) -> String {
        let rows = after.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let messageLines = message.split(whereSeparator: \.isNewline).map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
        var candidates: [String]
        if let first = messageLines.first, let at = rows.lastIndex(where: { Self.content(of: $0).hasPrefix(String(first.prefix(40))) }) {
            var i = at + 1
            // Rows that continue a wrapped or multi-line message are the message, not the reply.
            while i < rows.count, !Self.content(of: rows[i]).isEmpty, message.contains(Self.content(of: rows[i])) { i += 1 }
            candidates = Array(rows[i...])
        } else {
            var seen: [String: Int] = [:]
            for row in before.split(separator: "\n", omittingEmptySubsequences: false) { seen[String(row), default: 0] += 1 }
            candidates = rows.filter { row in
                if let n = seen[row], n > 0 { seen[row] = n - 1; return false }
                return true
            }
        }
        var lines: [String] = []
        for row in candidates {
            guard !isChrome(row) else { continue }
            var text = Self.unboxed(row)
            guard !isChrome(text) else { continue }
            let trimmed = text.drop { $0 == " " }
            if let marker = markers.first(where: { trimmed.hasPrefix($0) }) {
                let rest = trimmed.dropFirst(marker.count)
                if rest.allSatisfy({ $0 == " " }) { continue }  // a marker alone on its row (Codex's "codex")
                // The marker's columns become spaces: the CLI indents continuation rows to the text after it.
                text = String(repeating: " ", count: text.count - trimmed.count + marker.count) + String(rest)
            }
            lines.append(String(text.reversed().drop { $0 == " " }.reversed()))
        }
        return Self.tidy(lines)
    }

    private func isChrome(_ row: String) -> Bool { chrome.contains { (try? $0.firstMatch(in: row)) != nil } }

    /// A row without its box border and prompt marker, trimmed: what a person reads as its content.
    static func content(of row: String) -> String {
        var s = Substring(unboxed(row)).drop { $0 == " " }
        for marker in [">", "›", "❯", "$"] where s.hasPrefix(marker + " ") || s == Substring(marker) {
            s = s.dropFirst(marker.count)
            break
        }
        return s.trimmingWhitespace()
    }

    /// `│ text │` → ` text`: the inside of a boxed row (other rows unchanged).
    static func unboxed(_ row: String) -> String {
        let trimmed = row.trimmingWhitespace()
        for (open, close) in [("│", "│"), ("┃", "┃"), ("|", "|")] where trimmed.hasPrefix(open) {
            var inner = trimmed.dropFirst(open.count)
            if inner.hasSuffix(close) { inner = inner.dropLast(close.count) }
            return String(inner)
        }
        return row
    }

    /// Dedents, collapses runs of empty lines and trims empty lines at both ends.
    static func tidy(_ lines: [String]) -> String {
        let indent = lines.filter { !$0.isEmpty }.map { $0.prefix { $0 == " " }.count }.min() ?? 0
        var out: [String] = []
        for line in lines {
            let l = line.isEmpty ? "" : String(line.dropFirst(indent))
            if l.isEmpty && (out.last?.isEmpty ?? true) { continue }
            out.append(l)
        }
        while out.last?.isEmpty == true { out.removeLast() }
        return out.joined(separator: "\n")
    }
}
