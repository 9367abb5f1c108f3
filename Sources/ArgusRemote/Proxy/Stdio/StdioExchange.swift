import ArgusCore
import ArgusProxy
import NIOCore
import NIOHTTP1

/// One HTTP request to a stdio server behind `argus proxy`, answered the way a Streamable
/// HTTP server answers: a POST with requests gets an SSE stream carrying what the server
/// sends until each has its answer, one without gets `202`; GET opens the stream of the
/// server's other messages; DELETE ends the session.
struct StdioExchange {
    let backend: StdioBackend
    let head: HTTPRequestHead
    let body: ByteBuffer

    func run(_ outbound: ClientWriter) async throws -> Bool {
        let sessionID = head.headers.first(name: "mcp-session-id").flatMap { $0.isEmpty ? nil : $0 }
        switch head.method {
        case .POST:
            return try await post(sessionID, outbound)
        case .GET:
            guard let sessionID else {
                return try await refuse(.methodNotAllowed, "a GET stream needs a session (Mcp-Session-Id)", outbound)
            }
            guard let session = backend.session(sessionID) else { return try await unknownSession(outbound) }
            guard let stream = session.listen() else {
                return try await refuse(.conflict, "this session's GET stream is open already", outbound)
            }
            session.recording.transport(["event": "stream_opened", "method": "GET"])
            return try await streamEvents(stream, sessionHeader: nil, outbound)
        case .DELETE:
            guard let sessionID, backend.end(sessionID) else { return try await unknownSession(outbound) }
            try await ProxyAnswer.whole(.ok, contentType: "application/json", body: [], head, outbound)
            return head.isKeepAlive
        default:
            return try await refuse(.methodNotAllowed, "the MCP endpoint takes POST, GET and DELETE", outbound)
        }
    }

    private func post(_ sessionID: String?, _ outbound: ClientWriter) async throws -> Bool {
        let bytes = Array(body.readableBytesView)
        guard let value = try? JSONParser.parse(bytes) else {
            try await ProxyAnswer.whole(
                .badRequest, contentType: "application/json",
                body: Array(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}"#.utf8),
                head, outbound)
            return head.isKeepAlive
        }
        let messages = value.arrayValue ?? [value]
        let requests = messages.filter { $0["method"] != nil && $0["id"] != nil }
        let ids = requests.compactMap { $0["id"].map { JSONWriter.string($0) } }
        let opens = requests.contains { $0["method"]?.stringValue == MCP.Method.initialize }

        let session: StdioServerSession
        if let sessionID {
            guard let known = backend.session(sessionID) else { return try await unknownSession(outbound) }
            session = known
        } else {
            do throws(SpawnError) {
                session = opens ? try backend.open() : try backend.sharedSession()
            } catch {
                let answer = ProxyAnswer.jsonRPCError(
                    id: ids.first, "argus proxy: cannot start the MCP server: \(error)",
                    data: ["transport": "stdio"])
                try await ProxyAnswer.whole(.internalServerError, contentType: "application/json", body: answer, head, outbound)
                return head.isKeepAlive
            }
        }
        // On stdio a message is one line: line breaks between JSON tokens become spaces.
        let line = bytes.map { $0 == 0x0A || $0 == 0x0D ? 0x20 : $0 }
        let stream = await session.send([line], answering: ids)
        guard let stream else {
            if ids.isEmpty {
                try await ProxyAnswer.whole(.accepted, contentType: "application/json", body: [], head, outbound)
                return head.isKeepAlive
            }
            return try await unknownSession(outbound)  // the server exited meanwhile
        }
        return try await streamEvents(stream, sessionHeader: opens ? session.id : nil, outbound)
    }

    /// Each message as an SSE event, written as it comes.
    private func streamEvents(_ stream: AsyncStream<[UInt8]>, sessionHeader: String?, _ outbound: ClientWriter) async throws -> Bool {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/event-stream")
        headers.add(name: "Cache-Control", value: "no-cache")
        if let sessionHeader { headers.add(name: "Mcp-Session-Id", value: sessionHeader) }
        try await outbound.write(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers)))
        for await message in stream {
            var event = ByteBuffer()
            event.writeString("event: message\ndata: ")
            event.writeBytes(message)
            event.writeString("\n\n")
            try await outbound.write(.body(.byteBuffer(event)))
        }
        if Task.isCancelled { return false }
        try await outbound.write(.end(nil))
        return head.isKeepAlive
    }

    private func unknownSession(_ outbound: ClientWriter) async throws -> Bool {
        try await refuse(.notFound, "no such session (it ended, or its server exited): initialize again", outbound)
    }

    private func refuse(_ status: HTTPResponseStatus, _ message: String, _ outbound: ClientWriter) async throws -> Bool {
        let answer = ProxyAnswer.jsonRPCError(id: nil, "argus proxy: \(message)", data: ["httpStatus": .int(Int(status.code))])
        try await ProxyAnswer.whole(status, contentType: "application/json", body: answer, head, outbound)
        return head.isKeepAlive
    }
}
