import FoundationEssentials
import Glibc
import Synchronization

/// One run of the agent: its process, its pseudo-terminal, and the reader and writer threads.
///
/// The child is the leader of a new session with the PTY slave as controlling terminal, so its process group
/// id equals its pid: signals go to `-pid`, reaching the agent and everything it started in the foreground.
final class AgentProcess: Sendable {
    /// The agent's pid (also its process group and session id).
    let pid: pid_t
    /// When the process was spawned.
    let startedAt: Date
    /// Fulfilled by the reaper with the exit status.
    let exit: OneShot<ExitStatus>
    private let pty: PseudoTerminal
    private let reader: PTYReader
    private let writer: InputWriter
    private let finished = Atomic<Bool>(false)

    private init(pid: pid_t, exit: OneShot<ExitStatus>, pty: PseudoTerminal, reader: PTYReader, writer: InputWriter) {
        self.pid = pid
        self.exit = exit
        self.pty = pty
        self.reader = reader
        self.writer = writer
        startedAt = Date()
    }

    /// Allocates a PTY of `size`, spawns `command` on it through `reaper`, and starts the I/O threads.
    static func start(_ command: AgentCommand, size: WindowSize, hub: OutputHub, reaper: ChildReaper,
                      inputCapacity: Int) throws(SupervisorError) -> AgentProcess {
        let pty = try PseudoTerminal.open(size: size)
        let spawned: (pid: pid_t, exit: OneShot<ExitStatus>)
        do {
            spawned = try reaper.spawn { () throws(SupervisorError) -> pid_t in try command.spawn(on: pty) }
        } catch {
            pty.close()
            throw error
        }
        let writer = InputWriter(fd: pty.masterFD, capacity: inputCapacity)
        let reader = PTYReader(fd: pty.masterFD, hub: hub) { answers in
            writer.enqueue(Data(answers), force: true)
        }
        return AgentProcess(pid: spawned.pid, exit: spawned.exit, pty: pty, reader: reader, writer: writer)
    }

    /// Queues input for the agent; false when the input queue is full or the run is over.
    func write(_ data: Data) -> Bool { writer.enqueue(data) }

    /// Sends `signal` to the agent's process group (falling back to the process itself).
    @discardableResult
    func signal(_ signal: Int32) -> Bool {
        guard exit.current == nil else { return false }
        if kill(-pid, signal) == 0 { return true }
        return kill(pid, signal) == 0
    }

    /// Resizes the terminal (the agent gets SIGWINCH).
    @discardableResult
    func resize(_ size: WindowSize) -> Bool { pty.setWindowSize(size) }

    /// The window size the kernel reports.
    var windowSize: WindowSize? { pty.windowSize() }

    /// Waits for the process to exit, lets the reader drain the remaining output (at most `drain`; a
    /// background grandchild may keep the slave open forever), then stops the threads and closes the PTY,
    /// which hangs up whatever is left in the session.
    func waitForEnd(drain: Duration = .seconds(1)) async -> ExitStatus {
        let status = await exit.value
        _ = await reader.ended.value(timeout: drain)
        reader.stop()
        writer.stop()
        await reader.ended.value
        await writer.ended.value
        if !finished.exchange(true, ordering: .acquiringAndReleasing) {
            pty.close()
            // Whatever remained of the session got SIGHUP from the close; make sure it goes.
            _ = kill(-pid, SIGKILL)
        }
        return status
    }
}
