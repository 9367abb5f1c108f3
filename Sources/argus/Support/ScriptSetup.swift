import ArgusCore
import ArgusProxy
import ArgusScripting
import ArgusSetup
import ArgusStore
import Foundation

/// Turns configuration and flags into the scripts a process runs.
enum ScriptSetup {
    /// Scripts from the config file, `--script` flags and scripts directories, in that order.
    static func specs(config: Configuration, scripts: [String], directories: [String]) throws -> [ScriptSpec] {
        var specs: [ScriptSpec] = []
        for script in config.scripts {
            var spec = ScriptSpec(
                path: config.resolve(script.path, home: config.home), config: script.config,
                priority: script.priority)
            if let match = script.match {
                do {
                    spec.match = try ScriptMatch(json: match)
                } catch {
                    throw CLIError("invalid configuration: \(config.source ?? ""): scripts: \(error)")
                }
            }
            specs.append(spec)
        }
        for path in scripts { specs.append(ScriptSpec(path: absolutePath(path))) }
        var dirs = directories.map(absolutePath)
        if let dir = config.scriptsDirectory { dirs.append(config.resolve(dir, home: config.home)) }
        for dir in dirs {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir) else {
                throw CLIError("cannot read the scripts directory \(dir)")
            }
            for name in names.sorted() where name.hasSuffix(".lua") && !specs.contains(where: { $0.path == dir + "/" + name }) {
                specs.append(ScriptSpec(path: dir + "/" + name))
            }
        }
        for spec in specs where !FileManager.default.fileExists(atPath: spec.path) {
            throw CLIError("script not found: \(spec.path)")
        }
        return specs
    }

    static func limits(_ config: Configuration) -> ScriptLimits {
        var limits = ScriptLimits()
        let values = config.scriptLimits
        if let v = values.memoryMB { limits.memoryBytes = Int(v * 1024 * 1024) }
        if let v = values.instructions { limits.instructions = v }
        if let v = values.timeMillis { limits.timeMillis = v }
        if let v = values.patternSteps { limits.patternSteps = v }
        if let v = values.maxErrors { limits.maxErrors = v }
        if let v = values.errorWindowSeconds { limits.errorWindowSeconds = v }
        if let v = values.logsPerMinute { limits.logsPerMinute = v }
        return limits
    }

    static func webhooks(_ config: Configuration) -> AlertWebhooks? {
        let urls = config.alertWebhooks.compactMap(URL.init(string:))
        return urls.isEmpty ? nil : AlertWebhooks(urls: urls, report: StderrLog.write)
    }
}
