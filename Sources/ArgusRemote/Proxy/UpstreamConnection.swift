import NIOCore
import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// A plain-HTTP upstream `argus proxy` reaches directly: no TLS, no proxy from the environment,
/// no credentials in the URL. Anything else goes through AsyncHTTPClient.
struct PlainUpstream: Sendable {
    let host: String
    let port: Int
    /// The `Host` header: the URL's authority.
    let authority: String
    /// The request target: the URL's path and query.
    let target: String

    init?(_ url: RemoteURL, proxied: Bool) {
        // The origin is the URL's without credentials: a URL with some (`user:password@`) is left
        // to AsyncHTTPClient, which sends them.
        let origin = url.origin
        guard !url.isHTTPS, !proxied, url.text.hasPrefix(origin), origin.count > "http://".count else { return nil }
        host = url.host
        port = url.port ?? 80
        authority = String(origin.dropFirst("http://".count))
        let pathAndQuery = url.text.dropFirst(origin.count).prefix { $0 != "#" }
        target = pathAndQuery.hasPrefix("/") ? String(pathAndQuery) : "/" + pathAndQuery
    }
}

/// What an upstream answer is handed to, part by part. Each future completes once the part is
/// passed on (written to the client): the next is read only then, so a slow client slows the
/// upstream down instead of the proxy holding the answer.
protocol UpstreamAnswerSink: AnyObject {
    func upstreamHead(_ head: HTTPResponseHead) -> EventLoopFuture<Void>
    func upstreamBody(_ chunk: ByteBuffer) -> EventLoopFuture<Void>
    func upstreamEnd()
    /// The request failed: before an answer's head (nothing reached the client), or in the middle of it.
    func upstreamFailed(_ error: Error)
}

/// The upstream side of one client connection to `argus proxy`, for a plain-HTTP upstream: an
/// HTTP/1.1 connection of its own, on the client connection's event loop, opened at its first
/// request and kept while both sides keep it. The client's requests come one after the other
/// (HTTP/1.1), so they go out one after the other on it. A call thus crosses no thread and
/// no connection pool; SwiftNIO's HTTP/1 codec writes the requests and parses the answers.
/// (AsyncHTTPClient's pool, used for HTTPS and proxied upstreams, costs a request bag and two
/// state machines per call, which was most of the proxy's added latency.)
/// Touched on its event loop only.
final class UpstreamConnection {
    private let eventLoop: EventLoop
    private let upstream: PlainUpstream
    private var reader: AnswerReader?

    init(eventLoop: EventLoop, upstream: PlainUpstream) {
        self.eventLoop = eventLoop
        self.upstream = upstream
    }

    /// Sends a request (connecting first if there is no open connection); the answer goes to `sink`.
    func send(_ method: HTTPMethod, query: Substring?, headers: HTTPHeaders, body: ByteBuffer?, to sink: UpstreamAnswerSink) {
        var headers = headers
        headers.replaceOrAdd(name: "Host", value: upstream.authority)
        if let body { headers.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes)) }
        var target = upstream.target
        if let query, !query.isEmpty, !target.contains("?") { target += "?" + query }
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: target, headers: headers)

        if let reader, reader.isUsable {
            reader.send(head, body: body, to: sink)
            return
        }
        let reader = AnswerReader()
        self.reader = reader
        ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(reader)
                }
            }
            .connect(host: upstream.host, port: upstream.port)
            .whenComplete { result in
                switch result {
                case .success: reader.send(head, body: body, to: sink)
                case .failure(let error): reader.failBeforeConnecting(error, sink)
                }
            }
    }

    /// The request in flight is given up (its client is gone): the connection goes with it,
    /// since the rest of its answer would arrive on it.
    func abandon() {
        reader?.close()
        reader = nil
    }
}

/// The pipeline's last handler: sends a request, and hands its answer's parts to the sink one
/// at a time, each after the one before was passed on.
///
/// The connection reads on its own (autoRead), except while a part is being passed on: then
/// the next read waits for it, so a slow client slows the upstream down. Reading on demand
/// instead (autoRead off) cost two `epoll_ctl` calls per call, as SwiftNIO stops watching a
/// socket nobody asked to read and watches it again at the next request.
private final class AnswerReader: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = HTTPClientRequestPart

    private var context: ChannelHandlerContext?
    private var sink: UpstreamAnswerSink?
    private var pending = CircularBuffer<HTTPClientResponsePart>()
    private var passing = false
    /// A read asked for while a part was being passed on, made once it is.
    private var readHeld = false
    private var closed = false
    private var keepAlive = true

    /// Whether another request may go out on this connection.
    var isUsable: Bool { context != nil && !closed && keepAlive && sink == nil }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func send(_ head: HTTPRequestHead, body: ByteBuffer?, to sink: UpstreamAnswerSink) {
        guard let context, !closed else { return sink.upstreamFailed(ChannelError.ioOnClosedChannel) }
        self.sink = sink
        // A head the encoder refuses (a header value it will not send) fails the request, not silently.
        context.write(wrapOutboundOut(.head(head))).whenFailure { [self] error in
            failInFlight(error)
            close()
        }
        if let body, body.readableBytes > 0 { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    func failBeforeConnecting(_ error: Error, _ sink: UpstreamAnswerSink) {
        closed = true
        sink.upstreamFailed(UpstreamConnectError(underlying: error))
    }

    func close() {
        sink = nil
        pending.removeAll()
        closed = true
        context?.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard sink != nil else { return }
        pending.append(unwrapInboundIn(data))
        passOn()
    }

    private func passOn() {
        while !passing, let sink, let part = pending.popFirst() {
            let passed: EventLoopFuture<Void>
            switch part {
            case .head(let head):
                keepAlive = head.isKeepAlive
                passed = sink.upstreamHead(head)
            case .body(let chunk):
                passed = sink.upstreamBody(chunk)
            case .end:
                // Free before the sink hears of the end: the client's next request may go out at once.
                // (Anything after the end answers no request.)
                self.sink = nil
                pending.removeAll()
                if !keepAlive { close() }
                sink.upstreamEnd()
                continue
            }
            passing = true
            passed.whenComplete { [self] _ in
                passing = false
                passOn()
            }
        }
        if !passing, readHeld {
            readHeld = false
            context?.read()
        }
    }

    func read(context: ChannelHandlerContext) {
        if passing || !pending.isEmpty {
            readHeld = true
        } else {
            context.read()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        failInFlight(UpstreamClosedError())
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        failInFlight(error)
        closed = true
        context.close(promise: nil)
    }

    private func failInFlight(_ error: Error) {
        guard let sink else { return }
        self.sink = nil
        pending.removeAll()
        sink.upstreamFailed(error)
    }
}

/// The upstream closed the connection before the answer was complete.
struct UpstreamClosedError: Error, CustomStringConvertible {
    var description: String { "the upstream server closed the connection before its answer was complete" }
}

/// The upstream could not be connected to; says why as a person would.
struct UpstreamConnectError: Error, CustomStringConvertible {
    let underlying: Error

    var description: String {
        guard let failure = underlying as? NIOConnectionError else { return Self.reason(underlying) }
        guard let first = failure.connectionErrors.first else { return "cannot resolve the host name \(failure.host)" }
        return "cannot connect to \(failure.host):\(failure.port): \(Self.reason(first.error))"
    }

    private static func reason(_ error: Error) -> String {
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)) + " (errno \(io.errnoCode))" }
        if case .connectTimeout(let after) = error as? ChannelError { return "no answer within \(after)" }
        return String(describing: error)
    }
}
