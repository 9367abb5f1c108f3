import ArgusCore
import Foundation

/// Runs user scripts as hooks on recorded calls.
///
/// One `LuaScript` per script; all of them owned by the thread that calls this
/// host (the recorder thread in `argus wrap`, the main thread in the CLI).
/// Redact hooks run first, highest priority first, and fail closed; observers
/// (`on_call`, `alert`, `metric`) fail open. A script with too many errors in a
/// short time is switched off; editing its file reloads it.
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

    public enum State: String, Sendable {
        case active
        /// Could not be loaded (and no earlier version runs).
        case error
        /// Switched off after repeated failures.
        case disabled
    }

    final class Loaded {
        let spec: ScriptSpec
        var lua: LuaScript?
        var manifest: ScriptManifest?
        var state: State = .error
        var lastError: String?
        var errorTimes: [Double] = []
        var errorCount = 0
        var stats: [String: HookStats] = [:]
        var loadedAt: Int64 = 0
        var stamp: FileStamp?
        var failedStamp: FileStamp?
        var budget: OutputBudget
        var alerts = AlertTracker()
        var printed: [String: Double] = [:]
        var dirty = true
        /// Not loaded, and its job may include `redact` (its hooks say so, or its source
        /// mentions redact, or it cannot be read): until it loads, what it would redact is
        /// stored as [REDACTION FAILED]. A redactor that fails to load must not mean "no redaction".
        var redactsWhileUnloaded = false

        init(spec: ScriptSpec, limits: ScriptLimits) {
            self.spec = spec
            budget = OutputBudget(logsPerMinute: limits.logsPerMinute, bytesPerMinute: limits.outputBytesPerMinute,
                                  labelSetsPerMetric: limits.labelSetsPerMetric)
        }

        var name: String {
            manifest?.name ?? {
                let file = spec.path.split(separator: "/").last.map(String.init) ?? spec.path
                return file.hasSuffix(".lua") ? String(file.dropLast(4)) : file
            }()
        }

        func defines(_ hook: String) -> Bool { manifest?.hooks.contains(hook) == true }

        /// Runs as a redactor: loaded with `redact`, or not loaded and failing closed.
        var isRedactor: Bool { lua == nil ? redactsWhileUnloaded : defines("redact") }

        /// What a load failure means for the calls, for the messages that report it.
        var unloadedConsequence: String {
            redactsWhileUnloaded ? "; it redacts, so until it loads the calls it would see are stored as [REDACTION FAILED]" : ""
        }
    }

    struct HookStats {
        var calls = 0
        var errors = 0
        var totalMillis = 0.0
        var maxMillis = 0.0

        var json: JSONValue {
            ["calls": .int(calls), "errors": .int(errors), "total_ms": .double((totalMillis * 1000).rounded() / 1000),
             "mean_ms": .double(calls == 0 ? 0 : (totalMillis / Double(calls) * 1000).rounded() / 1000),
             "max_ms": .double((maxMillis * 1000).rounded() / 1000)]
        }
    }

    struct FileStamp: Equatable {
        var modified: Int64
        var size: Int64
        var inode: UInt64
    }

    public let options: Options
    private var scripts: [Loaded]
    private let report: (String) -> Void
    private let alertSink: ((FiredAlert) -> Void)?
    private let lookUpRunID: (LocalRunID) -> Int64?
    private var knownRunIDs: [LocalRunID: Int64] = [:]

    /// The database id of a local run, asked of the writer only until it is known.
    private func databaseRunID(_ run: LocalRunID) -> Int64? {
        if let known = knownRunIDs[run] { return known }
        let found = lookUpRunID(run)
        if let found { knownRunIDs[run] = found }
        return found
    }
    private var pending: [RecordOp] = []
    private var lastReload = 0.0
    private var lastStatus = 0.0

    /// - Parameters:
    ///   - report: one human-readable line per event (stderr in `argus wrap`).
    ///   - alertSink: fired alerts, for webhooks.
    ///   - databaseRunID: the database id of a local run, once written.
    public init(specs: [ScriptSpec], options: Options, report: @escaping (String) -> Void,
                alertSink: ((FiredAlert) -> Void)? = nil, databaseRunID: @escaping (LocalRunID) -> Int64? = { _ in nil }) {
        self.options = options
        self.report = report
        self.alertSink = alertSink
        self.lookUpRunID = databaseRunID
        scripts = specs.map { Loaded(spec: $0, limits: options.limits) }
        for script in scripts {
            if let error = load(script) {
                script.state = .error
                script.lastError = "not loaded: \(error)\(script.unloadedConsequence)"
                report("argus: script \(script.name) (\(script.spec.path)) not loaded: \(error)\(script.unloadedConsequence)")
                pending.append(.scriptOutput(ScriptOutputRecord(run: nil, requestSeq: nil, timestamp: Clock.wallMicros(),
                                                                script: script.name, kind: .error, level: "load", name: "load",
                                                                message: error + script.unloadedConsequence,
                                                                location: ScriptErrors.location(error))))
            }
        }
        sortByPriority()
    }

    /// Names and states, for display.
    public var summary: [(name: String, state: State, error: String?)] {
        scripts.map { ($0.name, $0.state, $0.lastError) }
    }

    public var hasRedactors: Bool { !redactorScripts.isEmpty }

    /// Scripts defining `redact`, by priority (kept up to date on load and reload).
    private var redactorScripts: [Loaded] = []

    // MARK: loading

    private func sortByPriority() {
        scripts.sort { ($0.manifest?.priority ?? 0) > ($1.manifest?.priority ?? 0) }
        redactorScripts = scripts.filter(\.isRedactor)
    }

    static func stamp(of path: String) -> FileStamp? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileStamp(modified: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
                         size: Int64(info.st_size), inode: UInt64(info.st_ino))
    }

    /// Loads (or reloads) a script aside and swaps it in on success. Returns the error otherwise.
    private func load(_ script: Loaded) -> String? {
        let stamp = Self.stamp(of: script.spec.path)
        guard let source = try? String(contentsOfFile: script.spec.path, encoding: .utf8) else {
            script.failedStamp = stamp
            script.redactsWhileUnloaded = true  // its job is unknown: assume the strictest
            return "cannot read \(script.spec.path)"
        }
        guard let lua = LuaScript(limits: options.limits) else {
            script.redactsWhileUnloaded = true
            return "cannot create a Lua state"
        }
        let fileName = script.spec.path.split(separator: "/").last.map(String.init) ?? script.spec.path
        let loaded = lua.load(source: source, name: fileName)
        guard loaded.status == .ok else {
            script.failedStamp = stamp
            script.redactsWhileUnloaded = Self.mayRedact(source)
            return ScriptErrors.firstLine(loaded.error ?? "failed to load")
        }
        // It ran: its hooks are known from here on.
        script.redactsWhileUnloaded = (loaded.value?["hooks"]?.arrayValue ?? []).contains("redact")
        do {
            let manifest = try ScriptManifest(loaded: loaded.value, spec: script.spec)
            let config = try manifest.resolveConfig(script.spec.config)
            let initialized = lua.initialize(config: config)
            guard initialized.status == .ok else {
                script.failedStamp = stamp
                return "init failed: " + ScriptErrors.firstLine(initialized.error ?? "?")
            }
            script.lua = lua
            script.manifest = manifest
            script.state = .active
            script.lastError = nil
            script.errorTimes = []
            script.stats = [:]
            script.loadedAt = Clock.wallMicros()
            script.stamp = stamp
            script.failedStamp = nil
            script.alerts = AlertTracker()
            script.dirty = true
            for output in loaded.outputs + initialized.outputs {
                handle(output: output, from: script, call: nil, emit: { self.pending.append($0) })
            }
            return nil
        } catch {
            script.failedStamp = stamp
            return error.description
        }
    }

    // MARK: RecordingHooks

    public func redact(_ call: HookCall, emit: (RecordOp) -> Void) -> HookVerdict {
        var current = call
        var replaced = JSONObject()
        let editable = call.phase == .response ? ["result", "error"] : ["params"]
        let redactors = redactorScripts.count == 1
            ? (matches(redactorScripts[0], call) ? redactorScripts : [])
            : redactorScripts.filter { matches($0, call) }
        for (index, script) in redactors.enumerated() {
            // A switched-off redactor stays closed, and so does one that never loaded.
            guard script.state != .disabled, let lua = script.lua else { return .failed(script: script.name) }
            let outcome = lua.call("redact", record: callRecord(current), requestBody: current.requestBody,
                                   responseBody: current.phase == .response ? current.responseBody : nil,
                                   context: contextRecord(current, script: script, hook: "redact"))
            account(script, hook: "redact", outcome)
            for output in outcome.outputs { handle(output: output, from: script, call: current, emit: emit) }
            switch outcome.status {
            case .missing:
                continue
            case .error, .limit:
                failed(script, hook: "redact", error: outcome.error ?? "?", call: current,
                       consequence: "the payload was stored as [REDACTION FAILED]", emit: emit)
                return .failed(script: script.name)
            case .ok:
                if outcome.dropped { return .drop(script: script.name) }
                guard let value = outcome.value else { continue }
                guard case .object(let returned) = value else {
                    failed(script, hook: "redact",
                           error: "redact must return nil, a table or argus.DROP (it returned \(ScriptManifest.typeName(value)))",
                           call: current, consequence: "the payload was stored as [REDACTION FAILED]", emit: emit)
                    return .failed(script: script.name)
                }
                let parts = returned.members.filter { editable.contains($0.key) }
                if parts.isEmpty { continue }
                for part in parts { replaced[part.key] = part.value }
                // The recorder compares with what it holds; a later redactor must see the new body now.
                if index < redactors.count - 1 {
                    let body = call.phase == .response ? current.responseBody : current.requestBody
                    if let text = body, case .object(var message)? = try? JSONParser.parse(text) {
                        for part in parts {
                            message[part.key] = message[part.key].map { part.value.reordered(like: $0) } ?? part.value
                        }
                        let rewritten = JSONWriter.string(.object(message))
                        if call.phase == .response { current.responseBody = rewritten } else { current.requestBody = rewritten }
                    }
                }
            }
        }
        return replaced.isEmpty ? .keep : .replace(replaced)
    }

    public func completed(_ call: HookCall, emit: (RecordOp) -> Void) {
        var record: LuaRecord?  // built once, shared by every observer
        for script in scripts where script.state == .active && matches(script, call) {
            guard let lua = script.lua else { continue }
            for hook in ["on_call", "alert", "metric"] where script.defines(hook) {
                if record == nil { record = callRecord(call) }
                let outcome = lua.call(hook, record: record ?? LuaRecord(), requestBody: call.requestBody,
                                       responseBody: call.responseBody, context: contextRecord(call, script: script, hook: hook))
                account(script, hook: hook, outcome)
                for output in outcome.outputs { handle(output: output, from: script, call: call, emit: emit) }
                switch outcome.status {
                case .ok:
                    guard hook == "alert", let value = outcome.value else { continue }
                    guard case .object(var alert) = value, alert["message"]?.stringValue != nil else {
                        failed(script, hook: hook,
                               error: "alert must return nil or { level = ..., message = ..., key = ... }",
                               call: call, consequence: "no alert was raised", emit: emit)
                        continue
                    }
                    alert["type"] = "alert"
                    handle(output: .object(alert), from: script, call: call, emit: emit)
                case .error, .limit:
                    failed(script, hook: hook, error: outcome.error ?? "?", call: call,
                           consequence: "its output was skipped", emit: emit)
                case .missing:
                    continue
                }
                if script.state != .active { break }
            }
        }
    }

    public struct MutationError: Error, CustomStringConvertible {
        public var script: String
        public var message: String
        public var hook = "mutate_replay"
        public var description: String { "script \(script): \(hook) failed: \(message); the replay was not run" }
    }

    /// Lets `mutate_replay` hooks change the parameters of a call about to be
    /// replayed, highest priority first, each seeing the previous one's result.
    /// A failing hook aborts the replay (throws).
    public func mutateReplay(_ params: JSONValue, call: HookCall, emit: (RecordOp) -> Void) throws(MutationError) -> JSONValue {
        var current = params
        for script in scripts where script.defines("mutate_replay") && matches(script, call) {
            guard script.state == .active, let lua = script.lua else {
                throw MutationError(script: script.name, message: "the script is \(script.state.rawValue): \(script.lastError ?? "")")
            }
            let outcome = lua.call("mutate_replay", first: current, record: callRecord(call), requestBody: call.requestBody,
                                   responseBody: call.responseBody, context: contextRecord(call, script: script, hook: "mutate_replay"))
            account(script, hook: "mutate_replay", outcome)
            for output in outcome.outputs { handle(output: output, from: script, call: call, emit: emit) }
            switch outcome.status {
            case .missing: continue
            case .error, .limit:
                let message = ScriptErrors.firstLine(outcome.error ?? "?")
                failed(script, hook: "mutate_replay", error: outcome.error ?? "?", call: call,
                       consequence: "the replay was not run", emit: emit)
                throw MutationError(script: script.name, message: message)
            case .ok:
                guard let value = outcome.value else { continue }
                guard case .object = value else {
                    throw MutationError(script: script.name,
                                        message: "mutate_replay must return nil or the new params table (it returned \(ScriptManifest.typeName(value)))")
                }
                current = value
            }
        }
        return current
    }

    /// Lets `normalize` hooks prepare a replay outcome for diffing (drop volatile
    /// fields, round numbers). Applied to the recorded and the replayed outcome alike.
    public func normalize(_ value: JSONValue, call: HookCall) throws(MutationError) -> JSONValue {
        var current = value
        for script in scripts where script.defines("normalize") && script.state == .active && matches(script, call) {
            guard let lua = script.lua else { continue }
            let outcome = lua.call("normalize", first: current, record: callRecord(call), requestBody: nil, responseBody: nil,
                                   context: contextRecord(call, script: script, hook: "normalize"))
            account(script, hook: "normalize", outcome)
            switch outcome.status {
            case .missing: continue
            case .error, .limit:
                throw MutationError(script: script.name, message: ScriptErrors.firstLine(outcome.error ?? "?"), hook: "normalize")
            case .ok:
                if let replaced = outcome.value { current = replaced.reordered(like: current) }
            }
        }
        return current
    }

    /// Lets `mock` hooks rewrite the answer `argus mock` is about to send: `{"result": …}` or
    /// `{"error": …}` (the error of a miss too), highest priority first, each seeing the previous
    /// one's answer. A failing hook throws: the mock then answers with an error naming the script,
    /// never with an answer no hook approved.
    public func mockAnswer(_ answer: JSONValue, call: HookCall) throws(MutationError) -> JSONValue {
        var current = answer
        for script in scripts where script.defines("mock") && script.state == .active && matches(script, call) {
            guard let lua = script.lua else { continue }
            let outcome = lua.call("mock", first: current, record: callRecord(call), requestBody: call.requestBody,
                                   responseBody: call.responseBody, context: contextRecord(call, script: script, hook: "mock"))
            account(script, hook: "mock", outcome)
            switch outcome.status {
            case .missing: continue
            case .error, .limit:
                failed(script, hook: "mock", error: outcome.error ?? "?", call: call, consequence: "the mock answered with an error",
                       emit: { _ in })
                throw MutationError(script: script.name, message: ScriptErrors.firstLine(outcome.error ?? "?"), hook: "mock")
            case .ok:
                guard let value = outcome.value else { continue }
                guard value.objectValue != nil, value["result"] != nil || value["error"] != nil else {
                    throw MutationError(script: script.name, message: "mock must return nil or a table with result or error "
                                        + "(it returned \(ScriptManifest.typeName(value)))", hook: "mock")
                }
                current = value.reordered(like: current)
            }
        }
        return current
    }

    /// Whether any script defines `mock`: without one, the mock does not build hook calls at all.
    public var hasMockHooks: Bool { scripts.contains { $0.defines("mock") } }

    public func tick(at time: Timestamp, emit: (RecordOp) -> Void) {
        for op in pending { emit(op) }
        pending.removeAll()
        let now = Double(time.monotonicNanos) / 1e9
        if now - lastReload >= options.reloadIntervalSeconds {
            lastReload = now
            reloadChangedScripts()
        }
        for script in scripts {
            let dropped = script.budget.takeDropped()
            guard !dropped.isEmpty else { continue }
            let message = [
                dropped.logLines > 0 ? "\(dropped.logLines) log lines dropped (limit \(options.limits.logsPerMinute) per minute)" : nil,
                dropped.records > 0 ? "\(dropped.records) outputs and errors dropped, \(dropped.bytes) bytes of text "
                    + "(limit \(options.limits.outputBytesPerMinute) bytes per minute)" : nil,
            ].compactMap { $0 }.joined(separator: "; ")
            emit(.scriptOutput(ScriptOutputRecord(run: nil, requestSeq: nil, timestamp: time.wallMicros,
                                                  script: script.name, kind: .log, level: "warning", message: message)))
            if now - (script.printed["dropped outputs"] ?? -1e9) > 60 {
                script.printed["dropped outputs"] = now
                report("argus: script \(script.name): \(message)")
            }
        }
        if now - lastStatus >= options.statusIntervalSeconds || scripts.contains(where: \.dirty) {
            lastStatus = now
            for status in statuses(at: time.wallMicros) { emit(.scriptStatus(status)) }
            for script in scripts { script.dirty = false }
        }
    }

    /// Checks each script's file and reloads those that changed.
    public func reloadChangedScripts() {
        var reordered = false
        for script in scripts {
            let stamp = Self.stamp(of: script.spec.path)
            guard let stamp, stamp != script.stamp, stamp != script.failedStamp else { continue }
            let wasRunning = script.lua != nil
            if let error = load(script) {
                script.dirty = true
                if wasRunning {
                    script.lastError = "reload failed: \(error)"
                    report("argus: script \(script.name): reload failed: \(error); the previous version stays active")
                } else {
                    script.lastError = "not loaded: \(error)\(script.unloadedConsequence)"
                    report("argus: script \(script.name) (\(script.spec.path)) still not loaded: \(error)\(script.unloadedConsequence)")
                    reordered = true  // what it is known to do may have changed
                }
            } else {
                report("argus: script \(script.name) \(wasRunning ? "reloaded" : "loaded") from \(script.spec.path)")
                reordered = true
            }
            script.dirty = true
        }
        if reordered { sortByPriority() }
    }

    public func statuses(at now: Int64 = Clock.wallMicros()) -> [ScriptStatusRecord] {
        scripts.map { script in
            let stats = JSONValue.object(JSONObject(script.stats.sorted { $0.key < $1.key }.map { JSONMember($0.key, $0.value.json) }))
            return ScriptStatusRecord(script: script.name, path: script.spec.path, argusPID: options.argusPID,
                                      server: options.server, state: script.state.rawValue, lastError: script.lastError,
                                      hookStats: JSONWriter.string(stats), errorCount: script.errorCount,
                                      loadedAt: script.loadedAt, updatedAt: now)
        }
    }

    // MARK: dispatch helpers

    /// A script that is not loaded matches what its installation says, or everything.
    private func matches(_ script: Loaded, _ call: HookCall) -> Bool {
        (script.manifest?.match ?? script.spec.match)?.matches(server: call.server, tool: call.tool, method: call.method) ?? true
    }

    /// Whether the source of a script that did not run mentions a `redact` of its own
    /// (`function redact`, `redact = ...`, a comment about redacting), as opposed to the
    /// library's `argus.redact.*`. Errs on the side of failing closed.
    static func mayRedact(_ source: String) -> Bool {
        let bytes = Array(source.utf8)
        let word = Array("redact".utf8)
        func isName(_ byte: UInt8) -> Bool {
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F
        }
        var i = 0
        while i + word.count <= bytes.count {
            if bytes[i] == word[0], Array(bytes[i..<i + word.count]) == word {
                let before = i > 0 ? bytes[i - 1] : 0x20
                let after = i + word.count < bytes.count ? bytes[i + word.count] : 0x20
                if !isName(before) && before != 0x2E && before != 0x3A && !isName(after) { return true }
            }
            i += 1
        }
        return false
    }

    /// The metadata part of `call`. Absent values are left out (nil in Lua),
    /// so `if call.tool then` works; message content keeps `argus.null`.
    func callRecord(_ call: HookCall) -> LuaRecord {
        var r = LuaRecord()
        r.add("server", call.server)
        r.add("method", call.method)
        r.add("direction", call.direction.rawValue)
        r.add("phase", call.phase.rawValue)
        r.add("started_at", call.startedAt / 1000)
        r.add("is_error", call.isError)
        r.add("progress_count", call.progressCount)
        r.add("bytes_in", call.bytesIn)
        r.add("id", call.callID)
        r.add("request_id", json: call.requestID)
        r.add("run", databaseRunID(call.run))
        r.add("tool", call.tool)
        r.add("target", call.target)
        r.add("latency_ms", call.latencyMicros.map { Double($0) / 1000 })
        r.add("status", call.status?.rawValue)
        r.add("error_code", call.errorCode)
        r.add("error_message", call.errorMessage)
        r.add("bytes_out", call.bytesOut)
        r.add("seq", call.requestSeq)
        r.add("replay_of", call.replayOf)
        return r
    }

    private struct ContextKey: Hashable {
        var script: ObjectIdentifier
        var hook: String
        var phase: HookPhase
        var run: Int64?
    }

    private var contexts: [ContextKey: LuaRecord] = [:]

    /// `ctx`; it only varies with script, hook, phase and run, so it is cached.
    private func contextRecord(_ call: HookCall, script: Loaded, hook: String) -> LuaRecord {
        let run = databaseRunID(call.run)
        let cacheKey = ContextKey(script: ObjectIdentifier(script), hook: hook, phase: call.phase, run: run)
        if let cached = contexts[cacheKey] { return cached }
        var r = LuaRecord()
        r.add("phase", call.phase.rawValue)
        r.add("script", script.name)
        r.add("server", call.server)
        r.add("hook", hook)
        r.add("run", run)
        if contexts.count > 1000 { contexts.removeAll() }
        contexts[cacheKey] = r
        return r
    }

    private func account(_ script: Loaded, hook: String, _ outcome: HookOutcome) {
        guard outcome.status != .missing else { return }
        var stats = script.stats[hook] ?? HookStats()
        stats.calls += 1
        if outcome.status != .ok { stats.errors += 1 }
        stats.totalMillis += outcome.elapsedMillis
        stats.maxMillis = max(stats.maxMillis, outcome.elapsedMillis)
        script.stats[hook] = stats
    }

    /// A hook failed: record it, tell the user (once per distinct message a
    /// minute), and switch the script off when it keeps failing.
    private func failed(_ script: Loaded, hook: String, error: String, call: HookCall?, consequence: String,
                        emit: (RecordOp) -> Void) {
        let message = ScriptErrors.firstLine(error)
        let now = Double(Clock.monotonicNanos()) / 1e9
        script.errorCount += 1
        script.lastError = "\(hook): \(message)"
        script.errorTimes.append(now)
        script.errorTimes.removeAll { now - $0 > options.limits.errorWindowSeconds }
        script.dirty = true
        let wall = Clock.wallMicros()
        // Errors share the script's bytes per minute; one over it is counted, not stored or printed.
        let kept = script.budget.allow(bytes: message.utf8.count, isLog: false, at: wall)
        if kept {
            emit(.scriptOutput(ScriptOutputRecord(run: call?.run, requestSeq: call?.requestSeq, timestamp: wall,
                                                  script: script.name, kind: .error, level: hook, name: hook,
                                                  message: message, location: ScriptErrors.location(error))))
        }
        let printedKey = hook + message
        if kept, now - (script.printed[printedKey] ?? -1e9) > 60 {
            script.printed[printedKey] = now
            report("argus: script \(script.name): \(hook) failed: \(message); \(consequence)")
        }
        if script.errorTimes.count >= options.limits.maxErrors, script.state == .active {
            script.state = .disabled
            let window = Int(options.limits.errorWindowSeconds)
            report("argus: script \(script.name) switched off after \(script.errorTimes.count) errors in \(window) s "
                   + "(last: \(hook): \(message)). Fix \(script.spec.path); it reloads when the file changes"
                   + (script.defines("redact") ? ". Until then the calls it redacts are stored as [REDACTION FAILED]" : ""))
        }
    }

    // MARK: outputs

    private func handle(output: JSONValue, from script: Loaded, call: HookCall?, emit: (RecordOp) -> Void) {
        let now = Clock.wallMicros()
        let limit = options.limits.textBytes
        func text(_ key: String) -> String? { output[key]?.stringValue.map { cappedText($0, limit: limit) } }
        var record = ScriptOutputRecord(run: call?.run, requestSeq: call?.requestSeq, timestamp: now, script: script.name,
                                        kind: .log)
        record.location = text("where")
        switch output["type"]?.stringValue {
        case "log":
            let message = text("message") ?? ""
            guard script.budget.allow(bytes: message.utf8.count, isLog: true, at: now) else { return }
            record.level = text("level") ?? "info"
            record.message = message
        case "metric":
            guard let name = text("name"), let value = output["value"]?.doubleValue else { return }
            let labels = output["labels"].map { Self.canonicalLabels($0, limit: limit) } ?? "{}"
            guard script.budget.allow(bytes: name.utf8.count + labels.utf8.count, isLog: false, at: now) else { return }
            switch script.budget.admit(metric: name, labels: labels) {
            case .keep: break
            case .refuse: return
            case .firstRefusal:
                emit(.scriptOutput(ScriptOutputRecord(run: call?.run, requestSeq: call?.requestSeq, timestamp: now,
                                                      script: script.name, kind: .log, level: "warning",
                                                      message: "metric \(name) has more than \(options.limits.labelSetsPerMetric) label sets; new ones are dropped")))
                return
            }
            record.kind = .metric
            record.name = name
            record.metricKind = text("kind") ?? "gauge"
            record.value = value
            record.labels = labels
        case "alert":
            let message = text("message") ?? ""
            let level = Self.alertLevel(output["level"]?.stringValue)
            let key = text("key") ?? cappedText("\(script.name):\(message)", limit: limit)
            let forSeconds = output["for_s"]?.doubleValue ?? 0
            guard script.alerts.raise(key: key, forSeconds: forSeconds, at: now) else { return }
            guard script.budget.allow(bytes: message.utf8.count + key.utf8.count, isLog: false, at: now) else { return }
            record.kind = .alert
            record.level = level
            record.message = message
            record.key = key
            let alert = FiredAlert(script: script.name, level: level, message: message, key: key, server: options.server,
                                   tool: call?.tool, method: call?.method, timestamp: now, location: record.location)
            report("argus: ALERT [\(level)] \(script.name): \(message)")
            alertSink?(alert)
        default:
            return
        }
        emit(.scriptOutput(record))
    }

    static func alertLevel(_ level: String?) -> String {
        switch level?.lowercased() {
        case "critical", "crit", "error", "fatal": return "critical"
        case "warning", "warn": return "warning"
        default: return "info"
        }
    }

    /// Labels as JSON with sorted keys, so equal label sets compare equal; each name and
    /// value at most `limit` bytes.
    static func canonicalLabels(_ labels: JSONValue, limit: Int = .max) -> String {
        guard case .object(let object) = labels else { return "{}" }
        let sorted = object.members.sorted { $0.key < $1.key }.map {
            JSONMember(cappedText($0.key, limit: limit),
                       .string(cappedText($0.value.stringValue ?? JSONWriter.string($0.value), limit: limit)))
        }
        return JSONWriter.string(.object(JSONObject(sorted)))
    }
}
