import ArgusCore

extension ArgusReader {
    /// The tool calls of a run in the order the client sent them, as the verdicts read them: outcome, arguments, the
    /// fault injected, whether the tool is annotated read-only, and the recorded messages.
    public func verdictCalls(run: Int64) throws -> [VerdictCall] {
        guard let summary = try self.run(id: run) else { return [] }
        var filter = CallFilter()
        filter.run = run
        filter.method = MCP.Method.toolsCall
        filter.limit = .max
        let calls = try self.calls(filter).filter { $0.tool != nil }.sorted { $0.requestSeq < $1.requestSeq }
        let faults = try faults(of: calls)
        var readOnly: [String: Bool?] = [:]
        return try details(calls).map { detail in
            let call = detail.call
            let tool = call.tool ?? ""
            if readOnly[tool] == nil {
                let annotations = try latestToolSchema(server: summary.serverName, tool: tool, atOrBeforeRun: run)?.annotations
                readOnly[tool] = .some(annotations.flatMap { try? JSONParser.parse($0) }?["readOnlyHint"]?.boolValue)
            }
            // The recorded frames as they are (the verdicts read a frame, not a batch's element).
            let request = detail.requestBody.flatMap { try? JSONParser.parse($0) }
            let response = detail.responseBody.flatMap { try? JSONParser.parse($0) }
            let fault = faults[call.id]?.kind
            var verdictCall = VerdictCall(
                id: call.id, tool: tool, argumentsKey: request?["params"]?["arguments"]?.canonicalText ?? "{}",
                startedAt: call.startedAt, endedAt: call.endedAt,
                outcome: VerdictCall.outcome(
                    status: call.status.rawValue, isError: call.isError, result: response?["result"],
                    fault: fault),
                fault: fault, readOnly: readOnly[tool] ?? nil)
            verdictCall.status = call.status.rawValue
            verdictCall.latencyMicros = call.latencyMicros
            verdictCall.requestBody = detail.requestBody
            verdictCall.responseBody = detail.responseBody
            return verdictCall
        }
    }

    /// The verdicts on a run: Argus's own, then those `extra` adds (scripts' `verdict` hooks).
    /// Nil when there is no such run.
    public func verdictReport(
        run: Int64, thresholds: VerdictThresholds,
        extra: ([VerdictCall]) -> [Verdict] = { _ in [] }
    ) throws -> VerdictReport? {
        guard try self.run(id: run) != nil else { return nil }
        let calls = try verdictCalls(run: run)
        let verdicts = VerdictAnalyzer.verdicts(for: calls, thresholds: thresholds) + extra(calls)
        return VerdictReport(runID: run, verdicts: verdicts, calls: calls.count, faults: try faults(run: run).count)
    }
}
