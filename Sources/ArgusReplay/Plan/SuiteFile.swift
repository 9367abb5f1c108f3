import ArgusCore
import ArgusSystem
import Foundation

/// The suite file (`argus export`, `argus test --suite`): a plan as JSON, self-contained and
/// with no secret in clear (params stay redacted; their originals travel sealed).
extension ReplayPlan {
    public var suiteJSON: JSONValue {
        var server: JSONObject = ["name": .string(serverName), "command": .string(launch.command),
                                  "args": .array(launch.arguments.map(JSONValue.string)),
                                  "env_names": .array(recordedEnvNames.map(JSONValue.string))]
        server["cwd"] = launch.cwd.map(JSONValue.string) ?? .null
        if let sealed = launch.sealedArguments { server["sealed_args"] = sealed.json }
        return ["argus_suite": 1, "exported_at": .string(TimeFormat.iso8601(micros: SystemClock.wallMicros())),
                "source_run": sourceRun.map { .number(String($0)) } ?? .null,
                "server": .object(server), "handshake": handshake.json,
                "calls": .array(calls.map { call in
                    var o: JSONObject = ["call_id": call.callID.map { .number(String($0)) } ?? .null, "method": .string(call.method),
                                         "tool": call.tool.map(JSONValue.string) ?? .null, "params": call.params,
                                         "expected": call.expected ?? .null, "is_error": .bool(call.expectedIsError),
                                         "latency_us": call.latencyMicros.map { .number(String($0)) } ?? .null,
                                         "started_at": .string(TimeFormat.iso8601(micros: call.startedAt))]
                    o["sealed"] = call.sealed?.json ?? .null
                    o["input_schema"] = call.inputSchema ?? .null
                    o["annotations"] = call.annotations ?? .null
                    o["tool_listed"] = .bool(call.toolListed)
                    return .object(o)
                })]
    }

    public static func fromSuite(_ value: JSONValue, path: String) throws(ReplayError) -> ReplayPlan {
        guard value["argus_suite"]?.intValue == 1 else { throw .invalidSuite("\(path) is not an Argus suite (argus export writes them)") }
        guard let server = value["server"], let command = server["command"]?.stringValue else {
            throw .invalidSuite("\(path): server.command is missing")
        }
        var calls: [ReplayCall] = []
        for (i, c) in (value["calls"]?.arrayValue ?? []).enumerated() {
            guard let method = c["method"]?.stringValue else { throw .invalidSuite("\(path): calls[\(i)].method is missing") }
            calls.append(ReplayCall(callID: c["call_id"]?.intValue.map(Int64.init), method: method, tool: c["tool"]?.stringValue,
                                    params: c["params"] ?? [:], sealed: c["sealed"].flatMap(SealedValue.init(json:)),
                                    expected: c["expected"]?.nonNull, expectedIsError: c["is_error"]?.boolValue ?? false,
                                    latencyMicros: c["latency_us"]?.intValue.map(Int64.init),
                                    startedAt: c["started_at"]?.stringValue.flatMap(TimeFormat.parseISO8601) ?? SystemClock.wallMicros(),
                                    inputSchema: c["input_schema"]?.nonNull,
                                    annotations: c["annotations"]?.nonNull,
                                    toolListed: c["tool_listed"]?.boolValue ?? (c["input_schema"]?.nonNull != nil)))
        }
        return ReplayPlan(serverName: server["name"]?.stringValue ?? command,
                          launch: ServerLaunch(command: command, arguments: server["args"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                                               cwd: server["cwd"]?.stringValue,
                                               sealedArguments: server["sealed_args"].flatMap(SealedValue.init(json:))),
                          recordedEnvNames: server["env_names"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                          handshake: Handshake(json: value["handshake"] ?? [:]), calls: calls,
                          sourceRun: value["source_run"]?.intValue.map(Int64.init))
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
        ["stateless": .bool(stateless), "protocol_version": protocolVersion.map(JSONValue.string) ?? .null,
         "initialize": initializeParams ?? .null,
         "client_answers": .object(JSONObject(clientAnswers.sorted { $0.key < $1.key }.map { JSONMember($0.key, $0.value) }))]
    }

    init(json: JSONValue) {
        self.init(stateless: json["stateless"]?.boolValue ?? false, protocolVersion: json["protocol_version"]?.stringValue,
                  initializeParams: json["initialize"]?.nonNull,
                  clientAnswers: Dictionary((json["client_answers"]?.objectValue?.members ?? []).map { ($0.key, $0.value) }) { $1 })
    }
}
