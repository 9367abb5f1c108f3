import ArgusCore

/// The replay hooks: `mutate_replay` changes what is sent, `normalize` prepares both outcomes for
/// the diff. Unlike the recording hooks, a failure here stops the replay.
extension ScriptHost {
    public struct MutationError: Error, CustomStringConvertible {
        public var script: String
        public var message: String
        public var hook = "mutate_replay"
        public var description: String { "script \(script): \(hook) failed: \(message); the replay was not run" }
    }

    /// Lets `mutate_replay` hooks change the parameters of a call about to be
    /// replayed, highest priority first, each seeing the previous one's result.
    /// A failing hook aborts the replay (throws).
    public func mutateReplay(_ params: JSONValue, call: HookCall, emit: (RecordOp) -> Void) throws(MutationError) -> JSONValue {
        var current = params
        for script in scripts(defining: "mutate_replay", for: call) {
            guard script.state == .active, let lua = script.lua else {
                throw MutationError(script: script.name, message: "the script is \(script.state.rawValue): \(script.lastError ?? "")")
            }
            let outcome = lua.call(
                "mutate_replay", first: current, record: records.call(call), requestBody: call.requestBody,
                responseBody: call.responseBody, context: records.context(call, script: script, hook: "mutate_replay"))
            script.account("mutate_replay", outcome)
            for output in outcome.outputs { outputs.record(output, from: script, call: call, emit: emit) }
            switch outcome.status {
            case .missing: continue
            case .error, .limit:
                let message = ScriptErrors.firstLine(outcome.error ?? "?")
                failed(
                    script, hook: "mutate_replay", error: outcome.error ?? "?", call: call,
                    consequence: "the replay was not run", emit: emit)
                throw MutationError(script: script.name, message: message)
            case .ok:
                guard let value = outcome.value else { continue }
                guard case .object = value else {
                    throw MutationError(
                        script: script.name,
                        message: "mutate_replay must return nil or the new params table (it returned \(ScriptManifest.typeName(value)))")
                }
                current = value
            }
        }
        return current
    }

    /// Lets `normalize` hooks prepare a replay outcome for diffing (drop volatile
    /// fields, round numbers). Applied to the recorded and the replayed outcome alike.
    public func normalize(_ value: JSONValue, call: HookCall) throws(MutationError) -> JSONValue {
        var current = value
        for script in scripts(defining: "normalize", for: call) where script.state == .active {
            guard let lua = script.lua else { continue }
            let outcome = lua.call(
                "normalize", first: current, record: records.call(call), requestBody: nil, responseBody: nil,
                context: records.context(call, script: script, hook: "normalize"))
            script.account("normalize", outcome)
            switch outcome.status {
            case .missing: continue
            case .error, .limit:
                throw MutationError(script: script.name, message: ScriptErrors.firstLine(outcome.error ?? "?"), hook: "normalize")
            case .ok:
                if let replaced = outcome.value { current = replaced.reordered(like: current) }
            }
        }
        return current
    }
}
