import ArgusProxy
import Foundation

/// The server command as an MCP client will start it. Desktop clients are started by
/// the desktop, not by a shell: they run argus in their own directory with the session's
/// short PATH, so `uvx` from `~/.local/bin` or `./server.py` is not found there.
/// `argus setup` therefore writes the command by the absolute path this shell finds,
/// and warns about what it cannot fix that way (a script whose interpreter is only on
/// this shell's PATH, a command it cannot find at all).
public enum ClientCommand {
    /// The PATH a desktop client has when it is not started from a terminal (systemd's
    /// default for a user session; launchd's on macOS).
    #if os(macOS)
    public static let desktopPath = "/usr/bin:/bin:/usr/sbin:/sbin"
    #else
    public static let desktopPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    #endif

    public struct Resolved: Sendable, Equatable {
        /// What to write in the entry: an absolute path when one was found.
        public var command: String
        /// What the user should know, one sentence each.
        public var warnings: [String]
    }

    public static func resolve(
        _ command: String, searchPath: String, currentDirectory: String,
        desktopPath: String = desktopPath
    ) -> Resolved {
        if command.hasPrefix("/") {
            return Resolved(command: command, warnings: interpreterWarnings(command, desktopPath: desktopPath))
        }
        if command.contains("/") {
            // ./server.py is relative to this directory; the client starts argus somewhere else.
            let absolute = currentDirectory + "/" + command
            guard FileManager.default.isExecutableFile(atPath: absolute) else {
                return Resolved(command: absolute, warnings: ["\(absolute) is not an executable file"])
            }
            return Resolved(command: absolute, warnings: interpreterWarnings(absolute, desktopPath: desktopPath))
        }
        guard let path = try? ChildProcess.resolve(command, searchPath: searchPath) else {
            return Resolved(
                command: command,
                warnings: [
                    "\(command) is not on this shell's PATH, so the client will not find it either; give its absolute path"
                ])
        }
        let absolute = path.hasPrefix("/") ? path : currentDirectory + "/" + path
        return Resolved(command: absolute, warnings: interpreterWarnings(absolute, desktopPath: desktopPath))
    }

    /// A script started through `#!/usr/bin/env NAME` needs NAME on the client's PATH.
    static func interpreterWarnings(_ path: String, desktopPath: String) -> [String] {
        guard let interpreter = envInterpreter(path), (try? ChildProcess.resolve(interpreter, searchPath: desktopPath)) == nil else {
            return []
        }
        return [
            "\(path) runs `\(interpreter)` through /usr/bin/env, and a desktop client's PATH (\(desktopPath)) has no "
                + "\(interpreter): pass --env PATH (with --copy-env for Claude Desktop and Codex) so the server gets this shell's PATH"
        ]
    }

    /// `node` for a file starting `#!/usr/bin/env node` (or `#!/usr/bin/env -S node --flag`).
    static func envInterpreter(_ path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 256)) ?? Data()
        guard head.starts(with: Array("#!".utf8)) else { return nil }
        let line = String(decoding: head.prefix { $0 != 0x0A }.dropFirst(2), as: UTF8.self)
        let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard let program = words.first, (program as NSString).lastPathComponent == "env" else { return nil }
        return words.dropFirst().first { !$0.hasPrefix("-") && !$0.contains("=") }
    }
}
