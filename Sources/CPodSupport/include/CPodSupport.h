// Small C helpers for the PTY supervisor (Sources/Pod). Swift cannot call variadic C functions
// (ioctl, prctl) and Glibc hides posix_spawn's GNU extensions unless _GNU_SOURCE is defined, so the
// few calls that need either live here.
#ifndef AGENT_RUNTIME_CPODSUPPORT_H
#define AGENT_RUNTIME_CPODSUPPORT_H

#include <sys/types.h>

/// Spawns `path` with `argv`/`envp` as the leader of a new session whose controlling terminal is the
/// PTY slave at `slave_path` (opened without O_NOCTTY after setsid, which makes it the controlling
/// terminal on Linux, the TIOCSCTTY semantics), on stdin/stdout/stderr, in directory `workdir` (NULL:
/// inherit), with every other descriptor closed, an empty signal mask and default signal dispositions.
/// Returns 0 and stores the pid, or an errno value (from the child's exec when that failed).
int pod_spawn_in_pty(const char *path, char *const argv[], char *const envp[], const char *slave_path,
                     const char *workdir, pid_t *pid_out);

/// Allocates a pseudo-terminal pair: the master opened O_RDWR|O_NOCTTY|O_CLOEXEC (posix_openpt, grantpt,
/// unlockpt) and the slave's path written to `name`. Returns 0, or an errno value with `*step` naming the
/// call that failed.
int pod_open_pty(int *master_out, char *name, unsigned long name_len, const char **step);

/// pipe2(O_CLOEXEC). Returns 0 or an errno value.
int pod_pipe_cloexec(int fds[2]);

/// Sets the window size of the terminal behind `fd` (TIOCSWINSZ); the kernel sends SIGWINCH to the
/// terminal's foreground process group. Returns 0 or an errno value.
int pod_set_window_size(int fd, unsigned short rows, unsigned short cols);

/// Reads the window size (TIOCGWINSZ). Returns 0 or an errno value.
int pod_get_window_size(int fd, unsigned short *rows, unsigned short *cols);

/// Marks this process as a child subreaper (PR_SET_CHILD_SUBREAPER), so orphaned descendants are
/// re-parented to it and can be reaped even when it is not PID 1. Returns 0 or an errno value.
int pod_set_child_subreaper(void);

/// Sets or clears O_NONBLOCK on `fd`. Returns 0 or an errno value.
int pod_set_nonblocking(int fd, int on);

#endif
