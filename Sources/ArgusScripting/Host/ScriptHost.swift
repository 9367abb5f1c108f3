import ArgusCore
import ArgusSystem

/// Runs user scripts as hooks on recorded calls.
///
/// One `LoadedScript` per script; all of them owned by the thread that calls this
/// host (the recorder thread in `argus wrap`, the main thread in the CLI).
/// Redact hooks run first, highest priority first, and fail closed; observers
/// (`on_call`, `alert`, `metric`) fail open. A script with too many errors in a
/// short time is switched off; editing its file reloads it.
///
/// The host dispatches and applies the failure policy; `LoadedScript` loads a script and keeps
/// its state, `HookRecords` builds what a hook receives, `ScriptOutputs` what it emits.
public final class ScriptHost: RecordingHooks {
    public struct Options: Sendable {
        public var limits = ScriptLimits()
        public var server: String
        public var argusPID: Int32
        public var reloadIntervalSeconds: Double = 1
        public var statusIntervalSeconds: Double = 5

        public init(server: String, argusPID: Int32, limits: ScriptLimits = ScriptLimits()) {
            self.server = server
            self.argusPID = argusPID
            self.limits = limits
        }
    }

    public let options: Options
    /// By priority, highest first.
    private var scripts: [LoadedScript]
    /// Scripts that redact, by priority (kept up to date on load and reload).
    private var redactorScripts: [LoadedScript] = []
    private let report: (String) -> Void
    let records: HookRecords
    let outputs: ScriptOutputs
    /// Outputs of loading, written at the next tick.
    private var pending: [RecordOp] = []
    private var lastReload = 0.0
    private var lastStatus = 0.0

    /// - Parameters:
    ///   - report: one human-readable line per event (stderr in `argus wrap`).
    ///   - alertSink: fired alerts, for webhooks.
    ///   - databaseRunID: the database id of a local run, once written.
    public init(
        specs: [ScriptSpec], options: Options, report: @escaping (String) -> Void,
        alertSink: ((FiredAlert) -> Void)? = nil, databaseRunID: @escaping (LocalRunID) -> Int64? = { _ in nil }
    ) {
        self.options = options
        self.report = report
        records = HookRecords(databaseRunID: databaseRunID)
        outputs = ScriptOutputs(limits: options.limits, server: options.server, report: report, alertSink: alertSink)
        scripts = specs.map { LoadedScript(spec: $0, limits: options.limits) }
        for script in scripts {
            switch script.load(limits: options.limits) {
            case .success(let emitted):
                for output in emitted { outputs.record(output, from: script, call: nil) { self.pending.append($0) } }
            case .failure(let failure):
                let error = failure.description
                script.state = .error
                script.lastError = "not loaded: \(error)\(script.unloadedConsequence)"
                report("argus: script \(script.name) (\(script.spec.path)) not loaded: \(error)\(script.unloadedConsequence)")
                pending.append(
                    .scriptOutput(
                        nil,
                        ScriptOutputRecord(
                            requestSeq: nil, timestamp: SystemClock.wallMicros(),
                            script: script.name, kind: .error, level: "load", name: "load",
                            message: error + script.unloadedConsequence,
                            location: ScriptErrors.location(error))))
            }
        }
        sortByPriority()
    }

    public var hasRedactors: Bool { !redactorScripts.isEmpty }

    /// Whether any script defines `mock`: without one, the mock does not build hook calls at all.
    public var hasMockHooks: Bool { scripts.contains { $0.defines("mock") } }

    private func sortByPriority() {
        scripts.sort { ($0.manifest?.priority ?? 0) > ($1.manifest?.priority ?? 0) }
        redactorScripts = scripts.filter(\.isRedactor)
    }

    // MARK: RecordingHooks

    public func redact(_ call: HookCall, message: RedactableMessage, emit: (RecordOp) -> Void) -> HookVerdict {
        var message = message
        // The body each redactor reads: the message as the redactors before it left it.
        var body = message.text
        let isResponse = call.phase == .response
        let editable = isResponse ? ["result", "error"] : ["params"]
        let redactors =
            redactorScripts.count == 1
            ? (redactorScripts[0].matches(call) ? redactorScripts : [])
            : redactorScripts.filter { $0.matches(call) }
        for (index, script) in redactors.enumerated() {
            // A switched-off redactor stays closed, and so does one that never loaded.
            guard script.state != .disabled, let lua = script.lua else { return .failed(script: script.name) }
            let outcome = lua.call(
                "redact", record: records.call(call), requestBody: isResponse ? call.requestBody : body,
                responseBody: isResponse ? body : nil, context: records.context(call, script: script, hook: "redact"))
            script.account("redact", outcome)
            for output in outcome.outputs { outputs.record(output, from: script, call: call, emit: emit) }
            switch outcome.status {
            case .missing:
                continue
            case .error, .limit:
                failed(
                    script, hook: "redact", error: outcome.error ?? "?", call: call,
                    consequence: "the payload was stored as \(RedactionMarker.failed.text)", emit: emit)
                return .failed(script: script.name)
            case .ok:
                if outcome.dropped { return .drop(script: script.name) }
                guard let value = outcome.value else { continue }
                guard case .object(let returned) = value else {
                    failed(
                        script, hook: "redact",
                        error: "redact must return nil, a table or argus.DROP (it returned \(ScriptManifest.typeName(value)))",
                        call: call, consequence: "the payload was stored as \(RedactionMarker.failed.text)", emit: emit)
                    return .failed(script: script.name)
                }
                let parts = returned.members.filter { editable.contains($0.key) }
                if parts.isEmpty { continue }
                for part in parts { message.replace(part.key, with: part.value) }
                if index < redactors.count - 1 { body = message.text }
            }
        }
        return message.isChanged ? .replace(message) : .keep
    }

