import ArgusCore
import ArgusSystem
import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// One request to the MCP path, forwarded upstream, its answer streamed back, and both
/// recorded in the session's recording: the client's message before it goes out, each
/// message of the answer before the client gets it (so a server's request is always
/// recorded before the client's answer to it), and what HTTP did as transport frames.
struct MCPExchange {
    let remote: RemoteBackend
    let head: HTTPRequestHead
    let body: ByteBuffer
    let query: Substring?

    /// Streams the answer; false when the connection must close after it (or already did).
    func run(_ outbound: ClientWriter) async throws -> Bool {
        let received = SystemClock.now()
        let session = head.headers.first(name: "mcp-session-id").flatMap { $0.isEmpty ? nil : $0 }
        let message = head.method == .POST ? OutgoingMessage(body: Array(body.readableBytesView)) : nil
        let recordings = remote.recordings

        // Which recording: the session's; for `initialize`, the one its answer opens (so it is
        // held until the answer's headers say); outside any session, the shared one.
        var recording: SessionRecording?
        let holdsInitialize = session == nil && message?.isInitialize == true
        switch head.method {
        case .POST where !holdsInitialize, .GET, .DELETE:
            recording = session.map(recordings.forSession) ?? recordings.withoutSession()
        default:
            break
        }
        recording?.clientSent(body.readableBytesView, at: received)
        if let message, let recording { checkRoutingHeaders(message, recording) }

        var request = HTTPClientRequest(url: remote.upstreamURL(query: query))
        request.method = head.method
        request.headers = ForwardedHeaders.request(head.headers, adding: remote.upstreamHeaders)
        if body.readableBytes > 0 || head.method == .POST { request.body = .bytes(body) }

        let response: HTTPClientResponse
        do {
            response = try await remote.client.execute(request, deadline: .distantFuture)
        } catch {
            if Task.isCancelled { return false }  // the client hung up
            if holdsInitialize {
                recording = recordings.withoutSession()
                recording?.clientSent(body.readableBytesView, at: received)
            }
            return try await answerUnreachable(error, message: message, recording: recording, outbound)
        }

        let status = Int(response.status.code)
        if holdsInitialize {
            if (200..<300).contains(status), let opened = response.headers.first(name: "mcp-session-id"), !opened.isEmpty {
                let opening = recordings.opened(opened, secrets: Self.credentials(head.headers))
                opening.clientSent(body.readableBytesView, at: received)
                opening.transport(["event": "session_started"])
                recording = opening
            } else {
                recording = recordings.withoutSession()
                recording?.clientSent(body.readableBytesView, at: received)
            }
        }
        if !(200..<300).contains(status) || (status == 202 && message?.kind == .request) {
            recording?.transport(statusFrame(status, response, message))
        }

        var headers = ForwardedHeaders.response(response.headers)
        if let challenge = response.headers.first(name: "www-authenticate") {
            headers.replaceOrAdd(name: "WWW-Authenticate", value: remote.metadata.rewriteChallenge(challenge))
        }
        let responseHead = HTTPResponseHead(version: head.version, status: response.status, headers: headers)

        let isStream = head.method == .GET && (200..<300).contains(status)
        if isStream { recording?.transport(["event": "stream_opened", "method": "GET"]) }
        let outcome = await relayBody(
            response, head: responseHead, status: status, recording: recording,
            AnswerWriter(outbound: outbound))

        switch outcome {
        case .complete:
            if isStream { recording?.transport(["event": "stream_closed", "method": "GET", "by": "server"]) }
        case .upstreamBroke(let reason):
            recording?.transport(["event": "stream_broken", "method": .string(head.method.rawValue), "error": .string(reason)])
        case .clientGone:
            // A client may close a POST's stream once it has its answer; the GET stream's end is news.
            if isStream { recording?.transport(["event": "stream_closed", "method": "GET", "by": "client"]) }
        }
        if let session {
            if head.method == .DELETE {
                recording?.transport(["event": "session_ended", "status": .int(status)])
                if (200..<300).contains(status) {
                    recordings.end(session, reason: .clientEOF, detail: "the client ended the session (HTTP DELETE)")
                }
            } else if status == 404 {
                recording?.transport(["event": "session_expired"])
                recordings.end(session, reason: .serverExited, detail: "the server no longer knows the session (HTTP 404)")
            }
        }
        guard case .complete = outcome else { return false }
        return head.isKeepAlive
    }

    enum Outcome {
        case complete
        case upstreamBroke(String)
        case clientGone
    }

