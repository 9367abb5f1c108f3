import ArgusCore
import ArgusProxy
import ArgusSystem

#if canImport(Glibc)
import Glibc
#endif

/// What `argus proxy` records through: one recorder thread, one writer and one reader of run
/// requests for all its sessions (`SharedRecorder`), and one numbering of their runs, since
/// the writer knows runs by number. Each session still has a recorder of its own
/// (`SessionRecording`), so its messages are framed, redacted and paired apart from the
/// others', in runs of its own.
final class ProxyRecording: Sendable {
    private let wrap: WrapOptions
    private let serverName: String
    private let launch: LaunchSpec
    private let policy: RedactionPolicy
    private let flushTimeoutSeconds: Double
    private let shared: SharedRecorder
    private let runNumbering = RunNumbering()
    /// With `--faults`: the plan, with one seed for the proxy; each session gets a judge of its own.
    private let faults: FaultInjector.Options?

    init(_ wrap: WrapOptions, serverName: String, launch: LaunchSpec, policy: RedactionPolicy, flushTimeoutSeconds: Double) {
        self.wrap = wrap
        self.serverName = serverName
        self.launch = launch
        self.policy = policy
        self.flushTimeoutSeconds = flushTimeoutSeconds
        shared = wrap.sharedRecorder()
        if let plan = wrap.faults {
            let seed = plan.resolvedSeed()
            faults = .init(plan, seed: seed, serverName: serverName)
            StderrLog.write(plan.banner(seed: seed, into: "every session of this proxy"))
        } else {
            faults = nil
        }
    }

    /// The recording of a new session; `secrets`: the client's credentials, kept out of it.
    func session(_ session: String?, secrets: [(name: String, value: String)], serverPID: Int32? = nil) -> SessionRecording {
        let recording = wrap.recordingError == nil
        var config = RecorderConfig(
            serverName: serverName, launch: launch, idleTimeoutSeconds: wrap.idleTimeoutSeconds,
            redaction: RemoteRecordingSetup.adding(secrets, to: policy), argusPID: getpid())
        config.sealer = recording ? wrap.sealer : nil
        config.recordingError = wrap.recordingError
        config.runNumbering = runNumbering
        if faults != nil { config.runKind = RunRecord.chaosKind }
        return SessionRecording(
            session: session, pipeline: wrap.recordingPipeline(config, shared: shared), recording: recording,
            flushTimeoutSeconds: flushTimeoutSeconds, faults: faults.map { FaultJudge(options: $0) }, serverPID: serverPID)
    }

    /// Writes what is queued, once every session's recording is finished (the writer reports
    /// what it could not write).
    func finish() {
        shared.finish(timeoutSeconds: flushTimeoutSeconds)
    }
}
