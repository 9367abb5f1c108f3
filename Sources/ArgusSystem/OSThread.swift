import CArgusSystem

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Starts a detached OS thread. Used for blocking reads and pipeline stages.
public final class OSThread: @unchecked Sendable {
    private let done = Monitor()
    private var finished = false
    public let name: String

    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// - Parameter background: run at a lower scheduling priority (nice +10).
    ///   Recording threads use it so that, on a busy machine, the relay threads
    ///   and the MCP peers get the CPU first. (On Linux the nice value belongs
    ///   to the calling thread, not the process.)
    @discardableResult
    public init(name: String, background: Bool = false, _ body: @escaping @Sendable () -> Void) {
        self.name = name
        let box = Unmanaged.passRetained(
            Box { [done] in
                #if os(Linux)
                if background { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10) }
                #endif
                // Named, so that `top -H`, perf and /proc say which of argus's threads spends what.
                argus_name_thread(name)
                body()
                done.locked {
                    self.finished = true; done.broadcast()
                }
            })
        var thread = pthread_t()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        pthread_attr_setstacksize(&attributes, 4 << 20)  // deep JSON and Lua need more than the default on some systems
        let rc = pthread_create(
            &thread, &attributes,
            { raw in
                guard let raw else { return nil }
                let box = Unmanaged<Box>.fromOpaque(raw).takeRetainedValue()
                box.body()
                return nil
            }, box.toOpaque())
        pthread_attr_destroy(&attributes)
        if rc != 0 {
            box.release()
            // No thread: run inline so nothing silently disappears.
            body()
            finished = true
            return
        }
    }

    /// Waits for the thread's body to return; false on timeout.
    @discardableResult
    public func join(timeoutSeconds: Double? = nil) -> Bool {
        let deadline = timeoutSeconds.map { SystemClock.monotonicNanos() + UInt64($0 * 1e9) }
        return done.locked {
            while !finished {
                if !done.wait(untilMonotonicNanos: deadline), let deadline, SystemClock.monotonicNanos() >= deadline {
                    return finished
                }
            }
            return true
        }
    }
}
