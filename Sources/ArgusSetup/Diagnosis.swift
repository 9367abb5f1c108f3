import ArgusCore
import ArgusProxy
import ArgusScripting
import ArgusStore
import ArgusSystem
import Foundation

/// `argus diagnose`: what a user (or whoever helps them) needs to know when
/// something does not work — versions, configuration, database, the last runs
/// and why they ended, servers, scripts, secrets' files, the dashboard.
public struct Diagnosis: Sendable {
    public enum Status: String, Sendable { case ok, warning, failed, info }

    public struct Check: Sendable {
        public var section: String
        public var status: Status
        public var title: String
        /// Further lines: the stderr of a failed server, what to do.
        public var details: [String] = []

        public init(section: String, status: Status, title: String, details: [String] = []) {
            self.section = section
            self.status = status
            self.title = title
            self.details = details
        }

        public var json: JSONValue {
            [
                "section": .string(section), "status": .string(status.rawValue), "title": .string(title),
                "details": .array(details.map(JSONValue.string)),
            ]
        }
    }

    public struct Inputs: Sendable {
        public var version: String
        public var configPath: String?
        /// The configuration, or why it could not be read.
        public var config: Result<Configuration, ConfigProblem>
        public var databasePath: String
        public var argusHome: String
        public var environment: [String: String]
        public var dashboardPort: Int
        /// `./argus.config.json` when there is one that is not read (configuration never comes from the working directory).
        public var ignoredLocalConfig: String?
        /// The checks of a shared store's backend, when `databasePath` is one (a `postgres://` URL).
        public var externalStoreChecks: [Check] = []

        public init(
            version: String, configPath: String?, config: Result<Configuration, ConfigProblem>, databasePath: String,
            argusHome: String, environment: [String: String], dashboardPort: Int, ignoredLocalConfig: String? = nil
        ) {
            self.ignoredLocalConfig = ignoredLocalConfig
            self.version = version
            self.configPath = configPath
            self.config = config
            self.databasePath = databasePath
            self.argusHome = argusHome
            self.environment = environment
            self.dashboardPort = dashboardPort
        }
    }

    public struct ConfigProblem: Error, Sendable {
        public var message: String
        public init(_ message: String) { self.message = message }
    }

    public private(set) var checks: [Check] = []

    public var failed: Bool { checks.contains { $0.status == .failed } }

    public var json: JSONValue {
        ["ok": .bool(!failed), "checks": .array(checks.map(\.json))]
    }

    public static func run(_ inputs: Inputs) -> Diagnosis {
        var d = Diagnosis()
        d.versions(inputs)
        let config = d.configuration(inputs)
        let reader: (any ArgusReader)?
        if StoreBackends.isExternal(inputs.databasePath) {
            // A shared store (PostgreSQL): checked by its backend, which the command links; the
            // last runs are read as from a file when it could be reached.
            d.checks += inputs.externalStoreChecks
            reader =
                inputs.externalStoreChecks.contains { $0.status == .failed } ? nil : try? ArgusDatabase.reader(path: inputs.databasePath)
        } else {
            reader = d.database(inputs)
        }
        if let reader { d.lastRuns(reader) }
        if let config { d.servers(config, environment: inputs.environment) }
        d.scripts(config, reader: reader, home: inputs.environment["HOME"] ?? NSHomeDirectory())
        d.telemetry(config, reader: reader, environment: inputs.environment)
        d.secrets(inputs)
        d.dashboard(inputs)
        return d
    }

    mutating func add(_ section: String, _ status: Status, _ title: String, _ details: [String] = []) {
        checks.append(Check(section: section, status: status, title: title, details: details))
    }

    // MARK: checks

    mutating func versions(_ inputs: Inputs) {
        add("versions", .info, "argus \(inputs.version), SQLite \(SQLiteConnection.libraryVersion), \(LuaScript.release)")
    }

