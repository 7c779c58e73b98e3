// See include/CPodSupport.h.
#define _GNU_SOURCE
#include "CPodSupport.h"

#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <pthread.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <termios.h>
#include <unistd.h>

int pod_spawn_in_pty(const char *path, char *const argv[], char *const envp[], const char *slave_path,
                     const char *workdir, pid_t *pid_out) {
    posix_spawnattr_t attr;
    posix_spawn_file_actions_t actions;
    int rc = posix_spawnattr_init(&attr);
    if (rc != 0) return rc;
    rc = posix_spawn_file_actions_init(&actions);
    if (rc != 0) { posix_spawnattr_destroy(&attr); return rc; }

    // The supervisor blocks and ignores signals for itself (sigwait thread, SIGPIPE); none of that may
    // leak into the agent, whose exec would otherwise inherit the mask and SIG_IGN dispositions.
    sigset_t empty, all;
    sigemptyset(&empty);
    sigfillset(&all);
    short flags = POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if ((rc = posix_spawnattr_setflags(&attr, flags)) != 0) goto out;
    if ((rc = posix_spawnattr_setsigmask(&attr, &empty)) != 0) goto out;
    if ((rc = posix_spawnattr_setsigdefault(&attr, &all)) != 0) goto out;

    // glibc runs setsid before the file actions, so opening the slave (no O_NOCTTY) from the new
    // session leader makes it the controlling terminal.
    if (workdir != NULL && (rc = posix_spawn_file_actions_addchdir_np(&actions, workdir)) != 0) goto out;
    if ((rc = posix_spawn_file_actions_addopen(&actions, 0, slave_path, O_RDWR, 0)) != 0) goto out;
    if ((rc = posix_spawn_file_actions_adddup2(&actions, 0, 1)) != 0) goto out;
    if ((rc = posix_spawn_file_actions_adddup2(&actions, 0, 2)) != 0) goto out;
    if ((rc = posix_spawn_file_actions_addclosefrom_np(&actions, 3)) != 0) goto out;

    rc = posix_spawn(pid_out, path, &actions, &attr, argv, envp);
out:
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    return rc;
}

int pod_set_window_size(int fd, unsigned short rows, unsigned short cols) {
    struct winsize ws = { .ws_row = rows, .ws_col = cols, .ws_xpixel = 0, .ws_ypixel = 0 };
    return ioctl(fd, TIOCSWINSZ, &ws) == 0 ? 0 : errno;
}

int pod_get_window_size(int fd, unsigned short *rows, unsigned short *cols) {
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) != 0) return errno;
    *rows = ws.ws_row;
    *cols = ws.ws_col;
    return 0;
}

int pod_set_child_subreaper(void) {
    return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 ? 0 : errno;
}

int pod_set_nonblocking(int fd, int on) {
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0) return errno;
    fl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
    return fcntl(fd, F_SETFL, fl) == 0 ? 0 : errno;
}

int pod_open_pty(int *master_out, char *name, unsigned long name_len, const char **step) {
    int fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) { *step = "posix_openpt"; return errno; }
    if (grantpt(fd) != 0) { int e = errno; close(fd); *step = "grantpt"; return e; }
    if (unlockpt(fd) != 0) { int e = errno; close(fd); *step = "unlockpt"; return e; }
    int rc = ptsname_r(fd, name, name_len);
    if (rc != 0) { close(fd); *step = "ptsname"; return rc; }
    *master_out = fd;
    return 0;
}

int pod_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC) == 0 ? 0 : errno;
}
