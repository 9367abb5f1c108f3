import ArgusCore
import ArgusProxy
import ArgusSystem
import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// One request to the MCP path, forwarded upstream, its answer streamed back, and both
/// recorded in the session's recording: the client's message before it goes out, each
/// message of the answer before the client gets it (so a server's request is always
/// recorded before the client's answer to it), and what HTTP did as transport frames.
///
/// It lives on its client connection's event loop from start to end. A plain-HTTP upstream is
/// reached through the client connection's own upstream connection on that loop
/// (`UpstreamConnection`); an HTTPS or proxied one through AsyncHTTPClient, whose callbacks
/// run on the same loop (its delegate API, `.delegate(on:)`) and whose pool lends an idle
/// connection of that loop when it has one. (Binding the connection too,
/// `.delegateAndChannel`, makes AsyncHTTPClient open a connection for a request when none of
/// that loop is idle and close it after: with many sessions at once, a new upstream connection
/// for about every other call.) Recording only queues a copy of each message for the session's
/// recorder thread, which never waits. All state is touched on that loop only, hence
/// `@unchecked Sendable`.
final class MCPExchange: UpstreamAnswerSink, @unchecked Sendable {

    enum Outcome {
        case complete
        case upstreamBroke(String)
        case clientGone
    }

    private let remote: RemoteBackend
    private let head: HTTPRequestHead
    private let body: ByteBuffer
    private let channel: Channel
    /// The client connection's own upstream connection, for a plain-HTTP upstream.
    private let connection: UpstreamConnection?
    /// Called once on the loop when the exchange is over: whether the connection may carry another request.
    private let done: @Sendable (_ keepAlive: Bool) -> Void

    private let received = SystemClock.now()
    private let session: String?
    /// The client's message, parsed only when something needs it: most calls never do.
    private lazy var message: OutgoingMessage? = head.method == .POST ? OutgoingMessage(body: Array(body.readableBytesView)) : nil
    private var recording: SessionRecording?
    /// An `initialize` outside any session: recorded once its answer's headers say which session it opened.
    private lazy var holdsInitialize: Bool = session == nil && message?.isInitialize == true
    /// The request upstream while it is in flight.
    private var inFlight: InFlight?
    private var status: Int?
    /// The client's response head, written with the first body part (one write for a small answer, not two).
    private var pendingHead: HTTPResponseHead?
    private var isStream = false
    private var isEventStream = false
    /// The body is gathered for the recording (a JSON answer), or to be cut (a `malformed` fault).
    private var copiesBody = false
    private var parser = ServerSentEventParser()
    private var copy: [UInt8] = []
    /// A JSON body's latest chunk, sent once the next one (or the end) shows it was not the last.
    private var held: ByteBuffer?
    private var clientGone = false
    private var over = false
    /// With `--faults`, a `tools/call` the judge ruled on: its id, and what happens to its answer.
    private var faultedCall: FaultedCall?
    /// An answer argus sends in the server's place after a delay.
    private var scheduledAnswer: Scheduled<Void>?

    private enum InFlight {
        case pooled(HTTPClient.Task<Void>)
        case own(UpstreamConnection)

        func cancel() {
            switch self {
            case .pooled(let task): task.cancel()
            case .own(let connection): connection.abandon()
            }
        }
    }

    private struct FaultedCall {
        var id: String
        var holdMillis = 0.0
        /// A `malformed` fault: the answer to `id` is cut, and recorded with this fault.
        var spoil: InjectedFault?
        /// Keep the server's successful answer under this key, for later `stale` faults.
        var rememberAs: String?
    }

    /// The recorder's line limit: a JSON answer's recorded copy stops there (the client gets it all).
    private static let copyLimit = 64 << 20

