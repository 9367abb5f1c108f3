import ArgusCore
import ArgusStore
import Foundation

/// The REST API and the SSE stream (Docs/API.md describes every endpoint).
struct API: Sendable {
    let pool: ReaderPool
    let feed: LiveFeed
    let stats: StatsIndex
    let replay: ReplayService
    let version: String
    let startedAt: Int64

    /// A problem with the request, answered with a status and a sentence.
    struct Problem: Error {
        var status: Int
        var message: String
        init(_ status: Int, _ message: String) {
            self.status = status
            self.message = message
        }
    }

    func register(_ router: inout Router) {
        router.add("GET", "/api/health") { _, _ in self.health() }
        router.add("GET", "/api/runs") { request, _ in self.respond { try self.runs(request) } }
        router.add("POST", "/api/runs/start") { request, _ in self.respond { try self.startRun(request) } }
        router.add("GET", "/api/runs/:id") { request, params in self.respond { try self.run(request, params) } }
        router.add("GET", "/api/runs/:id/schema") { _, params in self.respond { try self.schema(params) } }
        router.add("GET", "/api/runs/:id/timeline") { request, params in self.respond { try self.timeline(request, params) } }
        router.add("POST", "/api/runs/:id/stop") { _, params in self.respond { try self.stopRun(params) } }
        router.add("DELETE", "/api/runs/:id") { _, params in self.respond { try self.deleteRun(params) } }
        router.add("GET", "/api/calls") { request, _ in self.respond { try self.calls(request) } }
        router.add("DELETE", "/api/calls") { request, _ in self.respond { try self.deleteCalls(request) } }
        router.add("GET", "/api/calls/:id") { _, params in self.respond { try self.call(params) } }
        router.add("POST", "/api/calls/:id/replay") { request, params in self.respond { try self.replayCall(request, params) } }
        router.add("GET", "/api/stats") { request, _ in self.respond { try self.statsJSON(request) } }
        router.add("GET", "/api/alerts") { request, _ in self.respond { try self.alerts(request) } }
        router.add("GET", "/api/metrics") { request, _ in self.respond { try self.metrics(request) } }
        router.add("GET", "/api/scripts") { _, _ in self.respond { try self.scripts() } }
        router.add("GET", "/api/events") { request, _ in self.events(request) }
        router.add("POST", "/api/notify") { _, _ in
            self.feed.nudge(external: true)
            return .json(["ok": true], status: 202)
        }
        router.add("GET", "/api/sse/status") { _, _ in .json(self.feed.statusJSON) }
        router.add("GET", "/metrics") { _, _ in self.prometheus() }
    }

    private func respond(_ body: () throws -> HTTPResponse) -> HTTPResponse {
        do {
            return try body()
        } catch let problem as Problem {
            return .error(problem.status, problem.message)
        } catch let error as SQLiteError where error.isBusy {
            return .error(503, "the database is busy; try again")
        } catch {
            return .error(500, "\(error)")
        }
    }

    // MARK: parameters

    static func int(_ request: HTTPRequest, _ name: String) throws -> Int64? {
        guard let text = request.query(name), !text.isEmpty else { return nil }
        guard let value = Int64(text) else { throw Problem(400, "\(name) must be an integer (got \(text))") }
        return value
    }

    static func id(_ params: [String: String], _ name: String = "id") throws -> Int64 {
        guard let text = params[name], let value = Int64(text), value > 0 else {
            throw Problem(400, "\(params[name] ?? "") is not an id")
        }
        return value
    }

    static func limit(_ request: HTTPRequest, default fallback: Int = 100) throws -> Int {
        guard let value = try int(request, "limit") else { return fallback }
        guard (1...1000).contains(value) else { throw Problem(400, "limit must be between 1 and 1000") }
        return Int(value)
    }

    /// A time as µs since the epoch or ISO 8601.
    static func time(_ request: HTTPRequest, _ name: String) throws -> Int64? {
        guard let text = request.query(name), !text.isEmpty else { return nil }
        if let micros = Int64(text) { return micros }
        if let micros = TimeFormat.parseISO8601(text) { return micros }
        throw Problem(400, "\(name) must be an ISO 8601 time or microseconds since the epoch (got \(text))")
    }

    /// `include_replays=1`: list replay runs (`argus replay`, `argus test`, dashboard replays) with the real traffic.
    static func includeReplays(_ request: HTTPRequest) -> Bool {
        ["1", "true", "yes"].contains(request.query("include_replays") ?? "")
    }

