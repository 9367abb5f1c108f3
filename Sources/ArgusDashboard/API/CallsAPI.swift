import ArgusCore
import ArgusReplay
import ArgusStore
import Foundation

/// Calls: listed and filtered, read whole (with what the page needs to show and replay
/// them), deleted, replayed, and edited arguments checked before a replay.
struct CallsAPI: Sendable {
    let pool: ReaderPool
    let feed: LiveFeed
    let stats: StatsIndex
    let replay: ReplayService

    /// Edited arguments can be as large as the recorded call.
    static let maxReplayBodyBytes = 16 << 20

    func register(_ router: inout Router) {
        router.add("GET", "/api/calls") { request, _ in try calls(request) }
        router.add("DELETE", "/api/calls") { request, _ in try delete(request) }
        router.add("GET", "/api/calls/:id") { _, params in try call(id: params.id()) }
        router.add("POST", "/api/calls/:id/replay", maxBodyBytes: Self.maxReplayBodyBytes) { request, params in
            try replay(request, id: params.id())
        }
        router.add("POST", "/api/calls/:id/replay/check", maxBodyBytes: Self.maxReplayBodyBytes) { request, params in
            try check(request, id: params.id())
        }
    }

    func filter(_ request: HTTPRequest) throws -> CallFilter {
        var filter = CallFilter()
        filter.run = try request.integer("run")
        filter.server = request.filter("server")
        filter.tool = request.filter("tool")
        filter.method = request.filter("method")
        if let status = request.filter("status") {
            guard let known = CallStatus(rawValue: status) else {
                throw HTTPError(400, "status must be one of " + CallStatus.allCases.map(\.rawValue).joined(separator: ", "))
            }
            filter.status = known
        }
        filter.errorsOnly = ["1", "true", "yes"].contains(request.query("errors") ?? "")
        filter.text = request.filter("q")
        filter.since = try request.time("since")
        filter.until = try request.time("until")
        filter.beforeID = try request.integer("cursor")
        filter.afterID = try request.integer("after")
        filter.limit = try request.limit()
        filter.excludeReplays = !request.includesReplays
        return filter
    }

    func calls(_ request: HTTPRequest) throws -> HTTPResponse {
        let filter = try filter(request)
        let calls = try pool.withReader { try $0.withFaults(try $0.calls(filter)) }
        if let after = filter.afterID {
            // Newer calls, oldest first: the cursor for the next look is the newest id returned (or the same one,
            // when nothing is new), so a poller that always passes it back sees every call once.
            return .json([
                "calls": .array(calls.map(\.json)), "next_cursor": .number(String(calls.last?.id ?? after)),
                "more": .bool(calls.count == filter.limit),
            ])
        }
        return .page(calls, limit: filter.limit, key: "calls", id: \.id, json: \.json)
    }

    /// One call whole, with what the page would otherwise have to work out: where redacted values
    /// are, and whether it can be replayed.
    func call(id: Int64) throws -> HTTPResponse {
        try pool.withReader { reader in
            guard var detail = try reader.call(id: id) else { throw HTTPError(404, "no call \(id)") }
            detail.call = try reader.withFaults([detail.call])[0]
            guard case .object(var o) = detail.json else { return .json(detail.json) }
            let s = detail.call
            let schema = try s.tool.flatMap { try reader.latestToolSchema(server: s.server, tool: $0, atOrBeforeRun: s.runID) }
            o["schema"] = schema?.json ?? .null
            o["sealed"] = .bool(try reader.sealedParams(run: s.runID, seq: s.requestSeq) != nil)
            o["redacted_paths"] = RedactedPaths.json(in: detail.params)
            o["result_redacted_paths"] = RedactedPaths.json(in: detail.result)
            o["error_redacted_paths"] = RedactedPaths.json(in: detail.error)
            o["replays"] = .array(try reader.replays(of: id).map(\.replayJSON))
            o["script_outputs"] = .array(
                try reader.scriptOutputs(kind: nil, run: s.runID, requestSeq: s.requestSeq, limit: 200)
                    .map(\.json))
            o["replayable"] = .bool(MCP.Method.replayable.contains(s.method) && s.direction == .clientToServer)
            o["rounds"] = .array(try reader.rounds(of: s).map(\.json))
            return .json(.object(o))
        }
    }

    /// `POST /api/calls/:id/replay`: the edits come as a JSON merge patch over the recorded arguments;
    /// values left out (redacted ones among them) are sent as recorded, from their sealed originals.
    func replay(_ request: HTTPRequest, id: Int64) throws -> HTTPResponse {
        let body = try request.jsonObject()
        if body["arguments"] != nil {
            throw HTTPError(400, "send the edits as params_patch, a JSON merge patch over the recorded arguments, not arguments")
        }
        let ignore = body["ignore"]?.arrayValue?.compactMap(\.stringValue) ?? []
        defer { feed.nudge() }  // the replay is a run of its own
        return .json(
            try replay.replay(
                callID: id, patch: body["params_patch"], ignore: ignore,
                confirmDestructive: body["confirm_destructive"]?.boolValue == true,
                sessionRun: body["session_run"]?.intValue.map(Int64.init)))
    }

    /// `POST /api/calls/:id/replay/check`: what a replay would refuse, before it is made. Arguments
    /// as the user edits them are checked against the tool's recorded input schema; a tool that
    /// may change something comes with the question to ask (the page asks before it replays).
    func check(_ request: HTTPRequest, id: Int64) throws -> HTTPResponse {
        let arguments = try request.jsonObject()["arguments"]
        if let arguments, arguments.objectValue == nil { throw HTTPError(400, "arguments must be a JSON object") }
        let check = try replay.check(callID: id, arguments: arguments)
        return .json([
            "problems": .array(check.problems.map(JSONValue.string)),
            "confirmation": check.confirmation.map(JSONValue.string) ?? .null,
        ])
    }

    func delete(_ request: HTTPRequest) throws -> HTTPResponse {
        var selection = CallDeletion.Selection()
        selection.run = try request.integer("run")
        selection.beforeID = try request.integer("before")
        if let ids = request.query("ids") {
            let parsed = ids.split(separator: ",").map { Int64($0.trimmingCharacters(in: .whitespaces)) }
            guard parsed.allSatisfy({ $0 != nil }) else { throw HTTPError(400, "ids must be a comma-separated list of call ids") }
            selection.ids = parsed.compactMap { $0 }
        }
        selection.all = request.query("all") == "true"
        if selection.isEmpty { throw HTTPError(400, "say which calls: run=ID, before=ID, ids=1,2,3, or all=true") }
        let deleted = try pool.withWriter { try $0.deleteCalls(selection) }
        if deleted > 0 { try API.recount(pool: pool, stats: stats, feed: feed) }
        return .json(["deleted": .int(deleted)])
    }
}
