import Foundation
import RuntimeCore
import Synchronization

/// `agentctl attach AGENT_ID`: an interactive terminal on the agent through the runtime API's WebSocket
/// relay (ttyd framing: `'0'`+input and `'1'`+`{"columns","rows"}` out, `'0'`+output in).
///
/// On a terminal: raw mode (every key goes to the agent, Ctrl-C included), the window size sent on
/// connect and on every SIGWINCH, and **Ctrl-]** detaches (the agent keeps running). Without a terminal
/// (a pipe), stdin is sent as it comes and its end detaches. Exit codes: 0 detached, 1 the connection
/// was closed by the runtime or failed, 3 unknown agent, 4 agent not reachable yet, 6 bad token.
enum AttachCommand: AgentctlCommand {
    static let name = "attach"
    static let summary = "interactive terminal on an agent (Ctrl-] detaches)"
    /// Ctrl-] (telnet's escape), the detach key.
    static let detachKey: UInt8 = 0x1D

    static func run(_ arguments: [String]) async -> Int32 {
        let parsed = parseRuntimeFlags(name, usage: "AGENT_ID", summary: """
            Attaches this terminal to the agent's terminal. Ctrl-] detaches; the agent keeps running.
            Other viewers (browsers, other agentctl) may be attached at the same time.
            """, extra: [], arguments)
        guard case .success(let (flags, conn)) = parsed else { return parsed.failureCode }
        guard flags.positional.count == 1, let id = flags.positional.first else {
            return CommandFailure("usage: agentctl attach AGENT_ID", code: ExitCode.usage).report()
        }
        // A plain request first, so a wrong token or an unknown agent gets its own message and exit code.
        if case .failure(let f) = await conn.expect("GET", RuntimeConnection.agentPath(id)) { return f.report() }
        guard let url = URL(string: conn.server), url.scheme == "http", let host = url.host else {
            return CommandFailure("attach needs an http:// server URL (the WebSocket client speaks no TLS)", code: ExitCode.usage).report()
        }
        let token = conn.token.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        let client: WebSocketClient
        do {
            client = try await WebSocketClient.connect(host: host, port: url.port ?? 80,
                                                       path: RuntimeConnection.agentPath(id, "/attach") + "?token=" + token)
        } catch {
            // The upgrade was refused after the check above: the agent is not reachable (yet).
            return CommandFailure("cannot attach to \(id): \(error.message); is it running? (agentctl get \(id))",
                                  code: ExitCode.conflict).report()
        }
        let terminal = RawTerminal()
        if terminal.isTerminal {
            FileHandle.standardError.write(Data("Attached to \(id). Press Ctrl-] to detach.\r\n".utf8))
            terminal.enterRawMode()
        }
        defer { terminal.restore() }
        let sendSize: @Sendable () -> Void = {
            if let (cols, rows) = RawTerminal.windowSize() {
                var frame = Data([UInt8(ascii: "1")])
                frame.append(JSON.object(["columns": .int(Int64(cols)), "rows": .int(Int64(rows))]).data())
                client.send(binary: frame)
            }
        }
        sendSize()
        signal(SIGWINCH, SIG_IGN)
        let winch = DispatchSource.makeSignalSource(signal: SIGWINCH, queue: .global())
        winch.setEventHandler(handler: sendSize)
        winch.resume()
        defer { winch.cancel() }
        // A SIGTERM/SIGHUP must not leave the terminal raw.
        let restoreAndExit = onTerminationSignal {
            terminal.restore()
            exit(ExitCode.ok)
        }
        signal(SIGHUP, SIG_IGN)
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        hangup.setEventHandler {
            terminal.restore()
            exit(ExitCode.ok)
        }
        hangup.resume()
        defer {
            _ = restoreAndExit
            hangup.cancel()
        }

        let detached = Atomic<Bool>(false)
        startThread("attach-stdin") {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = read(0, &buffer, buffer.count)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { break }
                var chunk = Array(buffer[0..<n])
                var stop = false
                if let k = chunk.firstIndex(of: detachKey) {
                    chunk = Array(chunk[..<k])
                    stop = true
                }
                if !chunk.isEmpty {
                    var frame = Data([UInt8(ascii: "0")])
                    frame.append(contentsOf: chunk)
                    client.send(binary: frame)
                }
                if stop { break }
            }
            detached.store(true, ordering: .relaxed)
            client.close()
        }

        let output = OutputWriter()
        for await message in client.messages {
            guard message.data.first == UInt8(ascii: "0") else {
                if message.opcode == .text { output.push(Data(("\r\n" + String(decoding: message.data, as: UTF8.self) + "\r\n").utf8)) }
                continue
            }
            output.push(message.data.dropFirst())
        }
        output.finish()
        terminal.restore()
        if detached.load(ordering: .relaxed) {
            FileHandle.standardError.write(Data("\nDetached from \(id); the agent keeps running.\n".utf8))
            return ExitCode.ok
        }
        FileHandle.standardError.write(Data("\nThe runtime closed the connection to \(id).\n".utf8))
        return ExitCode.failure
    }
}

/// Writes output to stdout on its own thread, so a slow terminal never blocks Swift's cooperative pool.
final class OutputWriter: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [Data] = []
    private var finished = false
    private var done = false

    init() {
        startThread("attach-stdout") { [unowned self] in self.run() }
    }

    func push(_ data: Data) {
        condition.lock()
        queue.append(data)
        condition.signal()
        condition.unlock()
    }

    /// Flushes what is queued and waits for the writer (briefly: output is small by then).
    func finish() {
        condition.lock()
        finished = true
        condition.signal()
        while !done { condition.wait() }
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while queue.isEmpty && !finished { condition.wait() }
            let batch = queue
            queue.removeAll()
            let end = finished && batch.isEmpty
            condition.unlock()
            if end { break }
            for d in batch { writeAll(d) }
        }
        condition.lock()
        done = true
        condition.broadcast()
        condition.unlock()
    }

    private func writeAll(_ data: Data) {
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(1, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return }
                offset += n
            }
        }
    }
}

/// stdin's terminal mode: raw while attached, restored on every way out.
final class RawTerminal: @unchecked Sendable {
    private let lock = NSLock()
    private var saved: termios?
    /// True when stdin is a terminal.
    let isTerminal = isatty(0) == 1

    /// Raw mode: no echo, no line editing, no signals from keys (Ctrl-C goes to the agent).
    func enterRawMode() {
        lock.withLock {
            var t = termios()
            guard isTerminal, tcgetattr(0, &t) == 0 else { return }
            saved = t
            cfmakeraw(&t)
            tcsetattr(0, TCSANOW, &t)
        }
    }

    /// Restores the saved mode (idempotent).
    func restore() {
        lock.withLock {
            guard var t = saved else { return }
            tcsetattr(0, TCSANOW, &t)
            saved = nil
        }
    }

    /// The size of the terminal on stdout (else stdin), if any.
    static func windowSize() -> (cols: Int, rows: Int)? {
        for fd: Int32 in [1, 0] {
            var ws = winsize()
            if ioctl(fd, UInt(TIOCGWINSZ), &ws) == 0, ws.ws_col > 0, ws.ws_row > 0 { return (Int(ws.ws_col), Int(ws.ws_row)) }
        }
        return nil
    }
}
