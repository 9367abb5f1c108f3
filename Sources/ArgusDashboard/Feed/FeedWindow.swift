import ArgusCore
import ArgusStore

/// The events for one stretch of `feed_changes`, read in one snapshot. The live
/// loop and a reconnecting client read the same way, so both see the same events.
struct FeedWindow {
    var events: [FeedEvent] = []
    /// The calls inserted or updated in this stretch, by id (the stats index counts the new ones).
    var calls: [CallRecord] = []
    /// The last change read (the position to continue from).
    var through: Int64
    /// False when the window stopped at its limit and more changes follow.
    var complete = true
    /// Rows were deleted: clients reload, the stats index is rebuilt.
    var deleted = false

    /// Up to `limit` changes after `position`. A row changed several times in the stretch
    /// gives one event, at its last change, with the row as it is now.
    static func read(after position: Int64, limit: Int, from reader: any ArgusReader) throws -> FeedWindow {
        try reader.snapshot {
            let changes = try reader.feedChanges(after: position, limit: limit)
            var window = FeedWindow(through: changes.last?.seq ?? position, complete: changes.count < limit)
            var calls: [Int64: Int64] = [:], runs: [Int64: Int64] = [:], outputs: [Int64: Int64] = [:]
            var scripts: Int64?, deletion: Int64?
            for change in changes {
                switch change.kind {
                case .call: calls[change.rowID] = change.seq
                case .run: runs[change.rowID] = change.seq
                case .scriptOutput: outputs[change.rowID] = change.seq
                case .scriptStatus: scripts = change.seq
                case .callDeleted, .runDeleted: deletion = change.seq
                case nil: break
                }
            }
            window.calls = try reader.withFaults(try reader.calls(ids: Array(calls.keys)))
            let answers = try RunsAPI.answerStatuses(of: window.calls, reader: reader, frames: 200)
            for call in window.calls {
                if let seq = calls[call.id] {
                    window.events.append(FeedEvent(name: "call", id: seq, data: RunsAPI.json(call, answer: answers[call.id])))
                }
            }
            for run in try reader.runs(ids: Array(runs.keys)) {
                if let seq = runs[run.id] { window.events.append(FeedEvent(name: "run", id: seq, data: try run.dashboardJSON(reader))) }
            }
            var metrics: Int64?
            for output in try reader.scriptOutputs(ids: Array(outputs.keys)) {
                guard let seq = outputs[output.id] else { continue }
                switch output.kind {
                case .alert: window.events.append(FeedEvent(name: "alert", id: seq, data: output.json))
                case .metric: metrics = max(metrics ?? 0, seq)  // one hint per window: a chart reloads its series
                default: window.events.append(FeedEvent(name: "script_output", id: seq, data: output.json))
                }
            }
            if let metrics { window.events.append(FeedEvent(name: "metrics", id: metrics, data: [:])) }
            if let scripts { window.events.append(FeedEvent(name: "scripts", id: scripts, data: [:])) }
            if let deletion {
                window.deleted = true
                window.events.append(FeedEvent(name: "reset", id: deletion, data: ["reason": "recordings were deleted"]))
            }
            window.events.sort { ($0.id ?? 0) < ($1.id ?? 0) }
            return window
        }
    }
}
