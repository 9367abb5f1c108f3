import ArgusCore

#if canImport(Glibc)
import Glibc
#endif

/// What Argus reads from a recording store: the CLI's listings, the dashboard, replay, `argus
/// diagnose`. This is the seam a second backend implements beside SQLite (`SQLiteReader`): every
/// query is here, by capability, and no SQL is outside ArgusStore. A reader is used by one
/// thread at a time. Parameters with defaults have them in the extension below.
public protocol ArgusReader: AnyObject {
    /// Where the recordings are (the database file), for messages.
    var location: String { get }

    // MARK: runs

    /// Newest first. `excludeReplays` leaves out replay runs ("last runs" shows real sessions)…
    /// except those in `keeping` (the dashboard's warm replay sessions, which a user may want to stop).
    func runs(limit: Int, server: String?, beforeID: Int64?, excludeReplays: Bool, keeping: [Int64]) throws -> [RunRecord]
    /// The runs with these ids (those that still exist), by id.
    func runs(ids: [Int64]) throws -> [RunRecord]
    /// Runs that have not ended, oldest first.
    func openRuns() throws -> [RunRecord]
    func run(id: Int64) throws -> RunRecord?
    /// The run its wrap opened after `run` (an idle gap, or a split by hand), if there is one yet.
    func run(following run: Int64) throws -> RunRecord?

    // MARK: calls

    /// Calls matching the filter, newest first; with `afterID`, the oldest ones after it first.
    func calls(_ filter: CallFilter) throws -> [CallRecord]
    /// The calls with these ids (those that still exist), by id.
    func calls(ids: [Int64]) throws -> [CallRecord]
    /// A call with its recorded (redacted) request and response.
    func call(id: Int64) throws -> CallDetail?
    /// Details for many calls at once (CLI `calls --json`, replay plans).
    func details(_ calls: [CallRecord]) throws -> [CallDetail]
    /// The newest replays of a call (`replayOf`), newest first.
    func replays(of callID: Int64, limit: Int) throws -> [CallRecord]
    /// Every round of a multi round-trip call (2026-07-28 `input_required`), first round first;
    /// empty for a call with one round.
    func rounds(of call: CallRecord) throws -> [CallRecord]
    /// The highest call id (0 when there is none).
    func newestCallID() throws -> Int64
    /// The sealed original params of a request, if they were kept.
    func sealedParams(run: Int64, seq: Int) throws -> (keyID: String, bytes: [UInt8])?

    // MARK: faults

    /// The faults injected into a run (`argus wrap --faults`), in order.
    func faults(run: Int64) throws -> [FaultRecord]
    /// The faults injected into these calls, by call id (calls without one are absent).
    func faults(of calls: [CallRecord]) throws -> [Int64: FaultRecord]

    // MARK: messages, schemas, server logs

    func messages(run: Int64, afterSeq: Int, limit: Int) throws -> [MessageRecord]
    /// The first recorded request of a method in a run (its stored body), e.g. the initialize.
    func firstRequest(run: Int64, method: String) throws -> JSONValue?
    /// What the client answered to the server's own requests (roots/list, …), by method.
    func clientAnswers(run: Int64) throws -> [String: JSONValue]
    /// A run's calls and notifications in wire order, paged by sequence number.
    func timeline(run: Int64, _ filter: TimelineFilter) throws -> [TimelineEntry]
    /// A run's `argus/transport` frames (what HTTP did in a remote run), in wire order: its first
    /// `limit`, or with `newest`, its last `limit`. Read by an index of their own, at any run length.
    func transportFrames(run: Int64, newest: Bool, limit: Int) throws -> [MessageRecord]
    func toolSchemas(run: Int64) throws -> [ToolSchemaRecord]
    /// The most recent schema recorded for a tool of a server (the run itself may not have listed tools).
    func latestToolSchema(server: String, tool: String, atOrBeforeRun run: Int64?) throws -> ToolSchemaRecord?
    /// The newest `limit` lines, oldest first.
    func serverLogs(run: Int64, limit: Int) throws -> [ServerLogRecord]

    // MARK: figures

    /// Per server and tool (or method): counts, error rate and latency percentiles.
    /// `excludeReplays` is ignored when `run` names one run.
    func stats(run: Int64?, server: String?, since: Int64?, excludeReplays: Bool) throws -> [ToolStats]
    /// Every call's figures, in one pass (the dashboard's in-memory index is built from them).
    /// `serverAnswersOnly` leaves out the runs whose answers are not a server's own: replay, mock
    /// and chaos runs.
    func forEachCallFigures(serverAnswersOnly: Bool, _ body: (CallFigures) throws -> Void) throws

    // MARK: scripts

