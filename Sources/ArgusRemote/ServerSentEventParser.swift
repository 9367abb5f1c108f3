/// One event of a `text/event-stream` body.
public struct ServerSentEvent: Sendable, Equatable {
    public var event: String?
    public var id: String?
    /// The data lines joined by `\n`, as the SSE specification says.
    public var data: [UInt8]
    public var retryMillis: Int?
}

/// An incremental `text/event-stream` parser (WHATWG HTML, "Server-sent events"): feed it
/// the body's chunks as they arrive; it emits each event when its blank line arrives. Lines
/// end with CRLF, LF or CR, and a CRLF split between two chunks counts once.
public struct ServerSentEventParser: Sendable {
    private var line: [UInt8] = []
    private var lastWasCR = false
    private var data: [UInt8] = []
    private var hasData = false
    private var eventName: String?
    private var eventID: String?
    private var retry: Int?
    /// The largest line kept (a larger one is cut, and the event with it): a stream that never
    /// ends its line must not grow without bound.
    public let maxLineBytes: Int
    public private(set) var truncatedLines = 0

    public init(maxLineBytes: Int = 256 << 20) { self.maxLineBytes = maxLineBytes }

    /// True when bytes of an unfinished event are held (a stream that ends now was cut mid-event).
    public var hasPartialEvent: Bool { !line.isEmpty || hasData }

    public mutating func push<Bytes: Sequence>(_ bytes: Bytes, emit: (ServerSentEvent) -> Void) where Bytes.Element == UInt8 {
        for byte in bytes {
            if byte == 0x0A, lastWasCR {
                lastWasCR = false
                continue
            }
            lastWasCR = byte == 0x0D
            if byte == 0x0A || byte == 0x0D {
                endLine(emit: emit)
            } else if line.count < maxLineBytes {
                line.append(byte)
            } else if line.count == maxLineBytes {
                truncatedLines += 1
                line.append(byte)  // one past the limit marks the line as cut
            }
        }
    }

    private mutating func endLine(emit: (ServerSentEvent) -> Void) {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            if hasData {
                emit(ServerSentEvent(event: eventName, id: eventID, data: data, retryMillis: retry))
            }
            data.removeAll(keepingCapacity: true)
            hasData = false
            eventName = nil
            retry = nil
            return
        }
        if line.count > maxLineBytes { return }
        if line.first == UInt8(ascii: ":") { return }  // a comment (keep-alive)
        let colon = line.firstIndex(of: UInt8(ascii: ":"))
        let field = String(decoding: line[..<(colon ?? line.endIndex)], as: UTF8.self)
        var valueStart = colon.map { $0 + 1 } ?? line.endIndex
        if valueStart < line.endIndex, line[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
        let value = line[valueStart...]
        switch field {
        case "data":
            if hasData { data.append(0x0A) }
            data.append(contentsOf: value)
            hasData = true
        case "event": eventName = String(decoding: value, as: UTF8.self)
        case "id" where !value.contains(0): eventID = String(decoding: value, as: UTF8.self)
        case "retry": retry = Int(String(decoding: value, as: UTF8.self))
        default: break
        }
    }
}
