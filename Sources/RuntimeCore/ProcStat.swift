import FoundationEssentials
import Glibc

/// One process's line of `/proc/<pid>/stat`: the few fields the runtime reads (liveness, parentage,
/// identity across pid reuse). Read without Foundation, so the supervisor can use it.
public struct ProcStat: Sendable, Equatable {
    /// Field 3: `R`, `S`, `D`, `Z` (zombie), `X` (dead), ...
    public var state: Character
    /// Field 4: the parent's pid.
    public var parent: pid_t
    /// Field 22: the start time in clock ticks after boot (tells a recycled pid from the process seen before).
    public var startTicks: UInt64

    /// True for a zombie or a dead process: it runs no more, whoever reaps it.
    public var isGone: Bool { state == "Z" || state == "X" }

    /// Reads `/proc/<pid>/stat`; nil when there is no such process (or the line cannot be parsed).
    public static func read(_ pid: pid_t) -> ProcStat? {
        guard pid > 0, let text = readProcFile("/proc/\(pid)/stat") else { return nil }
        return parse(text)
    }

    /// Parses a stat line. The command name (field 2) may hold spaces and parentheses, so the fields
    /// after it are counted from the last `)`.
    static func parse(_ text: String) -> ProcStat? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let state = fields[0].first, let parent = pid_t(fields[1]), let ticks = UInt64(fields[19])
        else { return nil }
        return ProcStat(state: state, parent: parent, startTicks: ticks)
    }

    /// Every process id on the system.
    public static func allProcesses() -> [pid_t] {
        guard let dir = opendir("/proc") else { return [] }
        defer { closedir(dir) }
        var out: [pid_t] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if let pid = pid_t(name) { out.append(pid) }
        }
        return out
    }

    /// Reads a `/proc` file whole. They report size 0, so it reads until EOF rather than trusting stat.
    public static func readProcFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var data = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            data += chunk[0..<n]
        }
        return String(decoding: data, as: UTF8.self).trimmingWhitespace()
    }
}
