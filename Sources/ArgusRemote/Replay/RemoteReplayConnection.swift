import ArgusCore
import ArgusProxy
import ArgusReplay
import ArgusSystem
import AsyncHTTPClient

/// The replay engine's client session with a remote server: the same `StreamableHTTPConnection`
/// as `argus wrap --url` (sessions, both eras, SSE, the GET stream, transport frames), with the
/// engine in the place of the stdio client. Every message both ways is recorded as on stdio.
///
/// The engine is synchronous and calls from its own thread; the HTTP side runs on Swift
/// concurrency. A request's answer is waited for by id; a notification is waited for until its
/// POST is done, so that `notifications/initialized` reaches the server before the next request.
final class RemoteReplayConnection: ReplayConnection, ServerMessageSink, @unchecked Sendable {
    private let client: HTTPClient
    private let address: RemoteURL
    private let pipeline: RecordingPipeline
    private let answer: @Sendable (JSONValue) -> JSONValue
    private var connection: StreamableHTTPConnection?
    private let monitor = Monitor()
    private var responses: [String: (JSONValue, UInt64)] = [:]
    private var closed = false

    init(
        client: HTTPClient, address: RemoteURL, headers: [(String, String)], pipeline: RecordingPipeline,
        answer: @escaping @Sendable (JSONValue) -> JSONValue
    ) {
        self.client = client
        self.address = address
        self.pipeline = pipeline
        self.answer = answer
        connection = StreamableHTTPConnection(client: client, url: address.text, headers: headers, output: self)
    }

    /// Over HTTP there is no process to exit: a server that is down answers each request with an error.
    var hasExited: Bool { false }
    var exitDescription: ExitStatus? { nil }
    var stderrTextAfterExit: String { "" }

    func send(_ message: JSONValue) {
        let posted = Mailbox<Bool>()
        post(message) { posted.post(true) }
        _ = posted.wait(untilMonotonicNanos: SystemClock.monotonicNanos() + 30_000_000_000)
    }

    func request(_ method: String, params: JSONValue, id: JSONValue, timeout: Double) throws(ReplayError) -> (JSONValue, Int64) {
        let key = JSONWriter.string(id)
        let start = SystemClock.monotonicNanos()
        post(["jsonrpc": "2.0", "id": id, "method": .string(method), "params": params]) {}
        let deadline = start + UInt64(timeout * 1e9)
        let outcome = monitor.locked { () -> (JSONValue, UInt64)? in
            while responses[key] == nil {
                if closed || SystemClock.monotonicNanos() >= deadline { return nil }
                monitor.wait(untilMonotonicNanos: deadline)
            }
            return responses.removeValue(forKey: key)
        }
        guard let (response, arrived) = outcome else { throw .timeout(seconds: timeout, method: method) }
        // An error argus answered in the server's place (unreachable, HTTP 401, a cut stream) is
        // no answer of the server's: the replay failed, nothing changed.
        if let error = response["error"], let data = error["data"], data["httpStatus"] != nil || data["transport"] != nil,
            let text = error["message"]?.stringValue, text.hasPrefix("argus: ")
        {
            throw .remote(url: address.display, reason: String(text.dropFirst("argus: ".count)))
        }
        return (response, Int64((arrived - start) / 1000))
    }

    /// Ends the session (`DELETE`) and the HTTP client, waiting a few seconds at most.
    func close() {
        let connection = monitor.locked { () -> StreamableHTTPConnection? in
            closed = true
            monitor.broadcast()
            defer { self.connection = nil }
            return self.connection
        }
        guard let connection else { return }
        let done = Mailbox<Bool>()
        Task { [client] in
            await connection.close()
            try? await client.shutdown()
            done.post(true)
        }
        _ = done.wait(untilMonotonicNanos: SystemClock.monotonicNanos() + 10_000_000_000)
    }

    /// Records one message and POSTs it; `posted` runs once its POST is done.
    private func post(_ message: JSONValue, posted: @escaping @Sendable () -> Void) {
        let body = JSONWriter.bytes(message)
        var line = body
        line.append(0x0A)
        line.withUnsafeBytes { pipeline.record(.clientToServer, $0, at: SystemClock.now()) }
        guard let connection = monitor.locked({ connection }) else { return posted() }
        Task {
            await connection.send(OutgoingMessage(body: body))
            posted()
        }
    }

    // MARK: ServerMessageSink

    func send(_ message: [UInt8]) {
        var line = message
        for index in line.indices where line[index] == 0x0A || line[index] == 0x0D { line[index] = 0x20 }
        line.append(0x0A)
        line.withUnsafeBytes { pipeline.record(.serverToClient, $0, at: SystemClock.now()) }
        guard let value = try? JSONParser.parse(message) else { return }
        let envelope = Envelope(value)
        switch envelope.kind {
        case .response, .error:
            guard let id = envelope.idText else { return }
            monitor.locked {
                responses[id] = (value, SystemClock.monotonicNanos())
                monitor.broadcast()
            }
        case .request:
            post(answer(value)) {}  // the server asks the client something (roots/list, sampling, ...)
        default:
            break
        }
    }

    func recordTransport(_ params: JSONValue) {
        TransportFrame.line(params).withUnsafeBytes { pipeline.record(.serverToClient, $0, at: SystemClock.now()) }
    }
}
