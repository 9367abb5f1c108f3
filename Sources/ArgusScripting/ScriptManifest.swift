import ArgusCore

/// Where a script comes from and how this installation configures it (from
/// `--script`, a scripts directory, or the `scripts` section of the config).
public struct ScriptSpec: Sendable, Equatable {
    public var path: String
    public var config: JSONValue
    /// Overrides `SCRIPT.priority`.
    public var priority: Int?
    /// Overrides `SCRIPT.match`.
    public var match: ScriptMatch?

    public init(path: String, config: JSONValue = [:], priority: Int? = nil, match: ScriptMatch? = nil) {
        self.path = path
        self.config = config
        self.priority = priority
        self.match = match
    }
}

/// Which calls a script sees: globs (`*`, `?`) on server name, tool and method.
/// An empty list matches everything.
public struct ScriptMatch: Sendable, Equatable {
    public var servers: [String] = []
    public var tools: [String] = []
    public var methods: [String] = []

    public init(servers: [String] = [], tools: [String] = [], methods: [String] = []) {
        self.servers = servers
        self.tools = tools
        self.methods = methods
    }

    /// From `{server = "github*", tool = {"a", "b"}, method = "tools/call"}`.
    public init(json: JSONValue) throws(ScriptLoadError) {
        guard case .object(let object) = json else { throw ScriptLoadError("match must be a table, e.g. { tool = \"search*\" }") }
        func globs(_ key: String) throws(ScriptLoadError) -> [String] {
            guard let value = object[key] ?? object[key + "s"] else { return [] }
            if let text = value.stringValue { return [text] }
            if let items = value.arrayValue, items.allSatisfy({ $0.stringValue != nil }) { return items.compactMap(\.stringValue) }
            throw ScriptLoadError("match.\(key) must be a string or a list of strings")
        }
        servers = try globs("server")
        tools = try globs("tool")
        methods = try globs("method")
    }

    public func matches(server: String, tool: String?, method: String) -> Bool {
        Self.any(servers, server) && Self.any(methods, method) && (tools.isEmpty || tool.map { Self.any(tools, $0) } == true)
    }

    static func any(_ globs: [String], _ value: String) -> Bool {
        globs.isEmpty || globs.contains { Glob.matches($0, value) }
    }
}

public struct ScriptLoadError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// What a script declares about itself in its `SCRIPT` table.
public struct ScriptManifest: Sendable {
    public struct ConfigField: Sendable {
        public var name: String
        public var type: String?
        public var defaultValue: JSONValue?
        public var required: Bool
        public var description: String?
    }

    public static let hookNames = [
        "init", "redact", "on_call", "alert", "metric", "mutate_replay", "normalize", "mock", "fault",
        "verdict",
    ]

    public var name: String
    public var priority: Int
    public var match: ScriptMatch
    public var description: String?
    public var configFields: [ConfigField]
    public var hooks: Set<String>

    /// From the value `LuaScript.load` returns, with the installation's overrides.
    public init(loaded: JSONValue?, spec: ScriptSpec) throws(ScriptLoadError) {
        let script = loaded?["script"] ?? [:]
        hooks = Set((loaded?["hooks"]?.arrayValue ?? []).compactMap(\.stringValue))
        if hooks.subtracting(["init"]).isEmpty {
            throw ScriptLoadError("defines none of the hooks \(Self.hookNames.dropFirst().joined(separator: ", "))")
        }
        let fileName = spec.path.split(separator: "/").last.map(String.init) ?? spec.path
        let defaultName = fileName.hasSuffix(".lua") ? String(fileName.dropLast(4)) : fileName
        switch script["name"] {
        case .none, .some(.null): name = defaultName
        case .some(.string(let text)) where !text.isEmpty: name = text
        default: throw ScriptLoadError("SCRIPT.name must be a non-empty string")
        }
        if let value = script["priority"], !value.isNull {
            guard let number = value.doubleValue else { throw ScriptLoadError("SCRIPT.priority must be a number") }
            priority = spec.priority ?? Int(number)
        } else {
            priority = spec.priority ?? 0
        }
        if let override = spec.match {
            match = override
        } else if let value = script["match"], !value.isNull {
            match = try ScriptMatch(json: value)
        } else {
            match = ScriptMatch()
        }
        description = script["description"]?.stringValue
        var fields: [ConfigField] = []
        if case .object(let schema)? = script["config"] {
            for member in schema.members {
                guard case .object(let field) = member.value else {
                    throw ScriptLoadError("SCRIPT.config.\(member.key) must be a table like { type = \"number\", default = 1 }")
                }
                fields.append(
                    ConfigField(
                        name: member.key, type: field["type"]?.stringValue,
                        defaultValue: field["default"]?.nonNull,
                        required: field["required"]?.boolValue ?? false,
                        description: field["description"]?.stringValue))
            }
        }
        configFields = fields
    }

    /// The configuration `init` receives: the given values over the declared
    /// defaults, checked against the declared types.
    public func resolveConfig(_ given: JSONValue) throws(ScriptLoadError) -> JSONValue {
        guard case .object(var config) = given else { throw ScriptLoadError("the script's config must be an object") }
        for field in configFields {
            if config[field.name] == nil, let value = field.defaultValue { config[field.name] = value }
            guard var value = config[field.name], !value.isNull else {
                if field.required { throw ScriptLoadError("config.\(field.name) is required\(field.description.map { ": \($0)" } ?? "")") }
                continue
            }
            // Lua cannot tell an empty list from an empty table: {} is a fine empty array.
            if field.type == "array", value == .object(JSONObject()) {
                value = .array([])
                config[field.name] = value
            }
            if let type = field.type, !Self.value(value, hasType: type) {
                throw ScriptLoadError("config.\(field.name): expected a \(type), got \(Self.typeName(value))")
            }
        }
        return .object(config)
    }

    static func value(_ value: JSONValue, hasType type: String) -> Bool {
        switch (type, value) {
        case ("number", .number), ("string", .string), ("boolean", .bool), ("table", .object), ("table", .array),
            ("object", .object), ("array", .array), ("any", _):
            return true
        case ("integer", .number(let text)): return Int(text) != nil
        default: return false
        }
    }

    static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}
