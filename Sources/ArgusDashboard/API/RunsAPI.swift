import ArgusCore
import ArgusStore
import Foundation

/// Runs: listed, read (with their calls, stderr and timeline), begun and ended by hand,
/// deleted; and the dashboard's own replay sessions, which are runs too.
struct RunsAPI: Sendable {
    let pool: ReaderPool
    let feed: LiveFeed
    let stats: StatsIndex
    let replay: ReplayService

    func register(_ router: inout Router) {
        router.add("GET", "/api/runs") { request, _ in try runs(request) }
        router.add("POST", "/api/runs/start") { request, _ in try start(request) }
        router.add("GET", "/api/runs/:id") { request, params in try run(request, id: params.id()) }
        router.add("GET", "/api/runs/:id/schema") { _, params in try schema(id: params.id()) }
        router.add("GET", "/api/runs/:id/timeline") { request, params in try timeline(request, id: params.id()) }
        router.add("POST", "/api/runs/:id/stop") { _, params in try stop(id: params.id()) }
        router.add("DELETE", "/api/runs/:id") { _, params in try delete(id: params.id()) }
    }

    /// A run as the page shows it: with its transport, and whether it is one of this dashboard's warm replay servers.
    static func json(_ run: RunRecord, sessions: Set<Int64>, reader: any ArgusReader) throws -> JSONValue {
        let json = try run.dashboardJSON(reader)
        guard case .object(var o) = json else { return json }
        o["replay_session"] = .bool(sessions.contains(run.id))
        return .object(o)
    }

    func runs(_ request: HTTPRequest) throws -> HTTPResponse {
        let limit = try request.limit(default: 50)
        let cursor = try request.integer("cursor")
        let sessions = Set(replay.sessionRunIDs)
        let runs = try pool.withReader { reader in
            try reader.runs(
                limit: limit, server: request.query("server"), beforeID: cursor, excludeReplays: !request.includesReplays,
                keeping: sessions.sorted()
            ).map { ($0, try Self.json($0, sessions: sessions, reader: reader)) }
        }
        return .page(runs, limit: limit, key: "runs", id: \.0.id) { $0.1 }
    }

    func run(_ request: HTTPRequest, id: Int64) throws -> HTTPResponse {
        let limit = try request.limit(default: 500)
        let cursor = try request.integer("cursor")
        return try pool.withReader { reader in
            guard let run = try reader.run(id: id) else { throw HTTPError(404, "no run \(id)") }
            var filter = CallFilter()
            filter.run = id
            filter.limit = limit
            filter.beforeID = cursor
            let calls = try reader.withFaults(try reader.calls(filter))
            let logs = try reader.serverLogs(run: id, limit: 500)
            let answers = try Self.answerStatuses(of: calls, reader: reader)
            return .json([
                "run": try Self.json(run, sessions: Set(replay.sessionRunIDs), reader: reader),
                "calls": .array(calls.map { Self.json($0, answer: answers[$0.id]) }),
                "next_cursor": calls.count == limit ? calls.last.map { .number(String($0.id)) } ?? .null : .null,
                "stderr": .array(logs.map { ["time": .string(TimeFormat.iso8601(micros: $0.timestamp)), "line": .string($0.line)] }),
                "tool_count": .int(try reader.toolSchemas(run: id).count),
            ])
        }
    }

    func schema(id: Int64) throws -> HTTPResponse {
        try pool.withReader { reader in
            guard try reader.run(id: id) != nil else { throw HTTPError(404, "no run \(id)") }
            return .json(["run_id": .number(String(id)), "tools": .array(try reader.toolSchemas(run: id).map(\.json))])
        }
    }

    /// `GET /api/runs/:id/timeline`: calls and notifications in wire order, paged forward by `seq`.
    func timeline(_ request: HTTPRequest, id: Int64) throws -> HTTPResponse {
        var filter = TimelineFilter()
        filter.limit = try request.limit(default: 500)
        filter.afterSeq = try request.integer("after") ?? 0
        filter.method = request.filter("method")
        if let kinds = request.filter("kind") {
            var parsed = Set<TimelineEntry.Kind>()
            for name in kinds.split(separator: ",") {
                guard let kind = TimelineEntry.Kind(rawValue: String(name)) else {
                    throw HTTPError(400, "kind must be a comma-separated list of call, pending, notification, other (got \(name))")
                }
                parsed.insert(kind)
            }
            filter.kinds = parsed
        }
        return try pool.withReader { reader in
            guard try reader.run(id: id) != nil else { throw HTTPError(404, "no run \(id)") }
            let entries = try reader.timeline(run: id, filter)
            let answers = try Self.answerStatuses(of: entries.compactMap(\.call), reader: reader)
            return .json([
                "run_id": .number(String(id)), "entries": .array(entries.map { Self.json($0, answer: $0.call.flatMap { answers[$0.id] }) }),
                "next_cursor": entries.count == filter.limit ? entries.last.map { .number(String($0.seq)) } ?? .null : .null,
            ])
        }
    }

    /// A timeline entry with the pointers of the redacted values in its params, which the page marks,
    /// and for a call over HTTP, the status its answer came with.
    static func json(_ entry: TimelineEntry, answer: RunTransport.Frame?) -> JSONValue {
        guard case .object(var o) = entry.json else { return entry.json }
        if let call = entry.call { o["call"] = json(call, answer: answer) }
        if let params = o["params"], !params.isNull { o["redacted_paths"] = RedactedPaths.json(in: params) }
        return .object(o)
    }

