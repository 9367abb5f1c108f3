import ArgusCore
import ArgusStore

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
    /// The client's other requests (initialize, tools/list, ping, …) with their recorded answers:
    /// not replayed, but answered by `argus mock`. Filled when the plan is read `withSession`.
    public var otherCalls: [ReplayCall] = []

    public init(
        serverName: String, launch: ServerLaunch, recordedEnvNames: [String], handshake: Handshake, calls: [ReplayCall],
        sourceRun: Int64?
    ) {
        self.serverName = serverName
        self.launch = launch
        self.recordedEnvNames = recordedEnvNames
        self.handshake = handshake
        self.calls = calls
        self.sourceRun = sourceRun
    }

    /// The plan for one recorded call.
    public static func forCall(_ id: Int64, reader: ArgusReader) throws -> ReplayPlan {
        guard let detail = try reader.call(id: id) else { throw ReplayError.unknownCall(id) }
        guard MCP.Method.replayable.contains(detail.call.method) else { throw ReplayError.notReplayable(method: detail.call.method) }
        if let fault = try reader.withFaults([detail.call])[0].fault, !fault.kept {
            throw ReplayError.injectedAnswer(call: id, kind: fault.kind)
        }
        var plan = try forRun(detail.call.runID, reader: reader, calls: [])
        plan.calls = [try call(detail, reader: reader)]
        return plan
    }

    /// The plan for every replayable call of a run (or the given ones). `withSession` adds what a
    /// mock and a suite keep besides: the other requests and what the server sent on its own.
    public static func forRun(
        _ runID: Int64, reader: ArgusReader, calls given: [CallDetail]? = nil,
        withSession: Bool = false
    ) throws -> ReplayPlan {
        guard let run = try reader.run(id: runID) else { throw ReplayError.unknownRun(runID) }
        guard !run.command.isEmpty else { throw ReplayError.noLaunchSpec(run: runID) }
        let initialize = try reader.firstRequest(run: runID, method: MCP.Method.initialize)
        let version = run.protocolVersion ?? initialize?["params"]?["protocolVersion"]?.stringValue
        let handshake = Handshake(
            stateless: initialize == nil && version.map(MCP.Version.statelessRevisions.contains) == true,
            protocolVersion: version, initializeParams: initialize?["params"],
            clientAnswers: try reader.clientAnswers(run: runID))
        let details: [CallDetail]
        var others: [CallRecord] = []
        if let given {
            details = given
        } else {
            var filter = CallFilter()
            filter.run = runID
            filter.limit = 100_000
            let recorded = try reader.withFaults(Array(try reader.calls(filter).reversed()))
            // Outcomes argus injected are not the server's: nothing to compare a replay with.
            details = try reader.details(recorded.filter { MCP.Method.replayable.contains($0.method) && ($0.fault?.kept ?? true) })
            others = recorded.filter { $0.direction == .clientToServer && !MCP.Method.replayable.contains($0.method) }
        }
        var plan = ReplayPlan(
            serverName: run.serverName,
            launch: ServerLaunch(
                command: run.command, arguments: run.args, cwd: run.cwd,
                sealedArguments: run.sealedArgs.map { SealedValue(keyID: $0.keyID, bytes: $0.sealed) }),
            recordedEnvNames: run.envNames, handshake: handshake,
            calls: try details.map { try call($0, reader: reader) }, sourceRun: runID)
        if withSession {
            plan.otherCalls = try reader.details(others).map { try call($0, reader: reader) }
            try RecordedSession.attach(to: &plan, run: runID, reader: reader)
        }
        return plan
    }

    static func call(_ detail: CallDetail, reader: ArgusReader) throws -> ReplayCall {
        let s = detail.call
        let schema = try s.tool.flatMap { try reader.latestToolSchema(server: s.server, tool: $0, atOrBeforeRun: s.runID) }
        var params = detail.params ?? [:]
        if case .object(var p) = params, p["_meta"] != nil, s.method == MCP.Method.toolsCall {
            // A progress token from the recording would point the server's notifications at a request that is gone.
            p["_meta"] = p["_meta"].map { meta in
                guard case .object(var m) = meta else { return meta }
                m[MCP.MetaKey.progressToken] = nil
                return .object(m)
            }
            params = .object(p)
        }
        return ReplayCall(
            callID: s.id, method: s.method, tool: s.tool, params: params,
            sealed: try reader.sealedParams(run: s.runID, seq: s.requestSeq).map { SealedValue(keyID: $0.keyID, bytes: $0.bytes) },
            expected: detail.response.map(ReplayResult.outcome),
            expectedIsError: s.isError, latencyMicros: s.latencyMicros, startedAt: s.startedAt,
            inputSchema: schema?.inputSchema.flatMap { try? JSONParser.parse($0) },
            annotations: schema?.annotations.flatMap { try? JSONParser.parse($0) }, toolListed: schema != nil,
            requestSeq: Int64(s.requestSeq))
    }

    /// Secret-looking variables the recorded server had that this environment lacks.
    public func missingSecretVariables(environment: [String: String]) -> [String] {
        let matcher = SecretKeyMatcher()
        return recordedEnvNames.filter { matcher.isSecretVariable($0) && environment[$0] == nil && launch.extraEnvironment[$0] == nil }
    }
}
