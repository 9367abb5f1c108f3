import ArgumentParser
import ArgusCore
import ArgusSetup
import ArgusStore
import Foundation

/// `--db`, shared by every command that reads or writes recordings.
struct DatabaseOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "SQLite database file, or a shared PostgreSQL store as postgres://user@host:5432/db?sslmode=prefer (password from ${VAR}, PGPASSWORD or ~/.pgpass) (default: $ARGUS_DB or ~/.argus/argus.db).",
            valueName: "path|url"))
    var db: String?

    var path: String {
        if let db { return storeLocation(db) }
        return storeLocation(ArgusDatabase.defaultPath(environment: ProcessInfo.processInfo.environment))
    }

    /// `--db`, else `$ARGUS_DB`, else the config's `database`, else `~/.argus/argus.db`.
    func path(_ config: Configuration) -> String {
        if db != nil || ProcessInfo.processInfo.environment["ARGUS_DB"].map({ !$0.isEmpty }) == true { return path }
        return config.database.map { StoreBackends.isExternal($0) ? $0 : config.resolve($0, home: config.home) } ?? path
    }

    /// Opens for reading, turning store errors into a clean CLI failure.
    func reader(_ config: Configuration? = nil) throws -> any ArgusReader {
        do {
            return try ArgusDatabase.reader(path: config.map(path) ?? path)
        } catch {
            throw CLIError("\(error)")
        }
    }
}

/// A SQLite file's absolute path; a store URL (postgres://…) as it is.
func storeLocation(_ location: String) -> String {
    StoreBackends.isExternal(location) ? location : absolutePath(location)
}

func absolutePath(_ path: String) -> String {
    if path.hasPrefix("/") { return path }
    if path == "~" { return homeDirectory() }
    if path.hasPrefix("~/") { return homeDirectory() + String(path.dropFirst(1)) }
    return FileManager.default.currentDirectoryPath + "/" + path
}

/// `$HOME`, as a shell has it (Foundation's `NSHomeDirectory()` reads the password
/// database instead, so `HOME=/elsewhere argus …` would be ignored); the account's
/// home only when `$HOME` is not set.
func homeDirectory() -> String {
    if let home = ProcessInfo.processInfo.environment["HOME"], !home.isEmpty { return home }
    return NSHomeDirectory()
}

/// An error whose text is the whole message for the user.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
