import ArgusCore
import ArgusSystem

/// The relay for the one case where Argus changes what it forwards: trace context injection
/// (opt-in). It offers each complete line to `rewrite`, and forwards (and taps) the new line
/// or, when `rewrite` returns nil, the original bytes. Lines are framed by `LineRelay`: one
/// longer than `maxHeldBytes` is forwarded as it arrives, unchanged, so neither memory nor
/// latency grows with it, and so is a last line without a newline at end of file.
public enum RewritingRelay {
    public static let maxHeldBytes = 1 << 20

    public static func run(
        from source: Int32, to destination: Int32, rewrite: ([UInt8]) -> [UInt8]?,
        tap: (UnsafeRawBufferPointer, Timestamp) -> Void
    ) -> RelayEnd {
        var destinationOK = true
        func forward(_ bytes: UnsafeRawBufferPointer, at time: Timestamp) {
            tap(bytes, time)
            if destinationOK, let base = bytes.baseAddress, !Relay.writeAll(destination, base, bytes.count) { destinationOK = false }
        }
        return LineRelay.run(
            from: source, maxHeldBytes: maxHeldBytes,
            line: { line, time in
                if let new = rewritten(line, rewrite) { new.withUnsafeBytes { forward($0, at: time) } } else { forward(line, at: time) }
            }, piece: { bytes, time, _ in forward(bytes, at: time) })
    }

    /// A whole line (its newline included, if it has one) as `rewrite` makes it, or nil when
    /// it is to go on as it is. `rewrite` sees the line without its newline.
    public static func rewritten(_ line: UnsafeRawBufferPointer, _ rewrite: ([UInt8]) -> [UInt8]?) -> [UInt8]? {
        let endsLine = line.last == 0x0A
        guard var new = rewrite(Array(endsLine ? UnsafeRawBufferPointer(rebasing: line.dropLast()) : line)) else { return nil }
        if endsLine { new.append(0x0A) }
        return new
    }
}
