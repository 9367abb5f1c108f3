import ArgumentParser
import ArgusCore
import ArgusProxy
import ArgusSetup
import ArgusStore
import Foundation

/// `--config`, and the lookup when it is not given: `$ARGUS_CONFIG`, then `~/.argus/config.json`.
///
/// Never a file in the working directory: MCP clients start servers in the project
/// folder, so a cloned repository could otherwise redefine `servers.NAME` (code that
/// `argus wrap NAME` runs), turn redaction off, load scripts and add webhooks. Like
/// git's `safe.directory`, configuration that can run code comes only from places the
/// user chose.
struct ConfigOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "Configuration file (default: $ARGUS_CONFIG, else ~/.argus/config.json; "
                + "a file in the working directory is never read by itself).",
            valueName: "path"))
    var config: String?

    /// The file that applies, if any.
    var path: String? {
        let environment = ProcessInfo.processInfo.environment
        if let config { return absolutePath(config) }
        if let fromEnvironment = environment["ARGUS_CONFIG"], !fromEnvironment.isEmpty { return absolutePath(fromEnvironment) }
        let home = ArgusDatabase.argusHome(environment: environment) + "/config.json"
        return FileManager.default.fileExists(atPath: home) ? home : nil
    }

    /// `./argus.config.json` when it exists and is not the file that applies: earlier
    /// versions read it, so its owner deserves to know why it has no effect.
    var ignoredLocalFile: String? {
        let local = FileManager.default.currentDirectoryPath + "/argus.config.json"
        guard FileManager.default.fileExists(atPath: local), path != local else { return nil }
        return local
    }

    /// The parsed configuration (empty when there is no file). A named file that
    /// is missing, or any invalid file, is an error.
    func load() throws -> Configuration {
        if let ignoredLocalFile {
            StderrLog.write(
                "argus: note: ignoring \(ignoredLocalFile): configuration is read only from --config, $ARGUS_CONFIG "
                    + "or ~/.argus/config.json (pass --config \(ignoredLocalFile) if you trust it)")
        }
        guard let path else { return Configuration() }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError("cannot read the configuration file \(path)")
        }
        do {
            return try Configuration.parse(
                String(decoding: data, as: UTF8.self), source: path,
                environment: ProcessInfo.processInfo.environment)
        } catch {
            throw CLIError("invalid configuration: \(error)")
        }
    }

    /// For commands that only read recordings: a broken file is reported and the defaults
    /// are used, so `argus runs` still shows what happened (the runs a broken file left unrecorded above all).
    func loadForReading() -> Configuration {
        do {
            return try load()
        } catch {
            StderrLog.write("argus: warning: \(error); using the defaults (argus diagnose shows the problem)")
            return Configuration()
        }
    }
}

extension Configuration {
    var home: String { homeDirectory() }
}

/// A named server from the configuration, or nil when there is none by that name;
/// a variable it needs and lacks is an error that names it.
func serverOrFail(_ config: Configuration, _ name: String) throws -> Configuration.Server? {
    do {
        return try config.server(name)
    } catch {
        throw CLIError("cannot start server \(name): \(error)")
    }
}