    public func completed(_ call: HookCall, emit: (RecordOp) -> Void) {
        var record: LuaRecord?  // built once, shared by every observer
        for script in scripts where script.state == .active && script.matches(call) {
            guard let lua = script.lua else { continue }
            for hook in ["on_call", "alert", "metric"] where script.defines(hook) {
                if record == nil { record = records.call(call) }
                let outcome = lua.call(
                    hook, record: record ?? LuaRecord(), requestBody: call.requestBody,
                    responseBody: call.responseBody, context: records.context(call, script: script, hook: hook))
                script.account(hook, outcome)
                for output in outcome.outputs { outputs.record(output, from: script, call: call, emit: emit) }
                switch outcome.status {
                case .ok:
                    guard hook == "alert", let value = outcome.value else { continue }
                    guard case .object(var alert) = value, alert["message"]?.stringValue != nil else {
                        failed(
                            script, hook: hook,
                            error: "alert must return nil or { level = ..., message = ..., key = ... }",
                            call: call, consequence: "no alert was raised", emit: emit)
                        continue
                    }
                    alert["type"] = "alert"
                    outputs.record(.object(alert), from: script, call: call, emit: emit)
                case .error, .limit:
                    failed(
                        script, hook: hook, error: outcome.error ?? "?", call: call,
                        consequence: "its output was skipped", emit: emit)
                case .missing:
                    continue
                }
                if script.state != .active { break }
            }
        }
    }

    public func tick(at time: Timestamp, emit: (RecordOp) -> Void) {
        for op in pending { emit(op) }
        pending.removeAll()
        let now = Double(time.monotonicNanos) / 1e9
        if now - lastReload >= options.reloadIntervalSeconds {
            lastReload = now
            reloadChangedScripts()
        }
        for script in scripts { outputs.reportDropped(by: script, at: time, emit: emit) }
        if now - lastStatus >= options.statusIntervalSeconds || scripts.contains(where: \.dirty) {
            lastStatus = now
            for status in statuses(at: time.wallMicros) { emit(.scriptStatus(status)) }
            for script in scripts { script.dirty = false }
        }
    }

    // MARK: hot reload and status

    /// Checks each script's file and reloads those that changed.
    public func reloadChangedScripts() {
        var reordered = false
        for script in scripts where script.fileChanged {
            let wasRunning = script.lua != nil
            switch script.load(limits: options.limits) {
            case .success(let emitted):
                for output in emitted { outputs.record(output, from: script, call: nil) { self.pending.append($0) } }
                report("argus: script \(script.name) \(wasRunning ? "reloaded" : "loaded") from \(script.spec.path)")
                reordered = true
            case .failure(let failure):
                let error = failure.description
                if wasRunning {
                    script.lastError = "reload failed: \(error)"
                    report("argus: script \(script.name): reload failed: \(error); the previous version stays active")
                } else {
                    script.lastError = "not loaded: \(error)\(script.unloadedConsequence)"
                    report("argus: script \(script.name) (\(script.spec.path)) still not loaded: \(error)\(script.unloadedConsequence)")
                    reordered = true  // what it is known to do may have changed
                }
            }
            script.dirty = true
        }
        if reordered { sortByPriority() }
    }

    public func statuses(at now: Int64 = SystemClock.wallMicros()) -> [ScriptStatusRecord] {
        scripts.map { $0.status(argusPID: options.argusPID, server: options.server, at: now) }
    }

    // MARK: failures

    /// A hook failed: record it, tell the user (once per distinct message a
    /// minute), and switch the script off when it keeps failing.
    func failed(
        _ script: LoadedScript, hook: String, error: String, call: HookCall?, consequence: String,
        emit: (RecordOp) -> Void
    ) {
        let message = ScriptErrors.firstLine(error)
        let now = Double(SystemClock.monotonicNanos()) / 1e9
        let switchedOff = script.countFailure("\(hook): \(message)", at: now, limits: options.limits)
        let kept = outputs.recordError(
            message, hook: hook, location: ScriptErrors.location(error), from: script, call: call,
            emit: emit)
        if kept, script.mayPrint(hook + message, at: now) {
            report("argus: script \(script.name): \(hook) failed: \(message); \(consequence)")
        }
        if switchedOff {
            let window = Int(options.limits.errorWindowSeconds)
            report(
                "argus: script \(script.name) switched off after \(script.errorTimes.count) errors in \(window) s "
                    + "(last: \(hook): \(message)). Fix \(script.spec.path); it reloads when the file changes"
                    + (script.defines("redact") ? ". Until then the calls it redacts are stored as \(RedactionMarker.failed.text)" : ""))
        }
    }

    // MARK: replay

    /// Scripts that define `hook` and see `call`, by priority.
    func scripts(defining hook: String, for call: HookCall) -> [LoadedScript] {
        scripts.filter { $0.defines(hook) && $0.matches(call) }
    }
}
