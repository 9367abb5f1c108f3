import ArgumentParser
import ArgusCore
import ArgusScripting
import Foundation

struct ScriptTest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run the fixture tests of scripts (*.test.json) and report what passed.",
        discussion: """
            PATH is a .test.json file, a .lua script (its NAME.test.json next to it), or a directory \
            (every *.test.json in it). Each test file names its script and lists cases: calls (as exported \
            by `argus calls --json`) and what the script must have produced — stored params and results, \
            strings that must (not) be stored, drops, alerts, metrics, logs, mutated replay params. \
            See Docs/LUA.md. Exits 1 when any case fails.
            """)

    @Argument(help: ArgumentHelp("Test files, scripts or directories (default: the current directory).", valueName: "path"))
    var paths: [String] = ["."]

    func run() throws {
        var files: [String] = []
        for path in paths.map(absolutePath) {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw CLIError("no such file or directory: \(path)")
            }
            if isDirectory.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                files += names.filter { $0.hasSuffix(".test.json") }.sorted().map { path + "/" + $0 }
            } else if path.hasSuffix(".lua") {
                let test = String(path.dropLast(4)) + ".test.json"
                guard FileManager.default.fileExists(atPath: test) else { throw CLIError("no fixture file \(test) for \(path)") }
                files.append(test)
            } else {
                files.append(path)
            }
        }
        if files.isEmpty { throw CLIError("no *.test.json files found in \(paths.joined(separator: ", "))") }
        var total = 0, failed = 0
        for file in files {
            let test: ScriptTestFile
            do {
                test = try ScriptTestFile.load(file)
            } catch {
                print("✗ \(file): \(error)")
                failed += 1
                total += 1
                continue
            }
            print("\(Self.relative(file)) (\(Self.relative(test.script)))")
            for (name, failures) in test.run() {
                total += 1
                if failures.isEmpty {
                    print("  ✓ \(name)")
                } else {
                    failed += 1
                    print("  ✗ \(name)")
                    for failure in failures { print("      \(failure)") }
                }
            }
        }
        print("\n\(total) cases, \(failed) failed")
        if failed > 0 { throw ExitCode(1) }
    }

    static func relative(_ path: String) -> String {
        let cwd = FileManager.default.currentDirectoryPath + "/"
        return path.hasPrefix(cwd) ? String(path.dropFirst(cwd.count)) : path
    }
}
