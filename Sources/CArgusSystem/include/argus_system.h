#ifndef ARGUS_SYSTEM_H
#define ARGUS_SYSTEM_H

#include <sys/types.h>

/// Starts `path` with `argv`/`envp` in a new process group, with the given
/// descriptors as its stdin, stdout and stderr. Every other descriptor is
/// closed in the child, the signal mask and dispositions are reset to their
/// defaults (argus ignores SIGPIPE and blocks termination signals; a server
/// must not inherit that), and the child asks the kernel for SIGTERM when the
/// thread that spawned it dies, so a SIGKILLed argus cannot orphan it.
///
/// `cwd`, when not NULL, is the child's working directory.
///
/// The child's group gets a watchdog (`argus_start_watchdog`, with `watchdog_grace_ms`)
/// before the child execs, so there is no moment when the server runs unguarded; its pipe
/// is returned in `*watchdog_fd` (-1 when it could not be started).
///
/// Returns the child's pid, or -1 with `*exec_errno` set when fork or exec
/// failed (exec failures, and a missing cwd, are reported back through a
/// close-on-exec pipe).
pid_t argus_spawn(const char *path, char *const argv[], char *const envp[], const char *cwd,
                  int stdin_fd, int stdout_fd, int stderr_fd, int watchdog_grace_ms, int *watchdog_fd,
                  int *exec_errno);

/// Starts a watchdog for the process group `pgid`, for the case the kernel's death
/// signal does not cover: argus killed with SIGKILL while the server ignores SIGTERM.
/// The watchdog is a detached process (its own session, reparented to init at once, its
/// stdin/stdout/stderr on /dev/null, no other descriptor of ours) that holds the read end
/// of a pipe. When every copy of the write end is closed without a word — argus exited
/// or died — it sends SIGTERM to the group, waits `grace_ms`, and sends SIGKILL to
/// whatever is left. `argus_release_watchdog` tells it the group is gone and it exits.
///
/// Returns the write end (close-on-exec), or -1 when it could not be started.
int argus_start_watchdog(pid_t pgid, int grace_ms);

/// Tells the watchdog behind `fd` that its group was taken care of, and closes `fd`.
void argus_release_watchdog(int fd);

/// pipe2(fds, O_CLOEXEC): a pipe whose ends do not leak into other children.
int argus_pipe_cloexec(int fds[2]);

/// Grows a pipe's kernel buffer (F_SETPIPE_SZ). Returns the new size or -1.
int argus_set_pipe_size(int fd, int size);

/// Names the calling thread as `top -H`, perf and /proc/PID/task/TID/comm show it (cut to
/// the kernel's 15 bytes). Glibc's `pthread_setname_np` needs `_GNU_SOURCE`, which Swift's
/// import of Glibc does not define.
void argus_name_thread(const char *name);

/// Blocks SIGTERM, SIGINT, SIGHUP and SIGQUIT in the calling thread (and the
/// threads it creates afterwards) and ignores SIGPIPE. Call before any thread
/// starts; then `argus_wait_signal` receives them synchronously.
void argus_block_termination_signals(void);

/// Waits for one of the signals blocked by `argus_block_termination_signals`
/// and returns its number.
int argus_wait_signal(void);

/// POSTs `body` (JSON) to `url` with libcurl, loaded with dlopen on first use so
/// that argus does not load libcurl (and its ~30 libraries) at every start.
/// `extra_header` ("Name: value"), when not NULL, is sent too.
/// Returns the HTTP status, or -1 with a message in `error` (no libcurl, network
/// failure, timeout).
int argus_http_post_json(const char *url, const char *body, long timeout_ms, const char *user_agent,
                         const char *extra_header, char *error, int error_size);

/// The same, never through a proxy (`http_proxy` and friends are ignored): for
/// requests to this machine that carry a secret.
int argus_http_post_json_direct(const char *url, const char *body, long timeout_ms, const char *user_agent,
                                const char *extra_header, char *error, int error_size);

/// POSTs `length` bytes of `body` with this Content-Type and extra headers
/// ("Name: value" each), through libcurl loaded on first use (as above). Up to
/// `response_size` - 1 bytes of the answer's body are kept in `response` (NUL-terminated).
/// Returns the HTTP status, or -1 with a message in `error`.
int argus_http_post(const char *url, const char *content_type, const void *body, size_t body_length,
                    const char *const *extra_headers, int header_count, long timeout_ms, const char *user_agent,
                    char *response, int response_size, char *error, int error_size);

#endif