    mutating func configuration(_ inputs: Inputs) -> Configuration? {
        if let local = inputs.ignoredLocalConfig {
            add(
                "config", .info, "\(local) is not read",
                [
                    "configuration comes only from --config, $ARGUS_CONFIG or ~/.argus/config.json, never from the working directory "
                        + "(a cloned project could otherwise run code through it); pass --config \(local) if you trust it"
                ])
        }
        guard let path = inputs.configPath else {
            add(
                "config", .info, "no configuration file (looked for $ARGUS_CONFIG, ~/.argus/config.json)",
                ["`argus setup --init` writes a starting one"])
            return Configuration()
        }
        switch inputs.config {
        case .success(let config):
            let servers = config.servers.keys.sorted()
            add(
                "config", .ok, "configuration \(path) is valid",
                [
                    "\(servers.count) server\(servers.count == 1 ? "" : "s")\(servers.isEmpty ? "" : ": " + servers.joined(separator: ", ")), "
                        + "\(config.scripts.count) script\(config.scripts.count == 1 ? "" : "s")"
                ])
            return config
        case .failure(let problem):
            add(
                "config", .failed, "configuration \(path) is invalid",
                [
                    problem.message,
                    "until it is fixed, `argus wrap -- …` relays sessions without recording them, and `argus wrap NAME` cannot start NAME",
                ])
            return nil
        }
    }

    mutating func database(_ inputs: Inputs) -> (any ArgusReader)? {
        let path = inputs.databasePath
        guard FileManager.default.fileExists(atPath: path) else {
            if let reason = ArgusDatabase.unwritableReason(path: path) {
                add(
                    "database", .failed, "no database at \(path), and argus cannot create one there: \(reason)",
                    ["`argus wrap` relays sessions but records nothing; pass --db with a writable path (in the client's entry too)"])
            } else {
                add(
                    "database", .warning, "no database at \(path) yet",
                    ["it is created by the first `argus wrap`; check that your client's config and this shell use the same --db / ARGUS_DB"]
                )
            }
            return nil
        }
        let reader: any ArgusReader
        let counts: (runs: Int, calls: Int, messages: Int)
        do {
            reader = try ArgusDatabase.reader(path: path)
            counts = try reader.counts()
        } catch {
            var details = ["\(error)"]
            let directory = (path as NSString).deletingLastPathComponent
            if access(directory, W_OK) != 0 {
                details.append(
                    "\(directory) is not writable: SQLite needs to create \((path as NSString).lastPathComponent)-wal and -shm "
                        + "next to the database, so recording cannot work there either; move it or fix the permissions")
            }
            add("database", .failed, "the database at \(path) cannot be read", details)
            return nil
        }
        if let reason = ArgusDatabase.unwritableReason(path: path) {
            add(
                "database", .failed, "\(path) is not writable (\(reason)): recording will pause until it is",
                ["check the permissions of the file and of its directory, or pass --db with a writable path"])
        } else {
            add("database", .ok, "\(path) is writable")
        }
        let journal = (try? reader.journalMode()) ?? "?"
        let schema = (try? reader.schemaVersion()) ?? 0
        let size = Self.fileSize(path) + Self.fileSize(path + "-wal")
        add(
            "database", journal.lowercased() == "wal" ? .ok : .warning,
            "journal mode \(journal), schema version \(schema) (this argus: \(Schema.currentVersion)), \(Self.megabytes(size))",
            ["\(counts.runs) runs, \(counts.calls) calls, \(counts.messages) messages"]
                + (journal.lowercased() == "wal" ? [] : ["WAL lets many argus processes write at once; the next `argus wrap` sets it"]))
        return reader
    }

    mutating func lastRuns(_ reader: any ArgusReader) {
        // The last real sessions: replays and tests are the user's own experiments, not the client's.
        guard let runs = try? reader.runs(limit: 5, excludeReplays: true), !runs.isEmpty else {
            add("runs", .info, "no runs recorded yet")
            return
        }
        for run in runs {
            let when = TimeFormat.iso8601(micros: run.startedAt)
            let reason = run.endReason?.rawValue.replacing("_", with: " ") ?? "still running"
            let title =
                "run \(run.id) \(run.serverName) (\(when)): \(reason)"
                + (run.exitStatus.map { " (exit \($0))" } ?? "") + ", \(run.callCount) calls, \(run.errorCount) errors"
            var details: [String] = []
            if let problem = run.recordingError {
                add(
                    "runs", .failed, title + ", not recorded", [problem, "its traffic was relayed but not recorded; fix the configuration"])
                continue
            }
            if let detail = run.endDetail { details.append(detail) }
            if let tail = run.stderrTail, !tail.isEmpty {
                details.append("server stderr (last lines):")
                details += tail.split(separator: "\n").suffix(5).map { "  " + $0 }
            }
            let bad = [.serverFailedToStart, .serverExited, .clientGone].contains(run.endReason)
            let unhappy = !bad && run.endReason != .idle && (run.exitStatus ?? 0) != 0  // closed by the client, but the server failed
            add("runs", bad ? .failed : unhappy ? .warning : .ok, title, bad || unhappy ? details : [])
        }
    }

