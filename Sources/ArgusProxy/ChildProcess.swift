import ArgusCore
import ArgusSystem
import CArgusSystem

#if canImport(Glibc)
import Glibc
#endif

/// How a process ended.
public enum ExitStatus: Sendable, Equatable {
    case exited(Int32)
    case signaled(Int32)

    /// The status a shell would report: the exit code, or 128 + signal.
    public var shellStatus: Int32 {
        switch self {
        case .exited(let code): return code
        case .signaled(let signal): return 128 + signal
        }
    }

    public var description: String {
        switch self {
        case .exited(let code): return "exited with status \(code)"
        case .signaled(let signal): return "was killed by \(signalName(signal))"
        }
    }

    init(waitStatus status: Int32) {
        if status & 0x7F == 0 {
            self = .exited((status >> 8) & 0xFF)
        } else {
            self = .signaled(status & 0x7F)
        }
    }
}

public func signalName(_ signal: Int32) -> String {
    switch signal {
    case SIGTERM: return "SIGTERM"
    case SIGINT: return "SIGINT"
    case SIGHUP: return "SIGHUP"
    case SIGQUIT: return "SIGQUIT"
    case SIGKILL: return "SIGKILL"
    case SIGPIPE: return "SIGPIPE"
    case SIGSEGV: return "SIGSEGV"
    case SIGABRT: return "SIGABRT"
    default: return "signal \(signal)"
    }
}

public enum SpawnError: Error, CustomStringConvertible {
    case commandNotFound(command: String, searchPath: String)
    case notExecutable(path: String, reason: String)
    case failed(command: String, reason: String)
    /// Not started on purpose (the configuration that names it could not be read).
    case refused(reason: String)

    public var description: String {
        switch self {
        case .commandNotFound(let command, let searchPath):
            return "command not found: \(command) (searched PATH=\(searchPath))"
        case .notExecutable(let path, let reason): return "cannot execute \(path): \(reason)"
        case .failed(let command, let reason): return "cannot start \(command): \(reason)"
        case .refused(let reason): return reason
        }
    }

    /// The status a shell uses for this failure.
    public var shellStatus: Int32 {
        switch self {
        case .commandNotFound: return 127
        case .notExecutable: return 126
        case .failed: return 127
        case .refused: return 78  // EX_CONFIG
        }
    }
}

