import ArgusCore
import ArgusSystem
import Foundation

/// A stdio MCP server for demos and tests. It speaks both protocol eras: the
/// initialize handshake (2025-06-18, 2025-11-25) and the stateless 2026-07-28
/// revision (`server/discover`, version in each request's `_meta`, results
/// with `resultType`). Requests are handled concurrently, so pipelined calls
/// overlap as they would on a real server.
final class TestServer: @unchecked Sendable {
    static let name = "argus-test-server"
    static let version = "0.1.0"
    /// 2026-07-28 results of these methods carry caching hints (`ttlMs`, `cacheScope`).
    static let cacheableMethods: Set<String> = [
        MCP.Method.serverDiscover, MCP.Method.toolsList, MCP.Method.promptsList, MCP.Method.resourcesList,
        MCP.Method.resourceTemplatesList, MCP.Method.resourcesRead,
    ]

    private let output = Monitor()
    private let state = Monitor()
    private var cancelled: Set<String> = []
    /// Open `subscriptions/listen` streams (2026-07-28), by request id.
    private var listeners: [String: JSONValue] = [:]
    private var waitingForClient: [String: (JSONValue) -> Void] = [:]
    private var nextServerRequestID = 1
    private var dice: SplitMix64

    init() {
        let seed = ProcessInfo.processInfo.environment["ARGUS_TEST_SEED"].flatMap(UInt64.init)
        dice = SplitMix64(seed: seed ?? UInt64(Date().timeIntervalSince1970 * 1e6))
    }

    func serve() {
        if let marker = ProcessInfo.processInfo.environment["ARGUS_TEST_FAIL_AT_START"] {
            FileHandle.standardError.write(Data("Error: \(marker)\n".utf8))
            exit(3)
        }
        FileHandle.standardError.write(Data("argus-test-server \(Self.version) ready (pid \(getpid()))\n".utf8))
        // What the server really received, for tests that must see past the recording's redaction.
        let received = ProcessInfo.processInfo.environment["ARGUS_TEST_RECEIVED_LOG"].flatMap { fopen($0, "a") }
        while let line = readLine(strippingNewline: true) {
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            if let received {
                fputs(line + "\n", received)
                fflush(received)
            }
            let message: JSONValue
            do {
                message = try JSONParser.parse(line)
            } catch {
                send(["jsonrpc": "2.0", "id": nil, "error": ["code": -32700, "message": .string("Parse error: \(error)")]])
                continue
            }
            if let items = message.arrayValue {
                for item in items { dispatch(item) }
            } else {
                dispatch(message)
            }
        }
        // stdin closed: finish in-flight work briefly, then exit like a well-behaved server.
        Thread.sleep(forTimeInterval: 0.05)
        exit(0)
    }

    private func dispatch(_ message: JSONValue) {
        let envelope = Envelope(message)
        switch envelope.kind {
        case .request:
            let thread = Thread { [self] in handle(envelope) }
            thread.stackSize = 4 << 20
            thread.start()
        case .response, .error:
            guard let id = envelope.idText else { return }
            let waiter = state.locked { waitingForClient.removeValue(forKey: id) }
            waiter?(message)
        case .notification:
            if envelope.method == MCP.Method.cancelled, let id = envelope.params?["requestId"] {
                state.locked {
                    cancelled.insert(JSONWriter.string(id))
                    listeners.removeValue(forKey: JSONWriter.string(id))  // the client stopped listening
                }
            }
        case .batch, .invalid:
            send(["jsonrpc": "2.0", "id": nil, "error": ["code": -32600, "message": "Invalid Request"]])
        }
    }

    // MARK: output

    func send(_ message: JSONValue) {
        var bytes = JSONWriter.bytes(message)
        bytes.append(0x0A)
        output.locked { FileHandle.standardOutput.write(Data(bytes)) }
    }

