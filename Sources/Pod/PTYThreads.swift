import FoundationEssentials
import Glibc
import RuntimeCore
import Synchronization

/// Reads the PTY master on a dedicated thread and hands the output to the ``OutputHub`` on a second one.
///
/// The master is non-blocking; the reader sleeps in `poll` (100 ms at most, so a stop request is seen
/// promptly) and appends what it reads to a shared batch; the output thread takes whole batches and runs
/// them through the hub (parse, screen, logs, viewers). Reading and interpreting thus overlap on two cores,
/// and a burst arrives at the hub as a few large batches rather than many 4 KiB reads. The batch is bounded
/// (``maxPending``): when the hub falls behind, the reader waits, and the kernel's PTY buffer pushes back on
/// the agent exactly as a slow terminal would. EIO on the master means every process holding the slave is
/// gone: the end of the agent's output (Linux returns the remaining buffered output before it).
final class PTYReader: Sendable {
    /// Fulfilled when all output up to EIO/EOF (or ``stop()``) has been through the hub; after that neither
    /// thread touches the descriptor.
    let ended = OneShot<Void>()
    private let stopping = StopFlag()
    private let pending = PendingOutput()

    /// Largest batch waiting for the output thread.
    static let maxPending = 1 << 20

    /// Starts both threads. `responder` receives the terminal's answers to status queries.
    init(fd: Int32, hub: OutputHub, responder: @escaping @Sendable ([UInt8]) -> Void) {
        let reader: @Sendable () -> Void = { [pending, stopping] in
            var buffer = [UInt8](repeating: 0, count: 64 * 1024)
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            loop: while !stopping.isSet {
                pfd.revents = 0
                let r = poll(&pfd, 1, 100)
                if r < 0 && errno != EINTR { break }
                if r <= 0 { continue }
                while !stopping.isSet {
                    let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                    if n > 0 {
                        buffer.withUnsafeBytes { pending.append(UnsafeRawBufferPointer(rebasing: $0[0..<n]), stop: stopping) }
                        continue
                    }
                    if n == 0 { break loop }
                    if errno == EAGAIN || errno == EINTR { break }
                    break loop  // EIO: the slave side is closed
                }
            }
            pending.finish()
        }
        let output: @Sendable () -> Void = { [pending, ended] in
            var batch: [UInt8] = []
            while pending.take(into: &batch) {
                let answers = batch.withUnsafeBytes { hub.consume($0) }
                if !answers.isEmpty { responder(answers) }
            }
            ended.fulfill(())
        }
        startThread("pty-output", output)
        startThread("pty-reader", reader)
    }

    /// Asks the threads to stop at their next wake-up (unprocessed output is dropped).
    func stop() {
        stopping.set()
        pending.finish()
    }
}

/// The batch handed from the PTY reader thread to the output thread.
private final class PendingOutput: @unchecked Sendable {
    private let condition = ThreadCondition()
    private var bytes: [UInt8] = []
    private var finished = false
    /// The output thread is giving a small batch time to grow: wake it only for a full batch.
    private var coalescing = false
    /// Batch size worth waking the output thread for at once.
    private static let fullBatch = 64 * 1024

    /// Appends a read; waits while the batch is full (unless stopping).
    func append(_ chunk: UnsafeRawBufferPointer, stop: StopFlag) {
        condition.lock()
        while bytes.count >= PTYReader.maxPending && !finished && !stop.isSet {
            _ = condition.wait(until: Date().addingTimeInterval(0.1))
        }
        bytes.append(contentsOf: chunk)
        if !coalescing || bytes.count >= PendingOutput.fullBatch { condition.broadcast() }
        condition.unlock()
    }

    /// No more input will come.
    func finish() {
        condition.lock()
        finished = true
        coalescing = false
        condition.broadcast()
        condition.unlock()
    }

