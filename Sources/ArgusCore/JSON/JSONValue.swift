/// A JSON value that keeps what a proxy must not change: the order of object
/// keys and the exact text of numbers (`1.0` stays `1.0`, integers beyond 2^53
/// keep every digit). Argus parses copies of messages into this type for
/// recording; forwarded bytes are never re-serialized.
public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// The number's literal text, exactly as it appeared (already validated).
    case number(String)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    public subscript(index: Int) -> JSONValue? {
        if case .array(let items) = self, items.indices.contains(index) { return items[index] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The value as an integer when it is a number literal without fraction or
    /// exponent that fits in 64 bits.
    public var intValue: Int? {
        if case .number(let text) = self { return Int(text) }
        return nil
    }

    public var doubleValue: Double? {
        if case .number(let text) = self { return Double(text) }
        return nil
    }

    /// The value, or nil when it is JSON null. (Prefer this to `isNull ? nil : value`:
    /// JSONValue is ExpressibleByNilLiteral, so that `nil` can become JSON null.)
    public var nonNull: JSONValue? { isNull ? Optional.none : self }

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    public static func int(_ value: Int) -> JSONValue { .number(String(value)) }
    public static func double(_ value: Double) -> JSONValue {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 { return .number(String(Int(value))) }
        return .number(value.isFinite ? String(value) : "null")
    }
}

/// One `"key": value` pair of an object.
public struct JSONMember: Sendable, Hashable {
    public var key: String
    public var value: JSONValue
    public init(_ key: String, _ value: JSONValue) {
        self.key = key
        self.value = value
    }
}

/// A JSON object with its keys in source order. Lookups are linear: MCP
/// objects are small, and order matters more than asymptotics here.
public struct JSONObject: Sendable, Hashable, RandomAccessCollection {
    public var members: [JSONMember]

    public init(_ members: [JSONMember] = []) { self.members = members }

    public init(_ pairs: KeyValuePairs<String, JSONValue>) {
        self.members = pairs.map { JSONMember($0.key, $0.value) }
    }

    public var startIndex: Int { members.startIndex }
    public var endIndex: Int { members.endIndex }
    public subscript(position: Int) -> JSONMember { members[position] }

    public var keys: [String] { members.map(\.key) }

    public subscript(key: String) -> JSONValue? {
        get {
            // Last one wins for duplicate keys, as in most JSON parsers.
            for member in members.reversed() where member.key == key { return member.value }
            return nil
        }
        set {
            if let i = members.lastIndex(where: { $0.key == key }) {
                if let newValue { members[i].value = newValue } else { members.remove(at: i) }
            } else if let newValue {
                members.append(JSONMember(key, newValue))
            }
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(String(value)) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(JSONObject(elements.map { JSONMember($0.0, $0.1) }))
    }
    public init(nilLiteral: ()) { self = .null }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.members = elements.map { JSONMember($0.0, $0.1) }
    }
}

extension JSONValue {
    /// Equal as data: numbers compare by value (`1e3` and `1000.0` are the same
    /// number), everything else structurally.
    public func sameValue(as other: JSONValue) -> Bool {
        switch (self, other) {
        case (.number(let a), .number(let b)): return a == b || (Double(a) != nil && Double(a) == Double(b))
        case (.array(let a), .array(let b)): return a.count == b.count && zip(a, b).allSatisfy { $0.sameValue(as: $1) }
        case (.object(let a), .object(let b)):
            return a.members.count == b.members.count
                && a.members.allSatisfy { member in b[member.key].map { member.value.sameValue(as: $0) } ?? false }
        default: return self == other
        }
    }
}

extension JSONValue {
    /// This value with object keys in the order `original` has them (recursively,
    /// and element by element in arrays); keys `original` lacks come after, sorted.
    /// Scripts do not keep key order, so what they change is put back in order.
    public func reordered(like original: JSONValue) -> JSONValue {
        switch (self, original) {
        case (.object(let object), .object(let model)):
            var members: [JSONMember] = []
            var used = Set<String>()
            for key in model.keys where !used.contains(key) {
                if let value = object[key] {
                    members.append(JSONMember(key, value.reordered(like: model[key] ?? .null)))
                    used.insert(key)
                }
            }
            let added = object.members.filter { !used.contains($0.key) }.sorted { $0.key < $1.key }
            return .object(JSONObject(members + added))
        case (.array(let items), .array(let model)):
            return .array(items.enumerated().map { i, item in i < model.count ? item.reordered(like: model[i]) : item })
        default:
            return self
        }
    }
}