    init(
        remote: RemoteBackend, head: HTTPRequestHead, body: ByteBuffer, channel: Channel, connection: UpstreamConnection?,
        done: @escaping @Sendable (_ keepAlive: Bool) -> Void
    ) {
        self.remote = remote
        self.head = head
        self.body = body
        self.channel = channel
        self.connection = connection
        self.done = done
        session = head.headers.first(name: "mcp-session-id").flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Records the client's message and sends it upstream. Call on the channel's loop.
    func start(query: Substring?) {
        let recordings = remote.recordings
        // Which recording: the session's; for `initialize`, the one its answer opens (so it is
        // held until the answer's headers say); outside any session, the shared one.
        switch head.method {
        case .POST where !holdsInitialize, .GET, .DELETE:
            recording = session.map(recordings.forSession) ?? recordings.withoutSession()
        default:
            break
        }
        // The recorder is woken once the request is on its way (a futex call the request need not wait for).
        recording?.clientSent(body.readableBytesView, at: received, wakingRecorder: false)
        defer { recording?.wakeRecorder() }
        if let recording, head.headers.contains(name: "mcp-method") || head.headers.contains(name: "mcp-name"), let message {
            checkRoutingHeaders(message, recording)
        }
        if head.method == .POST, let judge = recording?.faults, !ruleOnFaults(judge) { return }

        let headers = ForwardedHeaders.request(head.headers, adding: remote.upstreamHeaders)
        let hasBody = body.readableBytes > 0 || head.method == .POST
        if let connection {
            inFlight = .own(connection)
            connection.send(head.method, query: query, headers: headers, body: hasBody ? body : nil, to: self)
            return
        }
        let request: HTTPClient.Request
        do {
            request = try HTTPClient.Request(
                url: remote.upstreamURL(query: query), method: head.method, headers: headers, body: hasBody ? .byteBuffer(body) : nil)
        } catch {
            answerUnreachable(error)
            return
        }
        inFlight = .pooled(
            remote.client.execute(request: request, delegate: self, eventLoop: .delegate(on: channel.eventLoop)))
    }

    /// The client hung up: the upstream request is cancelled (a stream would otherwise stay open
    /// until the server next speaks). Call on the channel's loop.
    func clientHungUp() {
        guard !over else { return }
        clientGone = true
        inFlight?.cancel()
        // An answer argus was to send, or a call a timeout fault never answers: nothing more to wait for.
        if inFlight == nil {
            scheduledAnswer?.cancel()
            finish(.clientGone)
        }
    }

    // MARK: the upstream's answer (on the channel's loop)

    func upstreamHead(_ response: HTTPResponseHead) -> EventLoopFuture<Void> {
        let status = Int(response.status.code)
        self.status = status
        guard !clientGone else { return channel.eventLoop.makeSucceededVoidFuture() }
        if holdsInitialize {
            if (200..<300).contains(status), let opened = response.headers.first(name: "mcp-session-id"), !opened.isEmpty {
                let opening = remote.recordings.opened(opened, secrets: Self.credentials(head.headers))
                opening.clientSent(body.readableBytesView, at: received)
                opening.transport(["event": "session_started"])
                recording = opening
            } else {
                recordOutsideAnySession()
            }
        }
        if !(200..<300).contains(status) || (status == 202 && message?.kind == .request) {
            recording?.transport(statusFrame(status, response.headers))
        }

        var headers = ForwardedHeaders.response(response.headers)
        if let challenge = response.headers.first(name: "www-authenticate") {
            headers.replaceOrAdd(name: "WWW-Authenticate", value: remote.metadata.rewriteChallenge(challenge))
        }
        pendingHead = HTTPResponseHead(version: head.version, status: response.status, headers: headers)
        isStream = head.method == .GET && (200..<300).contains(status)
        if isStream { recording?.transport(["event": "stream_opened", "method": "GET"]) }
        let contentType = response.headers.first(name: "content-type") ?? ""
        isEventStream = ContentType.isEventStream(contentType)
        // A `malformed` fault gathers the answer whatever its type, to cut it.
        copiesBody = recording != nil && !isEventStream && (ContentType.isJSON(contentType) || faultedCall?.spoil != nil)
        // One allocation for a usual answer instead of one per doubling; a claimed length is trusted up to 1 MB only.
        if copiesBody, let length = response.headers.first(name: "content-length").flatMap(Int.init), length > 0 {
            copy.reserveCapacity(min(length, 1 << 20))
        }
        // A stream's head goes out at once: the client must not wait for the first event to see it.
        let headOut = { [self] in isEventStream ? write([]) : channel.eventLoop.makeSucceededVoidFuture() }
        // A latency fault holds the whole answer (AsyncHTTPClient reads no body until this completes).
        guard let hold = faultedCall?.holdMillis, hold > 0 else { return headOut() }
        return channel.eventLoop.scheduleTask(in: .microseconds(Int64(hold * 1000))) {}.futureResult.flatMap(headOut)
    }

    /// Forwards the body chunk by chunk as it arrives (a 50 MB answer is never held whole on
    /// the way; the next chunk is read once this one is written). The recording's copy: each
    /// SSE event as it completes, recorded before the chunk that completes it is written; a
    /// JSON body whole (up to the recorder's line limit), recorded before its last chunk goes out.
    func upstreamBody(_ chunk: ByteBuffer) -> EventLoopFuture<Void> {
        guard !clientGone else { return channel.eventLoop.makeSucceededVoidFuture() }
        if isEventStream, faultedCall != nil {
            let events = faultedEvents(chunk)
            // No event completed in this chunk: nothing to write (an empty chunk would end the body).
            return events.readableBytes > 0 ? write([.body(.byteBuffer(events))]) : channel.eventLoop.makeSucceededVoidFuture()
        }
        if isEventStream, let recording {
            parser.push(chunk.readableBytesView) { event in
                if !event.data.isEmpty { recording.serverSent(event.data) }
            }
        } else if copiesBody {
            if copy.count <= Self.copyLimit {
                copy.append(contentsOf: chunk.readableBytesView.prefix(Self.copyLimit + 1 - copy.count))
            }
            if faultedCall?.spoil != nil { return channel.eventLoop.makeSucceededVoidFuture() }
            let previous = held
            held = chunk
            return previous.map { write([.body(.byteBuffer($0))]) } ?? channel.eventLoop.makeSucceededVoidFuture()
        }
        return write([.body(.byteBuffer(chunk))])
    }

    func upstreamEnd() {
        guard !clientGone else { return finish(.clientGone) }
        if isEventStream, parser.hasPartialEvent {
            return finish(.upstreamBroke("the SSE stream ended in the middle of an event"))
        }
        if copiesBody, let spoil = faultedCall?.spoil {
            // The client gets the answer cut short (it was held back whole, not streamed).
            let cut = FaultAnswer.truncated(ArraySlice(copy))
            recording?.recordFault(spoil, answer: cut, at: SystemClock.now())
            return writeLast([.body(.byteBuffer(ByteBuffer(bytes: cut)))])
        }
        if copiesBody, let recording, let status, (200..<300).contains(status) || Self.isJSONRPC(copy) {
            rememberIfAnswer(copy)
            // Handed over, not copied: a 50 MB answer is in memory once on its way to the recorder.
            var whole: [UInt8] = []
            swap(&whole, &copy)
            recording.serverSent(owned: consume whole, wakingRecorder: false)
        }
        // The last chunk and the end (and the head, for a body that came in one chunk) in one write;
        // then the recorder is woken (queued first, the answer is still recorded before the client
        // can answer it).
        writeLast(takeHeld())
        recording?.wakeRecorder()
    }

    /// Writes the answer's last parts and its end; the exchange is over once they are out.
    private func writeLast(_ parts: [HTTPServerResponsePart]) {
        write(parts + [.end(nil)]).whenComplete { [self] result in
            if case .success = result { finish(.complete) } else { finish(.clientGone) }
        }
    }

    func upstreamFailed(_ error: Error) {
        if clientGone { return finish(.clientGone) }
        guard status != nil else { return answerUnreachable(error) }
        _ = write(takeHeld())
        finish(.upstreamBroke(StreamableHTTPConnection.describe(error)))
    }

    // MARK: faults (argus proxy --faults)

    /// Asks the session's judge about a `tools/call`: a fault that lets the server answer is
    /// remembered for the answer; one that answers in the server's place (or never) is carried
    /// out here. Returns whether the request still goes upstream.
    private func ruleOnFaults(_ judge: FaultJudge) -> Bool {
        guard let call = body.withUnsafeReadableBytes({ ToolCallLine($0) }) else { return true }
        let ruling = body.withUnsafeReadableBytes { judge.rule(on: call, $0, at: received) }
        guard ruling.fault != nil || ruling.rememberAs != nil else { return true }
        faultedCall = FaultedCall(id: call.idText, rememberAs: ruling.rememberAs)
        guard let fault = ruling.fault else { return true }
        guard ruling.forwardsRequest else {
            answerInServersPlace(ruling.answer, fault: fault, afterMillis: ruling.delayMillis)
            return false
        }
        faultedCall?.holdMillis = ruling.delayMillis
        if ruling.spoilsAnswer {
            var spoilt = fault
            spoilt.spoiltResponse = true
            faultedCall?.spoil = spoilt
        } else {
            recording?.recordFault(fault, answer: nil, at: received)
        }
        return true
    }

    /// Argus's own answer (`error`, `is_error`, `empty`, `stale`, a script's), sent as a JSON
    /// body after the fault's delay; a `timeout` sends none and keeps the request open until the
    /// client gives up.
    private func answerInServersPlace(_ answer: [UInt8]?, fault: InjectedFault, afterMillis delay: Double) {
        guard let answer else {
            recording?.recordFault(fault, answer: nil, at: received)
            return
        }
        let send: @Sendable () -> Void = { [self] in
            guard !over else { return }
            over = true
            recording?.recordFault(fault, answer: answer, at: SystemClock.now())
            var body = answer
            while body.last == 0x0A { body.removeLast() }
            let keepAlive = head.isKeepAlive
            write(ProxyAnswer.parts(.ok, contentType: "application/json", body: body, version: head.version))
                .whenComplete { [done] _ in done(keepAlive) }
        }
        guard delay > 0 else { return send() }
        scheduledAnswer = channel.eventLoop.scheduleTask(in: .microseconds(Int64(delay * 1000)), send)
    }

    /// An SSE chunk of a faulted call's answer: each event is recorded and passed on, but the
    /// answer to the call is remembered for `stale` faults, or cut (`malformed`). The events go
    /// out re-framed (`data:` lines, their `event` and `id`): the same events, parsed once.
    private func faultedEvents(_ chunk: ByteBuffer) -> ByteBuffer {
        var out = ByteBuffer()
        parser.push(chunk.readableBytesView) { event in
            guard !event.data.isEmpty else { return }
            var data = event.data
            if let spoil = faultedCall?.spoil, answers(faultedCall?.id, data) {
                data = FaultAnswer.truncated(ArraySlice(data))
                data.removeLast()
                recording?.recordFault(spoil, answer: data, at: SystemClock.now())
            } else {
                rememberIfAnswer(data)
                recording?.serverSent(data)
            }
            if let name = event.event { out.writeString("event: \(name)\n") }
            if let id = event.id { out.writeString("id: \(id)\n") }
            for line in data.split(separator: 0x0A, omittingEmptySubsequences: false) {
                out.writeString("data: ")
                out.writeBytes(line)
                out.writeString("\n")
            }
            out.writeString("\n")
        }
        return out
    }

    /// Keeps a successful answer to the faulted call, for later `stale` faults.
    private func rememberIfAnswer(_ message: [UInt8]) {
        guard let key = faultedCall?.rememberAs, let judge = recording?.faults else { return }
        guard let response = message.withUnsafeBytes({ ResponseLine($0) }), response.idText == faultedCall?.id,
            let result = response.successfulResult
        else { return }
        judge.remember(result, as: key)
    }

    private func answers(_ id: String?, _ message: [UInt8]) -> Bool {
        guard let id else { return false }
        return message.withUnsafeBytes { ResponseLine($0) }?.idText == id
    }

    // MARK: the client's side

    private func takeHeld() -> [HTTPServerResponsePart] {
        defer { held = nil }
        return held.map { [.body(.byteBuffer($0))] } ?? []
    }

    /// Writes and flushes `parts` (after the response head, if it has not gone out yet). The
    /// future completes once they are written; a client that is gone cancels the upstream request.
    private func write(_ parts: [HTTPServerResponsePart]) -> EventLoopFuture<Void> {
        var all = parts
        if let head = pendingHead {
            all.insert(.head(head), at: 0)
            pendingHead = nil
        }
        return ClientWriter(channel: channel).send(all).flatMapError { [self] _ in
            clientHungUp()
            return channel.eventLoop.makeSucceededVoidFuture()
        }
    }

    private func finish(_ outcome: Outcome) {
        guard !over else { return }
        over = true
        inFlight = nil
        switch outcome {
        case .complete:
            if isStream { recording?.transport(["event": "stream_closed", "method": "GET", "by": "server"]) }
        case .upstreamBroke(let reason):
            recording?.transport(["event": "stream_broken", "method": .string(head.method.rawValue), "error": .string(reason)])
        case .clientGone:
            // A client may close a POST's stream once it has its answer; the GET stream's end is news.
            if isStream { recording?.transport(["event": "stream_closed", "method": "GET", "by": "client"]) }
        }
        if let session, let status {
            if head.method == .DELETE {
                recording?.transport(["event": "session_ended", "status": .int(status)])
                if (200..<300).contains(status) {
                    remote.recordings.end(session, reason: .clientEOF, detail: "the client ended the session (HTTP DELETE)")
                }
            } else if status == 404 {
                recording?.transport(["event": "session_expired"])
                remote.recordings.end(session, reason: .serverExited, detail: "the server no longer knows the session (HTTP 404)")
            }
        }
        guard case .complete = outcome else { return done(false) }
        done(head.isKeepAlive)
    }

    /// The upstream could not be reached: a `502` whose body is a JSON-RPC error for the
    /// request, recorded as the server's answer, after a frame saying why.
    private func answerUnreachable(_ error: Error) {
        over = true
        inFlight = nil
        if holdsInitialize { recordOutsideAnySession() }
        let reason = StreamableHTTPConnection.describe(error)
        recording?.transport(["event": "request_failed", "method": .string(head.method.rawValue), "error": .string(reason)])
        let answer = ProxyAnswer.jsonRPCError(
            id: message?.kind == .request ? message?.idJSON : nil,
            "argus proxy: the upstream MCP server \(remote.upstream.display) could not be reached: \(reason)",
            data: ["transport": "http", "httpStatus": 502])
        if message?.kind == .request { recording?.serverSent(answer) }
        let keepAlive = head.isKeepAlive
        pendingHead = nil
        write(ProxyAnswer.parts(.badGateway, contentType: "application/json", body: answer, version: head.version))
            .whenComplete { [done] _ in done(keepAlive) }
    }

    /// A held `initialize` that opened no session: it and its answer go to the recording of
    /// messages outside any session.
    private func recordOutsideAnySession() {
        recording = remote.recordings.withoutSession()
        recording?.clientSent(body.readableBytesView, at: received)
    }

    /// 2026-07-28: `Mcp-Method` and `Mcp-Name` mirror the body; a mismatch is recorded (the
    /// server decides what to do with it, usually a `400`).
    private func checkRoutingHeaders(_ message: OutgoingMessage, _ recording: SessionRecording) {
        for (header, expected) in [("Mcp-Method", message.method), ("Mcp-Name", message.name)] {
            guard let sent = head.headers.first(name: header) else { continue }
            if expected.map(HeaderValue.encode) != sent {
                recording.transport([
                    "event": "header_mismatch", "header": .string(header), "value": .string(sent),
                    "body": expected.map(JSONValue.string) ?? .null,
                ])
            }
        }
    }

    private func statusFrame(_ status: Int, _ headers: HTTPHeaders) -> JSONObject {
        var params: JSONObject = ["event": "http_status", "method": .string(head.method.rawValue), "status": .int(status)]
        if let method = message?.method { params["for"] = .string(method) }
        if let id = message?.idJSON { params["id"] = .string(id) }
        if let challenge = headers.first(name: "www-authenticate") { params["challenge"] = Challenge.parse(challenge) }
        if let type = headers.first(name: "content-type") { params["contentType"] = .string(type) }
        return params
    }

    static func isJSONRPC(_ body: [UInt8]) -> Bool {
        guard let value = try? JSONParser.parse(body) else { return false }
        return value["jsonrpc"] != nil || value.arrayValue?.first?["jsonrpc"] != nil
    }

    /// The client's credentials (its `Authorization`, headers named like keys or tokens), kept
    /// out of its session's recording even where a server echoes them.
    static func credentials(_ headers: HTTPHeaders) -> [(name: String, value: String)] {
        headers.compactMap { name, value in
            let lower = name.lowercased()
            let secret = lower == "authorization" || lower.contains("token") || lower.contains("key") || lower.contains("secret")
            return secret ? (name: name, value: value) : nil
        }
    }
}

/// AsyncHTTPClient's callbacks for an exchange's request (HTTPS and proxied upstreams), on the exchange's loop.
extension MCPExchange: HTTPClientResponseDelegate {
    typealias Response = Void