    /// Alerts, metric samples, logs or errors from scripts, newest first. With `afterID`, the
    /// `limit` oldest ones after it (still newest first), so a reader can page forward.
    func scriptOutputs(
        kind: ScriptOutputRecord.Kind?, script: String?, run: Int64?, requestSeq: Int?, limit: Int,
        beforeID: Int64?, afterID: Int64?
    ) throws -> [ScriptOutputRecord]
    /// The script outputs with these ids, by id.
    func scriptOutputs(ids: [Int64]) throws -> [ScriptOutputRecord]
    /// Metric series (script, name, labels) with their statistics.
    func metrics(name: String?, script: String?, since: Int64?) throws -> [MetricSeries]
    /// The latest reported status of each script in each argus process, newest first.
    func scriptStatuses() throws -> [ScriptStatusRecord]

    // MARK: telemetry

    /// The OTLP exporters that reported since `since` (µs), newest first.
    func exportStatuses(since: Int64) throws -> [ExportStatusRecord]

    // MARK: changes

    /// A number that changes whenever another connection commits (cheap: poll it to notice writes).
    func dataVersion() throws -> Int64
    /// The changes after `seq`, oldest first (the live feed).
    func feedChanges(after seq: Int64, limit: Int) throws -> [FeedChange]
    /// The oldest change still kept and the newest one.
    func feedRange() throws -> (oldest: Int64, newest: Int64)
    /// Runs `body` in one read transaction: every query in it sees the same snapshot.
    func snapshot<T>(_ body: () throws -> T) throws -> T
    /// Requests to begin or end runs with an id above `afterID` made at or after `since` (µs):
    /// what a wrap started at `since` has not acted on yet.
    func runRequests(after afterID: Int64, since: Int64) throws -> [RunRequest]

    // MARK: the store

    func schemaVersion() throws -> Int
    /// How the store journals writes (SQLite: `wal`), for `argus diagnose`.
    func journalMode() throws -> String
    /// How many runs, calls and messages are stored.
    func counts() throws -> (runs: Int, calls: Int, messages: Int)
}

extension ArgusReader {
    public func runs(
        limit: Int = 50, server: String? = nil, beforeID: Int64? = nil, excludeReplays: Bool = false,
        keeping: [Int64] = []
    ) throws -> [RunRecord] {
        try runs(limit: limit, server: server, beforeID: beforeID, excludeReplays: excludeReplays, keeping: keeping)
    }

    public func replays(of callID: Int64, limit: Int = 20) throws -> [CallRecord] { try replays(of: callID, limit: limit) }

    public func exportStatuses(since: Int64 = 0) throws -> [ExportStatusRecord] { try exportStatuses(since: since) }

    public func messages(run: Int64, afterSeq: Int = 0, limit: Int = 1000) throws -> [MessageRecord] {
        try messages(run: run, afterSeq: afterSeq, limit: limit)
    }

    public func timeline(run: Int64) throws -> [TimelineEntry] { try timeline(run: run, TimelineFilter()) }

    public func serverLogs(run: Int64, limit: Int = 1000) throws -> [ServerLogRecord] { try serverLogs(run: run, limit: limit) }

    public func stats(run: Int64? = nil, server: String? = nil, since: Int64? = nil, excludeReplays: Bool = false) throws -> [ToolStats] {
        try stats(run: run, server: server, since: since, excludeReplays: excludeReplays)
    }

    public func scriptOutputs(
        kind: ScriptOutputRecord.Kind?, script: String? = nil, run: Int64? = nil, requestSeq: Int? = nil,
        limit: Int = 100, beforeID: Int64? = nil, afterID: Int64? = nil
    ) throws -> [ScriptOutputRecord] {
        try scriptOutputs(kind: kind, script: script, run: run, requestSeq: requestSeq, limit: limit, beforeID: beforeID, afterID: afterID)
    }

    public func metrics(name: String? = nil, script: String? = nil, since: Int64? = nil) throws -> [MetricSeries] {
        try metrics(name: name, script: script, since: since)
    }

    /// The run's original command-line arguments, sealed, when the stored ones are redacted.
    public func sealedArgs(run: Int64) throws -> (keyID: String, bytes: [UInt8])? {
        try self.run(id: run)?.sealedArgs.map { ($0.keyID, $0.sealed) }
    }

    /// These calls with the faults argus injected into them (`CallRecord.fault`).
    public func withFaults(_ calls: [CallRecord]) throws -> [CallRecord] {
        let faults = try faults(of: calls.filter { $0.runKind == RunRecord.chaosKind })
        guard !faults.isEmpty else { return calls }
        return calls.map { call in
            var call = call
            call.fault = faults[call.id]
            return call
        }
    }

    /// The live wrap runs (of one server, or all) that a new-run request would split.
    public func liveWrapRuns(server: String? = nil) throws -> [RunRecord] {
        try openRuns().filter { $0.isLiveWrap && (server == nil || $0.serverName == server) }
    }
}

extension RunRecord {
    /// A `wrap` run (or a `chaos` one: a wrap with faults) that has not ended and whose argus
    /// process is alive: it can be split by hand.
    /// (A run whose process was killed without a word stays open in the database forever.)
    public var isLiveWrap: Bool {
        guard kind == "wrap" || kind == Self.chaosKind, endedAt == nil, let pid = argusPID, pid > 0 else { return false }
        return kill(pid_t(pid), 0) == 0 || errno == EPERM
    }
}
