import ArgusCore
import ArgusSystem
import Foundation

/// One script in a `ScriptHost`: its Lua state once loaded, what its file was when it was read
/// (for hot reload), and how it has fared — errors, hook timings, what it may still emit.
final class LoadedScript {
    enum State: String {
        case active
        /// Could not be loaded (and no earlier version runs).
        case error
        /// Switched off after repeated failures.
        case disabled
    }

    /// What a file was when it was read: a change to any of these means it changed.
    struct FileStamp: Equatable {
        var modified: Int64
        var size: Int64
        var inode: UInt64
    }

    let spec: ScriptSpec
    private(set) var lua: LuaScript?
    private(set) var manifest: ScriptManifest?
    var state: State = .error
    var lastError: String?
    private(set) var errorCount = 0
    /// When its recent errors happened (monotonic seconds), within the error window.
    private(set) var errorTimes: [Double] = []
    private(set) var stats: [String: HookStats] = [:]
    private(set) var loadedAt: Int64 = 0
    private(set) var stamp: FileStamp?
    private var failedStamp: FileStamp?
    var budget: OutputBudget
    var alerts = AlertTracker()
    /// When a message was last printed, by message: the same one is printed once a minute.
    private var printed: [String: Double] = [:]
    /// Its status changed since it was last reported.
    var dirty = true
    /// Not loaded, and its job may include `redact` (its hooks say so, or its source
    /// mentions redact, or it cannot be read): until it loads, what it would redact is
    /// stored as [REDACTION FAILED]. A redactor that fails to load must not mean "no redaction".
    private(set) var redactsWhileUnloaded = false

    init(spec: ScriptSpec, limits: ScriptLimits) {
        self.spec = spec
        budget = OutputBudget(
            logsPerMinute: limits.logsPerMinute, bytesPerMinute: limits.outputBytesPerMinute,
            labelSetsPerMetric: limits.labelSetsPerMetric)
    }

    var name: String {
        manifest?.name
            ?? {
                let file = spec.path.split(separator: "/").last.map(String.init) ?? spec.path
                return file.hasSuffix(".lua") ? String(file.dropLast(4)) : file
            }()
    }

    func defines(_ hook: String) -> Bool { manifest?.hooks.contains(hook) == true }

    /// Runs as a redactor: loaded with `redact`, or not loaded and failing closed.
    var isRedactor: Bool { lua == nil ? redactsWhileUnloaded : defines("redact") }

    /// What a load failure means for the calls, for the messages that report it.
    var unloadedConsequence: String {
        redactsWhileUnloaded
            ? "; it redacts, so until it loads the calls it would see are stored as \(RedactionMarker.failed.text)" : ""
    }

    /// A script that is not loaded matches what its installation says, or everything.
    func matches(_ call: HookCall) -> Bool {
        (manifest?.match ?? spec.match)?.matches(server: call.server, tool: call.tool, method: call.method) ?? true
    }

    // MARK: loading

    /// Whether its file changed since it was last read (loaded, or failed to load).
    var fileChanged: Bool {
        guard let current = Self.stamp(of: spec.path) else { return false }
        return current != stamp && current != failedStamp
    }

    /// Loads (or reloads) the script in a fresh state and swaps it in on success, keeping the
    /// running version otherwise. Returns what loading and `init` emitted (logs), or the error.
    func load(limits: ScriptLimits) -> Result<[JSONValue], ScriptLoadError> {
        let stamp = Self.stamp(of: spec.path)
        guard let source = try? String(contentsOfFile: spec.path, encoding: .utf8) else {
            failedStamp = stamp
            redactsWhileUnloaded = true  // its job is unknown: assume the strictest
            return .failure(ScriptLoadError("cannot read \(spec.path)"))
        }
        guard let lua = LuaScript(limits: limits) else {
            redactsWhileUnloaded = true
            return .failure(ScriptLoadError("cannot create a Lua state"))
        }
        let fileName = spec.path.split(separator: "/").last.map(String.init) ?? spec.path
        let loaded = lua.load(source: source, name: fileName)
        guard loaded.status == .ok else {
            failedStamp = stamp
            redactsWhileUnloaded = Self.mayRedact(source)
            return .failure(ScriptLoadError(ScriptErrors.firstLine(loaded.error ?? "failed to load")))
        }
        // It ran: its hooks are known from here on.
        redactsWhileUnloaded = (loaded.value?["hooks"]?.arrayValue ?? []).contains("redact")
        do {
            let manifest = try ScriptManifest(loaded: loaded.value, spec: spec)
            let config = try manifest.resolveConfig(spec.config)
            let initialized = lua.initialize(config: config)
            guard initialized.status == .ok else {
                failedStamp = stamp
                return .failure(ScriptLoadError("init failed: " + ScriptErrors.firstLine(initialized.error ?? "?")))
            }
            self.lua = lua
            self.manifest = manifest
            state = .active
            lastError = nil
            errorTimes = []
            stats = [:]
            loadedAt = SystemClock.wallMicros()
            self.stamp = stamp
            failedStamp = nil
            alerts = AlertTracker()
            dirty = true
            return .success(loaded.outputs + initialized.outputs)
        } catch {
            failedStamp = stamp
            return .failure(error)
        }
    }

    static func stamp(of path: String) -> FileStamp? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileStamp(
            modified: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec),
            size: Int64(info.st_size), inode: UInt64(info.st_ino))
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

    // MARK: how it fares

    /// Counts a hook call in its timings.
    func account(_ hook: String, _ outcome: HookOutcome) {
        guard outcome.status != .missing else { return }
        stats[hook, default: HookStats()].add(outcome)
    }

    /// Counts a failure; switches the script off once it has failed `limits.maxErrors` times
    /// within the error window. Returns whether this failure switched it off.
    func countFailure(_ description: String, at now: Double, limits: ScriptLimits) -> Bool {
        errorCount += 1
        lastError = description
        errorTimes.append(now)
        errorTimes.removeAll { now - $0 > limits.errorWindowSeconds }
        dirty = true
        guard errorTimes.count >= limits.maxErrors, state == .active else { return false }
        state = .disabled
        return true
    }

    /// Whether a message should be printed now: the same one at most once a minute.
    func mayPrint(_ message: String, at now: Double) -> Bool {
        guard now - (printed[message] ?? -1e9) > 60 else { return false }
        printed[message] = now
        return true
    }

    func status(argusPID: Int32, server: String, at now: Int64) -> ScriptStatusRecord {
        let stats = JSONValue.object(JSONObject(stats.sorted { $0.key < $1.key }.map { JSONMember($0.key, $0.value.json) }))
        return ScriptStatusRecord(
            script: name, path: spec.path, argusPID: argusPID, server: server, state: state.rawValue,
            lastError: lastError, hookStats: JSONWriter.string(stats), errorCount: errorCount,
            loadedAt: loadedAt, updatedAt: now)
    }
}
