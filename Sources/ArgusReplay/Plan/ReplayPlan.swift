import ArgusCore
import ArgusStore
import Foundation

/// Everything a replay needs: how to start the server, how the client greeted
/// it, and the calls. Built from the database or from a suite file.
public struct ReplayPlan: Sendable {
    public var serverName: String
    public var launch: ServerLaunch
    /// Environment variable names the recorded server had; missing secret-looking ones are worth a warning.
    public var recordedEnvNames: [String]
    public var handshake: Handshake
    public var calls: [ReplayCall]
    public var sourceRun: Int64?

    public init(serverName: String, launch: ServerLaunch, recordedEnvNames: [String], handshake: Handshake, calls: [ReplayCall],
                sourceRun: Int64?) {
        self.serverName = serverName
        self.launch = launch
        self.recordedEnvNames = recordedEnvNames
        self.handshake = handshake
        self.calls = calls
        self.sourceRun = sourceRun
    }

    public static let replayableMethods: Set<String> = ["tools/call", "resources/read", "prompts/get"]

    /// The plan for one recorded call.
    public static func forCall(_ id: Int64, reader: ArgusReader) throws -> ReplayPlan {
        guard let detail = try reader.call(id: id) else { throw ReplayError.unknownCall(id) }
        guard replayableMethods.contains(detail.summary.method) else { throw ReplayError.notReplayable(method: detail.summary.method) }
        var plan = try forRun(detail.summary.runID, reader: reader, calls: [])
        plan.calls = [try call(detail, reader: reader)]
        return plan
    }

    /// The plan for every replayable call of a run (or the given ones).
    public static func forRun(_ runID: Int64, reader: ArgusReader, calls given: [CallDetail]? = nil) throws -> ReplayPlan {
        guard let run = try reader.run(id: runID) else { throw ReplayError.protocolError("no run \(runID) in the database (see `argus runs`)") }
        guard !run.command.isEmpty else { throw ReplayError.noLaunchSpec(run: runID) }
        let initialize = try reader.firstRequest(run: runID, method: "initialize")
        let version = run.protocolVersion ?? initialize?["params"]?["protocolVersion"]?.stringValue
        let handshake = Handshake(stateless: initialize == nil && version.map(Handshake.modernVersions.contains) == true,
                                  protocolVersion: version, initializeParams: initialize?["params"],
                                  clientAnswers: try reader.clientAnswers(run: runID))
        let details: [CallDetail]
        if let given {
            details = given
        } else {
            var filter = CallFilter()
            filter.run = runID
            filter.limit = 100_000
            details = try reader.details(try reader.calls(filter).reversed().filter { replayableMethods.contains($0.method) })
        }
        return ReplayPlan(serverName: run.serverName,
                          launch: ServerLaunch(command: run.command, arguments: run.args, cwd: run.cwd,
                                               sealedArguments: try reader.sealedArgs(run: runID).map {
                                                   SealedArguments(keyID: $0.keyID, bytes: $0.bytes)
                                               }),
                          recordedEnvNames: run.envNames, handshake: handshake,
                          calls: try details.map { try call($0, reader: reader) }, sourceRun: runID)
    }

    static func call(_ detail: CallDetail, reader: ArgusReader) throws -> ReplayCall {
        let s = detail.summary
        let schema = try s.tool.flatMap { try reader.latestToolSchema(server: s.server, tool: $0, atOrBeforeRun: s.runID) }
        var expected: JSONValue?
        if let response = detail.response {
            expected = ReplayEngine.outcome(of: response)
        }
        var params = detail.params ?? [:]
        if case .object(var p) = params, p["_meta"] != nil, s.method == "tools/call" {
            // A progress token from the recording would point the server's notifications at a request that is gone.
            p["_meta"] = p["_meta"].map { meta in
                guard case .object(var m) = meta else { return meta }
                m["progressToken"] = nil
                return .object(m)
            }
            params = .object(p)
        }
        return ReplayCall(callID: s.id, method: s.method, tool: s.tool, params: params,
                          sealed: try reader.sealedParams(run: s.runID, seq: s.requestSeq), expected: expected,
                          expectedIsError: s.isError, latencyMicros: s.latencyMicros, startedAt: s.startedAt,
                          inputSchema: schema?.inputSchema.flatMap { try? JSONParser.parse($0) },
                          annotations: schema?.annotations.flatMap { try? JSONParser.parse($0) }, toolListed: schema != nil)
    }

