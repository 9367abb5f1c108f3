import ArgusCore
import ArgusSystem

/// Opt-in (`telemetry.otlp.inject_trace_context`): adds a `traceparent` to the `params._meta`
/// of each request the client sends without one, so that a server that reads it continues
/// the trace under Argus's CLIENT span. This changes the bytes the server receives, which
/// Argus otherwise never does; so it is off by default, only inserts (a request that already
/// carries a `traceparent` is forwarded as it came), and inserts text at one place without
/// re-serializing anything (key order, number spelling and spacing stay as they were).
///
/// The inserted `tracestate` carries `argus=<token>`, this process's random token: when the
/// exporter later meets that request in the recording, it knows the `traceparent` names its
/// own CLIENT span (and that the SERVER span starts the trace) rather than a caller's span.
public final class TraceContextInjector: @unchecked Sendable {
    public let token: String
    private let sampler: TelemetrySettings.Sampler
    private let ratio: Double
    private var generator = TraceContext.idGenerator()
    private let monitor = Monitor()

    public init(sampler: TelemetrySettings.Sampler, ratio: Double) {
        self.sampler = sampler
        self.ratio = ratio
        var g = SystemRandomNumberGenerator()
        token = Hex.encode(TraceContext.newSpanID(using: &g))
    }

    /// The line with trace context inserted, or nil to forward it unchanged (not a request,
    /// already carrying a `traceparent`, or not JSON).
    public func inject(_ line: [UInt8]) -> [UInt8]? {
        // Cheap refusals first: this runs on the relay thread for every client line.
        guard line.count < 1 << 20, contains(line, Self.methodKey), contains(line, Self.idKey),
            !contains(line, Array("traceparent".utf8))
        else { return nil }
        guard let message = try? JSONParser.parse(line), let method = message["method"]?.stringValue, !method.isEmpty,
            let id = message["id"], !id.isNull
        else { return nil }
        let params = message["params"]
        if let params, params.objectValue == nil { return nil }  // positional params: nowhere to put _meta
        if let meta = params?["_meta"], meta.objectValue == nil { return nil }
        let context = monitor.locked { () -> TraceContext in
            let traceID = TraceContext.newTraceID(using: &generator)
            let sampled: Bool
            switch sampler {
            case .alwaysOff, .parentBasedAlwaysOff: sampled = false
            case .traceIDRatio, .parentBasedTraceIDRatio: sampled = SpanBuilder.ratioSampled(traceID, ratio)
            default: sampled = true
            }
            return TraceContext(traceID: traceID, spanID: TraceContext.newSpanID(using: &generator), sampled: sampled)
        }
        let members = #""traceparent":"\#(context.traceparent)","tracestate":"argus=\#(token)""#
        return JSONSplice.insert(members: members, into: line, hasParams: params != nil, hasMeta: params?["_meta"] != nil)
    }

    static let methodKey = Array(#""method""#.utf8)
    static let idKey = Array(#""id""#.utf8)

    private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count, let first = needle.first else { return false }
        var i = 0
        let last = haystack.count - needle.count
        while i <= last {
            if haystack[i] == first {
                var j = 1
                while j < needle.count && haystack[i + j] == needle[j] { j += 1 }
                if j == needle.count { return true }
            }
            i += 1
        }
        return false
    }
}

/// Inserts members into a JSON-RPC message's text at the right place, by scanning its bytes
/// (strings and nesting) once. The message was already parsed, so it is known to be valid.
enum JSONSplice {
    static func insert(members: String, into line: [UInt8], hasParams: Bool, hasMeta: Bool) -> [UInt8]? {
        let metaObject = "{" + members + "}"
        if !hasParams {
            // `…,"params":{"_meta":{…}}}`: before the top-level object's closing brace.
            guard let close = line.lastIndex(of: UInt8(ascii: "}")) else { return nil }
            return Array(line[..<close]) + Array(#","params":{"_meta":\#(metaObject)}"#.utf8) + Array(line[close...])
        }
        guard let paramsOpen = valueStart(ofKey: "params", inObjectAt: topLevelOpen(line), in: line) else { return nil }
        if hasMeta {
            guard let metaOpen = valueStart(ofKey: "_meta", inObjectAt: paramsOpen, in: line) else { return nil }
            return insertAfterBrace(line, at: metaOpen, members)
        }
        return insertAfterBrace(line, at: paramsOpen, #""_meta":\#(metaObject)"#)
    }

    /// `{` + text + (`,` unless the object was empty) + the rest.
    private static func insertAfterBrace(_ line: [UInt8], at open: Int, _ text: String) -> [UInt8] {
        var next = open + 1
        while next < line.count, [0x20, 0x09, 0x0A, 0x0D].contains(line[next]) { next += 1 }
        let empty = next < line.count && line[next] == UInt8(ascii: "}")
        return Array(line[...open]) + Array(text.utf8) + (empty ? [] : [UInt8(ascii: ",")]) + Array(line[(open + 1)...])
    }

    private static func topLevelOpen(_ line: [UInt8]) -> Int? {
        line.firstIndex(of: UInt8(ascii: "{"))
    }

    /// The index of the `{` that starts the value of `key` among the members of the object
    /// opening at `open`, or nil when that value is not an object.
    private static func valueStart(ofKey key: String, inObjectAt open: Int?, in line: [UInt8]) -> Int? {
        guard let open else { return nil }
        let wanted = Array(key.utf8)
        var depth = 0
        var i = open
        var expectingKey = false
        while i < line.count {
            let c = line[i]
            switch c {
            case UInt8(ascii: "\""):
                let start = i + 1
                i = start
                while i < line.count && line[i] != UInt8(ascii: "\"") { i += line[i] == UInt8(ascii: "\\") ? 2 : 1 }
                if depth == 1 && expectingKey {
                    let name = Array(line[start..<min(i, line.count)])
                    expectingKey = false
                    if name == wanted {
                        var j = i + 1
                        while j < line.count && line[j] != UInt8(ascii: ":") { j += 1 }
                        j += 1
                        while j < line.count, [0x20, 0x09, 0x0A, 0x0D].contains(line[j]) { j += 1 }
                        return j < line.count && line[j] == UInt8(ascii: "{") ? j : nil
                    }
                }
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                if depth == 1 { expectingKey = true }
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth == 0 { return nil }
            case UInt8(ascii: ","):
                if depth == 1 { expectingKey = true }
            default:
                break
            }
            i += 1
        }
        return nil
    }
}
