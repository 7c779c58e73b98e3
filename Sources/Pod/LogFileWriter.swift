import FoundationEssentials
import Glibc
import RuntimeCore

/// Appends the agent's stripped output lines to a file on the workspace volume, rotating by size.
///
/// When the file would pass ``maxBytes`` it is renamed to `PATH.1` (older ones shift to `PATH.2`, ...,
/// up to ``keep`` files) and a new one is started, so the disk used is bounded by `maxBytes × (keep + 1)`.
/// Writes are buffered and flushed once per PTY read, so a fast agent costs one `write(2)` per chunk rather
/// than one per line. Not thread-safe: ``OutputHub`` calls it under its lock.
final class LogFileWriter {
    /// The active file.
    let path: String
    /// Size at which the file rotates.
    let maxBytes: Int
    /// Rotated files kept.
    let keep: Int
    private var fd: Int32 = -1
    private var size = 0
    private var buffer: [UInt8] = []

    /// Opens (creating or appending to) the file.
    init(path: String, maxBytes: Int, keep: Int) throws(SupervisorError) {
        self.path = path
        self.maxBytes = max(1024, maxBytes)
        self.keep = max(0, keep)
        try reopen()
    }

    deinit { if fd >= 0 { close(fd) } }

    private func reopen() throws(SupervisorError) {
        if fd >= 0 { close(fd) }
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .cannotWrite(path: path, errno: errno) }
        var st = stat()
        size = fstat(fd, &st) == 0 ? Int(st.st_size) : 0
    }

    /// Queues complete lines (newline-terminated bytes).
    func append(_ lines: [UInt8]) {
        buffer += lines
    }

    /// Writes the queued lines, rotating first when the file would grow past the limit.
    func flush() {
        guard !buffer.isEmpty else { return }
        if size > 0 && size + buffer.count > maxBytes { rotate() }
        guard fd >= 0 else { buffer.removeAll(keepingCapacity: true); return }
        // Disk full or gone: drop rather than stall the output path.
        _ = buffer.withUnsafeBytes { writeFully(fd, $0) }
        size += buffer.count
        buffer.removeAll(keepingCapacity: true)
    }

    private func rotate() {
        if keep == 0 {
            _ = ftruncate(fd, 0)
            size = 0
            return
        }
        unlink("\(path).\(keep)")
        var i = keep - 1
        while i >= 1 {
            rename("\(path).\(i)", "\(path).\(i + 1)")
            i -= 1
        }
        rename(path, "\(path).1")
        do { try reopen() } catch { fd = -1 }
    }
}
