import ArgusCore

/// `argus.config.json`: everything an installation can set. Parsing is strict:
/// an unknown or mistyped field is an error naming its path, so a typo never
/// silently turns a feature off.
public struct Configuration: Sendable, Equatable {
    public struct RedactionPattern: Sendable, Equatable {
        public var name: String
        public var regex: String

        /// The compiled pattern (the configuration was validated, so this does not fail for parsed ones).
        public func compiled() throws -> ValuePattern { try ValuePattern(name: name, pattern: regex) }
    }

    public struct Script: Sendable, Equatable {
        public var path: String
        public var config: JSONValue = [:]
        public var priority: Int?
        public var match: JSONValue?
    }

    public struct ScriptLimitValues: Sendable, Equatable {
        public var memoryMB: Double?
        public var instructions: Int?
        public var timeMillis: Double?
        public var patternSteps: Int?
        public var maxErrors: Int?
        public var errorWindowSeconds: Double?
        public var logsPerMinute: Int?
    }

    public struct Server: Sendable, Equatable {
        /// Empty for a remote server (`url`).
        public var command: String
        /// A remote server's Streamable HTTP address (`argus wrap --url`), instead of a command.
        public var url: String?
        /// Headers for the remote server, `NAME: VALUE`, with `${VAR}` left for `argus wrap` to fill
        /// in when the session starts (so the value is never held longer than the session).
        public var headers: [String: String] = [:]
        public var args: [String] = []
        public var env: [String: String] = [:]
        public var cwd: String?
        /// The `${VAR}`s it uses, in order of appearance (setup passes them through clients).
        public var variables: [String] = []
        /// Variables it uses that are not set: an error when the server is used, not when the file is read.
        public var problems: [Error] = []
    }

    /// A named server, ready to start: an error that names the first variable it needs and lacks.
    public func server(_ name: String) throws(Error) -> Server? {
        guard let server = servers[name] else { return nil }
        if let problem = server.problems.first { throw problem }
        return server
    }

    /// Where the file was read from; relative paths in it are relative to its directory.
    public var source: String?
    public var database: String?
    public var idleTimeoutSeconds: Double?
    public var redactionEnabled: Bool?
    public var redactKeys: [String] = []
    /// Extra secret shapes: POSIX extended regular expressions, each with a name for its marker.
    public var redactPatterns: [RedactionPattern] = []
    public var scripts: [Script] = []
    public var scriptsDirectory: String?
    public var scriptLimits = ScriptLimitValues()
    public var alertWebhooks: [String] = []
    public var dashboardPort: Int?
    public var dashboardHost: String?
    /// Per tool name (or "*"): JSON Pointers or globs ignored when diffing replays.
    public var replayIgnore: [String: [String]] = [:]
    /// Keep the originals of redacted params, encrypted, so replay can send them (default true).
    public var replaySeal: Bool?
    /// Tools (globs) the user says only read, so `argus test` and `argus replay` replay them
    /// without annotations that say so.
    public var replaySafeTools: [String] = []
    public var servers: [String: Server] = [:]
    /// `telemetry.otlp`: OpenTelemetry export (TelemetryConfig.swift).
    public var telemetry = TelemetryConfig()
    /// Faults injected into `argus wrap` sessions (of the servers it names), unless `--no-faults`.
    public var faults: FaultPlan?
    /// When agent behaviour becomes a verdict, and how serious each is (`argus verdict`).
    public var verdicts = VerdictThresholds()

    public init() {}

    public struct Error: Swift.Error, CustomStringConvertible, Equatable {
        public var path: String
        public var message: String
        public var file: String?

        public var description: String {
            "\(file.map { "\($0): " } ?? "")\(path): \(message)"
        }
    }

    /// Parses the file's text. `${VAR}` in server commands, args and env is
    /// replaced from `environment`; a missing variable is an error naming it
    /// when that server is used (`server(_:)`), so one server's missing secret
    /// does not stop everything else.
    public static func parse(_ text: String, source: String? = nil, environment: [String: String] = [:]) throws(Error)
        -> Configuration
    {
        let root: JSONValue
        do {
            root = try JSONParser.parse(text)
        } catch {
            // Where an editor will find it: one stray comma should not take a hunt.
            let (line, column) = error.location(in: text)
            throw Error(path: "line \(line), column \(column)", message: "not valid JSON: \(error.message)", file: source)
        }
        var reader = Reader(file: source, environment: environment)
        return try reader.configuration(root)
    }

    /// Resolves a path from the file against the file's directory.
    public func resolve(_ path: String, home: String?) -> String {
        if path.hasPrefix("/") { return path }
        if path.hasPrefix("~/"), let home { return home + String(path.dropFirst(1)) }
        guard let source, let slash = source.lastIndex(of: "/") else { return path }
        return String(source[..<slash]) + "/" + path
    }
}