    static func body(_ request: HTTPRequest) throws -> JSONValue {
        if request.body.isEmpty { return [:] }
        do {
            let value = try JSONParser.parse(request.body)
            guard case .object = value else { throw Problem(400, "the request body must be a JSON object") }
            return value
        } catch let problem as Problem {
            throw problem
        } catch {
            throw Problem(400, "the request body is not valid JSON: \(error)")
        }
    }

    static func page<T>(_ items: [T], limit: Int, key: String, id: (T) -> Int64, json: (T) -> JSONValue) -> HTTPResponse {
        let next: JSONValue = items.count == limit ? items.last.map { .number(String(id($0))) } ?? .null : .null
        return .json([key: .array(items.map(json)), "next_cursor": next])
    }

    // MARK: endpoints

    func health() -> HTTPResponse {
        do {
            return try pool.withReader { reader in
                let schema = try reader.db.scalarInt("PRAGMA user_version") ?? 0
                return .json(["status": "ok", "version": .string(version), "database": .string(pool.path),
                              "schema_version": .number(String(schema)), "sqlite": .string(SQLiteConnection.libraryVersion),
                              "stats_ready": .bool(stats.isLoaded), "last_call_id": .number(String(feed.lastCallID)),
                              "sse_clients": .int(feed.subscriberCount),
                              "uptime_s": .number(String((Clock.wallMicros() - startedAt) / 1_000_000))])
            }
        } catch {
            return .json(["status": "error", "version": .string(version), "database": .string(pool.path),
                          "error": .string("\(error)")], status: 503)
        }
    }

    func runs(_ request: HTTPRequest) throws -> HTTPResponse {
        let limit = try Self.limit(request, default: 50)
        let cursor = try Self.int(request, "cursor")
        let sessions = Set(replay.sessionRunIDs)
        let runs = try pool.withReader {
            try $0.runs(limit: limit, server: request.query("server"), beforeID: cursor, excludeReplays: !Self.includeReplays(request),
                        keeping: sessions.sorted())
        }
        return Self.page(runs, limit: limit, key: "runs", id: \.id) { run in
            guard case .object(var o) = run.json else { return run.json }
            o["replay_session"] = .bool(sessions.contains(run.id))
            return .object(o)
        }
    }

    func run(_ request: HTTPRequest, _ params: [String: String]) throws -> HTTPResponse {
        let id = try Self.id(params)
        let limit = try Self.limit(request, default: 500)
        return try pool.withReader { reader in
            guard let run = try reader.run(id: id) else { throw Problem(404, "no run \(id)") }
            var filter = CallFilter()
            filter.run = id
            filter.limit = limit
            filter.beforeID = try Self.int(request, "cursor")
            let calls = try reader.calls(filter)
            let logs = try reader.serverLogs(run: id, limit: 500)
            guard case .object(var o) = run.json else { return .json(run.json) }
            o["replay_session"] = .bool(replay.sessionRunIDs.contains(id))
            return .json(["run": .object(o), "calls": .array(calls.map(\.json)),
                          "next_cursor": calls.count == limit ? .number(String(calls.last!.id)) : .null,
                          "stderr": .array(logs.map { ["time": .string(TimeFormat.iso8601(micros: $0.timestamp)), "line": .string($0.line)] }),
                          "tool_count": .int(try reader.toolSchemas(run: id).count)])
        }
    }

    func schema(_ params: [String: String]) throws -> HTTPResponse {
        let id = try Self.id(params)
        return try pool.withReader { reader in
            guard try reader.run(id: id) != nil else { throw Problem(404, "no run \(id)") }
            return .json(["run_id": .number(String(id)), "tools": .array(try reader.toolSchemas(run: id).map(\.json))])
        }
    }

    func startRun(_ request: HTTPRequest) throws -> HTTPResponse {
        let body = try Self.body(request)
        if body["live"]?.boolValue == true { return try startLiveRun(body) }
        let outcome = replay.startSession(serverName: body["server"]?.stringValue, fromRun: body["from_run"]?.intValue.map(Int64.init))
        feed.nudge()
        return .json(outcome.body, status: outcome.status)
    }

