import ArgusCore

/// The `call` and `ctx` tables a hook receives, as typed records for the Lua bridge (no JSON).
/// Absent values are left out (nil in Lua), so `if call.tool then` works; message content keeps
/// `argus.null`. Runs are given as their database ids, asked of the writer until known.
final class HookRecords {
    private let lookUpRunID: (LocalRunID) -> Int64?
    private var knownRunIDs: [LocalRunID: Int64] = [:]

    private struct ContextKey: Hashable {
        var script: ObjectIdentifier
        var hook: String
        var phase: HookPhase
        var run: Int64?
    }

    /// `ctx` varies only with script, hook, phase and run, so it is kept.
    private var contexts: [ContextKey: LuaRecord] = [:]

    init(databaseRunID: @escaping (LocalRunID) -> Int64?) {
        lookUpRunID = databaseRunID
    }

    /// The database id of a local run, once the writer has written it.
    private func databaseRunID(_ run: LocalRunID) -> Int64? {
        if let known = knownRunIDs[run] { return known }
        let found = lookUpRunID(run)
        if let found { knownRunIDs[run] = found }
        return found
    }

    /// `call`: the metadata part (bodies cross separately and are decoded only when read).
    func call(_ call: HookCall) -> LuaRecord {
        var r = LuaRecord()
        r.add("server", call.server)
        r.add("method", call.method)
        r.add("direction", call.direction.rawValue)
        r.add("phase", call.phase.rawValue)
        r.add("started_at", call.startedAt / 1000)
        r.add("is_error", call.isError)
        r.add("progress_count", call.progressCount)
        r.add("bytes_in", call.bytesIn)
        r.add("id", call.callID)
        r.add("request_id", json: call.requestID)
        r.add("run", databaseRunID(call.run))
        r.add("tool", call.tool)
        r.add("target", call.target)
        r.add("latency_ms", call.latencyMicros.map { Double($0) / 1000 })
        r.add("status", call.status?.rawValue)
        r.add("error_code", call.errorCode)
        r.add("error_message", call.errorMessage)
        r.add("bytes_out", call.bytesOut)
        r.add("seq", call.requestSeq)
        r.add("replay_of", call.replayOf)
        return r
    }

    /// `ctx`: which script and hook run, in which phase, for which run.
    func context(_ call: HookCall, script: LoadedScript, hook: String) -> LuaRecord {
        let run = databaseRunID(call.run)
        let cacheKey = ContextKey(script: ObjectIdentifier(script), hook: hook, phase: call.phase, run: run)
        if let cached = contexts[cacheKey] { return cached }
        var r = LuaRecord()
        r.add("phase", call.phase.rawValue)
        r.add("script", script.name)
        r.add("server", call.server)
        r.add("hook", hook)
        r.add("run", run)
        if contexts.count > 1000 { contexts.removeAll() }
        contexts[cacheKey] = r
        return r
    }
}
