import ArgusCore

/// The `mock` hook: `argus mock` lets scripts rewrite each answer before it is sent.
extension ScriptHost {
    /// Lets `mock` hooks rewrite the answer `argus mock` is about to send: `{"result": …}` or
    /// `{"error": …}` (the error of a miss too), highest priority first, each seeing the previous
    /// one's answer. A failing hook throws: the mock then answers with an error naming the script,
    /// never with an answer no hook approved.
    public func mockAnswer(_ answer: JSONValue, call: HookCall) throws(MutationError) -> JSONValue {
        var current = answer
        for script in scripts(defining: "mock", for: call) where script.state == .active {
            guard let lua = script.lua else { continue }
            let outcome = lua.call(
                "mock", first: current, record: records.call(call), requestBody: call.requestBody,
                responseBody: call.responseBody, context: records.context(call, script: script, hook: "mock"))
            script.account("mock", outcome)
            switch outcome.status {
            case .missing: continue
            case .error, .limit:
                failed(
                    script, hook: "mock", error: outcome.error ?? "?", call: call, consequence: "the mock answered with an error",
                    emit: { _ in })
                throw MutationError(script: script.name, message: ScriptErrors.firstLine(outcome.error ?? "?"), hook: "mock")
            case .ok:
                guard let value = outcome.value else { continue }
                guard value.objectValue != nil, value["result"] != nil || value["error"] != nil else {
                    throw MutationError(
                        script: script.name,
                        message: "mock must return nil or a table with result or error "
                            + "(it returned \(ScriptManifest.typeName(value)))", hook: "mock")
                }
                current = value.reordered(like: current)
            }
        }
        return current
    }
}
