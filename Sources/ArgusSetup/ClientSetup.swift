import ArgusCore
import ArgusSystem
import Foundation

/// An MCP client whose configuration `argus setup --client` writes.
public enum MCPClient: String, CaseIterable, Sendable {
    case claudeDesktop = "claude-desktop"
    case claudeCode = "claude-code"
    case codex
    case cursor
    case vscode

    public var displayName: String {
        switch self {
        case .claudeDesktop: return "Claude Desktop"
        case .claudeCode: return "Claude Code"
        case .codex: return "Codex"
        case .cursor: return "Cursor"
        case .vscode: return "VS Code"
        }
    }

    /// Where the client reads its MCP servers (user scope; Claude Code: this project's `.mcp.json`).
    public func configPath(home: String, environment: [String: String], currentDirectory: String) -> String {
        #if os(macOS)
        let appSupport = home + "/Library/Application Support"
        #else
        let appSupport = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.config"
        #endif
        switch self {
        case .claudeDesktop: return appSupport + "/Claude/claude_desktop_config.json"
        case .claudeCode: return currentDirectory + "/.mcp.json"
        case .codex: return (environment["CODEX_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.codex") + "/config.toml"
        case .cursor: return home + "/.cursor/mcp.json"
        case .vscode: return appSupport + "/Code/User/mcp.json"
        }
    }

}

/// The entry a client gets: run argus (by absolute path) wrapping the server.
public struct ClientEntry: Sendable, Equatable {
    public var name: String
    public var argusPath: String
    /// What follows `argus`: `["wrap", "github"]` or `["wrap", "--name", "x", "--", "docker", …]`.
    public var arguments: [String]
    /// Variables the server needs from the client's side (secrets, usually).
    public var environment: [String]
    /// Literal values to write for clients that cannot reference a variable (`--copy-env`).
    public var literalValues: [String: String] = [:]
    /// An HTTP entry instead: the client connects to this address (an `argus proxy`), and
    /// `argusPath`, `arguments` and `environment` are the proxy's business, not the client's.
    public var url: String?

    public init(name: String, argusPath: String, arguments: [String], environment: [String]) {
        self.name = name
        self.argusPath = argusPath
        self.arguments = arguments
        self.environment = environment
    }

    /// The `env` object for JSON clients.
    func jsonEnvironment(for client: MCPClient) -> JSONValue? {
        guard !environment.isEmpty else { return nil }
        return .object(
            JSONObject(
                environment.map { name in
                    let value: String
                    switch client {
                    case .claudeDesktop, .codex: value = literalValues[name] ?? "<set \(name) here>"
                    case .claudeCode: value = "${\(name)}"
                    case .cursor: value = "${env:\(name)}"
                    case .vscode: value = "${input:\(Self.inputID(name))}"
                    }
                    return JSONMember(name, .string(value))
                }))
    }

    static func inputID(_ name: String) -> String { "argus-" + name.lowercased().replacing("_", with: "-") }

    /// The server entry as the client's JSON format has it.
    func jsonServer(for client: MCPClient) -> JSONValue {
        var o: JSONObject = [:]
        if let url {
            // Claude Code and VS Code name the transport; Cursor infers it from `url`.
            if client == .vscode || client == .claudeCode { o["type"] = "http" }
            o["url"] = .string(url)
            return .object(o)
        }
        if client == .vscode || client == .claudeCode { o["type"] = "stdio" }
        o["command"] = .string(argusPath)
        o["args"] = .array(arguments.map(JSONValue.string))
        if let env = jsonEnvironment(for: client) { o["env"] = env }
        return .object(o)
    }
}

/// Writes a client entry into a client's configuration file, leaving everything else as it was.
public enum ClientSetup {
    public struct Result: Sendable {
        /// The whole new file.
        public var text: String
        /// False when the file already had exactly this entry.
        public var changed: Bool
    }

    public struct SetupError: Error, CustomStringConvertible, Sendable {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// What to paste by hand: the entry in the client's format.
    public static func snippet(_ entry: ClientEntry, for client: MCPClient) -> String {
        switch client {
        case .codex:
            return CodexTOML.table(entry)
        case .claudeCode:
            var json = JSONWriter.string(["mcpServers": [entry.name: entry.jsonServer(for: client)]], pretty: true)
            if let url = entry.url { return json + "\n\n# or: claude mcp add --transport http \(shellQuoted([entry.name, url]))" }
            let env = entry.environment.map { "-e \($0)=\"$\($0)\" " }.joined()
            json += "\n\n# or: claude mcp add \(entry.name) \(env)-- \(shellQuoted([entry.argusPath] + entry.arguments))"
            return json
        case .vscode:
            var root: JSONObject = ["servers": [entry.name: entry.jsonServer(for: client)]]
            if !entry.environment.isEmpty, entry.url == nil { root["inputs"] = .array(vscodeInputs(entry)) }
            return JSONWriter.string(.object(root), pretty: true)
        case .claudeDesktop, .cursor:
            return JSONWriter.string(["mcpServers": [entry.name: entry.jsonServer(for: client)]], pretty: true)
        }
    }

