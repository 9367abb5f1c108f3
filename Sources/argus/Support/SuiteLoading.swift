import ArgusCore
import ArgusReplay
import Foundation

/// A suite file, read: its plan, and its JSON as written (which `argus test --update` edits in place).
struct LoadedSuite {
    var path: String
    var json: JSONValue
    var plan: ReplayPlan

    /// The suite's name for reports: the file name without its extension.
    var name: String { ((path as NSString).lastPathComponent as NSString).deletingPathExtension }

    static func read(_ suite: String) throws -> LoadedSuite {
        let value = try readJSONFile(suite, what: "suite")
        return LoadedSuite(path: absolutePath(suite), json: value, plan: try ReplayPlan.fromSuite(value, path: suite))
    }
}

/// A JSON file the user named (a suite, a scenario), parsed; errors say which file and where.
func readJSONFile(_ given: String, what: String) throws -> JSONValue {
    guard let data = FileManager.default.contents(atPath: absolutePath(given)) else { throw CLIError("cannot read the \(what) \(given)") }
    do {
        return try JSONParser.parse(Array(data))
    } catch {
        throw CLIError("\(given) is not valid JSON: \(error.described(in: String(decoding: data, as: UTF8.self)))")
    }
}
