/// What an injected fault does to a tool call.
public enum FaultKind: String, Sendable, Hashable, CaseIterable {
    /// A JSON-RPC error answers the call; the server never sees it.
    case error
    /// A result with `isError: true` answers the call; the server never sees it.
    case isError = "is_error"
    /// A result with no content answers the call; the server never sees it.
    case empty
    /// No answer at all; the server never sees the call.
    case timeout
    /// The call goes to the server; its answer is held back for `ms`.
    case latency
    /// The call goes to the server; its answer is cut short, so it is not valid JSON.
    case malformed
    /// The previous answer to the same call (same tool, same arguments) again; the server never sees it.
    case stale

    /// Whether the server receives the call (only the answer is tampered with).
    public var forwardsRequest: Bool { self == .latency || self == .malformed }
}

/// One line of a faults file: which calls, when, and what happens to them.
public struct FaultRule: Sendable, Equatable {
    /// How the rule is named in the recording and in messages: `faults[0]`, or its `name`.
    public var name: String
    /// Tool names it applies to (a glob: `search_*`).
    public var tool = "*"
    public var kind: FaultKind
    /// Chance that a call the rule applies to gets the fault (0…1).
    public var probability = 1.0
    /// Calls of matching tools that pass untouched before the rule applies.
    public var afterCalls = 0
    /// At most this many injections (nil: no limit).
    public var times: Int?
    /// Schedule by count: only every Nth matching call (counted after `after_calls`).
    public var every: Int?
    /// Schedule by time: on for the first `onMillis` of every `periodMillis`, from the session's start.
    public var periodMillis: Double?
    public var onMillis: Double?
    /// The delay of a `latency` fault.
    public var millis = 0.0
    /// The JSON-RPC error code of an `error` fault.
    public var code = -32603
    /// The error message (`error`) or the text of the result (`is_error`).
    public var message: String?

    public init(name: String, kind: FaultKind) {
        self.name = name
        self.kind = kind
    }
}

/// A script with a `fault` hook, named by a faults file or the config's `faults` section.
public struct FaultScriptSpec: Sendable, Equatable {
    public var path: String
    public var config: JSONValue = [:]

    public init(path: String, config: JSONValue = [:]) {
        self.path = path
        self.config = config
    }
}

/// A faults file (`argus wrap --faults FILE`) or the config's `faults` section:
///
///     {"seed": 7, "faults": [{"tool": "search_*", "kind": "empty", "probability": 0.3, "after_calls": 2},
///                            {"tool": "*", "kind": "latency", "ms": 800}]}
///
/// Parsing is strict, like the configuration's: a misspelt field is an error naming it, so a
/// typo never silently turns a fault off (or on).
public struct FaultPlan: Sendable, Equatable {
    /// Makes every draw repeatable; nil: one is chosen at start and printed.
    public var seed: UInt64?
    /// Servers (globs) the plan applies to; empty: every server.
    public var servers: [String] = []
    public var rules: [FaultRule] = []
    public var scripts: [FaultScriptSpec] = []

    public init(seed: UInt64? = nil, rules: [FaultRule] = [], scripts: [FaultScriptSpec] = []) {
        self.seed = seed
        self.rules = rules
        self.scripts = scripts
    }

    public func applies(toServer name: String) -> Bool {
        servers.isEmpty || servers.contains { Glob.matches($0, name) }
    }

    public struct ParseError: Error, CustomStringConvertible, Equatable {
        /// Where in the document: `faults[1].kind`.
        public var path: String
        public var message: String

        public var description: String { path.isEmpty ? message : "\(path): \(message)" }
    }

    /// Reads a plan. `prefix` is where the plan sits (`faults` in the config), for messages;
    /// `directory` resolves relative script paths (the file's own directory).
    public static func parse(_ value: JSONValue, prefix: String = "", directory: String? = nil) throws(ParseError) -> FaultPlan {
        let reader = PlanReader(prefix: prefix)
        return try reader.plan(value, directory: directory)
    }

    /// Reads a faults file's text.
    public static func parse(text: String, directory: String? = nil) throws(ParseError) -> FaultPlan {
        let value: JSONValue
        do {
            value = try JSONParser.parse(text)
        } catch {
            let (line, column) = error.location(in: text)
            throw ParseError(path: "line \(line), column \(column)", message: "not valid JSON: \(error.message)")
        }
        return try parse(value, directory: directory)
    }
}

private struct PlanReader: StrictJSONReading {
    var prefix: String

    func path(_ tail: String) -> String {
        if prefix.isEmpty || tail.isEmpty { return prefix.isEmpty ? tail : prefix }
        return "\(prefix).\(tail)"
    }

    func fail(_ tail: String, _ message: String) -> FaultPlan.ParseError {
        FaultPlan.ParseError(path: path(tail), message: message)
    }

