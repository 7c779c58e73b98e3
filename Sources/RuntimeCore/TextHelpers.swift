import FoundationEssentials
import Glibc

// The few string and stdio helpers that full Foundation has and FoundationEssentials lacks. RuntimeCore and
// the supervisor avoid full Foundation to keep the supervisor small (see Threads.swift).

extension StringProtocol {
    /// The text without leading and trailing whitespace (spaces, tabs, newlines).
    public func trimmingWhitespace() -> String { trimming { $0.isWhitespace } }

    /// The text without leading and trailing characters for which `drop` is true.
    public func trimming(while drop: (Character) -> Bool) -> String {
        guard let first = firstIndex(where: { !drop($0) }), let last = lastIndex(where: { !drop($0) }) else {
            return ""
        }
        return String(self[first...last])
    }

    /// The text padded with spaces on the right to at least `width` characters.
    public func padded(to width: Int) -> String {
        count >= width ? String(self) : String(self) + String(repeating: " ", count: width - count)
    }
}

/// Writes `text` to standard error at once (no stdio buffer), for usage errors before logging is set up.
public func writeStandardError(_ text: String) { writeAll(STDERR_FILENO, text) }

/// Writes `text` to standard output at once (no stdio buffer), for lines another process waits for
/// (e.g. "listening on").
public func writeStandardOutput(_ text: String) { writeAll(STDOUT_FILENO, text) }

private func writeAll(_ fd: Int32, _ text: String) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if n < 0, errno == EINTR { continue }
        guard n > 0 else { return }  // A closed stream: nowhere left to say anything.
        bytes = bytes.dropFirst(n)
    }
}
