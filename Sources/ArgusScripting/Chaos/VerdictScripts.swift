import ArgusCore

/// Scripts' `verdict` hooks, run by `argus verdict` over a run's tool calls, oldest first: a
/// hook sees each call (with `params`, `result` and `error` as recorded) and may add findings
/// of its own. A script keeps what it needs across calls in its own locals.
///
///     local searches = 0
///     function verdict(call, ctx)
///       if call.tool == "search" then searches = searches + 1 end
///       if ctx.last and searches == 0 then
///         return { kind = "never_searched", level = "failure", message = "the agent never searched" }
///       end
///     end
///
/// A hook returns nil, a verdict (`kind`, `message`, optional `level`: info, warning (the
/// default) or failure), or a list of them.
public final class VerdictScripts {
    private var scripts: [HookScript] = []
    private let server: String
    private let report: (String) -> Void

    /// Loads the scripts that define `verdict`; others (recording scripts) are passed over quietly.
    public init(specs: [ScriptSpec], server: String, limits: ScriptLimits, report: @escaping (String) -> Void) {
        self.server = server
        self.report = report
        for spec in specs {
            do {
                scripts.append(try HookScript.load(spec, hook: "verdict", limits: limits))
            } catch  where error.description == HookScript.missingHook("verdict") {
                continue
            } catch {
                report("argus: verdict script \(spec.path) is not used: \(error)")
            }
        }
    }

    public var isEmpty: Bool { scripts.isEmpty }

    /// The scripts' verdicts on `calls` (in the run's order) of run `run`.
    public func verdicts(for calls: [VerdictCall], run: Int64) -> [Verdict] {
        var found: [Verdict] = []
        for script in scripts {
            for (index, call) in calls.enumerated()
            where !script.isSwitchedOff
                && script.manifest.match.matches(server: server, tool: call.tool, method: "tools/call")
            {
                var record = LuaRecord()
                record.add("id", call.id)
                record.add("run", run)
                record.add("server", server)
                record.add("method", "tools/call")
                record.add("tool", call.tool)
                record.add("status", call.status)
                record.add("outcome", call.outcome.rawValue)
                record.add("is_error", call.outcome == .failed)
                record.add("started_at", call.startedAt / 1000)
                record.add("latency_ms", call.latencyMicros.map { Double($0) / 1000 })
                record.add("fault", call.fault)
                if let readOnly = call.readOnly { record.add("read_only", readOnly) }
                var ctx = LuaRecord()
                ctx.add("script", script.name)
                ctx.add("hook", "verdict")
                ctx.add("run", run)
                ctx.add("index", index + 1)
                ctx.add("calls", calls.count)
                ctx.add("last", index == calls.count - 1)
                let (outcome, error) = script.call(
                    record: record, requestBody: call.requestBody, responseBody: call.responseBody,
                    context: ctx)
                if let error {
                    report("argus: verdict script \(script.name): \(error)")
                    continue
                }
                guard let value = outcome.value else { continue }
                let items = value.arrayValue ?? [value]
                for item in items {
                    guard let kind = item["kind"]?.stringValue, !kind.isEmpty, let message = item["message"]?.stringValue else {
                        report("argus: verdict script \(script.name): a verdict is a table like { kind = \"…\", message = \"…\" }")
                        continue
                    }
                    let level = item["level"]?.stringValue.flatMap(Verdict.Level.init(rawValue:)) ?? .warning
                    found.append(
                        Verdict(
                            kind: kind, level: level, message: message, callID: call.id, tool: call.tool,
                            fault: call.fault, source: "script \(script.name)"))
                }
            }
        }
        return found
    }
}
