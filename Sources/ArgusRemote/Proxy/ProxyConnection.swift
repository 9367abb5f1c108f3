import ArgusCore
import AsyncHTTPClient
import NIOCore
import NIOHTTP1

typealias ClientChannel = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>
typealias ClientWriter = NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>

/// One client connection to `argus proxy`: its requests, one after the other (HTTP/1.1), each
/// checked (Host, Origin), routed (the MCP path, OAuth discovery) and answered.
struct ProxyConnection {
    let context: ProxyContext

    func serve(_ channel: ClientChannel) async {
        // A client that hangs up cancels what is in flight for it (an upstream stream that would
        // otherwise stay open until the server next speaks).
        let work = Task {
            try? await channel.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                var body = ByteBuffer()
                var tooLarge = false
                for try await part in inbound {
                    switch part {
                    case .head(let next):
                        head = next
                        body.clear()
                        tooLarge = false
                    case .body(var chunk):
                        if body.readableBytes + chunk.readableBytes > context.maxRequestBytes {
                            tooLarge = true
                        } else {
                            body.writeBuffer(&chunk)
                        }
                    case .end:
                        guard let request = head else { continue }
                        head = nil
                        let keepAlive = try await respond(request, body: body, tooLarge: tooLarge, outbound)
                        if !keepAlive || Task.isCancelled { return }
                    }
                }
            }
        }
        channel.channel.closeFuture.whenComplete { _ in work.cancel() }
        await work.value
    }

    /// Answers one request; false when the connection must close after it.
    private func respond(_ head: HTTPRequestHead, body: ByteBuffer, tooLarge: Bool, _ outbound: ClientWriter) async throws -> Bool {
        guard context.admits(host: head.headers.first(name: "host"), origin: head.headers.first(name: "origin")) else {
            try await ProxyAnswer.text(
                .forbidden,
                "argus proxy: this request's Host or Origin is not this proxy's address "
                    + "(a protection against DNS rebinding); use the address argus proxy printed, "
                    + "or --public-url for the name clients use\n", head, outbound)
            return head.isKeepAlive
        }
        let (path, query) = Self.split(head.uri)
        if tooLarge {
            try await ProxyAnswer.text(
                .payloadTooLarge, "argus proxy: the request body is larger than \(context.maxRequestBytes >> 20) MB\n",
                head, outbound)
            return false
        }
        switch context.backend {
        case .remote(let remote):
            if context.isServedPath(path) {
                return try await MCPExchange(remote: remote, head: head, body: body, query: query).run(outbound)
            }
            if path.hasPrefix("/.well-known/") { return try await wellKnown(head, path: path, remote, outbound) }
        case .stdio(let stdio):
            if context.isServedPath(path) { return try await StdioExchange(backend: stdio, head: head, body: body).run(outbound) }
        }
        try await ProxyAnswer.text(
            .notFound, "argus proxy: this proxy serves MCP at \(context.servedPath), not \(path)\n",
            head, outbound)
        return head.isKeepAlive
    }

    /// OAuth discovery, fetched from the upstream's origin: the protected-resource metadata with
    /// its `resource` rewritten to this proxy; the rest (authorization server metadata) as is.
    private func wellKnown(_ head: HTTPRequestHead, path: Substring, _ remote: RemoteBackend, _ outbound: ClientWriter)
        async throws -> Bool
    {
        var request = HTTPClientRequest(url: remote.metadata.upstreamOrigin + head.uri)
        request.method = head.method
        request.headers = ForwardedHeaders.request(head.headers, adding: [])
        let response: HTTPClientResponse
        var body: ByteBuffer
        do {
            response = try await remote.client.execute(request, timeout: .seconds(30))
            body = try await response.body.collect(upTo: 1 << 20)
        } catch {
            try await ProxyAnswer.text(
                .badGateway,
                "argus proxy: the upstream's \(path) could not be fetched: "
                    + "\(StreamableHTTPConnection.describe(error))\n", head, outbound)
            return head.isKeepAlive
        }
        var headers = ForwardedHeaders.response(response.headers)
        if path.hasPrefix(ProtectedResourceMetadata.wellKnownPrefix), (200..<300).contains(response.status.code),
            let rewritten = remote.metadata.rewrite(Array(body.readableBytesView))
        {
            body = ByteBuffer(bytes: rewritten)
            headers.replaceOrAdd(name: "Content-Length", value: String(rewritten.count))
        }
        try await outbound.write(.head(HTTPResponseHead(version: head.version, status: response.status, headers: headers)))
        if body.readableBytes > 0 { try await outbound.write(.body(.byteBuffer(body))) }
        try await outbound.write(.end(nil))
        return head.isKeepAlive
    }

    /// `/mcp?x=1` → (`/mcp`, `x=1`).
    static func split(_ uri: String) -> (path: Substring, query: Substring?) {
        let target = Substring(uri)
        guard let mark = target.firstIndex(of: "?") else { return (target, nil) }
        return (target[..<mark], target[target.index(after: mark)...])
    }
}

/// Answers the proxy writes itself.
enum ProxyAnswer {
    static func text(_ status: HTTPResponseStatus, _ text: String, _ head: HTTPRequestHead, _ outbound: ClientWriter) async throws {
        try await whole(status, contentType: "text/plain; charset=utf-8", body: Array(text.utf8), head, outbound)
    }

    static func whole(
        _ status: HTTPResponseStatus, contentType: String, body: [UInt8], _ head: HTTPRequestHead,
        _ outbound: ClientWriter
    ) async throws {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.count))
        try await outbound.write(.head(HTTPResponseHead(version: head.version, status: status, headers: headers)))
        try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: body))))
        try await outbound.write(.end(nil))
    }

    /// The JSON-RPC error a client gets when the upstream could not answer: with the request's
    /// id, so the SDK fails that request with this message instead of a bare status.
    static func jsonRPCError(id: String?, _ message: String, data: JSONObject) -> [UInt8] {
        let error: JSONValue = .object(["code": -32000, "message": .string(message), "data": .object(data)])
        return Array("{\"jsonrpc\":\"2.0\",\"id\":\(id ?? "null"),\"error\":\(JSONWriter.string(error))}".utf8)
    }
}
