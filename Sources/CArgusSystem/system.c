#define _GNU_SOURCE
#include "argus_system.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <pthread.h>
#include <linux/close_range.h>
#include <unistd.h>

void argus_name_thread(const char *name) {
    char cut[16];
    strncpy(cut, name, sizeof cut - 1);
    cut[sizeof cut - 1] = '\0';
    pthread_setname_np(pthread_self(), cut);
}

static void child_fail(int fd) {
    int e = errno;
    ssize_t ignored = write(fd, &e, sizeof e);
    (void)ignored;
    _exit(127);
}

pid_t argus_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
                  int stdin_fd, int stdout_fd, int stderr_fd, int watchdog_grace_ms, int *watchdog_fd,
                  int *exec_errno) {
    *watchdog_fd = -1;
    int report[2], gate[2];
    if (pipe2(report, O_CLOEXEC) != 0) { *exec_errno = errno; return -1; }
    if (pipe2(gate, O_CLOEXEC) != 0) {
        *exec_errno = errno;
        close(report[0]); close(report[1]);
        return -1;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        *exec_errno = errno;
        close(report[0]); close(report[1]); close(gate[0]); close(gate[1]);
        return -1;
    }
    if (pid == 0) {
        /* Child: only async-signal-safe calls from here to exec. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent) _exit(127); /* parent already gone */
        setpgid(0, 0);
        if (cwd && chdir(cwd) != 0) child_fail(report[1]);
        /* Move the descriptors out of the way first so dup2 cannot clobber one another. */
        int in = fcntl(stdin_fd, F_DUPFD, 10), out = fcntl(stdout_fd, F_DUPFD, 10), err = fcntl(stderr_fd, F_DUPFD, 10);
        if (in < 0 || out < 0 || err < 0) child_fail(report[1]);
        if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) child_fail(report[1]);
        /* Everything else closes at exec; the report pipe is close-on-exec already. */
        if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
            for (int fd = 3; fd < 4096; fd++) if (fd != report[1]) fcntl(fd, F_SETFD, FD_CLOEXEC);
        }
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        for (int s = 1; s < NSIG; s++) {
            if (s == SIGKILL || s == SIGSTOP) continue;
            signal(s, SIG_DFL);
        }
        /* Wait for the watchdog to stand guard: a server that runs before it could outlive an
           argus SIGKILLed in between. No word (argus died first) means no exec at all. */
        close(gate[1]);
        char go = 0;
        ssize_t got;
        do { got = read(gate[0], &go, 1); } while (got < 0 && errno == EINTR);
        if (got != 1) _exit(127);
        execve(path, argv, envp);
        child_fail(report[1]);
    }
    close(report[1]);
    close(gate[0]);
    setpgid(pid, pid); /* as the child does: the group exists before the watchdog may signal it */
    *watchdog_fd = argus_start_watchdog(pid, watchdog_grace_ms);
    char go = 'G';
    ssize_t sent;
    do { sent = write(gate[1], &go, 1); } while (sent < 0 && errno == EINTR);
    close(gate[1]);
    int child_errno = 0;
    ssize_t n;
    do { n = read(report[0], &child_errno, sizeof child_errno); } while (n < 0 && errno == EINTR);
    close(report[0]);
    if (n == (ssize_t)sizeof child_errno) {
        /* exec failed: reap the child that reported it */
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        if (*watchdog_fd >= 0) argus_release_watchdog(*watchdog_fd);
        *watchdog_fd = -1;
        *exec_errno = child_errno;
        return -1;
    }
    *exec_errno = 0;
    return pid;
}

/* The watchdog itself: only async-signal-safe calls (it is forked from a threaded process). */
static void watchdog(int fd, pid_t pgid, int grace_ms) {
    setsid(); /* out of argus's process group and terminal: what kills argus's group leaves it alone */
    prctl(PR_SET_NAME, "argus-watchdog");
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) { dup2(null, 0); dup2(null, 1); dup2(null, 2); }
    /* Keep only the pipe: a copy of the session's pipes here would keep the client or the server waiting. */
    int closed = syscall(SYS_close_range, (unsigned)fd + 1, ~0U, 0) == 0
        && (fd == 3 || syscall(SYS_close_range, 3U, (unsigned)fd - 1, 0) == 0);
    if (!closed) for (int other = 3; other < 65536; other++) if (other != fd) close(other);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int s = 1; s < NSIG; s++) {
        if (s == SIGKILL || s == SIGSTOP) continue;
        signal(s, SIG_DFL);
    }
    char word = 0;
    ssize_t n;
    do { n = read(fd, &word, 1); } while (n < 0 && errno == EINTR);
    if (n == 1) _exit(0); /* released: argus took care of the group */
    if (kill(-pgid, 0) != 0) _exit(0);
    kill(-pgid, SIGTERM);
    struct timespec step = {0, 50 * 1000 * 1000};
    for (int waited = 0; waited < grace_ms && kill(-pgid, 0) == 0; waited += 50) nanosleep(&step, NULL);
    if (kill(-pgid, 0) == 0) kill(-pgid, SIGKILL);
    _exit(0);
}

int argus_start_watchdog(pid_t pgid, int grace_ms) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return -1;
    pid_t middle = fork();
    if (middle < 0) {
        close(fds[0]); close(fds[1]);
        return -1;
    }
    if (middle == 0) {
        /* Fork again and leave, so the watchdog is adopted by init and never becomes our zombie. */
        close(fds[1]);
        pid_t dog = fork();
        if (dog == 0) watchdog(fds[0], pgid, grace_ms);
        _exit(dog < 0 ? 1 : 0);
    }
    close(fds[0]);
    int status = 0;
    while (waitpid(middle, &status, 0) < 0 && errno == EINTR) {}
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        close(fds[1]);
        return -1;
    }
    return fds[1];
}

void argus_release_watchdog(int fd) {
    char word = 'R';
    ssize_t ignored = write(fd, &word, 1);
    (void)ignored;
    close(fd);
}

int argus_pipe_cloexec(int fds[2]) {
    return pipe2(fds, O_CLOEXEC);
}

int argus_set_pipe_size(int fd, int size) {
    return fcntl(fd, F_SETPIPE_SZ, size);
}

static sigset_t termination_set(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGQUIT);
    return set;
}

void argus_block_termination_signals(void) {
    sigset_t set = termination_set();
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int argus_wait_signal(void) {
    sigset_t set = termination_set();
    int sig = 0;
    while (sigwait(&set, &sig) != 0) {}
    return sig;
}
