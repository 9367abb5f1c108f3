import ArgumentParser
import ArgusCore
import ArgusStore
import Foundation

/// `--config`, and the lookup when it is not given: `$ARGUS_CONFIG`,
/// `./argus.config.json`, then `~/.argus/config.json`.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Configuration file (default: $ARGUS_CONFIG, ./argus.config.json, ~/.argus/config.json).",
                                            valueName: "path"))
    var config: String?

    /// The file that applies, if any.
    var path: String? {
        let environment = ProcessInfo.processInfo.environment
        if let config { return absolutePath(config) }
        if let fromEnvironment = environment["ARGUS_CONFIG"], !fromEnvironment.isEmpty { return absolutePath(fromEnvironment) }
        let local = FileManager.default.currentDirectoryPath + "/argus.config.json"
        if FileManager.default.fileExists(atPath: local) { return local }
        let home = ArgusDatabase.argusHome(environment: environment) + "/config.json"
        return FileManager.default.fileExists(atPath: home) ? home : nil
    }

    /// The parsed configuration (empty when there is no file). A named file that
    /// is missing, or any invalid file, is an error.
    func load() throws -> Configuration {
        guard let path else { return Configuration() }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIError("cannot read the configuration file \(path)")
        }
        do {
            return try Configuration.parse(String(decoding: data, as: UTF8.self), source: path,
                                           environment: ProcessInfo.processInfo.environment)
        } catch {
            throw CLIError("invalid configuration: \(error)")
        }
    }
}

extension Configuration {
    var home: String { NSHomeDirectory() }
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
