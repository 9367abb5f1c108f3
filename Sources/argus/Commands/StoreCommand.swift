import ArgumentParser
import ArgusCore
import ArgusStore
import Foundation

struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Move recordings between stores: SQLite files and PostgreSQL databases.",
        subcommands: [StoreCopyCommand.self])
}

struct StoreCopyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy every recording of one store into another, empty one.",
        discussion: """
            Either side is a SQLite file or a postgres:// URL (password from ${VAR}, PGPASSWORD or ~/.pgpass): \
            a laptop's history into the team's store, or the team's store into a file for a bug report. Runs, \
            calls, messages, tool schemas, server logs, sealed originals, script outputs and statuses, faults \
            and recorder events keep their ids, so the target must hold no run yet; the copy is one \
            transaction on it, all or nothing. Requests to begin or end runs are not copied (they were meant \
            for wraps that have finished).
            """)

    @Option(help: ArgumentHelp("The store to copy from.", valueName: "path|url"))
    var from: String

    @Option(help: ArgumentHelp("The store to copy into (created if it is a file that does not exist).", valueName: "path|url"))
    var to: String

    func run() throws {
        let source = storeLocation(from), target = storeLocation(to)
        guard source != target else { throw CLIError("--from and --to are the same store: \(source)") }
        let summary: StoreCopy.Summary
        do {
            summary = try StoreCopy.copy(from: source, to: target)
        } catch {
            throw CLIError("\(error)")
        }
        let counted = summary.rows.filter { $0.count > 0 }.map { "\($0.table): \($0.count)" }
        print("copied \(counted.isEmpty ? "nothing (the source is empty)" : counted.joined(separator: ", ")) into \(target)")
    }
}
