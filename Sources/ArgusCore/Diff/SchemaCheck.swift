/// Checks tool arguments against a tool's recorded `inputSchema` before a
/// replay sends them: the JSON Schema keywords that catch real mistakes
/// (`type`, `required`, `properties`, `items`, `enum`, `additionalProperties: false`).
/// Anything it does not understand passes.
public enum SchemaCheck {
    /// Human-readable problems, empty when the value fits.
    public static func problems(_ value: JSONValue, schema: JSONValue, path: String = "") -> [String] {
        guard case .object(let s) = schema else { return [] }
        var problems: [String] = []
        let at = path.isEmpty ? "arguments" : "arguments\(path)"
        if let type = s["type"] {
            let allowed = type.stringValue.map { [$0] } ?? type.arrayValue?.compactMap(\.stringValue) ?? []
            if !allowed.isEmpty, !allowed.contains(where: { fits(value, $0) }) {
                problems.append("\(at): expected \(allowed.joined(separator: " or ")), got \(typeName(value))")
                return problems
            }
        }
        if let options = s["enum"]?.arrayValue, !options.contains(where: { $0.sameValue(as: value) }) {
            problems.append("\(at): must be one of \(options.map { JSONWriter.string($0) }.joined(separator: ", "))")
        }
        if case .object(let object) = value {
            for name in s["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where object[name] == nil {
                problems.append("\(at): missing required \"\(name)\"")
            }
            let properties = s["properties"]?.objectValue
            for member in object.members {
                if let propertySchema = properties?[member.key] {
                    problems += self.problems(member.value, schema: propertySchema, path: path + "/" + member.key)
                } else if s["additionalProperties"]?.boolValue == false {
                    problems.append("\(at): unexpected \"\(member.key)\"")
                }
            }
        }
        if case .array(let items) = value, let itemSchema = s["items"] {
            for (i, item) in items.enumerated() {
                problems += self.problems(item, schema: itemSchema, path: path + "/\(i)")
            }
        }
        return problems
    }

    static func fits(_ value: JSONValue, _ type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null),
            ("number", .number):
            return true
        case ("integer", .number(let text)):
            return Int(text) != nil || (Double(text).map { $0 == $0.rounded() } ?? false)
        default:
            return false
        }
    }

    static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}
