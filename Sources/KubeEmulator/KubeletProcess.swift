import Foundation
import RuntimeCore

#if canImport(Glibc)
import Glibc
#endif

/// A child process started with default signal dispositions in its own process group.
///
/// Foundation's `Process` passes on the parent's ignored signals (kube-emulator ignores SIGTERM to handle it
/// through a dispatch source), and a shell that starts with SIGTERM ignored can never trap it; so pods are
/// spawned here with `posix_spawn`, every signal reset to default and an empty signal mask.
final class KubeletProcess: @unchecked Sendable {
    /// The process id (also its process-group id).
    let pid: pid_t
    private let exitLock = NSCondition()
    private var exitStatus: Int32?

    /// Spawns `argv` with `environment` in `directory`, output appended to `logPath`. `onExit` runs on a
    /// dedicated waiter thread with the exit code (128+signal for a signal death).
    init(argv: [String], environment: [String: String], directory: String, logPath: String,
         onExit: @escaping @Sendable (Int32) -> Void) throws {
        // `env -C` changes directory without a shell: posix_spawn's chdir action is a GNU extension.
        let full = ["/usr/bin/env", "-C", directory, "--"] + argv
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var all = sigset_t()
        sigfillset(&all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attr, &all)
        posix_spawnattr_setsigmask(&attr, &none)
        posix_spawnattr_setpgroup(&attr, 0)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        let cArgs = full.map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            cArgs.forEach { free($0) }
            cEnv.forEach { free($0) }
        }
        var child: pid_t = 0
        let rc = posix_spawn(&child, full[0], &actions, &attr, cArgs, cEnv)
        guard rc == 0 else {
            throw NSError(domain: "kubelet", code: Int(rc), userInfo: [NSLocalizedDescriptionKey: "spawn \(argv.first ?? "?"): \(String(cString: strerror(rc)))"])
        }
        pid = child
        let spawned = child
        startThread("kubelet-wait-\(spawned)") { [self] in
            var status: Int32 = 0
            while waitpid(spawned, &status, 0) < 0 && errno == EINTR {}
            let code: Int32 = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
            exitLock.lock()
            exitStatus = code
            exitLock.broadcast()
            exitLock.unlock()
            onExit(code)
        }
    }

    /// True until the process has been reaped.
    var isRunning: Bool {
        exitLock.lock()
        defer { exitLock.unlock() }
        return exitStatus == nil
    }

    /// Sends a signal to the whole process group.
    func signal(_ sig: Int32) { kill(-pid, sig) }

    /// SIGTERM, wait up to `grace`, then SIGKILL; returns once the process is reaped.
    func terminate(grace: TimeInterval) {
        signal(SIGTERM)
        let deadline = Date().addingTimeInterval(grace)
        exitLock.lock()
        while exitStatus == nil && exitLock.wait(until: deadline) {}
        let exited = exitStatus != nil
        exitLock.unlock()
        if !exited {
            signal(SIGKILL)
            exitLock.lock()
            while exitStatus == nil { exitLock.wait() }
            exitLock.unlock()
        }
    }
}
