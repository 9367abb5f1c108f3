import ArgusCore
import ArgusSystem
import Foundation

/// The test server's tools.
enum Tools {
    struct Context {
        var server: TestServer
        var requestID: JSONValue
        var progressToken: JSONValue?
        var modern: Bool
        /// The whole request params (2026-07-28 retries carry `inputResponses` and `requestState` there).
        var params: JSONValue? = nil
    }

    static func schema(_ properties: JSONValue, required: [String] = []) -> JSONValue {
        ["type": "object", "properties": properties, "required": .array(required.map(JSONValue.string))]
    }

    static let definitions: [JSONValue] = [
        [
            "name": "calculate", "title": "Calculator", "description": "Performs arithmetic on two numbers",
            "inputSchema": schema(
                [
                    "operation": ["type": "string", "enum": ["add", "subtract", "multiply", "divide"]],
                    "a": ["type": "number"], "b": ["type": "number"],
                ], required: ["operation", "a", "b"]),
            "outputSchema": schema(["result": ["type": "number"]], required: ["result"]),
            "annotations": ["readOnlyHint": true, "idempotentHint": true],
        ],
        [
            "name": "get_weather", "description": "Current weather for a city (deterministic mock data)",
            "inputSchema": schema(["city": ["type": "string", "description": "City name"]], required: ["city"]),
            "annotations": ["readOnlyHint": true, "openWorldHint": false],
        ],
        [
            "name": "slow_operation", "description": "Waits the given number of milliseconds, reporting progress",
            "inputSchema": schema(["ms": ["type": "integer", "minimum": 0, "maximum": 60000]], required: ["ms"]),
            "annotations": ["readOnlyHint": true],
        ],
        [
            "name": "random_failure", "description": "Fails half of the time; pass a seed for a repeatable outcome",
            "inputSchema": schema(["seed": ["type": "integer"]]),
            "annotations": ["readOnlyHint": true],
        ],
        [
            "name": "always_fail", "description": "Always returns a tool error (isError: true)",
            "inputSchema": schema([:]),
            "annotations": ["readOnlyHint": true],
        ],
        [
            "name": "echo", "description": "Returns its message unchanged",
            "inputSchema": schema(["message": ["description": "Anything"]], required: ["message"]),
            "annotations": ["readOnlyHint": true, "idempotentHint": true],
        ],
        [
            "name": "progress_task", "description": "Works in steps, sending a progress notification per step and a log message",
            "inputSchema": schema([
                "steps": ["type": "integer", "minimum": 1, "maximum": 100],
                "delay_ms": ["type": "integer", "minimum": 0],
            ]),
            "annotations": ["readOnlyHint": true],
        ],
        [
            "name": "client_roots", "description": "Asks the client for its roots (a server-to-client request)",
            "inputSchema": schema([:]),
            "annotations": ["readOnlyHint": true],
        ],
        [
            "name": "delete_file", "description": "Pretends to delete a file (annotated destructive, does nothing)",
            "inputSchema": schema(["path": ["type": "string"]], required: ["path"]),
            "annotations": ["readOnlyHint": false, "destructiveHint": true],
        ],
        [
            "name": "confirm_action",
            "description": "Asks the user to confirm, once per question (2026-07-28: input_required rounds; earlier: elicitation/create)",
            "inputSchema": schema(
                ["action": ["type": "string"], "questions": ["type": "integer", "minimum": 1, "maximum": 5]],
                required: ["action"]),
            "annotations": ["readOnlyHint": true],
        ],
        [
            "name": "notify_listeners",
            "description": "Sends resources/updated and tools/list_changed on every subscriptions/listen stream",
            "inputSchema": schema(["uri": ["type": "string"]]),
            "annotations": ["readOnlyHint": true],
        ],
        [
            "name": "close_listeners", "description": "Ends every subscriptions/listen stream from the server's side",
            "inputSchema": schema([:]),
            "annotations": ["readOnlyHint": true],
        ],
        [
            "name": "emit",
            "description": .string(
                "Says what it is given everywhere a server can: stderr, a log notification, "
                    + "then a JSON-RPC error, or a result (as text and, for an object, as structuredContent)"),
            "inputSchema": schema([
                "stderr": ["type": "string"], "notify": ["type": "string"], "error": ["type": "string"],
                "result": ["description": "Anything"],
            ]),
            "annotations": ["readOnlyHint": true, "idempotentHint": true],
        ],
        [
            "name": "password_generate",
            "description": .string(
                "A random password, returned like FastMCP returns a dict: "
                    + "as structuredContent and as JSON text (ARGUS_TEST_SEED makes it repeatable)"),
            "inputSchema": schema(["length": ["type": "integer", "minimum": 8, "maximum": 64]]),
            "annotations": ["readOnlyHint": true],
        ],
        [
            "name": "launch_info", "description": "The server's command-line arguments and the values of the named environment variables",
            "inputSchema": schema(["env": ["type": "array", "items": ["type": "string"]]]),
            "annotations": ["readOnlyHint": true, "idempotentHint": true],
        ],
    ]