    func stopRun(_ params: [String: String]) throws -> HTTPResponse {
        let id = try Self.id(params)
        if let outcome = replay.stopSession(runID: id) {
            feed.nudge()
            return .json(outcome.body, status: outcome.status)
        }
        let run = try pool.withReader { try $0.run(id: id) }
        guard let run else { throw Problem(404, "no run \(id)") }
        if run.endedAt != nil { throw Problem(409, "run \(id) has already ended") }
        guard run.isLiveWrap else {
            throw Problem(409, "run \(id) is not being recorded by a live argus wrap (pid \(run.argusPID.map(String.init) ?? "?") is gone)")
        }
        // The session is the MCP client's: the run ends, the session goes on in a new run.
        let requestID = try pool.withWriter { try RunRequests.insert(endingRun: id, requestedBy: "dashboard", in: $0) }
        return .json(["run_id": .number(String(id)), "request_id": .number(String(requestID)), "stopping": true,
                      "message": .string("run \(id) ends within a second, or as soon as its pending calls complete; the session goes on in a new run")],
                     status: 202)
    }

    /// `POST /api/runs/start` with `"live": true`: a new run for the live `argus wrap` processes
    /// (all, or one server's), named by `label`. Each wrap splits at its next quiet moment.
    func startLiveRun(_ body: JSONValue) throws -> HTTPResponse {
        let server = body["server"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        let label = body["label"]?.stringValue.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
        if let label, label.count > 200 { throw Problem(400, "label is longer than 200 characters") }
        let live = try pool.withReader { try $0.liveWrapRuns(server: server) }
        guard !live.isEmpty else {
            throw Problem(409, "no argus wrap\(server.map { " of \($0)" } ?? "") is recording to this database right now: "
                               + "start the MCP session first (its first run is already a run of its own)")
        }
        let requestID = try pool.withWriter { try RunRequests.insert(server: server, label: label, requestedBy: "dashboard", in: $0) }
        return .json(["request_id": .number(String(requestID)), "server": server.map(JSONValue.string) ?? .null,
                      "label": label.map(JSONValue.string) ?? .null,
                      "ending": .array(live.map { ["run_id": .number(String($0.id)), "server": .string($0.serverName)] })],
                     status: 202)
    }

    /// `DELETE /api/runs/:id`: the run and everything recorded in it. A run still being recorded is refused.
    func deleteRun(_ params: [String: String]) throws -> HTTPResponse {
        let id = try Self.id(params)
        let run = try pool.withReader { try $0.run(id: id) }
        guard let run else { throw Problem(404, "no run \(id)") }
        if run.isLiveWrap || replay.sessionRunIDs.contains(id) {
            throw Problem(409, "run \(id) is still being recorded; stop it first (POST /api/runs/\(id)/stop), then delete it")
        }
        let outcome = try pool.withWriter { try RunDeletion.delete(runs: [id], in: $0) }
        try resetAfterDelete()
        return .json(["deleted_runs": .int(outcome.runs), "deleted_calls": .int(outcome.calls)])
    }

    /// `GET /api/runs/:id/timeline`: calls and notifications in wire order, paged forward by `seq`.
    func timeline(_ request: HTTPRequest, _ params: [String: String]) throws -> HTTPResponse {
        let id = try Self.id(params)
        var filter = TimelineFilter()
        filter.limit = try Self.limit(request, default: 500)
        filter.afterSeq = try Self.int(request, "after") ?? 0
        filter.method = request.query("method").flatMap { $0.isEmpty ? nil : $0 }
        if let kinds = request.query("kind"), !kinds.isEmpty {
            var parsed = Set<TimelineEntry.Kind>()
            for name in kinds.split(separator: ",") {
                guard let kind = TimelineEntry.Kind(rawValue: String(name)) else {
                    throw Problem(400, "kind must be a comma-separated list of call, pending, notification, other (got \(name))")
                }
                parsed.insert(kind)
            }
            filter.kinds = parsed
        }
        return try pool.withReader { reader in
            guard try reader.run(id: id) != nil else { throw Problem(404, "no run \(id)") }
            let entries = try reader.timeline(run: id, filter)
            return .json(["run_id": .number(String(id)), "entries": .array(entries.map(\.json)),
                          "next_cursor": entries.count == filter.limit ? entries.last.map { .number(String($0.seq)) } ?? .null : .null])
        }
    }

    func callFilter(_ request: HTTPRequest) throws -> CallFilter {
        var filter = CallFilter()
        filter.run = try Self.int(request, "run")
        filter.server = request.query("server").flatMap { $0.isEmpty ? nil : $0 }
        filter.tool = request.query("tool").flatMap { $0.isEmpty ? nil : $0 }
        filter.method = request.query("method").flatMap { $0.isEmpty ? nil : $0 }
        if let status = request.query("status"), !status.isEmpty {
            guard ["ok", "error", "cancelled", "no_response"].contains(status) else {
                throw Problem(400, "status must be ok, error, cancelled or no_response")
            }
            filter.status = status
        }
        filter.errorsOnly = ["1", "true", "yes"].contains(request.query("errors") ?? "")
        filter.text = request.query("q").flatMap { $0.isEmpty ? nil : $0 }
        filter.since = try Self.time(request, "since")
        filter.until = try Self.time(request, "until")
        filter.beforeID = try Self.int(request, "cursor")
        filter.afterID = try Self.int(request, "after")
        filter.limit = try Self.limit(request)
        filter.excludeReplays = !Self.includeReplays(request)
        return filter
    }

    func calls(_ request: HTTPRequest) throws -> HTTPResponse {
        let filter = try callFilter(request)
        let calls = try pool.withReader { try $0.calls(filter) }
        if let after = filter.afterID {
            // Newer calls, oldest first: the cursor for the next look is the newest id returned (or the same one,
            // when nothing is new), so a poller that always passes it back sees every call once.
            return .json(["calls": .array(calls.map(\.json)), "next_cursor": .number(String(calls.last?.id ?? after)),
                          "more": .bool(calls.count == filter.limit)])
        }
        return Self.page(calls, limit: filter.limit, key: "calls", id: \.id, json: \.json)
    }

    func call(_ params: [String: String]) throws -> HTTPResponse {
        let id = try Self.id(params)
        return try pool.withReader { reader in
            guard let detail = try reader.call(id: id) else { throw Problem(404, "no call \(id)") }
            guard case .object(var o) = detail.json else { return .json(detail.json) }
            let s = detail.summary
            let schema = try s.tool.flatMap { try reader.latestToolSchema(server: s.server, tool: $0, atOrBeforeRun: s.runID) }
            o["schema"] = schema?.json ?? .null
            o["sealed"] = .bool(try reader.sealedParams(run: s.runID, seq: s.requestSeq) != nil)
            o["redacted_paths"] = .array(Self.redactedPaths(detail.params ?? .null).map(JSONValue.string))
            o["replays"] = .array(try reader.db.query("""
                SELECT id, run_id, status, is_error, latency_us, started_at FROM calls WHERE replay_of = ? ORDER BY id DESC LIMIT 20
                """, [.int(id)]).map { r in
                ["id": .number(String(r.int(0) ?? 0)), "run_id": .number(String(r.int(1) ?? 0)), "status": .string(r.text(2) ?? ""),
                 "is_error": .bool(r.bool(3)), "latency_us": r.int(4).map { .number(String($0)) } ?? .null,
                 "started_at": .string(TimeFormat.iso8601(micros: r.int(5) ?? 0))]
            })
            o["script_outputs"] = .array(try reader.scriptOutputs(kind: nil, run: s.runID, requestSeq: s.requestSeq, limit: 200)
                .map(\.json))
            o["replayable"] = .bool(["tools/call", "resources/read", "prompts/get"].contains(s.method) && s.direction == "c2s")
            o["rounds"] = .array(try reader.rounds(of: s).map(\.json))
            return .json(.object(o))
        }
    }

    /// JSON pointers of redacted values in the params (the UI marks them).
    static func redactedPaths(_ value: JSONValue, path: [String] = []) -> [String] {
        switch value {
        case .string(let s) where s.contains("[REDACTED") || s.hasPrefix("[DROPPED by script"):
            return [Redactor.pointer(path)]
        case .array(let items): return items.enumerated().flatMap { redactedPaths($1, path: path + [String($0)]) }
        case .object(let o): return o.members.flatMap { redactedPaths($0.value, path: path + [$0.key]) }
        default: return []
        }
    }

    func replayCall(_ request: HTTPRequest, _ params: [String: String]) throws -> HTTPResponse {
        let id = try Self.id(params)
        let body = try Self.body(request)
        if let arguments = body["arguments"], arguments.objectValue == nil {
            throw Problem(400, "arguments must be a JSON object")
        }
        let ignore = body["ignore"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let outcome = replay.replay(callID: id, arguments: body["arguments"], patch: body["params_patch"], ignore: ignore,
                                    confirmDestructive: body["confirm_destructive"]?.boolValue == true,
                                    sessionRun: body["session_run"]?.intValue.map(Int64.init))
        feed.nudge()
        return .json(outcome.body, status: outcome.status)
    }

    func deleteCalls(_ request: HTTPRequest) throws -> HTTPResponse {
        var selection = CallDeletion.Selection()
        selection.run = try Self.int(request, "run")
        selection.beforeID = try Self.int(request, "before")
        if let ids = request.query("ids") {
            let parsed = ids.split(separator: ",").map { Int64($0.trimmingCharacters(in: .whitespaces)) }
            guard parsed.allSatisfy({ $0 != nil }) else { throw Problem(400, "ids must be a comma-separated list of call ids") }
            selection.ids = parsed.compactMap { $0 }
        }
        selection.all = request.query("all") == "true"
        if selection.isEmpty { throw Problem(400, "say which calls: run=ID, before=ID, ids=1,2,3, or all=true") }
        let deleted = try pool.withWriter { try CallDeletion.delete(selection, in: $0) }
        if deleted > 0 { try resetAfterDelete() }
        return .json(["deleted": .int(deleted)])
    }

    /// After a delete: stats rebuilt, and every subscriber told to reload.
    private func resetAfterDelete() throws {
        // Counted again before answering, so the caller's next read of the stats agrees; SSE clients get
        // a `reset` from the feed, which sees the deletion in feed_changes.
        try pool.withReader { try stats.load(from: $0) }
        feed.nudge()
    }

    func statsJSON(_ request: HTTPRequest) throws -> HTTPResponse {
        let run = try Self.int(request, "run")
        let since = try Self.time(request, "since")
        let server = request.query("server").flatMap { $0.isEmpty ? nil : $0 }
        let includeReplays = Self.includeReplays(request)
        // The in-memory index holds real traffic only.
        if run == nil && since == nil && !includeReplays && stats.isLoaded {
            return .json(stats.statsJSON(server: server))
        }
        // A run, a time window, or replays included: computed exactly from the matching calls.
        return try pool.withReader { reader in
            let tools = try reader.stats(run: run, server: server, since: since, excludeReplays: !includeReplays)
            var servers: [String: (count: Int, errors: Int)] = [:]
            for t in tools {
                servers[t.server, default: (0, 0)].count += t.count
                servers[t.server, default: (0, 0)].errors += t.errors
            }
            let serverRows: [JSONValue] = servers.sorted { $0.key < $1.key }.map { name, totals in
                ["server": .string(name), "name": .string(name), "kind": "server", "count": .int(totals.count), "errors": .int(totals.errors),
                 "error_rate": .double(totals.count == 0 ? 0 : Double(totals.errors) / Double(totals.count))]
            }
            return .json(["exact": true, "tools": .array(tools.map(\.json)), "servers": .array(serverRows),
                          "timeline": ["bucket_seconds": 60, "points": []]])
        }
    }

    func alerts(_ request: HTTPRequest) throws -> HTTPResponse {
        let limit = try Self.limit(request)
        let rows = try pool.withReader {
            try $0.scriptOutputs(kind: "alert", script: request.query("script"), run: try Self.int(request, "run"), limit: limit,
                                 beforeID: try Self.int(request, "cursor"))
        }
        return Self.page(rows, limit: limit, key: "alerts", id: \.id, json: \.json)
    }

    /// Metric series with their summary and recent samples (for charts).
    func metrics(_ request: HTTPRequest) throws -> HTTPResponse {
        let since = try Self.time(request, "since")
        return try pool.withReader { reader in
            let series = try reader.metrics(name: request.query("name"), script: request.query("script"), since: since)
            let samples = try reader.scriptOutputs(kind: "metric", script: request.query("script"), limit: 1000)
            var bySeries: [String: [JSONValue]] = [:]
            for sample in samples.reversed() where request.query("name") == nil || sample.name == request.query("name") {
                let key = "\(sample.script)\u{0}\(sample.name ?? "")\u{0}\(sample.labels ?? "{}")"
                bySeries[key, default: []].append(["t": .string(TimeFormat.iso8601(micros: sample.timestamp)),
                                                   "value": sample.value.map(JSONValue.double) ?? .null])
            }
            return .json(["metrics": .array(series.map { s in
                guard case .object(var o) = s.json else { return s.json }
                o["samples"] = .array(bySeries["\(s.script)\u{0}\(s.name)\u{0}\(s.labels)"] ?? [])
                return .object(o)
            })])
        }
    }

    func scripts() throws -> HTTPResponse {
        try pool.withReader { reader in
            let statuses = try reader.scriptStatuses()
            let errors = try reader.scriptOutputs(kind: "error", limit: 50)
            return .json(["scripts": .array(statuses.map { status in
                guard case .object(var o) = status.json else { return status.json }
                // A status row whose process is gone is history, not a live script.
                o["live"] = .bool(kill(pid_t(status.argusPID), 0) == 0 || errno == EPERM)
                return .object(o)
            }), "errors": .array(errors.map(\.json))])
        }
    }

    func prometheus() -> HTTPResponse {
        let text = stats.prometheus(extra: [
            ("argus_dashboard_sse_clients", "Connected SSE clients.", "gauge", Double(feed.subscriberCount)),
            ("argus_dashboard_last_call_id", "The newest call id seen.", "gauge", Double(feed.lastCallID)),
        ])
        return .text(text, contentType: "text/plain; version=0.0.4; charset=utf-8")
    }

    // MARK: SSE

    /// A reconnecting client further behind than this reloads instead (a `reset`).
    static let maxBacklog = 20_000

    /// `GET /api/events`: server-sent events. A reconnecting client sends
    /// `Last-Event-ID` and first receives every change after it, then the live ones.
    func events(_ request: HTTPRequest) -> HTTPResponse {
        let lastID = (request.header("last-event-id") ?? request.query("last_event_id")).flatMap { Int64($0) }
        let feed = self.feed, pool = self.pool
        return HTTPResponse(status: 200, headers: [("content-type", "text/event-stream; charset=utf-8"), ("cache-control", "no-store"),
                                                   ("x-accel-buffering", "no")],
                            body: .stream { writer in
            // Subscribed before the backlog is read (and only once the stream is really open, not for HEAD):
            // a change is then in the backlog, in the subscription, or in both (sent once, by id).
            let subscription = feed.subscribe()
            defer { feed.unsubscribe(subscription) }
            var hello = "retry: 2000\n: argus dashboard event stream\n\n"
            hello += String(decoding: FeedEvent(name: "hello", id: nil, data: ["last_event_id": .number(String(feed.lastEventID))]).wire,
                            as: UTF8.self)
            guard writer.write(hello) else { return }
            var sent = lastID ?? 0
            if let lastID {
                guard let backlog = Self.backlog(after: lastID, pool: pool) else { return }
                for event in backlog {
                    guard writer.write(event.wire) else { return }
                    if let id = event.id { sent = id }
                }
            }
            while !writer.isServerStopping {
                guard let events = subscription.next(timeout: 15) else { return }
                if events.isEmpty {
                    guard writer.write(": keep-alive\n\n") else { return }
                    continue
                }
                var bytes: [UInt8] = []
                for event in events {
                    if let id = event.id {
                        guard id > sent else { continue }  // already sent from the backlog
                        sent = id
                    }
                    bytes += event.wire
                }
                if !bytes.isEmpty { guard writer.write(bytes) else { return } }
            }
        })
    }

    /// The events after `lastID`, read from the database; a single `reset` when that is too far back
    /// (older than the changes kept) or not from this database at all (ahead of it); nil when the
    /// database cannot be read.
    static func backlog(after lastID: Int64, pool: ReaderPool) -> [FeedEvent]? {
        try? pool.withReader { reader in
            let range = try reader.feedRange()
            if lastID < range.oldest - 1 || lastID > range.newest {
                return [FeedEvent(name: "reset", id: range.newest, data: ["reason": "the missed changes are not in this database"])]
            }
            var events: [FeedEvent] = []
            var position = lastID
            while true {
                let window = try FeedWindow.read(after: position, limit: LiveFeed.windowSize, from: reader)
                events += window.events
                position = window.through
                if window.complete { return events }
                if events.count > maxBacklog {
                    return [FeedEvent(name: "reset", id: range.newest, data: ["reason": "too many missed events"])]
                }
            }
        }
    }
}
