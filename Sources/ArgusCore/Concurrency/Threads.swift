#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A mutex plus condition variable. Blocking reads and the pipeline stages run
/// on dedicated OS threads (not the cooperative pool), and they coordinate
/// through this.
public final class Monitor: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    public init() {
        pthread_mutex_init(mutex, nil)
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        pthread_cond_init(condition, &attributes)
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
        condition.deallocate()
    }

    @inline(__always)
    public func locked<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }

    /// Waits (lock held) until signalled or until `deadlineNanos` on the monotonic clock.
    /// Returns false on timeout.
    @discardableResult
    public func wait(untilMonotonicNanos deadline: UInt64?) -> Bool {
        guard let deadline else {
            pthread_cond_wait(condition, mutex)
            return true
        }
        var ts = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        return pthread_cond_timedwait(condition, mutex, &ts) == 0
    }

    public func signal() { pthread_cond_signal(condition) }
    public func broadcast() { pthread_cond_broadcast(condition) }
}

/// Clock readings used throughout the pipeline.
public enum Clock {
    public static func monotonicNanos() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    public static func wallMicros() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec / 1000)
    }

    public static func now() -> Timestamp { Timestamp(monotonicNanos: monotonicNanos(), wallMicros: wallMicros()) }

    public static func sleep(seconds: Double) {
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
    }
}

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
        let box = Unmanaged.passRetained(Box { [done] in
            #if os(Linux)
            if background { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10) }
            #endif
            body()
            done.locked { self.finished = true; done.broadcast() }
        })
        var thread = pthread_t()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        pthread_attr_setstacksize(&attributes, 4 << 20)  // deep JSON and Lua need more than the default on some systems
        let rc = pthread_create(&thread, &attributes, { raw in
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
        let deadline = timeoutSeconds.map { Clock.monotonicNanos() + UInt64($0 * 1e9) }
        return done.locked {
            while !finished {
                if !done.wait(untilMonotonicNanos: deadline), let deadline, Clock.monotonicNanos() >= deadline {
                    return finished
                }
            }
            return true
        }
    }
}
