import ArgusCore
import NIOCore
import NIOHTTP1

/// One client connection to `argus proxy`, a handler in its channel's pipeline: its requests,
/// one after the other, each checked (Host, Origin), routed (the MCP path, OAuth discovery)
/// and answered. A call to a remote server is answered on this connection's event loop
/// (`MCPExchange`); a stdio server's answer and OAuth discovery come from Swift concurrency
/// tasks. A client that hangs up cancels what is in flight for it.
///
/// HTTP/1.1 answers come in the order of the requests, so a request that arrives while one is
/// answered (pipelined) waits, and the connection reads no more until it is taken. (SwiftNIO's
/// `HTTPServerPipelineHandler` does this too, but stops reading at every request and starts
/// again after its answer: two `epoll_ctl` calls per call for a case clients rarely use.)
final class ProxyConnection: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private enum InFlight {
        case exchange(MCPExchange)
        case task(Task<Void, Never>)
    }

    private let proxy: ProxyContext
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var tooLarge = false
    private var inFlight: InFlight?
    /// This connection's own connection to a plain-HTTP upstream, opened at its first MCP request.
    private var upstream: UpstreamConnection?
    /// Counts requests, so that the end of one answer never clears the next one's `inFlight`.
    private var requests = 0
    /// Parts of requests that came while one was answered, taken in order once it is.
    private var waiting = CircularBuffer<HTTPServerRequestPart>()
    /// A read asked for while requests wait, made once they are taken.
    private var readHeld = false
    /// Between a request's end and its answer's.
    private var answering = false

    init(context: ProxyContext) {
        proxy = context
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if answering || !waiting.isEmpty {
            waiting.append(part)
        } else {
            take(part, context: context)
        }
    }

    func read(context: ChannelHandlerContext) {
        if waiting.isEmpty {
            context.read()
        } else {
            readHeld = true
        }
    }

    /// The answer is out: the requests that waited are taken, up to the next one to answer.
    private func answered(context: ChannelHandlerContext) {
        answering = false
        while !answering, let part = waiting.popFirst() {
            take(part, context: context)
        }
        if waiting.isEmpty && readHeld {
            readHeld = false
            context.read()
        }
    }

    private func take(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let next):
            head = next
            body = ByteBuffer()
            tooLarge = false
        case .body(var chunk):
            if body.readableBytes + chunk.readableBytes > proxy.maxRequestBytes {
                tooLarge = true
            } else if body.readableBytes == 0 {
                body = chunk
            } else {
                body.writeBuffer(&chunk)
            }
        case .end:
            guard let request = head else { return }
            head = nil
            answering = true
            respond(request, body: body, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        switch inFlight {
        case .exchange(let exchange): exchange.clientHungUp()
        case .task(let task): task.cancel()
        case nil: break
        }
        inFlight = nil
        waiting.removeAll()
        upstream?.abandon()
        upstream = nil
        context.fireChannelInactive()
    }

    private func respond(_ head: HTTPRequestHead, body: ByteBuffer, context: ChannelHandlerContext) {
        let channel = context.channel
        requests += 1
        let number = requests
        let loopBound = NIOLoopBound((self, context), eventLoop: channel.eventLoop)
        // The answer is complete: the connection takes the next request or closes.
        let done: @Sendable (Bool) -> Void = { keepAlive in
            let finish: @Sendable () -> Void = {
                let (connection, context) = loopBound.value
                guard keepAlive else { return channel.close(promise: nil) }
                if connection.requests == number {
                    connection.inFlight = nil
                    connection.answered(context: context)
                }
            }
            if channel.eventLoop.inEventLoop { finish() } else { channel.eventLoop.execute(finish) }
        }
        switch proxy.route(head, tooLarge: tooLarge) {
        case .answer(let status, let text, let keepAlive):
            let parts = ProxyAnswer.parts(status, contentType: "text/plain; charset=utf-8", body: Array(text.utf8), version: head.version)
            ClientWriter(channel: channel).send(parts).whenComplete { _ in done(keepAlive) }
        case .mcp(let query):
            switch proxy.backend {
            case .remote(let remote):
                if upstream == nil, let plain = remote.plain {
                    upstream = UpstreamConnection(eventLoop: channel.eventLoop, upstream: plain)
                }
                let exchange = MCPExchange(remote: remote, head: head, body: body, channel: channel, connection: upstream, done: done)
                inFlight = .exchange(exchange)
                exchange.start(query: query)
            case .stdio(let stdio):
                runTask(done, channel) { try await StdioExchange(backend: stdio, head: head, body: body).run($0) }
            }
        case .wellKnown(let remote, let path):
            runTask(done, channel) { try await WellKnownExchange(remote: remote, head: head, path: path).run($0) }
        }
    }

    /// An answer written from a task; an error writing means the client is gone.
    private func runTask(
        _ done: @escaping @Sendable (Bool) -> Void, _ channel: Channel,
        _ answer: @escaping @Sendable (ClientWriter) async throws -> Bool
    ) {
        let writer = ClientWriter(channel: channel)
        inFlight = .task(
            Task {
                let keepAlive = (try? await answer(writer)) ?? false
                done(keepAlive && !Task.isCancelled)
            })
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
        try await outbound.write(contentsOf: parts(status, contentType: contentType, body: body, version: head.version))
    }

    /// A whole answer: head, body, end.
    static func parts(_ status: HTTPResponseStatus, contentType: String, body: [UInt8], version: HTTPVersion) -> [HTTPServerResponsePart] {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.count))
        return [
            .head(HTTPResponseHead(version: version, status: status, headers: headers)), .body(.byteBuffer(ByteBuffer(bytes: body))),
            .end(nil),
        ]
    }

    /// The JSON-RPC error a client gets when the upstream could not answer: with the request's
    /// id, so the SDK fails that request with this message instead of a bare status.
    static func jsonRPCError(id: String?, _ message: String, data: JSONObject) -> [UInt8] {
        let error: JSONValue = .object(["code": -32000, "message": .string(message), "data": .object(data)])
        return Array("{\"jsonrpc\":\"2.0\",\"id\":\(id ?? "null"),\"error\":\(JSONWriter.string(error))}".utf8)
    }
}