    /// A call with `http_answer`: the transport frame that recorded its answer's HTTP status
    /// (a non-2xx status, or a 202 without an answer), or null.
    static func json(_ call: CallRecord, answer: RunTransport.Frame?) -> JSONValue {
        guard case .object(var o) = call.json else { return call.json }
        o["http_answer"] = answer?.json ?? .null
        return .object(o)
    }

    /// The HTTP statuses their runs' transport frames recorded for these calls' answers, by call id,
    /// from each run's newest `frames` frames (the live feed's calls are its newest).
    static func answerStatuses(of calls: [CallRecord], reader: any ArgusReader, frames: Int = 5000) throws -> [Int64: RunTransport.Frame] {
        var answers: [Int64: RunTransport.Frame] = [:]
        for (run, calls) in Dictionary(grouping: calls, by: \.runID) {
            let recorded = try reader.transportFrames(run: run, newest: true, limit: frames)
            answers.merge(RunTransport.answerStatuses(of: calls, frames: recorded)) { first, _ in first }
        }
        return answers
    }

    /// `POST /api/runs/start`: a warm replay server (`server` or `from_run`), or with `"live": true`
    /// a new run for the live `argus wrap` processes.
    func start(_ request: HTTPRequest) throws -> HTTPResponse {
        let body = try request.jsonObject()
        if body["live"]?.boolValue == true { return try startLive(body) }
        defer { feed.nudge() }  // a server that failed to start is a run too
        let session = try replay.startSession(serverName: body["server"]?.stringValue, fromRun: body["from_run"]?.intValue.map(Int64.init))
        return .json(session, status: 201)
    }

    /// A new run for the live `argus wrap` processes (all, or one server's), named by `label`.
    /// Each wrap splits at its next quiet moment.
    func startLive(_ body: JSONValue) throws -> HTTPResponse {
        let server = body["server"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        let label = body["label"]?.stringValue.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
        if let label, label.count > 200 { throw HTTPError(400, "label is longer than 200 characters") }
        let live = try pool.withReader { try $0.liveWrapRuns(server: server) }
        guard !live.isEmpty else {
            throw HTTPError(
                409,
                "no argus wrap\(server.map { " of \($0)" } ?? "") is recording to this database right now: "
                    + "start the MCP session first (its first run is already a run of its own)")
        }
        let requestID = try pool.withWriter { try $0.requestRun(server: server, label: label, requestedBy: "dashboard") }
        return .json(
            [
                "request_id": .number(String(requestID)), "server": server.map(JSONValue.string) ?? .null,
                "label": label.map(JSONValue.string) ?? .null,
                "ending": .array(live.map { ["run_id": .number(String($0.id)), "server": .string($0.serverName)] }),
            ],
            status: 202)
    }

    /// `POST /api/runs/:id/stop`: a replay session's server stops; a live wrap's run ends and
    /// its session goes on in a new run.
    func stop(id: Int64) throws -> HTTPResponse {
        if replay.stopSession(runID: id) {
            feed.nudge()
            return .json(["run_id": .number(String(id)), "stopped": true])
        }
        let run = try pool.withReader { try $0.run(id: id) }
        guard let run else { throw HTTPError(404, "no run \(id)") }
        if run.endedAt != nil { throw HTTPError(409, "run \(id) has already ended") }
        guard run.isLiveWrap else {
            throw HTTPError(
                409, "run \(id) is not being recorded by a live argus wrap (pid \(run.argusPID.map(String.init) ?? "?") is gone)")
        }
        // The session is the MCP client's: the run ends, the session goes on in a new run.
        let requestID = try pool.withWriter { try $0.requestRun(endingRun: id, requestedBy: "dashboard") }
        return .json(
            [
                "run_id": .number(String(id)), "request_id": .number(String(requestID)), "stopping": true,
                "message": .string(
                    "run \(id) ends within a second, or as soon as its pending calls complete; the session goes on in a new run"),
            ],
            status: 202)
    }

    /// `DELETE /api/runs/:id`: the run and everything recorded in it. A run still being recorded is refused.
    func delete(id: Int64) throws -> HTTPResponse {
        let run = try pool.withReader { try $0.run(id: id) }
        guard let run else { throw HTTPError(404, "no run \(id)") }
        if run.isLiveWrap || replay.sessionRunIDs.contains(id) {
            throw HTTPError(409, "run \(id) is still being recorded; stop it first (POST /api/runs/\(id)/stop), then delete it")
        }
        let outcome = try pool.withWriter { try $0.deleteRuns([id]) }
        try API.recount(pool: pool, stats: stats, feed: feed)
        return .json(["deleted_runs": .int(outcome.runs), "deleted_calls": .int(outcome.calls)])
    }
}

extension RunRecord {
    /// The run as the dashboard sends it (the API and the live feed): with `live_wrap`, whether an
    /// `argus wrap` is recording it now and so can be split or stopped by hand (the page cannot tell
    /// from `ended_at`: a run whose wrap was killed stays open in the database), and `transport`.
    func dashboardJSON(_ reader: any ArgusReader) throws -> JSONValue {
        guard case .object(var o) = json else { return json }
        o["live_wrap"] = .bool(isLiveWrap)
        o["transport"] = try transport(reader).json
        return .object(o)
    }

    /// How the run's session travelled, from its launch and its transport frames: the first (which
    /// opens the session) and the newest ones (the latest news), never the whole run.
    func transport(_ reader: any ArgusReader) throws -> RunTransport {
        let frames = try reader.transportFrames(run: id, newest: false, limit: 1) + reader.transportFrames(run: id, newest: true, limit: 50)
        return RunTransport(run: self, frames: frames)
    }
}
