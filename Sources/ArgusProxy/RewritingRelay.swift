import ArgusCore

#if canImport(Glibc)
import Glibc
#endif

/// The relay for the one case where Argus changes what it forwards: trace context injection
/// (opt-in). It frames the stream on `\n`, offers each complete line to `rewrite`, and
/// forwards (and taps) the new line or, when `rewrite` returns nil, the original bytes.
/// A line longer than `maxHeldBytes` is forwarded as it arrives, unchanged, so neither memory
/// nor latency grows with it; a last line without a newline is forwarded at end of file.
public enum RewritingRelay {
    public static let maxHeldBytes = 1 << 20

    public static func run(from source: Int32, to destination: Int32, rewrite: ([UInt8]) -> [UInt8]?,
                           tap: (UnsafeRawBufferPointer, Timestamp) -> Void) -> RelayEnd {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: Relay.bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        var held: [UInt8] = []
        var passingLongLine = false
        var destinationOK = true

        func forward(_ bytes: [UInt8]) {
            guard !bytes.isEmpty else { return }
            bytes.withUnsafeBytes { raw in
                tap(raw, Clock.now())
                if destinationOK, let base = raw.baseAddress, !Relay.writeAll(destination, base, raw.count) { destinationOK = false }
            }
        }

        while true {
            let n = read(source, buffer, Relay.bufferSize)
            if n < 0 {
                if errno == EINTR { continue }
                forward(held)
                return errno == EBADF ? .sourceClosed : .readFailed(errno)
            }
            if n == 0 {
                forward(passingLongLine ? held : (rewrite(held) ?? held))
                return .sourceClosed
            }
            let chunk = UnsafeRawBufferPointer(start: buffer, count: n)
            var output: [UInt8] = []
            var lineStart = 0
            for i in 0..<n where chunk[i] == 0x0A {
                held.append(contentsOf: chunk[lineStart..<i])
                if passingLongLine {
                    output += held
                    passingLongLine = false
                } else {
                    output += rewrite(held) ?? held
                }
                output.append(0x0A)
                held.removeAll(keepingCapacity: true)
                lineStart = i + 1
            }
            held.append(contentsOf: chunk[lineStart..<n])
            if passingLongLine || held.count > maxHeldBytes {
                passingLongLine = true
                output += held
                held.removeAll(keepingCapacity: false)
            }
            forward(output)
        }
    }
}
