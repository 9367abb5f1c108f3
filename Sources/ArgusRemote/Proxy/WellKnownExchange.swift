import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// OAuth discovery, fetched from the upstream's origin: the protected-resource metadata with
/// its `resource` rewritten to this proxy; the rest (authorization server metadata) as is.
struct WellKnownExchange {
    let remote: RemoteBackend
    let head: HTTPRequestHead
    let path: Substring

    /// Answers the request; false when the connection must close after it.
    func run(_ outbound: ClientWriter) async throws -> Bool {
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
        var parts: [HTTPServerResponsePart] = [.head(HTTPResponseHead(version: head.version, status: response.status, headers: headers))]
        if body.readableBytes > 0 { parts.append(.body(.byteBuffer(body))) }
        try await outbound.write(contentsOf: parts + [.end(nil)])
        return head.isKeepAlive
    }
}
