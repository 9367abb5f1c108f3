/// The runs of one proxy session: their numbers, each frame's position in its run, and when one
/// run ends and the next begins — after an idle gap, or when someone asks for a new run.
///
/// A run is never split while a call is in progress, so a request and its response always share
/// a run; the caller says whether one is.
struct RunBook {
    /// Everything a run's row says as it begins but its start time and label.
    private var template: RunRecord
    private let numbering: RunNumbering
    private let idleTimeoutMicros: Int64
    private let emit: (RecordOp) -> Void

    private(set) var current: LocalRunID = 0
    /// The position of the last frame in the current run.
    private(set) var seq = 0
    private var lastTraffic: Timestamp?
    /// Frames the proxy forwarded but could not queue for recording, in the current run.
    private var droppedFrames = 0
    /// A new run someone asked for, made as soon as no call is in progress.
    private var requestedSplit: (label: String?, detail: String)?

    init(template: RunRecord, numbering: RunNumbering, idleTimeoutMicros: Int64, emit: @escaping (RecordOp) -> Void) {
        self.template = template
        self.numbering = numbering
        self.idleTimeoutMicros = idleTimeoutMicros
        self.emit = emit
    }

    var newRunRequested: Bool { requestedSplit != nil }

    /// The server's pid as the proxy reported it, for every run of the session.
    var serverPID: Int32? {
        get { template.serverPID }
        set { template.serverPID = newValue }
    }

    /// Opens the next run; `previous` when it continues the session after a split.
    mutating func open(at wallMicros: Int64, previous: LocalRunID? = nil, label: String? = nil) {
        current = numbering.take()
        seq = 0
        var record = template
        record.startedAt = wallMicros
        record.label = label
        emit(.startRun(RunStart(run: current, previousRun: previous, record: record)))
    }

    /// The position of a new frame in the current run.
    mutating func nextSeq() -> Int {
        seq += 1
        return seq
    }

    mutating func lost(frames: Int) { droppedFrames += max(frames, 1) }

    /// A frame arrives: the run ends first if the session was idle for longer than the timeout.
    /// Returns whether a new run was opened.
    mutating func trafficArrives(at time: Timestamp, callInProgress: Bool) -> Bool {
        defer { lastTraffic = time }
        guard let last = lastTraffic, !callInProgress, time.micros(since: last) > idleTimeoutMicros else { return false }
        end(at: last.wallMicros, reason: .idle, detail: nil)
        open(at: time.wallMicros, previous: current)
        return true
    }

    mutating func requestSplit(label: String?, detail: String) { requestedSplit = (label, detail) }

    /// Makes the run someone asked for, unless a call is in progress. Returns whether it did.
    mutating func splitIfRequested(at time: Timestamp, callInProgress: Bool) -> Bool {
        guard let request = requestedSplit, !callInProgress else { return false }
        requestedSplit = nil
        end(at: time.wallMicros, reason: .manual, detail: request.detail)
        open(at: time.wallMicros, previous: current, label: request.label)
        lastTraffic = nil  // the new run is not idle before its first frame
        return true
    }

    /// Ends the current run (a split, or the end of the session).
    mutating func end(
        at wallMicros: Int64, reason: EndReason, detail: String?, exitStatus: Int32? = nil,
        stderrTail: String? = nil
    ) {
        emit(
            .endRun(
                RunEnd(
                    run: current, endedAt: wallMicros, reason: reason, detail: detail, exitStatus: exitStatus,
                    stderrTail: stderrTail, droppedFrames: droppedFrames)))
        droppedFrames = 0
    }
}