    static func text(_ text: String, structured: JSONValue? = nil, isError: Bool = false) -> JSONValue {
        var result: JSONObject = ["content": [["type": "text", "text": .string(text)]]]
        if let structured { result["structuredContent"] = structured }
        if isError { result["isError"] = true }
        return .object(result)
    }

    static func call(_ name: String, arguments: JSONValue, context: Context) throws -> JSONValue? {
        switch name {
        case "calculate":
            guard let op = arguments["operation"]?.stringValue, let a = arguments["a"]?.doubleValue,
                let b = arguments["b"]?.doubleValue
            else { return text("calculate needs operation, a and b", isError: true) }
            let value: Double
            switch op {
            case "add": value = a + b
            case "subtract": value = a - b
            case "multiply": value = a * b
            case "divide":
                if b == 0 { return text("Division by zero", isError: true) }
                value = a / b
            default: return text("Unknown operation: \(op)", isError: true)
            }
            let number = JSONValue.double(value)
            return text("\(number)", structured: ["result": number])

        case "get_weather":
            let city = arguments["city"]?.stringValue ?? "Nowhere"
            let seed = city.unicodeScalars.reduce(UInt32(7)) { $0 &* 31 &+ $1.value }
            let conditions = ["sunny", "cloudy", "rainy", "windy", "snowy"]
            let report: JSONValue = [
                "city": .string(city), "temperature_c": .int(Int(seed % 35) - 5),
                "conditions": .string(conditions[Int(seed / 35 % UInt32(conditions.count))]),
                "humidity": .int(Int(seed % 60) + 30),
                "observed_at": .string(TimeFormat.iso8601(micros: SystemClock.wallMicros())),
            ]
            return text(JSONWriter.string(report), structured: report)

        case "slow_operation":
            let ms = min(max(arguments["ms"]?.intValue ?? 100, 0), 60000)
            let start = Date()
            var step = 0
            while Date().timeIntervalSince(start) * 1000 < Double(ms) {
                if context.server.isCancelled(context.requestID) { return nil }
                if let token = context.progressToken, step % 10 == 0 {
                    context.server.notify(
                        MCP.Method.progress,
                        ["progressToken": token, "progress": .int(step / 10), "total": .int(ms / 100 + 1)])
                }
                Thread.sleep(forTimeInterval: min(0.01, Double(ms) / 1000))
                step += 1
            }
            return text("Waited \(ms) ms", structured: ["waited_ms": .int(ms)])

        case "random_failure":
            let roll: Double
            if let seed = arguments["seed"]?.intValue {
                roll =
                    Double(UInt64(bitPattern: Int64(seed)).multipliedReportingOverflow(by: 0x9E37_79B9_7F4A_7C15).partialValue >> 11)
                    / Double(1 << 53)
            } else {
                roll = context.server.random()
            }
            if roll < 0.5 { return text("Random failure (roll \(String(oneDecimal: roll * 100))%)", isError: true) }
            return text("Success (roll \(String(oneDecimal: roll * 100))%)", structured: ["ok": true])

        case "always_fail":
            return text("This tool always fails", isError: true)

        case "echo":
            let message = arguments["message"] ?? .null
            return text(message.stringValue ?? JSONWriter.string(message), structured: ["echo": message])

        case "progress_task":
            let steps = min(max(arguments["steps"]?.intValue ?? 3, 1), 100)
            let delay = Double(max(arguments["delay_ms"]?.intValue ?? 20, 0)) / 1000
            context.server.notify(
                MCP.Method.logMessage,
                ["level": "info", "logger": "progress_task", "data": .string("starting \(steps) steps")])
            for step in 1...steps {
                if context.server.isCancelled(context.requestID) { return nil }
                Thread.sleep(forTimeInterval: delay)
                if let token = context.progressToken {
                    context.server.notify(
                        MCP.Method.progress,
                        [
                            "progressToken": token, "progress": .int(step), "total": .int(steps),
                            "message": .string("step \(step) of \(steps)"),
                        ])
                }
            }
            return text("Completed \(steps) steps", structured: ["steps": .int(steps)])

        case "client_roots":
            if context.modern {
                return text("2026-07-28 has no server-to-client requests", isError: true)
            }
            guard let answer = context.server.askClient(MCP.Method.rootsList, [:]) else {
                return text("The client did not answer roots/list", isError: true)
            }
            if let error = answer["error"] { return text("roots/list failed: \(error)", isError: true) }
            let roots = answer["result"]?["roots"] ?? []
            return text(JSONWriter.string(roots), structured: ["roots": roots])

        case "emit":
            if let line = arguments["stderr"]?.stringValue { FileHandle.standardError.write(Data((line + "\n").utf8)) }
            if let data = arguments["notify"]?.stringValue {
                context.server.notify(MCP.Method.logMessage, ["level": "info", "logger": "emit", "data": .string(data)])
            }
            if let message = arguments["error"]?.stringValue { throw TestServer.RPCError(code: -32000, message: message) }
            let result = arguments["result"] ?? ""
            // Like FastMCP: an object comes back twice, as structuredContent and as JSON text.
            return text(result.stringValue ?? JSONWriter.string(result), structured: result.objectValue != nil ? result : nil)

        case "password_generate":
            let length = min(max(arguments["length"]?.intValue ?? 16, 8), 64)
            let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789!#%&*+-=?@^_")
            let password = String((0..<length).map { _ in alphabet[Int(context.server.random() * Double(alphabet.count))] })
            let generated: JSONValue = ["password": .string(password), "length": .int(length)]
            return text(JSONWriter.string(generated, pretty: true), structured: generated)

        case "launch_info":
            let environment = ProcessInfo.processInfo.environment
            var values = JSONObject()
            for name in arguments["env"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
                values[name] = environment[name].map(JSONValue.string) ?? .null
            }
            let info: JSONValue = ["argv": .array(CommandLine.arguments.dropFirst().map(JSONValue.string)), "env": .object(values)]
            return text(JSONWriter.string(info), structured: info)

        case "delete_file":
            return text("Did not delete \(arguments["path"]?.stringValue ?? "?") (test server)", structured: ["deleted": false])

        case "confirm_action":
            return confirm(arguments, context: context)

        case "notify_listeners":
            let count = context.server.notifyListeners(uri: arguments["uri"]?.stringValue ?? "argus://test/readme")
            return text("Notified \(count) streams", structured: ["streams": .int(count)])

        case "close_listeners":
            let count = context.server.closeListeners(reason: "closed by argus-test-server")
            return text("Closed \(count) streams", structured: ["streams": .int(count)])

        default:
            return text("Unknown tool: \(name)", isError: true)
        }
    }

