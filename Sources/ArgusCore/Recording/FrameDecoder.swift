/// Cuts what each side wrote into frames on `\n` (the MCP stdio framing) and reads each one:
/// a JSON message, text that is not JSON, or the kept start of a line too long to keep whole.
/// The server's stderr is cut into lines the same way, with a smaller limit.
struct FrameDecoder {
    enum Frame {
        /// `bytes` are the line as it crossed the proxy (a trailing `\r` removed); `size` is the line's length on the wire.
        case message(JSONValue, bytes: ArraySlice<UInt8>, size: Int)
        case notJSON(ArraySlice<UInt8>, size: Int)
        /// A line over the limit: its first bytes.
        case truncated(ArraySlice<UInt8>, size: Int)
    }

    private var framers: [Direction: LineFramer]
    private var stderrFramer = LineFramer(maxLineBytes: 64 << 10)

    init(maxLineBytes: Int) {
        framers = [
            .clientToServer: LineFramer(maxLineBytes: maxLineBytes),
            .serverToClient: LineFramer(maxLineBytes: maxLineBytes),
        ]
    }

    /// The lines a chunk completes, in order.
    mutating func lines(_ direction: Direction, _ chunk: UnsafeRawBufferPointer) -> [LineFramer.Line] {
        var lines: [LineFramer.Line] = []
        framers[direction, default: LineFramer()].push(chunk) { lines.append($0) }
        return lines
    }

    /// At end of stream: a last line without a newline is still a frame.
    mutating func remainingLines(_ direction: Direction) -> [LineFramer.Line] {
        var lines: [LineFramer.Line] = []
        framers[direction]?.finish { lines.append($0) }
        return lines
    }

    /// After bytes were lost: the partial line goes, so framing resumes at the next newline.
    mutating func discardPartialLine(_ direction: Direction) {
        if framers[direction]?.hasPartialLine == true { framers[direction]?.discardPartialLine() }
    }

    /// What a line holds; nil for a blank line, which carries nothing.
    static func frame(_ line: LineFramer.Line) -> Frame? {
        let bytes = withoutCarriageReturn(line)
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return nil }
        if line.truncated { return .truncated(bytes, size: line.size) }
        guard let parsed = try? bytes.withUnsafeBytes({ try JSONParser.parse($0) }) else { return .notJSON(bytes, size: line.size) }
        return .message(parsed, bytes: bytes, size: line.size)
    }

    /// The stderr lines a chunk completes, as text.
    mutating func stderrLines(_ chunk: UnsafeRawBufferPointer) -> [String] {
        var lines: [String] = []
        stderrFramer.push(chunk) { lines.append(Self.text($0)) }
        return lines
    }

    mutating func remainingStderrLines() -> [String] {
        var lines: [String] = []
        stderrFramer.finish { lines.append(Self.text($0)) }
        return lines
    }

    private static func text(_ line: LineFramer.Line) -> String {
        String(decoding: withoutCarriageReturn(line), as: UTF8.self)
    }

    /// CRLF framing is tolerated: the `\r` belongs to the line ending, not the message.
    private static func withoutCarriageReturn(_ line: LineFramer.Line) -> ArraySlice<UInt8> {
        line.bytes.last == 0x0D ? line.bytes.dropLast() : line.bytes[...]
    }
}
