import ArgusCore
import ArgusScripting
import ArgusStore

#if canImport(Glibc)
import ArgusSystem
import Glibc
#endif

/// An engine's user scripts, loaded once for both of their jobs: `mutate_replay` and
/// `normalize` on the engine's thread, and the recording hooks (redact, on_call, alert, metric)
/// on the thread that records the replay. A `ScriptHost` and its Lua states belong to one
/// thread at a time, so every call takes the lock; each hook is bounded by its time limit, so
/// neither side waits long.
final class ReplayScripts: RecordingHooks, @unchecked Sendable {
    private let host: ScriptHost
    private let lock = Monitor()
    private let recording = RecordingWriter()

    init(specs: [ScriptSpec], serverName: String, limits: ScriptLimits, report: @escaping @Sendable (String) -> Void) {
        host = ScriptHost(
            specs: specs, options: ScriptHost.Options(server: serverName, argusPID: getpid(), limits: limits),
            report: report, databaseRunID: { [recording] in recording.databaseID(of: $0) })
    }

    /// The writer of the replay's recording: the database ids of its runs reach the scripts as `call.run`.
    func record(into writer: BatchedWriter) {
        recording.set(writer)
    }

    // MARK: the engine's hooks

    /// The params after `mutate_replay` hooks; a failing hook fails the replay.
    func mutateReplay(_ params: JSONValue, call: HookCall) throws(ReplayError) -> JSONValue {
        try lock.locked {
            Result { () throws(ScriptHost.MutationError) in try host.mutateReplay(params, call: call) { _ in } }
        }.mapError { ReplayError.scriptFailed($0.description) }.get()
    }

    /// An outcome after `normalize` hooks, ready for diffing.
    func normalize(_ value: JSONValue, call: HookCall) throws(ReplayError) -> JSONValue {
        try lock.locked {
            Result { () throws(ScriptHost.MutationError) in try host.normalize(value, call: call) }
        }.mapError { ReplayError.scriptFailed($0.description) }.get()
    }

    // MARK: the mock's hook

    var hasMockHooks: Bool { lock.locked { host.hasMockHooks } }

    /// The answer after `mock` hooks; a failing hook is said in the error.
    func mock(_ answer: JSONValue, call: HookCall) -> Result<JSONValue, ScriptHost.MutationError> {
        lock.locked { Result { () throws(ScriptHost.MutationError) in try host.mockAnswer(answer, call: call) } }
    }

    // MARK: RecordingHooks, for the replay's recorder

    var hasRedactors: Bool { lock.locked { host.hasRedactors } }

    func redact(_ call: HookCall, message: RedactableMessage, emit: (RecordOp) -> Void) -> HookVerdict {
        lock.locked { host.redact(call, message: message, emit: emit) }
    }

    func completed(_ call: HookCall, emit: (RecordOp) -> Void) {
        lock.locked { host.completed(call, emit: emit) }
    }

    func tick(at time: Timestamp, emit: (RecordOp) -> Void) {
        lock.locked { host.tick(at: time, emit: emit) }
    }
}

/// The writer a recording goes through, set once it exists; asked from inside script calls.
private final class RecordingWriter: @unchecked Sendable {
    private let monitor = Monitor()
    private var writer: BatchedWriter?

    func set(_ writer: BatchedWriter) { monitor.locked { self.writer = writer } }
    func databaseID(of run: LocalRunID) -> Int64? { monitor.locked { writer }?.databaseID(of: run) }
}