    static func vscodeInputs(_ entry: ClientEntry) -> [JSONValue] {
        entry.environment.map { name in
            [
                "type": "promptString", "id": .string(ClientEntry.inputID(name)), "description": .string("\(name) for \(entry.name)"),
                "password": true,
            ]
        }
    }

    /// The client's file with the entry added or replaced. `existing` is the file's text, nil when there is none.
    public static func merge(_ entry: ClientEntry, for client: MCPClient, into existing: String?, path: String) throws -> Result {
        if client == .codex { return try CodexTOML.merge(entry, into: existing ?? "") }
        var root: JSONObject = [:]
        if let existing, !existing.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            guard case .object(let object) = try parse(existing, path: path) else {
                throw SetupError("\(path) is not a JSON object; add the entry by hand:\n\n\(snippet(entry, for: client))")
            }
            root = object
        }
        let before = JSONValue.object(root)
        let key = client == .vscode ? "servers" : "mcpServers"
        var servers = root[key]?.objectValue ?? JSONObject()
        if root[key] != nil, root[key]?.objectValue == nil { throw SetupError("\(path): \"\(key)\" is not an object") }
        servers[entry.name] = entry.jsonServer(for: client)
        root[key] = .object(servers)
        if client == .vscode, !entry.environment.isEmpty, entry.url == nil {
            var inputs = root["inputs"]?.arrayValue ?? []
            for input in vscodeInputs(entry) where !inputs.contains(where: { $0["id"] == input["id"] }) { inputs.append(input) }
            root["inputs"] = .array(inputs)
        }
        let after = JSONValue.object(root)
        let text = JSONWriter.string(after, pretty: true) + "\n"
        return Result(text: text, changed: existing == nil || !before.sameValue(as: after) || !sameOrder(before, after))
    }

    static func parse(_ text: String, path: String) throws -> JSONValue {
        do {
            return try JSONParser.parse(text)
        } catch {
            throw SetupError("cannot read \(path) as JSON (\(error.described(in: text))); if it has comments, add the entry by hand")
        }
    }

    static func sameOrder(_ a: JSONValue, _ b: JSONValue) -> Bool { JSONWriter.string(a) == JSONWriter.string(b) }

    /// Writes `text` to `path`, keeping a copy of the previous file next to it. Returns the backup's path.
    ///
    /// Symbolic links are followed (dotfile managers link these files), but never out of
    /// `confinedTo`: a project's own file (Claude Code's `.mcp.json`) is written only inside
    /// the project, so a link planted in a cloned repository cannot aim the write at
    /// `~/.bashrc`. A new file (a dangling link's target too) is 0600, the backup as well; an
    /// existing file keeps its mode, narrowed to its owner when `secret` (values written by
    /// `--copy-env`). No mode is ever widened.
    @discardableResult
    public static func write(
        _ text: String, to path: String, confinedTo directory: String? = nil, secret: Bool = false,
        now: Date = Date()
    ) throws -> String? {
        let manager = FileManager.default
        let target = try self.target(of: path, confinedTo: directory)
        let parent = (target as NSString).deletingLastPathComponent
        var backup: String?
        if let previous = manager.contents(atPath: target) {
            let stamp = ISO8601DateFormatter().string(from: now).replacing(":", with: "")
            var candidate = "\(target).argus-backup-\(stamp)"
            var n = 1
            while manager.fileExists(atPath: candidate) {  // two changes within a second
                n += 1
                candidate = "\(target).argus-backup-\(stamp)-\(n)"
            }
            do {
                try PrivateFile.write(path: candidate, contents: Array(previous))
            } catch {
                throw SetupError("cannot back up \(target) before changing it: \(error.description)")
            }
            backup = candidate
        } else if !manager.fileExists(atPath: parent) {
            try manager.createDirectory(atPath: parent, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        do {
            try PrivateFile.write(path: target, contents: Array(text.utf8), secret: secret)
        } catch {
            throw SetupError(error.description)
        }
        return backup
    }

    /// The file that writing `path` changes: links followed, and refused when they lead out of `directory`.
    /// Read the current file through this too, so a refused link is not even read.
    public static func target(of path: String, confinedTo directory: String?) throws -> String {
        let target: String
        do {
            target = try PrivateFile.resolvingLinks(path)
        } catch {
            throw SetupError(error.description)
        }
        guard let directory else { return target }
        let root = PrivateFile.canonicalDirectory(directory) ?? directory
        let parent = (target as NSString).deletingLastPathComponent
        guard let real = PrivateFile.canonicalDirectory(parent), real == root || real.hasPrefix(root + "/") else {
            throw SetupError(
                "\(path) leads to \(target), outside \(directory); refusing to write there "
                    + "(remove the link, or pass --client-config with the file you mean)")
        }
        return target
    }

    public static func shellQuoted(_ words: [String]) -> String {
        words.map { word in
            word.allSatisfy({ $0.isLetter || $0.isNumber || "-_./:=@%+,".contains($0) }) && !word.isEmpty
                ? word : "'" + word.replacing("'", with: "'\\''") + "'"
        }.joined(separator: " ")
    }
}
