import ArgusCore
import ArgusProxy
import ArgusStore
import ArgusSystem
import Foundation

/// A replay is recorded like any session (redacted, sealed, seen by the scripts), as one run
/// of kind `replay` whose calls link to the originals they replay. The writer hands over the
/// run's database id when it commits the run's row. `argus mock` records its sessions the same
/// way (kind `mock`, each call linked to the recorded call that answered it), and `argus record`
/// its scenarios (kind `wrap`: real traffic with a real server).
final class ReplayRecording {
    let pipeline: RecordingPipeline
    private let links: ReplayLinks
    private let commits: Monitor
    private var runID: Int64?
    private var gaveUpWaiting = false

    /// A replay's recorder never splits its run: it is the recorder's first, and only, run.
    static let run: LocalRunID = 1

    /// - Parameters:
    ///   - launch: how the server was started; the recorder redacts its arguments and seals them again.
    ///   - scripts: the engine's scripts, which also hook into the recording.
    init(
        serverName: String, launch: LaunchSpec, redaction: RedactionPolicy, keyPath: String, databasePath: String,
        scripts: ReplayScripts?, kind: String = "replay", report: @escaping @Sendable (String) -> Void
    ) {
        var config = RecorderConfig(
            serverName: serverName, launch: launch, idleTimeoutSeconds: 1e9, redaction: redaction,
            argusPID: getpid())
        config.runKind = kind
        config.sealer = KeyFileSealer(path: keyPath, report: report)
        let links = ReplayLinks(), commits = Monitor()
        config.replayOf = { links.original(of: $0) }
        var makeHooks: (@Sendable (BatchedWriter) -> RecordingHooks?)?
        if let scripts {
            makeHooks = { writer in
                scripts.record(into: writer)
                return scripts
            }
        }
        pipeline = RecordingPipeline(
            config: config, options: .init(databasePath: databasePath), report: report,
            onCommit: { commits.locked { commits.broadcast() } }, makeHooks: makeHooks)
        self.links = links
        self.commits = commits
    }

    /// Says which recorded call the request with this JSON-RPC id (as text) replays.
    func link(requestID: String, to original: Int64) {
        links.link(requestID, to: original)
    }

    /// The database id of the replay run. The writer commits the run's row as soon as the server
    /// starts, so this rarely waits; if the database keeps it waiting past `timeout` seconds, later
    /// asks do not wait again (a suite of a thousand calls must not wait a thousand times).
    func databaseRunID(timeout: Double) -> Int64? {
        let deadline = SystemClock.monotonicNanos() + UInt64(timeout * 1e9)
        return commits.locked {
            while runID == nil {
                runID = pipeline.writer.databaseID(of: Self.run)
                if runID != nil || gaveUpWaiting { break }
                if SystemClock.monotonicNanos() >= deadline {
                    gaveUpWaiting = true
                    break
                }
                _ = commits.wait(untilMonotonicNanos: deadline)
            }
            return runID
        }
    }

    func finish(reason: EndReason, detail: String?, exitStatus: Int32?) {
        pipeline.finish(reason: reason, detail: detail, exitStatus: exitStatus)
    }
}

/// Which recorded call each replay request (by JSON-RPC id text) replays; read by the recorder thread.
private final class ReplayLinks: @unchecked Sendable {
    private let monitor = Monitor()
    private var links: [String: Int64] = [:]

    func link(_ id: String, to original: Int64) { monitor.locked { links[id] = original } }
    func original(of id: String) -> Int64? { monitor.locked { links[id] } }
}
