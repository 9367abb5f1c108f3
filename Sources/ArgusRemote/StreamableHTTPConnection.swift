import ArgusCore
import AsyncHTTPClient
import NIOCore
import NIOHTTP1

/// One client's conversation with a remote MCP server over Streamable HTTP, both eras:
///
/// - 2025-03-26 … 2025-11-25: each message is a POST whose answer is JSON, an SSE stream, or
///   `202 Accepted`; `initialize` may mint an `Mcp-Session-Id`, echoed on every later request
///   with `MCP-Protocol-Version`; an optional GET stream carries the server's own requests and
///   notifications; `DELETE` ends the session; `404` means the session is gone.
/// - 2026-07-28: POST only, no session; the version rides in each request's `_meta` and in
///   `MCP-Protocol-Version`, with `Mcp-Method` and `Mcp-Name` mirroring the body.
///
/// Bodies are forwarded byte for byte; what HTTP itself says (a status, a session, a broken
/// stream) is recorded as a transport frame and, when a request can no longer be answered by
/// the server, answered with a JSON-RPC error so that the client never waits forever.
actor StreamableHTTPConnection {
    private let client: HTTPClient
    private let url: String
    private let headers: [(String, String)]
    private let output: any ServerMessageSink
    private var sessionID: String?
    private var protocolVersion: String?
    private var streamTask: Task<Void, Never>?
    private var lastStreamEventID: String?
    /// The client's handshake, kept to open a new session when the server forgets the old one.
    private var handshake: (initialize: [UInt8], initialized: [UInt8]?)?
    private var renewal: Task<Bool, Never>?

    init(client: HTTPClient, url: String, headers: [(String, String)], output: any ServerMessageSink) {
        self.client = client
        self.url = url
        self.headers = headers
        self.output = output
    }

    /// Sends one message from the client and forwards whatever the server answers.
    func send(_ message: OutgoingMessage) async {
        if message.isInitialize { handshake = (message.body, nil) }
        if message.kind == .notification, message.method == MCP.Method.initialized, handshake?.initialized == nil {
            handshake?.initialized = message.body
        }
        await send(message, renewingOnExpiry: true)
    }

    private func send(_ message: OutgoingMessage, renewingOnExpiry: Bool) async {
        var request = makeRequest(.POST)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json, text/event-stream")
        if let version = message.modernVersion {
            request.headers.replaceOrAdd(name: "MCP-Protocol-Version", value: version)
            if let method = message.method { request.headers.add(name: "Mcp-Method", value: HeaderValue.encode(method)) }
            if let name = message.name { request.headers.add(name: "Mcp-Name", value: HeaderValue.encode(name)) }
        }
        request.body = .bytes(ByteBuffer(bytes: message.body))
        let sentWithSession = sessionID
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, deadline: .distantFuture)
        } catch {
            let reason = Self.describe(error)
            output.recordTransport(["event": "request_failed", "method": "POST", "error": .string(reason)])
            answerWithError(message, "argus: the remote server could not be reached: \(reason)", data: ["transport": "http"])
            return
        }
        let status = Int(response.status.code)
        if message.isInitialize, (200..<300).contains(status),
            let session = response.headers.first(name: "Mcp-Session-Id"), !session.isEmpty
        {
            sessionID = session
            output.recordTransport(["event": "session_started", "session": .string(Self.abbreviated(session))])
        }
        switch status {
        case 202, 204:
            await discardBody(response)
            if message.kind == .request {
                // A request must be answered; a server that accepted it without an answer broke the protocol.
                output.recordTransport(transportStatus(status, response, message))
                answerWithError(
                    message, "argus: the remote server accepted the request (HTTP \(status)) but sent no answer",
                    data: ["httpStatus": .int(status)])
            }
        case 200..<300:
            let answeredInitialize = await forwardBody(response, for: message)
            if message.isInitialize, answeredInitialize { startStreamIfSession() }
        default:
            output.recordTransport(transportStatus(status, response, message))
            if status == 404, let sentWithSession, !message.isInitialize {
                await discardBody(response)
                // The server forgot the session (a restart, an idle timeout). The client cannot
                // know: open a new one with its own handshake and send the message again.
                if renewingOnExpiry, await renewSession(expired: sentWithSession) {
                    await send(message, renewingOnExpiry: false)
                } else {
                    answerWithError(
                        message, "argus: the remote server ended the session (HTTP 404) and a new one could not be opened",
                        data: ["httpStatus": 404])
                }
                return
            }
            await answerFailure(response, status: status, for: message)
        }
    }

    /// Ends the session the way a client should: `DELETE` with its id (a server may answer 405:
    /// it does not let clients end sessions).
    func close() async {
        streamTask?.cancel()
        streamTask = nil
        guard let session = sessionID else { return }
        let request = makeRequest(.DELETE)
        do {
            let response = try await client.execute(request, timeout: .seconds(5))
            await discardBody(response)
            output.recordTransport([
                "event": "session_ended", "session": .string(Self.abbreviated(session)),
                "status": .int(Int(response.status.code)),
            ])
        } catch {
            output.recordTransport([
                "event": "session_end_failed", "session": .string(Self.abbreviated(session)),
                "error": .string(Self.describe(error)),
            ])
        }
        sessionID = nil
    }

    /// Opens a new session after `expired` was refused with 404, once however many requests
    /// met the 404 together. True when a session is open again.
    private func renewSession(expired: String) async -> Bool {
        if let renewal { return await renewal.value }
        if sessionID != expired { return sessionID != nil }  // another request renewed it already
        output.recordTransport(["event": "session_expired", "session": .string(Self.abbreviated(expired))])
        let task = Task { await self.reopen() }
        renewal = task
        let renewed = await task.value
        renewal = nil
        return renewed
    }

    private func reopen() async -> Bool {
        streamTask?.cancel()
        streamTask = nil
        sessionID = nil
        protocolVersion = nil
        guard let handshake else { return false }
        do {
            var request = makeRequest(.POST)
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "Accept", value: "application/json, text/event-stream")
            request.body = .bytes(ByteBuffer(bytes: handshake.initialize))
            let response = try await client.execute(request, timeout: .seconds(30))
            let body = Array(try await response.body.collect(upTo: 16 << 20).readableBytesView)
            // The answer is the server's to argus, not to the client, which initialized long ago.
            var answer = try? JSONParser.parse(body)
            if answer == nil {
                var parser = ServerSentEventParser()
                parser.push(body) { event in if answer == nil { answer = try? JSONParser.parse(event.data) } }
            }
            guard (200..<300).contains(Int(response.status.code)),
                let session = response.headers.first(name: "Mcp-Session-Id")
            else {
                output.recordTransport(["event": "session_renewal_failed", "status": .int(Int(response.status.code))])
                return false
            }
            sessionID = session
            protocolVersion = answer?["result"]?["protocolVersion"]?.stringValue
            if let initialized = handshake.initialized {
                var notify = makeRequest(.POST)
                notify.headers.add(name: "Content-Type", value: "application/json")
                notify.headers.add(name: "Accept", value: "application/json, text/event-stream")
                notify.body = .bytes(ByteBuffer(bytes: initialized))
                await discardBody(try await client.execute(notify, timeout: .seconds(30)))
            }
            output.recordTransport(["event": "session_renewed", "session": .string(Self.abbreviated(session))])
            startStreamIfSession()
            return true
        } catch {
            output.recordTransport(["event": "session_renewal_failed", "error": .string(Self.describe(error))])
            return false
        }
    }

    // MARK: requests

    private func makeRequest(_ method: HTTPMethod) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let sessionID { request.headers.add(name: "Mcp-Session-Id", value: sessionID) }
        if let protocolVersion { request.headers.add(name: "MCP-Protocol-Version", value: protocolVersion) }
        return request
    }

    /// Forwards a 2xx body: one JSON message, or each event of an SSE stream. True when the
    /// answer to an `initialize` was seen (its protocol version is then known). A stream that
    /// ends before the request's answer gets an error answer in its place.
    private func forwardBody(_ response: HTTPClientResponse, for message: OutgoingMessage) async -> Bool {
        let contentType = response.headers.first(name: "Content-Type")?.lowercased() ?? ""
        var answered = message.kind != .request
        var sawInitializeResult = false
        func deliver(_ bytes: [UInt8]) {
            if !answered, let value = try? JSONParser.parse(bytes), value["method"] == nil,
                value["id"].map({ JSONWriter.string($0) }) == message.idJSON
            {
                answered = true
                if message.isInitialize, let version = value["result"]?["protocolVersion"]?.stringValue {
                    protocolVersion = version
                    sawInitializeResult = true
                }
            }
            output.send(bytes)
        }
        var failure: String?
        do {
            if contentType.hasPrefix("text/event-stream") {
                var parser = ServerSentEventParser()
                for try await chunk in response.body {
                    parser.push(chunk.readableBytesView) { event in
                        if !event.data.isEmpty { deliver(event.data) }
                    }
                }
                if parser.hasPartialEvent { failure = "the SSE stream ended in the middle of an event" }
            } else {
                var body: [UInt8] = []
                for try await chunk in response.body { body.append(contentsOf: chunk.readableBytesView) }
                if !body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { deliver(body) }
            }
        } catch {
            failure = Self.describe(error)
        }
        if let failure {
            output.recordTransport(["event": "stream_broken", "method": "POST", "error": .string(failure)])
        }
        if !answered {
            answerWithError(
                message, "argus: the remote server's answer was cut: \(failure ?? "the response ended without it")",
                data: ["transport": "http"])
        }
        return sawInitializeResult
    }

    /// A request the server refused over HTTP: its JSON-RPC error is forwarded when the body is
    /// one (a `400` with `-32020` for a header mismatch, say); otherwise the client gets an error
    /// naming the status, so it never waits for an answer that cannot come.
    private func answerFailure(_ response: HTTPClientResponse, status: Int, for message: OutgoingMessage) async {
        var body: [UInt8] = []
        var truncated = false
        do {
            for try await chunk in response.body {
                if body.count < 64 << 10 { body.append(contentsOf: chunk.readableBytesView) } else { truncated = true }
            }
        } catch {}
        if !truncated, let value = try? JSONParser.parse(body), value["jsonrpc"] != nil,
            value["error"] != nil || value["result"] != nil, value["id"].map({ JSONWriter.string($0) }) == message.idJSON
        {
            output.send(body)
            return
        }
        let reason = response.status.reasonPhrase
        var data: JSONObject = ["httpStatus": .int(status)]
        if let challenge = response.headers.first(name: "WWW-Authenticate") { data["challenge"] = Challenge.parse(challenge) }
        let hint =
            status == 401 || status == 403
            ? " (check the credentials passed with --header)" : status == 404 && message.isInitialize ? " (check the URL's path)" : ""
        answerWithError(message, "argus: the remote server answered HTTP \(status) \(reason)\(hint)", data: .object(data))
    }

    private func answerWithError(_ message: OutgoingMessage, _ text: String, data: JSONValue?) {
        guard message.kind == .request, let id = message.idJSON else { return }
        var error: JSONObject = ["code": -32000, "message": .string(text)]
        if let data { error["data"] = data }
        output.send(Array("{\"jsonrpc\":\"2.0\",\"id\":\(id),\"error\":\(JSONWriter.string(.object(error)))}".utf8))
    }

    private func transportStatus(_ status: Int, _ response: HTTPClientResponse, _ message: OutgoingMessage) -> JSONValue {
        var params: JSONObject = ["event": "http_status", "method": "POST", "status": .int(status)]
        if let method = message.method { params["for"] = .string(method) }
        if let id = message.idJSON { params["id"] = .string(id) }
        if let challenge = response.headers.first(name: "WWW-Authenticate") { params["challenge"] = Challenge.parse(challenge) }
        if let type = response.headers.first(name: "Content-Type") { params["contentType"] = .string(type) }
        return .object(params)
    }

    private func discardBody(_ response: HTTPClientResponse) async {
        do { for try await _ in response.body {} } catch {}
    }

    // MARK: the GET stream

    /// Opens the optional GET stream on which a stateful server sends its own requests
    /// (sampling, elicitation, roots) and notifications. Reopened with `Last-Event-ID` when it
    /// breaks, a few times; a `405` means the server offers none.
    private func startStreamIfSession() {
        guard sessionID != nil, streamTask == nil else { return }
        streamTask = Task { await self.runStream() }
    }

    private func runStream() async {
        var failures = 0
        while !Task.isCancelled, sessionID != nil, failures < 3 {
            var request = makeRequest(.GET)
            request.headers.add(name: "Accept", value: "text/event-stream")
            if let lastStreamEventID { request.headers.add(name: "Last-Event-ID", value: lastStreamEventID) }
            do {
                let response = try await client.execute(request, deadline: .distantFuture)
                let status = Int(response.status.code)
                guard (200..<300).contains(status) else {
                    await discardBody(response)
                    output.recordTransport(["event": "stream_refused", "method": "GET", "status": .int(status)])
                    return
                }
                output.recordTransport(["event": "stream_opened", "method": "GET"])
                var parser = ServerSentEventParser()
                for try await chunk in response.body {
                    parser.push(chunk.readableBytesView) { event in
                        if let id = event.id { lastStreamEventID = id }
                        if !event.data.isEmpty { output.send(event.data) }
                    }
                }
                if Task.isCancelled { return }
                output.recordTransport(["event": "stream_closed", "method": "GET"])
                failures = 0
            } catch {
                if Task.isCancelled { return }
                failures += 1
                output.recordTransport([
                    "event": "stream_broken", "method": "GET", "error": .string(Self.describe(error)),
                    "retry": .bool(failures < 3),
                ])
            }
            try? await Task.sleep(for: .milliseconds(500))
        }
    }

    // MARK: helpers

    /// Enough of a session id to tell sessions apart, not enough to take one over.
    static func abbreviated(_ session: String) -> String {
        session.count <= 8 ? session : String(session.prefix(8)) + "…"
    }

    static func describe(_ error: Error) -> String {
        let text = String(describing: error)
        return text.count > 300 ? String(text.prefix(300)) + "…" : text
    }
}