/// The wrapped server: a child in its own process group, with pipes for its
/// stdin, stdout and stderr.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    /// Our ends of the pipes.
    public let stdinFD: Int32
    public let stdoutFD: Int32
    public let stderrFD: Int32
    /// The pipe to the watchdog that kills the group if argus dies without a word (-1: none).
    private var watchdogFD: Int32
    private let watchdogMonitor = Monitor()

    init(pid: pid_t, stdinFD: Int32, stdoutFD: Int32, stderrFD: Int32, watchdogFD: Int32) {
        self.pid = pid
        self.stdinFD = stdinFD
        self.stdoutFD = stdoutFD
        self.stderrFD = stderrFD
        self.watchdogFD = watchdogFD
    }

    /// Starts `command` with `arguments`, inheriting this process's whole
    /// environment (or exactly `environment`), in `cwd` (or ours).
    ///
    /// The kernel sends the server SIGTERM when argus dies (`PR_SET_PDEATHSIG`), but a
    /// server that ignores SIGTERM would outlive a SIGKILLed argus (and a `docker run
    /// --name X` container would then block the next start). So a watchdog process
    /// follows up: SIGTERM to the whole group, and SIGKILL after `watchdogGraceSeconds`.
    public static func spawn(
        command: String, arguments: [String], environment: [String: String]? = nil,
        cwd: String? = nil, pipeSize: Int32 = 1 << 20,
        watchdogGraceSeconds: Double = 5
    ) throws(SpawnError) -> ChildProcess {
        // A relative path like ./server.py is relative to the directory the server runs in.
        let located = command.contains("/") && !command.hasPrefix("/") ? (cwd.map { $0 + "/" + command } ?? command) : command
        let path = try resolve(located, searchPath: environment?["PATH"])
        // A server that exits early turns our next write to its stdin into SIGPIPE, which would kill
        // argus (a replay, the dashboard) instead of returning EPIPE. The child gets default dispositions back.
        signal(SIGPIPE, SIG_IGN)
        var stdinPipe: [Int32] = [0, 0], stdoutPipe: [Int32] = [0, 0], stderrPipe: [Int32] = [0, 0]
        guard argus_pipe_cloexec(&stdinPipe) == 0, argus_pipe_cloexec(&stdoutPipe) == 0, argus_pipe_cloexec(&stderrPipe) == 0 else {
            throw .failed(command: command, reason: String(cString: strerror(errno)))
        }
        // Bigger pipes mean fewer wake-ups for large messages; failure is harmless.
        _ = argus_set_pipe_size(stdinPipe[1], pipeSize)
        _ = argus_set_pipe_size(stdoutPipe[1], pipeSize)

        let argv = [command] + arguments
        var cArgs = argv.map { strdup($0) }
        cArgs.append(nil)
        defer { for p in cArgs { free(p) } }
        var cEnvironment: [UnsafeMutablePointer<CChar>?] =
            environment.map { env in
                env.map { strdup("\($0.key)=\($0.value)") } + [nil]
            } ?? []
        defer { for p in cEnvironment { free(p) } }
        var execErrno: Int32 = 0
        var watchdog: Int32 = -1
        let watchdogGraceMS = Int32(min(max(watchdogGraceSeconds, 0), 3600) * 1000)
        let pid = cArgs.withUnsafeMutableBufferPointer { args in
            cEnvironment.withUnsafeMutableBufferPointer { env in
                argus_spawn(
                    path, args.baseAddress, environment == nil ? environ : env.baseAddress, cwd,
                    stdinPipe[0], stdoutPipe[1], stderrPipe[1], watchdogGraceMS, &watchdog, &execErrno)
            }
        }
        close(stdinPipe[0])
        close(stdoutPipe[1])
        close(stderrPipe[1])
        if pid < 0 {
            close(stdinPipe[1])
            close(stdoutPipe[0])
            close(stderrPipe[0])
            let reason = String(cString: strerror(execErrno))
            if let cwd, access(cwd, F_OK) != 0 { throw .failed(command: command, reason: "working directory \(cwd) does not exist") }
            if execErrno == ENOENT { throw .commandNotFound(command: command, searchPath: environment?["PATH"] ?? searchPath) }
            if execErrno == EACCES || execErrno == ENOEXEC { throw .notExecutable(path: path, reason: reason) }
            throw .failed(command: command, reason: reason)
        }
        return ChildProcess(pid: pid, stdinFD: stdinPipe[1], stdoutFD: stdoutPipe[0], stderrFD: stderrPipe[0], watchdogFD: watchdog)
    }

    static var searchPath: String { getenv("PATH").map { String(cString: $0) } ?? "/usr/local/bin:/usr/bin:/bin" }

    /// Finds `command` on PATH (as a shell would) so a missing one gets a clear error.
    public static func resolve(_ command: String, searchPath customPath: String? = nil) throws(SpawnError) -> String {
        let searchPath = customPath ?? Self.searchPath
        if command.isEmpty { throw .commandNotFound(command: "(empty)", searchPath: searchPath) }
        if command.contains("/") {
            if access(command, F_OK) != 0 { throw .commandNotFound(command: command, searchPath: searchPath) }
            if access(command, X_OK) != 0 { throw .notExecutable(path: command, reason: "permission denied") }
            return command
        }
        var sawNonExecutable: String? = nil
        for directory in searchPath.split(separator: ":", omittingEmptySubsequences: false) {
            let dir = directory.isEmpty ? "." : String(directory)
            let candidate = dir + "/" + command
            var info = stat()
            guard stat(candidate, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
            if access(candidate, X_OK) == 0 { return candidate }
            sawNonExecutable = candidate
        }
        if let path = sawNonExecutable { throw .notExecutable(path: path, reason: "permission denied") }
        throw .commandNotFound(command: command, searchPath: searchPath)
    }

    /// Sends a signal to the server's whole process group (a shell wrapper and
    /// what it started, `npx` and its node, `docker` and its plugins).
    public func signalGroup(_ signal: Int32) {
        if kill(-pid, signal) != 0 { kill(pid, signal) }
    }

    /// True while any process of the server's group is alive.
    public var groupAlive: Bool { kill(-pid, 0) == 0 }

    /// Call once the server has exited: anything it left in its process group is
    /// terminated (SIGTERM, then SIGKILL after a second), and the watchdog is let go.
    public func reapGroup() {
        if groupAlive {
            signalGroup(SIGTERM)
            for _ in 0..<20 where groupAlive { SystemClock.sleep(seconds: 0.05) }
            if groupAlive { signalGroup(SIGKILL) }
        }
        releaseWatchdog()
    }

    /// The group is taken care of: the watchdog exits without touching it (its process
    /// group id may soon belong to someone else).
    public func releaseWatchdog() {
        watchdogMonitor.locked {
            if watchdogFD >= 0 { argus_release_watchdog(watchdogFD) }
            watchdogFD = -1
        }
    }

    /// Blocks until the child exits.
    public func waitForExit() -> ExitStatus {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return .exited(255) }
        }
        return ExitStatus(waitStatus: status)
    }
}

/// Termination signals (SIGTERM, SIGINT, SIGHUP, SIGQUIT) received synchronously.
public enum TerminationSignals {
    /// Blocks them in this thread and the threads it starts afterwards: call first thing.
    public static func block() { argus_block_termination_signals() }

    /// Waits for one and returns its number.
    public static func wait() -> Int32 { argus_wait_signal() }
}