    /// Secret-looking variables the recorded server had that this environment lacks.
    public func missingSecretVariables(environment: [String: String]) -> [String] {
        let matcher = SecretKeyMatcher()
        return recordedEnvNames.filter { matcher.isSecretVariable($0) && environment[$0] == nil && launch.extraEnvironment[$0] == nil }
    }

    // MARK: suite files

    /// A self-contained suite: no secret in clear (redacted params, sealed originals).
    public var suiteJSON: JSONValue {
        var server: JSONObject = ["name": .string(serverName), "command": .string(launch.command),
                                  "args": .array(launch.arguments.map(JSONValue.string)),
                                  "env_names": .array(recordedEnvNames.map(JSONValue.string))]
        server["cwd"] = launch.cwd.map(JSONValue.string) ?? .null
        if let sealed = launch.sealedArguments {
            server["sealed_args"] = ["key_id": .string(sealed.keyID), "data": .string(Data(sealed.bytes).base64EncodedString())]
        }
        return ["argus_suite": 1, "exported_at": .string(TimeFormat.iso8601(micros: Clock.wallMicros())),
                "source_run": sourceRun.map { .number(String($0)) } ?? .null,
                "server": .object(server), "handshake": handshake.json,
                "calls": .array(calls.map { call in
                    var o: JSONObject = ["call_id": call.callID.map { .number(String($0)) } ?? .null, "method": .string(call.method),
                                         "tool": call.tool.map(JSONValue.string) ?? .null, "params": call.params,
                                         "expected": call.expected ?? .null, "is_error": .bool(call.expectedIsError),
                                         "latency_us": call.latencyMicros.map { .number(String($0)) } ?? .null,
                                         "started_at": .string(TimeFormat.iso8601(micros: call.startedAt))]
                    o["sealed"] = call.sealed.map { ["key_id": .string($0.keyID), "data": .string(Data($0.bytes).base64EncodedString())] } ?? .null
                    o["input_schema"] = call.inputSchema ?? .null
                    o["annotations"] = call.annotations ?? .null
                    o["tool_listed"] = .bool(call.toolListed)
                    return .object(o)
                })]
    }

    public static func fromSuite(_ value: JSONValue, path: String) throws -> ReplayPlan {
        guard value["argus_suite"]?.intValue == 1 else { throw ReplayError.protocolError("\(path) is not an Argus suite (argus export writes them)") }
        guard let server = value["server"], let command = server["command"]?.stringValue else {
            throw ReplayError.protocolError("\(path): server.command is missing")
        }
        let calls = try (value["calls"]?.arrayValue ?? []).enumerated().map { i, c -> ReplayCall in
            guard let method = c["method"]?.stringValue else { throw ReplayError.protocolError("\(path): calls[\(i)].method is missing") }
            var sealed: (keyID: String, bytes: [UInt8])?
            if let key = c["sealed"]?["key_id"]?.stringValue, let data = c["sealed"]?["data"]?.stringValue.flatMap({ Data(base64Encoded: $0) }) {
                sealed = (key, Array(data))
            }
            return ReplayCall(callID: c["call_id"]?.intValue.map(Int64.init), method: method, tool: c["tool"]?.stringValue,
                              params: c["params"] ?? [:], sealed: sealed,
                              expected: c["expected"]?.nonNull, expectedIsError: c["is_error"]?.boolValue ?? false,
                              latencyMicros: c["latency_us"]?.intValue.map(Int64.init),
                              startedAt: c["started_at"]?.stringValue.flatMap(TimeFormat.parseISO8601) ?? Clock.wallMicros(),
                              inputSchema: c["input_schema"]?.nonNull,
                              annotations: c["annotations"]?.nonNull,
                              toolListed: c["tool_listed"]?.boolValue ?? (c["input_schema"]?.nonNull != nil))
        }
        var sealedArguments: SealedArguments?
        if let key = server["sealed_args"]?["key_id"]?.stringValue,
           let data = server["sealed_args"]?["data"]?.stringValue.flatMap({ Data(base64Encoded: $0) }) {
            sealedArguments = SealedArguments(keyID: key, bytes: Array(data))
        }
        return ReplayPlan(serverName: server["name"]?.stringValue ?? command,
                          launch: ServerLaunch(command: command, arguments: server["args"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                                               cwd: server["cwd"]?.stringValue, sealedArguments: sealedArguments),
                          recordedEnvNames: server["env_names"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                          handshake: Handshake(json: value["handshake"] ?? [:]), calls: calls,
                          sourceRun: value["source_run"]?.intValue.map(Int64.init))
    }
}