private struct Reader: StrictJSONReading {
    var file: String?
    var environment: [String: String]

    func fail(_ path: String, _ message: String) -> Configuration.Error {
        Configuration.Error(path: path, message: message, file: file)
    }

    /// `${NAME}` replaced from the environment. A missing variable becomes a problem of
    /// the server (reported when it is used), and is left as written.
    func interpolate(_ text: String, _ path: String, into server: inout Configuration.Server) throws(Configuration.Error) -> String {
        var result = ""
        var rest = text[...]
        while let start = rest.firstRange(of: "${") {
            result += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else { throw fail(path, "unterminated ${ in \"\(text)\"") }
            let name = String(rest[start.upperBound..<end])
            if name.isEmpty { throw fail(path, "empty ${} in \"\(text)\"") }
            if !server.variables.contains(name) { server.variables.append(name) }
            if let value = environment[name] {
                result += value
            } else {
                server.problems.append(fail(path, "environment variable \(name) is not set (used as ${\(name)})"))
                result += "${\(name)}"
            }
            rest = rest[rest.index(after: end)...]
        }
        return result + rest
    }

    mutating func configuration(_ root: JSONValue) throws(Configuration.Error) -> Configuration {
        let top = try object(
            root, "",
            allowed: [
                "database", "idle_timeout", "redaction", "scripts", "scripts_dir",
                "script_limits", "alerts", "dashboard", "replay", "servers",
                "faults", "verdicts", "telemetry",
            ])
        var config = Configuration()
        config.source = file
        if let v = top["database"] { config.database = try string(v, "database") }
        if let v = top["idle_timeout"] { config.idleTimeoutSeconds = try number(v, "idle_timeout", minimum: 0.001) }
        if let v = top["redaction"] {
            let r = try object(v, "redaction", allowed: ["enabled", "keys", "patterns"])
            if let e = r["enabled"] { config.redactionEnabled = try bool(e, "redaction.enabled") }
            if let k = r["keys"] { config.redactKeys = try strings(k, "redaction.keys") }
            if let p = r["patterns"] {
                guard let items = p.arrayValue else {
                    throw fail("redaction.patterns", "expected a list of regular expressions or { \"name\": …, \"regex\": … } objects")
                }
                for (i, item) in items.enumerated() {
                    let path = "redaction.patterns[\(i)]"
                    let pattern: Configuration.RedactionPattern
                    if let regex = item.stringValue {
                        pattern = .init(name: "pattern", regex: regex)
                    } else {
                        let o = try object(item, path, allowed: ["name", "regex"])
                        guard let regex = o["regex"] else { throw fail("\(path).regex", "required") }
                        var name = "pattern"
                        if let n = o["name"] { name = try string(n, "\(path).name") }
                        pattern = .init(name: name, regex: try string(regex, "\(path).regex"))
                    }
                    if pattern.regex.isEmpty { throw fail(path, "an empty pattern would match everywhere") }
                    do {
                        _ = try pattern.compiled()
                    } catch {
                        throw fail(path, "\(error)")
                    }
                    config.redactPatterns.append(pattern)
                }
            }
        }
        if let v = top["scripts"] {
            guard let items = v.arrayValue else { throw fail("scripts", "expected a list of script paths or { \"path\": … } objects") }
            for (i, item) in items.enumerated() {
                let path = "scripts[\(i)]"
                if let text = item.stringValue {
                    config.scripts.append(Configuration.Script(path: text))
                    continue
                }
                let s = try object(item, path, allowed: ["path", "config", "priority", "match"])
                guard let p = s["path"] else { throw fail("\(path).path", "required") }
                var script = Configuration.Script(path: try string(p, "\(path).path"))
                if let c = s["config"] {
                    guard case .object = c else { throw fail("\(path).config", "expected an object") }
                    script.config = c
                }
                if let pr = s["priority"] { script.priority = try integer(pr, "\(path).priority", minimum: Int.min) }
                if let m = s["match"] {
                    _ = try object(m, "\(path).match", allowed: ["server", "servers", "tool", "tools", "method", "methods"])
                    script.match = m
                }
                config.scripts.append(script)
            }
        }
        if let v = top["scripts_dir"] { config.scriptsDirectory = try string(v, "scripts_dir") }
        if let v = top["script_limits"] {
            let l = try object(
                v, "script_limits",
                allowed: [
                    "memory_mb", "instructions", "time_ms", "pattern_steps",
                    "max_errors", "error_window_s", "logs_per_minute",
                ])
            var limits = Configuration.ScriptLimitValues()
            if let x = l["memory_mb"] { limits.memoryMB = try number(x, "script_limits.memory_mb", minimum: 1) }
            if let x = l["instructions"] { limits.instructions = try integer(x, "script_limits.instructions", minimum: 1000) }
            if let x = l["time_ms"] { limits.timeMillis = try number(x, "script_limits.time_ms", minimum: 1) }
            if let x = l["pattern_steps"] { limits.patternSteps = try integer(x, "script_limits.pattern_steps", minimum: 1000) }
            if let x = l["max_errors"] { limits.maxErrors = try integer(x, "script_limits.max_errors", minimum: 1) }
            if let x = l["error_window_s"] { limits.errorWindowSeconds = try number(x, "script_limits.error_window_s", minimum: 1) }
            if let x = l["logs_per_minute"] { limits.logsPerMinute = try integer(x, "script_limits.logs_per_minute", minimum: 0) }
            config.scriptLimits = limits
        }
        if let v = top["alerts"] {
            let a = try object(v, "alerts", allowed: ["webhooks"])
            if let w = a["webhooks"] {
                config.alertWebhooks = try strings(w, "alerts.webhooks")
                for (i, url) in config.alertWebhooks.enumerated() where !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
                    throw fail("alerts.webhooks[\(i)]", "expected an http:// or https:// URL")
                }
            }
        }
        if let v = top["dashboard"] {
            let d = try object(v, "dashboard", allowed: ["port", "host"])
            if let p = d["port"] { config.dashboardPort = try integer(p, "dashboard.port", minimum: 0) }
            if let h = d["host"] { config.dashboardHost = try string(h, "dashboard.host") }
        }
        if let v = top["replay"] {
            let r = try object(v, "replay", allowed: ["ignore", "seal", "safe_tools"])
            if let seal = r["seal"] { config.replaySeal = try bool(seal, "replay.seal") }
            if let safe = r["safe_tools"] {
                config.replaySafeTools = try strings(safe, "replay.safe_tools")
                if let i = config.replaySafeTools.firstIndex(where: \.isEmpty) {
                    throw fail("replay.safe_tools[\(i)]", "expected a tool name or glob such as \"get_*\"")
                }
            }
            if let ignore = r["ignore"] {
                guard case .object(let tools) = ignore else {
                    throw fail("replay.ignore", "expected { \"tool name or *\": [\"/json/pointer\", …] }")
                }
                for member in tools.members where !member.key.hasPrefix("//") {
                    config.replayIgnore[member.key] = try strings(member.value, "replay.ignore.\(member.key)")
                }
            }
        }
        if let v = top["telemetry"] { config.telemetry = try TelemetryConfig.parse(v, file: file) }
        if let v = top["servers"] {
            guard case .object(let servers) = v else { throw fail("servers", "expected an object of named servers") }
            for member in servers.members where !member.key.hasPrefix("//") {
                let path = "servers.\(member.key)"
                let s = try object(member.value, path, allowed: ["command", "args", "env", "cwd", "url", "headers"])
                var server = Configuration.Server(command: "")
                if let u = s["url"] {
                    if s["command"] != nil { throw fail("\(path).url", "give either command or url, not both") }
                    server.url = try string(u, "\(path).url")
                    if let h = s["headers"] {
                        guard case .object(let headers) = h else { throw fail("\(path).headers", "expected an object of strings") }
                        for entry in headers.members where !entry.key.hasPrefix("//") {
                            server.headers[entry.key] = try string(entry.value, "\(path).headers.\(entry.key)")
                        }
                    }
                    config.servers[member.key] = server
                    continue
                }
                if s["headers"] != nil { throw fail("\(path).headers", "headers are for a remote server: add url") }
                guard let c = s["command"] else { throw fail("\(path).command", "required (or url, for a remote server)") }
                server.command = try interpolate(try string(c, "\(path).command"), "\(path).command", into: &server)
                if let a = s["args"] {
                    let args = try strings(a, "\(path).args")
                    var interpolated: [String] = []
                    for (i, arg) in args.enumerated() { interpolated.append(try interpolate(arg, "\(path).args[\(i)]", into: &server)) }
                    server.args = interpolated
                }
                if let e = s["env"] {
                    guard case .object(let env) = e else { throw fail("\(path).env", "expected an object of strings") }
                    for entry in env.members where !entry.key.hasPrefix("//") {
                        server.env[entry.key] = try interpolate(
                            try string(entry.value, "\(path).env.\(entry.key)"),
                            "\(path).env.\(entry.key)", into: &server)
                    }
                }
                if let d = s["cwd"] { server.cwd = try string(d, "\(path).cwd") }
                config.servers[member.key] = server
            }
        }
        if let v = top["faults"] {
            let directory = file.flatMap { path in path.lastIndex(of: "/").map { String(path[..<$0]) } }
            do {
                config.faults = try FaultPlan.parse(v, prefix: "faults", directory: directory)
            } catch {
                throw fail(error.path, error.message)
            }
        }
        if let v = top["verdicts"] {
            do {
                config.verdicts = try VerdictThresholds.parse(v)
            } catch {
                throw fail(error.path, error.message)
            }
        }
        return config
    }
}
