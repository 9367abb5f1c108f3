import ArgusStore
import ArgusSystem

/// What the sessions of one `argus proxy` record through: one raw queue and one recorder thread
/// for all of them, one writer (one store connection, one batch stream), and one reader of run
/// requests. Each session still has a recorder of its own on that thread (`PipelineRecorder`),
/// so its messages are framed, redacted and paired apart from the others', in runs of its own.
///
/// One thread rather than one per session: under load it takes many sessions' messages per
/// wake-up. A thread per session cost a futex wake-up and a thread switch per message, and a
/// thousand such threads kept two cores busy switching (`Docs/PERFORMANCE.md`). The price: the
/// sessions' script hooks run one after another, so a slow hook delays every session's
/// recording (never its traffic: the relays do not wait on the queue).
public final class SharedRecorder: @unchecked Sendable {
    public let writer: BatchedWriter
    let runRequests: RunRequestFeed
    /// When the hook running on the thread began: one hook runs at a time, whichever session's.
    let hookClock = HookClock()
    /// Each session's events, tagged with its pipeline, in the order they came.
    let queue: BoundedQueue<(RecordingPipeline, RecordingPipeline.Event)>
    private var thread: OSThread?

    public init(writer: BatchedWriter, rawQueueBytes: Int = 256 << 20) {
        self.writer = writer
        runRequests = RunRequestFeed(path: writer.options.path)
        queue = BoundedQueue(capacityBytes: rawQueueBytes)
        // It sleeps until a message comes rather than polling for a while after each one: under
        // load it finds many messages per wake-up either way (the same calls/s in
        // `Docs/PERFORMANCE.md`), and between a proxy's calls polling burnt CPU for nothing.
        queue.pollingWindowNanos = 0
        thread = OSThread(name: "argus-recorder", background: true) { [self] in record() }
    }

    private func record() {
        // Keyed by the pipeline's identity; the pipeline is kept with its recorder so that
        // identity is not reused while the session is recorded.
        var sessions: [ObjectIdentifier: (pipeline: RecordingPipeline, recorder: PipelineRecorder)] = [:]
        PipelineRecorder.consume(queue) {
            for session in sessions.values { session.recorder.tick() }
        } handle: { pipeline, event in
            let key = ObjectIdentifier(pipeline)
            let recorder: PipelineRecorder
            if let known = sessions[key] {
                recorder = known.recorder
            } else {
                recorder = pipeline.makeRecorder()
                sessions[key] = (pipeline, recorder)
            }
            recorder.handle(event)
            if case .finish = event {
                sessions[key] = nil
                pipeline.markRecorded()
            }
        }
        // Closed with sessions unfinished (their owner did not finish them): nobody waits on them.
        for session in sessions.values { session.pipeline.markRecorded() }
    }

    /// Once every session is finished: the thread stops, and the writer writes what is queued
    /// (up to `timeoutSeconds` for the database) and reports what it could not write.
    @discardableResult
    public func finish(timeoutSeconds: Double) -> BatchedWriter.Statistics {
        queue.close()
        thread?.join(timeoutSeconds: timeoutSeconds)
        return writer.finish(timeoutSeconds: timeoutSeconds)
    }
}