    mutating func servers(_ config: Configuration, environment: [String: String]) {
        for name in config.servers.keys.sorted() {
            guard let server = config.servers[name] else { continue }
            if let problem = server.problems.first {
                add(
                    "servers", .failed, "server \(name): \(problem.message)",
                    ["set it in the environment of whatever starts argus (the MCP client's env)"])
                continue
            }
            // The lookup `argus wrap` does when it starts the server.
            do {
                let path = try ChildProcess.resolve(server.command, searchPath: server.env["PATH"] ?? environment["PATH"] ?? "")
                add("servers", .ok, "server \(name): \(server.command) → \(path)")
            } catch .commandNotFound {
                add(
                    "servers", .failed, "server \(name): \(server.command) is not found on PATH",
                    ["desktop clients start servers with a short PATH: use an absolute path in the config"])
            } catch {
                add("servers", .failed, "server \(name): \(error)")
            }
        }
    }

    mutating func scripts(_ config: Configuration?, reader: ArgusReader?, home: String) {
        for script in config?.scripts ?? [] {
            let path = config.map { $0.resolve(script.path, home: home) } ?? script.path
            guard let source = try? String(contentsOfFile: path, encoding: .utf8) else {
                add("scripts", .failed, "script \(path) cannot be read")
                continue
            }
            guard let lua = LuaScript() else { continue }
            let loaded = lua.load(source: source, name: (path as NSString).lastPathComponent)
            if let error = loaded.error {
                add("scripts", .failed, "script \(path) does not load", [error])
            } else {
                add("scripts", .ok, "script \(path) loads")
            }
        }
        guard let statuses = try? reader?.scriptStatuses() else { return }
        var seen: Set<String> = []
        for status in statuses where seen.insert(status.script).inserted {  // the latest report per script
            let failing = status.state != "active"
            add(
                "scripts", failing ? .warning : .ok,
                "script \(status.script) was \(status.state) in argus \(status.argusPID) for \(status.server) (\(status.errorCount) errors)",
                status.lastError.map { [$0] } ?? [])
        }
    }

    mutating func secrets(_ inputs: Inputs) {
        for (file, purpose) in [("secret.key", "seals redacted values for replay"), ("token", "guards the dashboard's changes")] {
            let path = inputs.argusHome + "/" + file
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else {
                add("secrets", .info, "\(path) does not exist yet (it \(purpose); created on first use)")
                continue
            }
            let mode = (attributes[.posixPermissions] as? Int) ?? 0
            if mode & 0o077 != 0 {
                add("secrets", .failed, "\(path) is readable by others (mode \(String(mode, radix: 8)))", ["chmod 600 \(path)"])
            } else {
                add("secrets", .ok, "\(path) is private (mode \(String(mode, radix: 8)))")
            }
        }
    }

    mutating func dashboard(_ inputs: Inputs) {
        let port = inputs.dashboardPort
        guard let health = Self.httpGet(port: port, path: "/api/health"), let json = try? JSONParser.parse(health) else {
            add("dashboard", .info, "no dashboard on 127.0.0.1:\(port) (start one with `argus dashboard`)")
            return
        }
        let database = json["database"]?.stringValue ?? "?"
        let same = database == inputs.databasePath
        add(
            "dashboard", same ? .ok : .warning, "dashboard \(json["version"]?.stringValue ?? "?") at http://127.0.0.1:\(port)/",
            same ? [] : ["it shows \(database), not \(inputs.databasePath)"])
    }

    // MARK: helpers

    static func fileSize(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
    }

    static func megabytes(_ bytes: Int) -> String {
        bytes < 1 << 20 ? "\(bytes / 1024) KiB" : String(format: "%.1f MiB", Double(bytes) / 1_048_576)
    }

    /// A GET on loopback with a short timeout (no HTTP library: argus does not load one).
    static func httpGet(port: Int, path: String) -> String? {
        guard let fd = Loopback.connect(port: port, timeoutSeconds: 1) else { return nil }
        defer { close(fd) }
        let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n"
        guard request.withCString({ send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }) > 0 else { return nil }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 8192)
        while response.count < 1 << 20 {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            response += buffer[0..<n]
        }
        let text = String(decoding: response, as: UTF8.self)
        guard text.hasPrefix("HTTP/1.1 200"), let body = text.range(of: "\r\n\r\n") else { return nil }
        return String(text[body.upperBound...])
    }
}
