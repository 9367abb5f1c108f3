import ArgusCore
import ArgusProxy
import ArgusReplay
import ArgusScripting
import ArgusSetup
import ArgusStore
import Foundation

/// The recording half of `argus wrap`'s options (idle timeout, redaction, sealing, scripts,
/// `--api`), which `argus proxy` shares.
struct RecordingFlags {
    var idleTimeout: Double?
    var redact: String?
    var noRedact = false
    var noSeal = false
    var api: String?
    var apiAllowRemote = false
    var scripts: [String] = []
    var scriptDirectories: [String] = []

    /// Fills in `options` from these flags and the configuration. `options.serverName` is set.
    func apply(to options: inout WrapOptions, config: Configuration) throws {
        options.idleTimeoutSeconds = idleTimeout ?? config.idleTimeoutSeconds ?? 60
        options.redactionEnabled = !noRedact && (config.redactionEnabled ?? true)
        options.extraRedactKeys = config.redactKeys + (redact ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        options.redactPatterns = try config.redactPatterns.map { try $0.compiled() }
        let environment = ProcessInfo.processInfo.environment
        if let api, let notifier = DashboardNotifier(apiURL: api, tokenPath: ArgusDatabase.argusHome(environment: environment) + "/token",
                                                     allowRemote: apiAllowRemote, report: StderrLog.write) {
            options.onCommit = { notifier.committed() }
            options.onFinish = { notifier.finish() }
        }
        if options.redactionEnabled && !noSeal && config.replaySeal != false {
            options.sealer = KeyFileSealer(path: SecretKeyFile.defaultPath(environment: environment), report: StderrLog.write)
        }
        let specs = try ScriptSetup.specs(config: config, scripts: scripts, directories: scriptDirectories)
        if !specs.isEmpty {
            let limits = ScriptSetup.limits(config)
            let webhooks = ScriptSetup.webhooks(config)
            let server = options.serverName ?? ServerNaming.defaultName(command: options.command, arguments: options.arguments)
            options.makeHooks = { writer in
                ScriptHost(specs: specs, options: ScriptHost.Options(server: server, argusPID: getpid(), limits: limits),
                           report: StderrLog.write, alertSink: webhooks.map { hooks in { hooks.send($0) } },
                           databaseRunID: { writer.databaseID(of: $0) })
            }
            let finishNotifier = options.onFinish
            options.onFinish = {
                webhooks?.finish()
                finishNotifier?()
            }
        }
    }
}