    /// Forwards the body chunk by chunk as it arrives (a 50 MB answer is never held whole on
    /// the way). The recording's copy: each SSE event as it completes, or a JSON body whole
    /// (up to the recorder's line limit), recorded before the client gets its last byte.
    private func relayBody(
        _ response: HTTPClientResponse, head: HTTPResponseHead, status: Int, recording: SessionRecording?,
        _ outbound: AnswerWriter
    ) async -> Outcome {
        var outbound = outbound
        outbound.pendingHead = head
        let contentType = response.headers.first(name: "content-type")?.lowercased() ?? ""
        let isEventStream = contentType.hasPrefix("text/event-stream")
        let copiesJSON = recording != nil && !isEventStream && contentType.contains("json")
        let copyLimit = 64 << 20
        // A stream's head goes out at once: the client must not wait for the first event to see it.
        if isEventStream, !(await outbound.write([])) { return .clientGone }
        var parser = ServerSentEventParser()
        var copy: [UInt8] = []
        var held: ByteBuffer?  // a JSON body's latest chunk, sent once the next one (or the end) shows it was not the last
        do {
            for try await chunk in response.body {
                if isEventStream, let recording {
                    parser.push(chunk.readableBytesView) { event in
                        if !event.data.isEmpty { recording.serverSent(event.data) }
                    }
                } else if copiesJSON {
                    if copy.count <= copyLimit { copy.append(contentsOf: chunk.readableBytesView.prefix(copyLimit + 1 - copy.count)) }
                    if let previous = held, !(await outbound.write([.body(.byteBuffer(previous))])) { return .clientGone }
                    held = chunk
                    continue
                }
                if !(await outbound.write([.body(.byteBuffer(chunk))])) { return .clientGone }
            }
        } catch {
            if Task.isCancelled { return .clientGone }
            _ = await outbound.write(held.map { [.body(.byteBuffer($0))] } ?? [])
            return .upstreamBroke(StreamableHTTPConnection.describe(error))
        }
        if isEventStream, parser.hasPartialEvent {
            return .upstreamBroke("the SSE stream ended in the middle of an event")
        }
        if copiesJSON, let recording, (200..<300).contains(status) || Self.isJSONRPC(copy) {
            recording.serverSent(copy)
        }
        // The last chunk and the end (and the head, for a body that came in one chunk) in one write.
        return await outbound.write((held.map { [.body(.byteBuffer($0))] } ?? []) + [.end(nil)]) ? .complete : .clientGone
    }

    /// The client's side of the answer: the response head goes out with the first body part,
    /// so that a small answer costs the event loop one write, not three.
    struct AnswerWriter {
        let outbound: ClientWriter
        var pendingHead: HTTPResponseHead?

        /// False when the client is gone.
        mutating func write(_ parts: [HTTPServerResponsePart]) async -> Bool {
            var all = parts
            if let head = pendingHead {
                all.insert(.head(head), at: 0)
                pendingHead = nil
            }
            guard !all.isEmpty else { return true }
            do {
                try await outbound.write(contentsOf: all)
                return true
            } catch {
                return false
            }
        }
    }

    /// The upstream could not be reached: a `502` whose body is a JSON-RPC error for the
    /// request, recorded as the server's answer, after a frame saying why.
    private func answerUnreachable(
        _ error: Error, message: OutgoingMessage?, recording: SessionRecording?,
        _ outbound: ClientWriter
    ) async throws -> Bool {
        let reason = StreamableHTTPConnection.describe(error)
        recording?.transport(["event": "request_failed", "method": .string(head.method.rawValue), "error": .string(reason)])
        let answer = ProxyAnswer.jsonRPCError(
            id: message?.kind == .request ? message?.idJSON : nil,
            "argus proxy: the upstream MCP server \(remote.upstream.display) could not be reached: \(reason)",
            data: ["transport": "http", "httpStatus": 502])
        if message?.kind == .request { recording?.serverSent(answer) }
        try await ProxyAnswer.whole(.badGateway, contentType: "application/json", body: answer, head, outbound)
        return head.isKeepAlive
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

    private func statusFrame(_ status: Int, _ response: HTTPClientResponse, _ message: OutgoingMessage?) -> JSONObject {
        var params: JSONObject = ["event": "http_status", "method": .string(head.method.rawValue), "status": .int(status)]
        if let method = message?.method { params["for"] = .string(method) }
        if let id = message?.idJSON { params["id"] = .string(id) }
        if let challenge = response.headers.first(name: "www-authenticate") { params["challenge"] = Challenge.parse(challenge) }
        if let type = response.headers.first(name: "content-type") { params["contentType"] = .string(type) }
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