    /// Swaps the batch into `batch` (waiting for one); false once finished and drained. A small batch is given
    /// up to a millisecond to grow, so a fast producer wakes the output thread once per batch rather than once
    /// per 4 KiB read (invisible to a person, it halves the context switches of a bulk transfer).
    func take(into batch: inout [UInt8]) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while bytes.isEmpty {
            if finished { return false }
            condition.wait()
        }
        if bytes.count < PendingOutput.fullBatch && !finished {
            coalescing = true
            _ = condition.wait(until: Date().addingTimeInterval(0.001))
            coalescing = false
        }
        batch.removeAll(keepingCapacity: true)
        swap(&batch, &bytes)
        condition.broadcast()
        return true
    }
}

/// A shareable stop flag (an `Atomic` cannot be captured by a thread's closure).
final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    /// Whether ``set()`` was called.
    var isSet: Bool { flag.load(ordering: .relaxed) }
    /// Raises the flag.
    func set() { flag.store(true, ordering: .relaxed) }
}

/// Writes input to the PTY master on a dedicated thread from a bounded queue.
///
/// HTTP and WebSocket handlers only enqueue, so an agent that does not read its input (the kernel's input
/// buffer is a few KiB) can never stall them or the output path; once ``capacity`` bytes are queued, further
/// input is refused until the agent catches up.
final class InputWriter: Sendable {
    private struct State {
        var queue: [Data] = []
        var bytes = 0
        var stopped = false
    }

    /// Most bytes queued.
    let capacity: Int
    private let state = Mutex(State())
    private let condition = ThreadCondition()
    /// Fulfilled when the writer thread has ended.
    let ended = OneShot<Void>()

    /// Starts the thread writing to `fd`.
    init(fd: Int32, capacity: Int) {
        self.capacity = capacity
        startThread("pty-writer") { [self] in run(fd: fd) }
    }

    /// Queues bytes; false when the queue is full (or the writer stopped). `force` skips the capacity check
    /// (terminal answers are tiny and must not be lost).
    @discardableResult
    func enqueue(_ data: Data, force: Bool = false) -> Bool {
        guard !data.isEmpty else { return true }
        let ok = state.withLock { s -> Bool in
            guard !s.stopped, force || s.bytes + data.count <= capacity else { return false }
            s.queue.append(data)
            s.bytes += data.count
            return true
        }
        if ok { signal() }
        return ok
    }

    /// Bytes waiting to be written.
    var queuedBytes: Int { state.withLock { $0.bytes } }

    /// Stops the thread; queued input is dropped.
    func stop() {
        state.withLock { $0.stopped = true; $0.queue = []; $0.bytes = 0 }
        signal()
    }

    private func signal() {
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }

    private func run(fd: Int32) {
        defer { ended.fulfill(()) }
        while true {
            condition.lock()
            var next: Data?
            while true {
                let (item, stopped) = state.withLock { s -> (Data?, Bool) in
                    if s.stopped { return (nil, true) }
                    return (s.queue.first, false)
                }
                if stopped { condition.unlock(); return }
                if let item { next = item; break }
                _ = condition.wait(until: Date().addingTimeInterval(1))
            }
            condition.unlock()
            guard let data = next else { continue }
            if !write(data, to: fd) { return }
            state.withLock { s in
                if !s.queue.isEmpty { s.queue.removeFirst(); s.bytes -= data.count }
            }
        }
    }

    /// Writes all of `data`, waiting in `poll` while the kernel buffer is full. False when the PTY is gone or
    /// the writer was stopped.
    private func write(_ data: Data, to fd: Int32) -> Bool {
        data.withUnsafeBytes { raw -> Bool in
            var offset = 0
            var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            while offset < raw.count {
                if state.withLock({ $0.stopped }) { return false }
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n > 0 { offset += n; continue }
                if n < 0 && (errno == EAGAIN || errno == EINTR) {
                    pfd.revents = 0
                    _ = poll(&pfd, 1, 100)
                    continue
                }
                return false  // EIO: the agent's side is closed
            }
            return true
        }
    }
}
