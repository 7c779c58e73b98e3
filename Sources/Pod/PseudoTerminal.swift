import CPodSupport
import FoundationEssentials
import Glibc
import Synchronization

/// The master side of a pseudo-terminal pair, plus the path of its slave.
///
/// The master is opened non-blocking and close-on-exec: the reader and writer threads wait with `poll`, so a
/// stop request or a full input buffer never leaves a thread stuck in `read`/`write`, and the agent never
/// inherits it. The supervisor itself never opens the slave; the spawned child does (see
/// ``AgentProcess``), which is what makes EIO on the master mean "every holder of the slave is gone".
final class PseudoTerminal: Sendable {
    /// The master descriptor (read: agent output; write: agent input).
    let masterFD: Int32
    /// `/dev/pts/N`.
    let slavePath: String
    private let closed = Atomic<Bool>(false)

    private init(masterFD: Int32, slavePath: String) {
        self.masterFD = masterFD
        self.slavePath = slavePath
    }

    /// Allocates a new pair with the given window size.
    static func open(size: WindowSize) throws(SupervisorError) -> PseudoTerminal {
        var fd: Int32 = -1
        var name = [CChar](repeating: 0, count: 128)
        var step: UnsafePointer<CChar>?
        let opened = pod_open_pty(&fd, &name, UInt(name.count), &step)
        guard opened == 0 else { throw .ptyUnavailable(step: step.map { String(cString: $0) } ?? "open", errno: opened) }
        let rc = pod_set_nonblocking(fd, 1)
        guard rc == 0 else { Glibc.close(fd); throw .ptyUnavailable(step: "O_NONBLOCK", errno: rc) }
        let pty = PseudoTerminal(masterFD: fd, slavePath: String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        _ = pty.setWindowSize(size)
        return pty
    }

    /// Sets the terminal's window size; the kernel delivers SIGWINCH to the agent's foreground process group.
    @discardableResult
    func setWindowSize(_ size: WindowSize) -> Bool {
        guard !closed.load(ordering: .acquiring) else { return false }
        return pod_set_window_size(masterFD, UInt16(size.rows), UInt16(size.cols)) == 0
    }

    /// The kernel's idea of the window size.
    func windowSize() -> WindowSize? {
        var rows: UInt16 = 0, cols: UInt16 = 0
        guard !closed.load(ordering: .acquiring), pod_get_window_size(masterFD, &rows, &cols) == 0 else { return nil }
        return WindowSize(cols: Int(cols), rows: Int(rows))
    }

    /// Closes the master. Remaining processes on the slave get SIGHUP from the kernel. Idempotent; callers make
    /// sure the reader and writer threads have stopped first, so no thread uses a recycled descriptor.
    func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        Glibc.close(masterFD)
    }
}

/// A terminal size in character cells.
public struct WindowSize: Sendable, Equatable, Codable {
    /// Columns (1...1000).
    public var cols: Int
    /// Rows (1...1000).
    public var rows: Int

    /// Creates a size.
    public init(cols: Int, rows: Int) {
        self.cols = cols
        self.rows = rows
    }

    /// The range the supervisor accepts for either dimension.
    public static let validRange = 1...1000

    /// Whether both dimensions are in ``validRange``.
    public var isValid: Bool { WindowSize.validRange.contains(cols) && WindowSize.validRange.contains(rows) }
}
