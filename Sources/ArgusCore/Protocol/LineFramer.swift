#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits a byte stream into newline-terminated lines (the MCP stdio framing).
///
/// Only `\n` ends a frame: `\r`, U+2028, U+2029 and U+0085 may appear inside
/// JSON strings and must not split anything. A line longer than
/// `maxLineBytes` is cut for recording purposes only (the relay forwards every
/// byte regardless): the first `maxLineBytes` bytes are kept and the rest are
/// counted.
public struct LineFramer: Sendable {
    public struct Line: Sendable {
        public var bytes: [UInt8]
        /// Bytes the line really had, including any not kept (excluding the newline).
        public var size: Int
        public var truncated: Bool { size > bytes.count }
    }

    public let maxLineBytes: Int
    private var pending: [UInt8] = []
    private var pendingSize = 0

    public init(maxLineBytes: Int = 64 << 20) {
        self.maxLineBytes = maxLineBytes
    }

    /// True when a partial line is buffered.
    public var hasPartialLine: Bool { pendingSize > 0 }

    /// Feeds a chunk and calls `emit` for each completed line, in order.
    public mutating func push(_ chunk: UnsafeRawBufferPointer, emit: (Line) -> Void) {
        var start = 0
        let count = chunk.count
        while start < count {
            guard let newline = Self.indexOfNewline(chunk, from: start) else {
                append(UnsafeRawBufferPointer(rebasing: chunk[start..<count]))
                return
            }
            if pendingSize == 0 {
                let line = UnsafeRawBufferPointer(rebasing: chunk[start..<newline])
                let kept = min(line.count, maxLineBytes)
                emit(Line(bytes: Array(UnsafeRawBufferPointer(rebasing: line[line.startIndex..<line.startIndex + kept])), size: line.count))
            } else {
                append(UnsafeRawBufferPointer(rebasing: chunk[start..<newline]))
                emit(Line(bytes: pending, size: pendingSize))
                pending = []
                pendingSize = 0
            }
            start = newline + 1
        }
    }

    public mutating func push(_ chunk: [UInt8], emit: (Line) -> Void) {
        chunk.withUnsafeBytes { push($0, emit: emit) }
    }

    /// Drops a partial line (used after bytes were lost, to resynchronise at the next newline).
    public mutating func discardPartialLine() {
        pending = []
        pendingSize = 0
    }

    /// At end of stream: a last line without a newline is still a frame.
    public mutating func finish(emit: (Line) -> Void) {
        if pendingSize > 0 { emit(Line(bytes: pending, size: pendingSize)) }
        pending = []
        pendingSize = 0
    }

    private mutating func append(_ bytes: UnsafeRawBufferPointer) {
        pendingSize += bytes.count
        let room = maxLineBytes - pending.count
        if room > 0 { pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[0..<min(room, bytes.count)])) }
    }

    @inline(__always)
    static func indexOfNewline(_ buffer: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard let base = buffer.baseAddress, start < buffer.count else { return nil }
        guard let found = memchr(base + start, 0x0A, buffer.count - start) else { return nil }
        return UnsafeRawPointer(found) - base
    }
}
