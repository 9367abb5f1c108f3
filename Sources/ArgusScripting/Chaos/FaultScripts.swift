import ArgusCore

/// Scripts' `fault` hooks, on the relay path of `argus wrap --faults`: for each tool call the
/// client sends, a hook may answer in the server's place, delay the answer, or drop the call.
///
///     function fault(request, ctx)
///       if request.tool == "search" and ctx.calls % 3 == 0 then return { kind = "empty" } end
///       if request.params.arguments.city == "Atlantis" then return argus.DROP end   -- a timeout
///       return nil                                                                  -- untouched
///     end
///
/// A hook returns nil, `argus.DROP` (no answer: a timeout), or a table: `kind` (a faults file's
/// kinds), `ms` (a delay, added to any kind), `code` and `message` (for `error`, `is_error`),
/// `result` (a result sent instead of the server's) or `error` (a JSON-RPC error object).
/// Errors fail open: the call goes on untouched, the error is reported on stderr.
public final class FaultScripts: FaultHooks {
    private var scripts: [HookScript] = []
    private let server: String
    private let report: (String) -> Void

    /// Loads every script; one that cannot be loaded is reported and left out.
    public init(specs: [FaultScriptSpec], server: String, limits: ScriptLimits, report: @escaping (String) -> Void) {
        self.server = server
        self.report = report
        for spec in specs {
            do {
                scripts.append(try HookScript.load(ScriptSpec(path: spec.path, config: spec.config), hook: "fault", limits: limits))
            } catch {
                report("argus: fault script \(spec.path) is not used: \(error)")
            }
        }
    }

    public var isEmpty: Bool { scripts.isEmpty }

    public func fault(_ request: FaultRequest) -> FaultDecision? {
        for script in scripts
        where !script.isSwitchedOff
            && script.manifest.match.matches(server: server, tool: request.tool, method: request.method)
        {
            var call = LuaRecord()
            call.add("server", request.server)
            call.add("method", request.method)
            call.add("tool", request.tool)
            call.add("request_id", json: request.requestID)
            var ctx = LuaRecord()
            ctx.add("script", script.name)
            ctx.add("hook", "fault")
            ctx.add("calls", request.toolCalls)
            ctx.add("elapsed_ms", request.elapsedMillis)
            let (outcome, error) = script.call(record: call, requestBody: request.body, responseBody: nil, context: ctx)
            if let error {
                report("argus: fault script \(script.name): \(error)")
                continue
            }
            if outcome.dropped {
                var decision = FaultDecision(kind: .timeout)
                decision.sources = ["script \(script.name)"]
                return decision
            }
            guard let value = outcome.value else { continue }
            do {
                return try Self.decision(from: value, script: script.name)
            } catch {
                report("argus: fault script \(script.name): \(error)")
            }
        }
        return nil
    }

    struct BadReturn: Error, CustomStringConvertible {
        var description: String
    }

    /// A hook's table as a decision.
    static func decision(from value: JSONValue, script: String) throws(BadReturn) -> FaultDecision {
        guard case .object(let table) = value else {
            throw BadReturn(description: "fault must return nil, argus.DROP or a table like { kind = \"error\" }")
        }
        var decision = FaultDecision()
        decision.sources = ["script \(script)"]
        if let kind = table["kind"] {
            guard let text = kind.stringValue, let parsed = FaultKind(rawValue: text) else {
                throw BadReturn(description: "kind must be one of \(FaultKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            decision.kind = parsed == .latency ? nil : parsed
        }
        if let ms = table["ms"] {
            guard let millis = ms.doubleValue, millis >= 0, millis <= 3_600_000 else {
                throw BadReturn(description: "ms must be a number of milliseconds from 0 to 3600000")
            }
            decision.delayMillis = millis
        }
        if let code = table["code"] {
            guard let number = code.intValue else { throw BadReturn(description: "code must be an integer") }
            decision.code = number
        }
        decision.message = table["message"]?.stringValue
        if let result = table["result"] {
            decision.answer = ["result": result]
        } else if let error = table["error"] {
            guard case .object(var object) = error else {
                throw BadReturn(description: "error must be a table like { code = -32000, message = \"…\" }")
            }
            if object["code"] == nil { object["code"] = .int(decision.code) }
            if object["message"] == nil { object["message"] = .string(decision.message ?? FaultAnswer.defaultErrorMessage) }
            decision.answer = ["error": .object(object)]
        }
        if decision.isEmpty && table["kind"] == nil {
            throw BadReturn(description: "the table says nothing to do: give kind, ms, result or error")
        }
        return decision
    }
}
