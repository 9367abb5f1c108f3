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
        let path = absolutePath(suite)
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("cannot read the suite \(suite)") }
        let value: JSONValue
        do {
            value = try JSONParser.parse(Array(data))
        } catch {
            throw CLIError("\(suite) is not valid JSON: \(error)")
        }
        return LoadedSuite(path: path, json: value, plan: try ReplayPlan.fromSuite(value, path: suite))
    }
}