    func plan(_ value: JSONValue, directory: String?) throws(FaultPlan.ParseError) -> FaultPlan {
        let top = try object(value, "", allowed: ["seed", "servers", "faults", "scripts"])
        var plan = FaultPlan()
        if let seed = top["seed"] {
            guard case .number(let literal) = seed, let parsed = UInt64(literal) else {
                throw fail("seed", "expected a whole number from 0 to \(UInt64.max)")
            }
            plan.seed = parsed
        }
        if let servers = top["servers"] { plan.servers = try strings(servers, "servers", orOne: true) }
        if let faults = top["faults"] {
            guard let items = faults.arrayValue else { throw fail("faults", "expected a list of faults") }
            for (i, item) in items.enumerated() { plan.rules.append(try rule(item, "faults[\(i)]")) }
        }
        if let scripts = top["scripts"] {
            guard let items = scripts.arrayValue else {
                throw fail("scripts", "expected a list of script paths or { \"path\": … } objects")
            }
            for (i, item) in items.enumerated() {
                let tail = "scripts[\(i)]"
                var spec: FaultScriptSpec
                if let text = item.stringValue {
                    spec = FaultScriptSpec(path: text)
                } else {
                    let s = try object(item, tail, allowed: ["path", "config"])
                    guard let p = s["path"] else { throw fail("\(tail).path", "required") }
                    spec = FaultScriptSpec(path: try string(p, "\(tail).path"))
                    if let config = s["config"] {
                        guard case .object = config else { throw fail("\(tail).config", "expected an object") }
                        spec.config = config
                    }
                }
                if spec.path.isEmpty { throw fail(tail, "expected a path to a .lua file") }
                if !spec.path.hasPrefix("/"), let directory { spec.path = directory + "/" + spec.path }
                plan.scripts.append(spec)
            }
        }
        if plan.rules.isEmpty && plan.scripts.isEmpty {
            throw fail("", "no faults: give \"faults\": [{\"tool\": \"*\", \"kind\": \"error\"}, …] or \"scripts\" with a fault hook")
        }
        return plan
    }

    func rule(_ value: JSONValue, _ tail: String) throws(FaultPlan.ParseError) -> FaultRule {
        let o = try object(
            value, tail,
            allowed: [
                "name", "tool", "kind", "probability", "after_calls", "times", "schedule",
                "ms", "code", "message",
            ])
        guard let kindValue = o["kind"] else {
            throw fail("\(tail).kind", "required (one of: \(FaultKind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let kindText = try string(kindValue, "\(tail).kind")
        guard let kind = FaultKind(rawValue: kindText) else {
            throw fail(
                "\(tail).kind", "unknown kind \"\(kindText)\" (one of: \(FaultKind.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        var rule = FaultRule(name: tail, kind: kind)
        if let v = o["name"] {
            rule.name = try string(v, "\(tail).name")
            if rule.name.isEmpty { throw fail("\(tail).name", "must not be empty") }
        }
        if let v = o["tool"] {
            rule.tool = try string(v, "\(tail).tool")
            if rule.tool.isEmpty { throw fail("\(tail).tool", "expected a tool name or a glob such as \"search_*\"") }
        }
        if let v = o["probability"] { rule.probability = try number(v, "\(tail).probability", in: 0...1) }
        if let v = o["after_calls"] { rule.afterCalls = try integer(v, "\(tail).after_calls", minimum: 0) }
        if let v = o["times"] { rule.times = try integer(v, "\(tail).times", minimum: 1) }
        if let v = o["ms"] {
            guard kind == .latency else { throw fail("\(tail).ms", "only a latency fault takes ms") }
            rule.millis = try number(v, "\(tail).ms", in: 0...3_600_000)
        } else if kind == .latency {
            throw fail("\(tail).ms", "required for a latency fault (the delay in milliseconds)")
        }
        if let v = o["code"] {
            guard kind == .error else { throw fail("\(tail).code", "only an error fault takes a code") }
            rule.code = try integer(v, "\(tail).code", minimum: Int(Int32.min))
        }
        if let v = o["message"] {
            guard kind == .error || kind == .isError else { throw fail("\(tail).message", "only error and is_error faults take a message") }
            rule.message = try string(v, "\(tail).message")
        }
        if let v = o["schedule"] {
            let s = try object(v, "\(tail).schedule", allowed: ["every", "period_ms", "on_ms"])
            if let every = s["every"] { rule.every = try integer(every, "\(tail).schedule.every", minimum: 1) }
            if let period = s["period_ms"] { rule.periodMillis = try number(period, "\(tail).schedule.period_ms", in: 1...86_400_000) }
            if let on = s["on_ms"] { rule.onMillis = try number(on, "\(tail).schedule.on_ms", in: 0...86_400_000) }
            if (rule.periodMillis == nil) != (rule.onMillis == nil) {
                throw fail("\(tail).schedule", "period_ms and on_ms go together: on for the first on_ms of every period_ms")
            }
            if rule.every == nil && rule.periodMillis == nil {
                throw fail("\(tail).schedule", "expected {\"every\": N} or {\"period_ms\": P, \"on_ms\": O}")
            }
        }
        return rule
    }
}