    func didReceiveHead(task: HTTPClient.Task<Void>, _ head: HTTPResponseHead) -> EventLoopFuture<Void> { upstreamHead(head) }

    func didReceiveBodyPart(task: HTTPClient.Task<Void>, _ chunk: ByteBuffer) -> EventLoopFuture<Void> { upstreamBody(chunk) }

    func didFinishRequest(task: HTTPClient.Task<Void>) throws { upstreamEnd() }

    func didReceiveError(task: HTTPClient.Task<Void>, _ error: Error) { upstreamFailed(error) }
}

/// `Content-Type` checks on every answer, in ASCII without case: Foundation's `contains`
/// bridged each answer's header to an `NSString`, a few per cent of the proxy's CPU per call.
enum ContentType {
    static func isEventStream(_ value: String) -> Bool {
        let prefix = "text/event-stream".utf8
        return value.utf8.count >= prefix.count && zip(value.utf8, prefix).allSatisfy { lowered($0) == $1 }
    }

    /// `application/json`, `application/json-rpc`, `application/vnd.x+json`…: any type that says JSON.
    static func isJSON(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        let json = Array("json".utf8)
        guard bytes.count >= json.count else { return false }
        return (0...(bytes.count - json.count)).contains { start in
            (0..<json.count).allSatisfy { lowered(bytes[start + $0]) == json[$0] }
        }
    }

    private static func lowered(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }
}
