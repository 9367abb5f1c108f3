import ArgusCore
import ArgusProxy
import ArgusScripting
import ArgusSetup
import Foundation

/// Turns `--faults FILE` and the config's `faults` section into the faults a wrap injects.
enum FaultSetup {
    /// The faults for a session with server `server`: the file's (it wins), else the config's
    /// unless `--no-faults`; nil when there are none, or the plan names other servers.
    static func options(file: String?, noFaults: Bool, config: Configuration, server: String) throws -> FaultOptions? {
        let plan: FaultPlan
        let origin: String
        if let file {
            let path = absolutePath(file)
            // Read as a stream, so `--faults <(…)` works too.
            guard let handle = FileHandle(forReadingAtPath: path), let data = try? handle.readToEnd() ?? Data() else {
                throw CLIError("cannot read the faults file \(file)")
            }
            do {
                plan = try FaultPlan.parse(
                    text: String(decoding: data, as: UTF8.self),
                    directory: (path as NSString).deletingLastPathComponent)
            } catch {
                throw CLIError("invalid faults file \(file): \(error)")
            }
            origin = file
        } else if let configured = config.faults, !noFaults {
            plan = configured
            origin = "the \"faults\" section of \(config.source ?? "the config")"
        } else {
            return nil
        }
        guard plan.applies(toServer: server) else {
            if file != nil {
                StderrLog.write(
                    "argus: no faults injected: \(origin) names the servers \(plan.servers.joined(separator: ", ")), "
                        + "not \(server)")
            }
            return nil
        }
        for script in plan.scripts where !FileManager.default.fileExists(atPath: script.path) {
            throw CLIError("fault script not found: \(script.path) (named by \(origin))")
        }
        var options = FaultOptions(plan: plan, origin: origin)
        if !plan.scripts.isEmpty {
            let limits = ScriptSetup.limits(config)
            options.makeHooks = {
                let scripts = FaultScripts(specs: plan.scripts, server: server, limits: limits, report: StderrLog.write)
                return scripts.isEmpty ? nil : scripts
            }
        }
        return options
    }
}
