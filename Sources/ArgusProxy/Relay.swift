import ArgusCore
import ArgusSystem

#if canImport(Glibc)
import Glibc
#endif

/// How a relay loop stopped.
public enum RelayEnd: Sendable, Equatable {
    /// The source reached end of file.
    case sourceClosed
    /// Reading the source failed (errno).
    case readFailed(Int32)
}

/// Copies bytes from one descriptor to another as they arrive, unchanged and
/// in order, and hands each chunk to `tap` for recording. The tap only queues
/// a copy (no parsing, no I/O) and runs *before* the write: once the peer has
/// the bytes it may answer at once, and its answer must not be queued ahead
/// of the request that caused it.
///
/// When the destination breaks (EPIPE: the reader went away) the relay keeps
/// reading and recording but stops writing, so the writer on the other side
/// never blocks on a full pipe while the session winds down.
public struct Relay {
    public static let bufferSize = 1 << 20

    public static func run(
        from source: Int32, to destination: Int32,
        onDestinationBroken: () -> Void = {},
        tap: (UnsafeRawBufferPointer, Timestamp) -> Void
    ) -> RelayEnd {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        var destinationOK = true
        while true {
            let n = read(source, buffer, bufferSize)
            if n < 0 {
                if errno == EINTR { continue }
                return errno == EBADF ? .sourceClosed : .readFailed(errno)
            }
            if n == 0 { return .sourceClosed }
            tap(UnsafeRawBufferPointer(start: buffer, count: n), SystemClock.now())
            if destinationOK, !writeAll(destination, buffer, n) {
                destinationOK = false
                onDestinationBroken()
            }
        }
    }

    /// Writes every byte, retrying short writes and EINTR. False when the
    /// destination is gone.
    public static func writeAll(_ fd: Int32, _ pointer: UnsafeRawPointer, _ count: Int) -> Bool {
        var offset = 0
        while offset < count {
            let written = write(fd, pointer + offset, count - offset)
            if written < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return false
            }
            offset += written
        }
        return true
    }
}
