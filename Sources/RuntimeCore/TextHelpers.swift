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
    // A closed stream leaves nowhere to say anything, so a failure is not reported.
    _ = Array(text.utf8).withUnsafeBytes { writeFully(fd, $0) }
}

/// Writes all of `bytes` to `fd`, retrying short writes and EINTR. False if the descriptor failed (disk full,
/// closed pipe); how much was written then is unknown.
@discardableResult
public func writeFully(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
    var offset = 0
    while offset < bytes.count {
        let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
        if n < 0, errno == EINTR { continue }
        guard n > 0 else { return false }
        offset += n
    }
    return true
}
