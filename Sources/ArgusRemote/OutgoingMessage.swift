import ArgusCore
import Foundation

/// What the HTTP side needs to know about one line the client sent: what to put in the
/// request's headers, and, for a request, the id to answer when HTTP fails.
struct OutgoingMessage: Sendable {
    enum Kind: Sendable { case request, notification, response, other }

    /// The line as the client sent it, without its newline: this is the POST body, unchanged.
    var body: [UInt8]
    var kind: Kind
    var method: String?
    /// The request's id as JSON text (a string keeps its quotes), to answer with the same id.
    var idJSON: String?
    /// 2026-07-28: the protocol version carried in `params._meta` (no session, routing headers).
    var modernVersion: String?
    /// The value mirrored in `Mcp-Name` for the methods that name something.
    var name: String?

    static let protocolVersionMetaKey = "io.modelcontextprotocol/protocolVersion"
    /// Methods whose target travels in `Mcp-Name`, and the parameter it comes from.
    static let nameBearing = [MCP.Method.toolsCall: "name", MCP.Method.promptsGet: "name", MCP.Method.resourcesRead: "uri"]

    init(body: [UInt8]) {
        self.body = body
        guard let value = try? JSONParser.parse(body), case .object(let object) = value else {
            kind = .other
            return
        }
        method = object["method"]?.stringValue
        let id = object["id"]
        idJSON = id.map { JSONWriter.string($0) }
        switch (method, id) {
        case (.some, .some): kind = .request
        case (.some, .none): kind = .notification
        case (.none, .some): kind = .response
        default: kind = .other
        }
        let params = object["params"]
        modernVersion = params?["_meta"]?[Self.protocolVersionMetaKey]?.stringValue
        if let method, let key = Self.nameBearing[method] { name = params?[key]?.stringValue }
    }

    var isInitialize: Bool { kind == .request && method == MCP.Method.initialize }
}

/// Header values travel as printable ASCII; anything else is wrapped the way the MCP
/// specification says (`=?base64?…?=`), so the server can compare it with the body.
enum HeaderValue {
    static func encode(_ value: String) -> String {
        let plain =
            value.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
            && value.first != " " && value.last != " " && !(value.hasPrefix("=?base64?") && value.hasSuffix("?="))
        return plain ? value : "=?base64?" + Data(value.utf8).base64EncodedString() + "?="
    }
}
