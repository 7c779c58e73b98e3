import CPodSupport
import FoundationEssentials
import Glibc
import RuntimeCore

/// Delivers SIGTERM/SIGINT (and any other chosen signals) to a handler on a dedicated thread.
///
/// A self-pipe: the C signal handler only `write`s the signal number to a pipe (async-signal-safe, and it
/// works whichever thread the kernel picked), and a plain thread reads the pipe and calls the handler. No
/// signal mask has to be set before other threads exist, and nothing runs on the cooperative pool.
public enum SignalWatcher {
    /// Write end of the pipe, read by the signal handler; set once before any handler is installed.
    nonisolated(unsafe) private static var writeFD: Int32 = -1

    /// Installs handlers for `signals` and starts the watcher thread. Call once.
    public static func start(_ signals: [Int32], handler: @escaping @Sendable (Int32) -> Void) {
        var fds: [Int32] = [-1, -1]
        guard pod_pipe_cloexec(&fds) == 0 else { return }
        writeFD = fds[1]
        let readFD = fds[0]
        for s in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signo in
                var b = UInt8(truncatingIfNeeded: signo)
                _ = write(SignalWatcher.writeFD, &b, 1)
            }
            action.sa_flags = SA_RESTART
            sigemptyset(&action.sa_mask)
            sigaction(s, &action, nil)
        }
        startThread("signals") {
            var b: UInt8 = 0
            while true {
                let n = read(readFD, &b, 1)
                if n == 1 { handler(Int32(b)); continue }
                if n < 0 && errno == EINTR { continue }
                return
            }
        }
    }

    /// Ignores SIGPIPE: a viewer or client that disconnects mid-write must not kill the supervisor.
    /// (The agent gets default dispositions back at spawn.)
    public static func ignoreBrokenPipes() {
        signal(SIGPIPE, SIG_IGN)
    }
}
