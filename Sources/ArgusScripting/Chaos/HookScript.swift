import ArgusCore
import Foundation

/// One user script loaded for a single hook that runs outside the recorder: `fault` on the
/// relay path, `verdict` in `argus verdict`. Loaded once (no hot reload), switched off after
/// `limits.maxErrors` errors, like the recorder's scripts.
final class HookScript {
    let name: String
    let manifest: ScriptManifest
    private let lua: LuaScript
    private let hook: String
    private let maxErrors: Int
    private(set) var errors = 0

    private init(name: String, manifest: ScriptManifest, lua: LuaScript, hook: String, maxErrors: Int) {
        self.name = name
        self.manifest = manifest
        self.lua = lua
        self.hook = hook
        self.maxErrors = maxErrors
    }

    /// Loads the script and runs its `init`; an error says what is wrong (unreadable, a syntax
    /// error, no such hook, a bad config).
    static func load(_ spec: ScriptSpec, hook: String, limits: ScriptLimits) throws(ScriptLoadError) -> HookScript {
        guard let source = try? String(contentsOfFile: spec.path, encoding: .utf8) else {
            throw ScriptLoadError("cannot read \(spec.path)")
        }
        guard let lua = LuaScript(limits: limits) else { throw ScriptLoadError("cannot create a Lua state") }
        let fileName = spec.path.split(separator: "/").last.map(String.init) ?? spec.path
        let loaded = lua.load(source: source, name: fileName)
        guard loaded.status == .ok else { throw ScriptLoadError(ScriptErrors.firstLine(loaded.error ?? "failed to load")) }
        let manifest = try ScriptManifest(loaded: loaded.value, spec: spec)
        guard manifest.hooks.contains(hook) else { throw ScriptLoadError(missingHook(hook)) }
        let initialized = lua.initialize(config: try manifest.resolveConfig(spec.config))
        guard initialized.status == .ok else {
            throw ScriptLoadError("init failed: " + ScriptErrors.firstLine(initialized.error ?? "?"))
        }
        return HookScript(name: manifest.name, manifest: manifest, lua: lua, hook: hook, maxErrors: limits.maxErrors)
    }

    /// The error of a script that does not define the hook.
    static func missingHook(_ hook: String) -> String { "defines no \(hook) hook" }

    var isSwitchedOff: Bool { errors >= maxErrors }

    /// Calls the hook; a failure is counted and its message returned (nil on success).
    func call(record: LuaRecord, requestBody: String?, responseBody: String?, context: LuaRecord)
        -> (outcome: HookOutcome, error: String?)
    {
        let outcome = lua.call(hook, record: record, requestBody: requestBody, responseBody: responseBody, context: context)
        switch outcome.status {
        case .ok, .missing: return (outcome, nil)
        case .error, .limit:
            errors += 1
            let message = ScriptErrors.firstLine(outcome.error ?? "failed")
            return (outcome, isSwitchedOff ? message + " (switched off after \(errors) errors)" : message)
        }
    }
}
