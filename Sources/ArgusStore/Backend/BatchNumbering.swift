import ArgusSystem
import Foundation
import Synchronization

/// Who writes a recording (`origin`: host, process and a random part) and the number of its
/// next batch. A store that makes batches idempotent (PostgreSQL's `recorder_batches` markers)
/// recognizes a batch sent again by these two. The recorder's writer keeps one numbering for
/// its whole life and gives it to every store writer it opens, so a batch whose commit answer
/// was lost is recognized even when the writer had to be opened again in between.
public final class BatchNumbering: Sendable {
    public let origin: String
    private let next = Mutex<Int64>(1)

    public init(origin: String? = nil) {
        self.origin = origin ?? Self.makeOrigin()
    }

    /// The number of the batch being written (the same until it is known to be stored).
    public var current: Int64 { next.withLock { $0 } }

    /// The current batch is stored: the next one gets the next number.
    public func advance() { next.withLock { $0 += 1 } }

    private static func makeOrigin() -> String {
        let process = ProcessInfo.processInfo
        return "\(process.hostName)/\(process.processIdentifier)/\(SystemClock.wallMicros())/\(UInt32.random(in: .min ... .max))"
    }
}