    func notify(_ method: String, _ params: JSONValue) {
        send(["jsonrpc": "2.0", "method": .string(method), "params": params])
    }

    /// Sends a request to the client and waits for its answer (legacy era only).
    func askClient(_ method: String, _ params: JSONValue, timeout: TimeInterval = 30) -> JSONValue? {
        let done = Monitor()
        var answer: JSONValue?
        let id = state.locked { () -> Int in
            defer { nextServerRequestID += 1 }
            return nextServerRequestID
        }
        let key = "\"srv-\(id)\""
        state.locked {
            waitingForClient[key] = { message in
                done.locked {
                    answer = message; done.broadcast()
                }
            }
        }
        send(["jsonrpc": "2.0", "id": .string("srv-\(id)"), "method": .string(method), "params": params])
        let deadline = SystemClock.monotonicNanos() + UInt64(timeout * 1e9)
        return done.locked {
            while answer == nil, SystemClock.monotonicNanos() < deadline { done.wait(untilMonotonicNanos: deadline) }
            return answer
        }
    }

    func isCancelled(_ id: JSONValue) -> Bool {
        state.locked { cancelled.contains(JSONWriter.string(id)) }
    }

    // MARK: subscriptions (2026-07-28)

    /// Opens a stream: the acknowledgement first, then whatever `notifyListeners` sends, until the
    /// client cancels the request or `closeListeners` ends it. The request itself is never answered.
    private func listen(id: JSONValue, filter: JSONValue) {
        state.locked { listeners[JSONWriter.string(id)] = id }
        notify(MCP.Method.subscriptionAcknowledged, ["notifications": filter, "_meta": [MCP.MetaKey.subscriptionID: id]])
    }

    /// Sends a change notification on every open stream. Returns how many streams got it.
    func notifyListeners(uri: String) -> Int {
        let ids = state.locked { Array(listeners.values) }
        for id in ids {
            notify(MCP.Method.resourceUpdated, ["uri": .string(uri), "_meta": [MCP.MetaKey.subscriptionID: id]])
            notify(MCP.Method.toolListChanged, ["_meta": [MCP.MetaKey.subscriptionID: id]])
        }
        return ids.count
    }

    /// Ends every open stream from the server's side (on stdio: `notifications/cancelled` naming the listen request).
    func closeListeners(reason: String) -> Int {
        let ids = state.locked { () -> [JSONValue] in
            defer { listeners.removeAll() }
            return Array(listeners.values)
        }
        for id in ids { notify(MCP.Method.cancelled, ["requestId": id, "reason": .string(reason)]) }
        return ids.count
    }

    func random() -> Double {
        state.locked { dice.nextUnit() }
    }

    // MARK: requests

    private func handle(_ request: Envelope) {
        guard let id = request.id, let method = request.method else { return }
        let modern = request.meta?[MCP.MetaKey.protocolVersion] != nil
        do {
            guard var result = try respond(to: method, params: request.params, id: id, modern: modern) else { return }
            if modern, case .object(var object) = result {
                if object["resultType"] == nil { object["resultType"] = "complete" }
                if Self.cacheableMethods.contains(method) {
                    object["ttlMs"] = 0
                    object["cacheScope"] = "private"
                }
                result = .object(object)
            }
            send(["jsonrpc": "2.0", "id": id, "result": result])
        } catch let error as RPCError {
            send(["jsonrpc": "2.0", "id": id, "error": ["code": .int(error.code), "message": .string(error.message)]])
        } catch {
            send(["jsonrpc": "2.0", "id": id, "error": ["code": -32603, "message": .string("\(error)")]])
        }
    }

    struct RPCError: Error {
        var code: Int
        var message: String
    }

    static var capabilities: JSONValue {
        [
            "tools": ["listChanged": false], "resources": ["listChanged": false, "subscribe": false],
            "prompts": ["listChanged": false], "logging": [:],
        ]
    }

    static var serverInfo: JSONValue { ["name": .string(name), "version": .string(version)] }