    /// A round that asks question `n`.
    static func ask(_ action: String, _ n: Int) -> JSONValue {
        [
            "resultType": "input_required", "inputRequests": .object(JSONObject([JSONMember("q\(n)", question(action, n))])),
            "requestState": .string("asked=\(n)"),
        ]
    }

    static func question(_ action: String, _ n: Int) -> JSONValue {
        [
            "method": .string(MCP.Method.elicit),
            "params": [
                "message": .string("Question \(n): really \(action)?"),
                "requestedSchema": ["type": "object", "properties": ["confirm": ["type": "boolean"]], "required": ["confirm"]],
            ],
        ]
    }

    /// Asks `questions` confirmations, one per round. 2026-07-28 is stateless: each round answers
    /// `input_required` with the next question and a `requestState` saying how far it got, and
    /// the client retries with the answers so far. Earlier eras ask with `elicitation/create`.
    static func confirm(_ arguments: JSONValue, context: Context) -> JSONValue {
        let action = arguments["action"]?.stringValue ?? "do it"
        let questions = min(max(arguments["questions"]?.intValue ?? 1, 1), 5)
        if !context.modern {
            for n in 1...questions {
                guard let answer = context.server.askClient(MCP.Method.elicit, question(action, n)["params"] ?? [:]),
                    answer["result"]?["action"]?.stringValue == "accept"
                else { return text("Not confirmed: \(action)", structured: ["confirmed": false]) }
            }
            return text("Confirmed: \(action)", structured: ["confirmed": true])
        }
        // The state says which question the previous round asked; nothing is kept on the server.
        let params = context.params
        guard params?["inputResponses"] != nil || params?["requestState"] != nil else { return ask(action, 1) }
        let asked = Int(params?["requestState"]?.stringValue?.split(separator: "=").last ?? "") ?? 1
        guard params?["inputResponses"]?["q\(asked)"]?["action"]?.stringValue == "accept" else {
            return text("Not confirmed: \(action)", structured: ["confirmed": false])
        }
        if asked < questions { return ask(action, asked + 1) }
        return text("Confirmed: \(action) (\(questions) answers)", structured: ["confirmed": true])
    }
}
