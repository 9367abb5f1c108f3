import ArgusCore
import ArgusSystem
import Foundation

/// The suite file (`argus export`, `argus test --suite`): a plan as JSON, self-contained and
/// with no secret in clear (params stay redacted; their originals travel sealed).
extension ReplayPlan {
    public var suiteJSON: JSONValue {
        var server: JSONObject = [
            "name": .string(serverName), "command": .string(launch.command),
            "args": .array(launch.arguments.map(JSONValue.string)),
            "env_names": .array(recordedEnvNames.map(JSONValue.string)),
        ]
        server["cwd"] = launch.cwd.map(JSONValue.string) ?? .null
        if let sealed = launch.sealedArguments { server["sealed_args"] = sealed.json }
        return [
            "argus_suite": 1, "exported_at": .string(TimeFormat.iso8601(micros: SystemClock.wallMicros())),
            "source_run": sourceRun.map { .number(String($0)) } ?? .null,
            "server": .object(server), "handshake": handshake.json,
            "calls": .array(calls.map(\.suiteJSON)), "other_calls": .array(otherCalls.map(\.suiteJSON)),
        ]
    }

    public static func fromSuite(_ value: JSONValue, path: String) throws(ReplayError) -> ReplayPlan {
        guard value["argus_suite"]?.intValue == 1 else { throw .invalidSuite("\(path) is not an Argus suite (argus export writes them)") }
        guard let server = value["server"], let command = server["command"]?.stringValue else {
            throw .invalidSuite("\(path): server.command is missing")
        }
        func calls(_ key: String) throws(ReplayError) -> [ReplayCall] {
            var calls: [ReplayCall] = []
            for (i, c) in (value[key]?.arrayValue ?? []).enumerated() {
                guard let call = ReplayCall(suiteJSON: c) else { throw .invalidSuite("\(path): \(key)[\(i)].method is missing") }
                calls.append(call)
            }
            return calls
        }
        var plan = ReplayPlan(
            serverName: server["name"]?.stringValue ?? command,
            launch: ServerLaunch(
                command: command, arguments: server["args"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                cwd: server["cwd"]?.stringValue,
                sealedArguments: server["sealed_args"].flatMap(SealedValue.init(json:))),
            recordedEnvNames: server["env_names"]?.arrayValue?.compactMap(\.stringValue) ?? [],
            handshake: Handshake(json: value["handshake"] ?? [:]), calls: try calls("calls"),
            sourceRun: value["source_run"]?.intValue.map(Int64.init))
        plan.otherCalls = try calls("other_calls")
        return plan
    }
}

/// One call in a suite file.
extension ReplayCall {
    var suiteJSON: JSONValue {
        var o: JSONObject = [
            "call_id": callID.map { .number(String($0)) } ?? .null, "method": .string(method),
            "tool": tool.map(JSONValue.string) ?? .null, "params": params,
            "expected": expected ?? .null, "is_error": .bool(expectedIsError),
            "latency_us": latencyMicros.map { .number(String($0)) } ?? .null,
            "started_at": .string(TimeFormat.iso8601(micros: startedAt)),
        ]
        o["sealed"] = sealed?.json ?? .null
        o["input_schema"] = inputSchema ?? .null
        o["annotations"] = annotations ?? .null
        o["tool_listed"] = .bool(toolListed)
        if let requestSeq { o["request_seq"] = .number(String(requestSeq)) }
        if answerRedacted { o["answer_redacted"] = true }
        if !serverMessages.isEmpty { o["server_messages"] = .array(serverMessages.map(\.suiteJSON)) }
        return .object(o)
    }

    init?(suiteJSON c: JSONValue) {
        guard let method = c["method"]?.stringValue else { return nil }
        self.init(
            callID: c["call_id"]?.intValue.map(Int64.init), method: method, tool: c["tool"]?.stringValue,
            params: c["params"] ?? [:], sealed: c["sealed"].flatMap(SealedValue.init(json:)),
            expected: c["expected"]?.nonNull, expectedIsError: c["is_error"]?.boolValue ?? false,
            latencyMicros: c["latency_us"]?.intValue.map(Int64.init),
            startedAt: c["started_at"]?.stringValue.flatMap(TimeFormat.parseISO8601) ?? SystemClock.wallMicros(),
            inputSchema: c["input_schema"]?.nonNull,
            annotations: c["annotations"]?.nonNull,
            toolListed: c["tool_listed"]?.boolValue ?? (c["input_schema"]?.nonNull != nil),
            requestSeq: c["request_seq"]?.intValue.map(Int64.init),
            answerRedacted: c["answer_redacted"]?.boolValue ?? false,
            serverMessages: (c["server_messages"]?.arrayValue ?? []).compactMap(ServerMessage.init(suiteJSON:)))
    }
}

extension SealedValue {
    var json: JSONValue { ["key_id": .string(keyID), "data": .string(Data(bytes).base64EncodedString())] }

    init?(json: JSONValue) {
        guard let keyID = json["key_id"]?.stringValue, let data = json["data"]?.stringValue.flatMap({ Data(base64Encoded: $0) }) else {
            return nil
        }
        self.init(keyID: keyID, bytes: Array(data))
    }
}

extension Handshake {
    var json: JSONValue {
        [
            "stateless": .bool(stateless), "protocol_version": protocolVersion.map(JSONValue.string) ?? .null,
            "initialize": initializeParams ?? .null,
            "client_answers": .object(JSONObject(clientAnswers.sorted { $0.key < $1.key }.map { JSONMember($0.key, $0.value) })),
        ]
    }

    init(json: JSONValue) {
        self.init(
            stateless: json["stateless"]?.boolValue ?? false, protocolVersion: json["protocol_version"]?.stringValue,
            initializeParams: json["initialize"]?.nonNull,
            clientAnswers: Dictionary((json["client_answers"]?.objectValue?.members ?? []).map { ($0.key, $0.value) }) { $1 })
    }
}