    /// The result for a request, or nil when no response must be sent (a cancelled call).
    private func respond(to method: String, params: JSONValue?, id: JSONValue, modern: Bool) throws -> JSONValue? {
        switch method {
        case MCP.Method.initialize:
            let requested = params?["protocolVersion"]?.stringValue ?? MCP.Version.latestHandshake
            let version = MCP.Version.handshake.contains(requested) ? requested : MCP.Version.latestHandshake
            return [
                "protocolVersion": .string(version), "capabilities": Self.capabilities, "serverInfo": Self.serverInfo,
                "instructions": "A test server for Argus. Try calculate, get_weather and echo.",
            ]
        case MCP.Method.serverDiscover:
            return [
                "supportedVersions": [.string(MCP.Version.stateless)],
                "capabilities": Self.capabilities, "serverInfo": Self.serverInfo,
            ]
        case MCP.Method.ping, MCP.Method.setLoggingLevel:
            return [:]
        case MCP.Method.toolsList:
            // Like most real servers, when asked: tools without annotations.
            if ProcessInfo.processInfo.environment["ARGUS_TEST_NO_ANNOTATIONS"] != nil {
                return [
                    "tools": .array(
                        Tools.definitions.map { tool in
                            guard case .object(var o) = tool else { return tool }
                            o["annotations"] = nil
                            return .object(o)
                        })
                ]
            }
            return ["tools": .array(Tools.definitions)]
        case MCP.Method.toolsCall:
            guard let name = params?["name"]?.stringValue else { throw RPCError(code: -32602, message: "missing tool name") }
            let arguments = params?["arguments"] ?? [:]
            if ProcessInfo.processInfo.environment["ARGUS_TEST_CRASH_ON_TOOL"] == name {
                FileHandle.standardError.write(Data("crashing on \(name), as ARGUS_TEST_CRASH_ON_TOOL asks\n".utf8))
                exit(70)
            }
            let progressToken = params?["_meta"]?[MCP.MetaKey.progressToken]
            let context = Tools.Context(server: self, requestID: id, progressToken: progressToken, modern: modern, params: params)
            return try Tools.call(name, arguments: arguments, context: context)
        case MCP.Method.resourcesList:
            return [
                "resources": [
                    [
                        "uri": "argus://test/readme", "name": "readme", "title": "About this server",
                        "mimeType": "text/markdown",
                    ]
                ]
            ]
        case MCP.Method.resourceTemplatesList:
            return ["resourceTemplates": []]
        case MCP.Method.resourcesRead:
            guard params?["uri"]?.stringValue == "argus://test/readme" else {
                throw RPCError(code: -32002, message: "Resource not found")
            }
            return [
                "contents": [
                    [
                        "uri": "argus://test/readme", "mimeType": "text/markdown",
                        "text": "# argus-test-server\nA stdio MCP server used to demo and test Argus.\n",
                    ]
                ]
            ]
        case MCP.Method.promptsList:
            return [
                "prompts": [
                    [
                        "name": "greeting", "description": "Greets someone by name",
                        "arguments": [["name": "name", "description": "Who to greet", "required": true]],
                    ]
                ]
            ]
        case MCP.Method.promptsGet:
            guard params?["name"]?.stringValue == "greeting" else { throw RPCError(code: -32602, message: "Unknown prompt") }
            let who = params?["arguments"]?["name"]?.stringValue ?? "world"
            return [
                "description": "A greeting",
                "messages": [["role": "user", "content": ["type": "text", "text": .string("Say hello to \(who).")]]],
            ]
        case MCP.Method.complete:
            return ["completion": ["values": [], "hasMore": false]]
        case MCP.Method.subscriptionsListen where modern:
            listen(id: id, filter: params?["notifications"] ?? [:])
            return nil
        default:
            throw RPCError(code: -32601, message: "Method not found: \(method)")
        }
    }
}
