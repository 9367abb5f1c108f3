import ArgusCore
import ArgusSystem

#if canImport(Glibc)
import Glibc
#endif

/// Reads a descriptor and hands on whole lines, for the relays that may act on a message
/// (faults): a line is only forwarded once it is complete. A line that grows beyond
/// `maxHeldBytes` is not held any longer: it is handed on in pieces as it arrives, unexamined
/// (memory stays bounded, and a multi-megabyte line still flows).
enum LineRelay {
    static let defaultMaxHeldBytes = 16 << 20

    /// - Parameters:
    ///   - line: a whole line, its newline included.
    ///   - piece: part of a line too long to hold (`endsLine` on its last piece), or a last line
    ///     without a newline at end of file.
    static func run(
        from source: Int32, maxHeldBytes: Int = defaultMaxHeldBytes,
        line: (UnsafeRawBufferPointer, Timestamp) -> Void,
        piece: (UnsafeRawBufferPointer, Timestamp, _ endsLine: Bool) -> Void
    ) -> RelayEnd {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: Relay.bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        var held: [UInt8] = []
        var streaming = false
        while true {
            let n = read(source, buffer, Relay.bufferSize)
            if n < 0 {
                if errno == EINTR { continue }
                flush(&held, streaming: streaming, piece: piece)
                return errno == EBADF ? .sourceClosed : .readFailed(errno)
            }
            if n == 0 {
                flush(&held, streaming: streaming, piece: piece)
                return .sourceClosed
            }
            let time = SystemClock.now()
            let chunk = UnsafeRawBufferPointer(start: buffer, count: n)
            var start = 0
            while start < n, let newline = memchr(buffer + start, 0x0A, n - start) {
                let end = buffer.distance(to: newline) + 1
                let rest = UnsafeRawBufferPointer(rebasing: chunk[start..<end])
                if streaming {
                    piece(rest, time, true)
                    streaming = false
                } else if held.isEmpty {
                    line(rest, time)
                } else {
                    held.append(contentsOf: rest)
                    held.withUnsafeBytes { line($0, time) }
                    held.removeAll(keepingCapacity: held.capacity <= 1 << 20)
                }
                start = end
            }
            guard start < n else { continue }
            let tail = UnsafeRawBufferPointer(rebasing: chunk[start..<n])
            if streaming {
                piece(tail, time, false)
            } else {
                held.append(contentsOf: tail)
                if held.count > maxHeldBytes {
                    held.withUnsafeBytes { piece($0, time, false) }
                    held = []
                    streaming = true
                }
            }
        }
    }

    private static func flush(
        _ held: inout [UInt8], streaming: Bool,
        piece: (UnsafeRawBufferPointer, Timestamp, Bool) -> Void
    ) {
        if !held.isEmpty || streaming {
            held.withUnsafeBytes { piece($0, SystemClock.now(), true) }
        }
        held = []
    }
}
