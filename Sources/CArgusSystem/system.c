#define _GNU_SOURCE
#include "argus_system.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <pthread.h>
#include <linux/close_range.h>
#include <unistd.h>

static void child_fail(int fd) {
    int e = errno;
    ssize_t ignored = write(fd, &e, sizeof e);
    (void)ignored;
    _exit(127);
}

pid_t argus_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
                  int stdin_fd, int stdout_fd, int stderr_fd, int *exec_errno) {
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) { *exec_errno = errno; return -1; }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        *exec_errno = errno;
        close(report[0]); close(report[1]);
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
        execve(path, argv, envp);
        child_fail(report[1]);
    }
    close(report[1]);
    int child_errno = 0;
    ssize_t n;
    do { n = read(report[0], &child_errno, sizeof child_errno); } while (n < 0 && errno == EINTR);
    close(report[0]);
    if (n == (ssize_t)sizeof child_errno) {
        /* exec failed: reap the child that reported it */
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        *exec_errno = child_errno;
        return -1;
    }
    *exec_errno = 0;
    return pid;
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
