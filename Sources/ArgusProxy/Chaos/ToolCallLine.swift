import ArgusCore

#if canImport(Glibc)
import Glibc
#endif

/// A `tools/call` request, read from a line the client sent.
public struct ToolCallLine {
    public var id: JSONValue
    public var idText: String
    public var tool: String
    public var arguments: JSONValue?
    /// 2026-07-28 (the version travels in `_meta`): results carry `resultType`.
    public var modern: Bool

    /// What a `stale` fault keys answers by: the tool and its arguments, equal for equal arguments.
    public var answerKey: String { tool + "\u{0}" + (arguments?.canonicalText ?? "{}") }

    /// The request as the client sent it, without its line end (for scripts).
    static func body(_ bytes: UnsafeRawBufferPointer) -> String {
        var text = String(decoding: bytes, as: UTF8.self)
        while text.last == "\n" || text.last == "\r" { text.removeLast() }
        return text
    }

    private static let marker = Array("tools/call".utf8)

    /// Whether the bytes contain `tools/call` (memchr for its first byte, then the rest).
    private static func mentionsToolsCall(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        var offset = 0
        while bytes.count - offset >= marker.count, let hit = memchr(base + offset, Int32(marker[0]), bytes.count - offset) {
            let at = base.distance(to: UnsafeRawPointer(hit))
            if bytes.count - at < marker.count { return false }
            if marker.indices.allSatisfy({ bytes[at + $0] == marker[$0] }) { return true }
            offset = at + 1
        }
        return false
    }

    public init?(_ bytes: UnsafeRawBufferPointer) {
        // Most lines are not tool calls: a byte search spares them the parse.
        guard Self.mentionsToolsCall(bytes), let value = try? JSONParser.parse(bytes) else { return nil }
        let envelope = Envelope(value)
        guard envelope.kind == .request, envelope.method == "tools/call", let id = envelope.id,
            let tool = envelope.params?["name"]?.stringValue
        else { return nil }
        self.id = id
        idText = JSONWriter.string(id)
        self.tool = tool
        arguments = envelope.params?["arguments"]
        modern = envelope.meta?["io.modelcontextprotocol/protocolVersion"] != nil
    }
}

/// A response, read from a line the server sent.
public struct ResponseLine {
    public var idText: String
    /// The result, unless it is an error (JSON-RPC or `isError`).
    public var successfulResult: JSONValue?

    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard let value = try? JSONParser.parse(bytes) else { return nil }
        let envelope = Envelope(value)
        guard envelope.kind == .response || envelope.kind == .error, let idText = envelope.idText else { return nil }
        self.idText = idText
        if let result = envelope.result, result["isError"]?.boolValue != true { successfulResult = result }
    }
}
