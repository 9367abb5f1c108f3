import ArgusCore
import ArgusProxy
import ArgusReplay
import ArgusScripting
import ArgusSetup
import ArgusStore
import Foundation

import ArgumentParser

/// The recording half of `argus wrap`'s options (idle timeout, redaction, sealing, scripts,
/// `--api`, the exit flush), which `argus proxy` shares.
struct RecordingOptions: ParsableArguments {
    @Option(
        name: .customLong("idle-timeout"),
        help: ArgumentHelp("Start a new run after this many seconds without traffic (default 60).", valueName: "seconds"))
    var idleTimeout: Double?

    @Option(help: ArgumentHelp("Extra key names to redact, comma-separated (e.g. ssn,account_number).", valueName: "keys"))
    var redact: String?

    @Flag(name: .customLong("no-redact"), help: "Record everything as is (secrets included).")
    var noRedact = false

    @Flag(
        name: .customLong("no-seal"),
        help: "Do not keep encrypted originals of redacted values (replays of those calls then need them supplied).")
    var noSeal = false

    @Option(
        help: ArgumentHelp(
            "Also tell the dashboard at this URL when new calls are recorded (it notices them by itself; "
                + "for setups that push).", valueName: "url"))
    var api: String?

    @Flag(
        name: .customLong("api-allow-remote"),
        help: "Let --api send the dashboard token to a dashboard on another machine (by default only to this one).")
    var apiAllowRemote = false

    @Option(name: .customLong("script"), help: ArgumentHelp("A Lua script to run on every call (repeatable).", valueName: "file"))
    var scripts: [String] = []

    @Option(name: .customLong("scripts-dir"), help: ArgumentHelp("Run every .lua script in this directory.", valueName: "dir"))
    var scriptDirectories: [String] = []

    @Option(
        name: .customLong("flush-timeout"),
        help: ArgumentHelp(
            "At exit, how long to keep trying to write the last records to a busy or broken database.",
            valueName: "seconds"))
    var flushTimeout: Double = 10

    func validate() throws {
        if let idleTimeout, idleTimeout <= 0 { throw ValidationError("--idle-timeout must be positive") }
        if let api, !(api.hasPrefix("http://") || api.hasPrefix("https://")) {
            throw ValidationError("--api takes the dashboard's URL, e.g. http://127.0.0.1:3000")
        }
    }

    /// Fills in `options` from these flags and the configuration. `options.serverName` is set.
    func apply(to options: inout WrapOptions, config: Configuration) throws {
        options.flushTimeoutSeconds = flushTimeout
        options.idleTimeoutSeconds = idleTimeout ?? config.idleTimeoutSeconds ?? 60
        options.redactionEnabled = !noRedact && (config.redactionEnabled ?? true)
        options.extraRedactKeys =
            config.redactKeys
            + (redact ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        options.redactPatterns = try config.redactPatterns.map { try $0.compiled() }
        let environment = ProcessInfo.processInfo.environment
        if let api,
            let notifier = DashboardNotifier(
                apiURL: api, tokenPath: ArgusDatabase.argusHome(environment: environment) + "/token",
                allowRemote: apiAllowRemote, report: StderrLog.write)
        {
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
                ScriptHost(
                    specs: specs, options: ScriptHost.Options(server: server, argusPID: getpid(), limits: limits),
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
