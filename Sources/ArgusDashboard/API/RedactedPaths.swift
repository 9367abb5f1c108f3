import ArgusCore
import ArgusStore

/// The JSON pointers of values that redaction replaced before storage, so the page can mark
/// them (and say which ones a replay fills from sealed originals) without knowing what a
/// marker looks like.
enum RedactedPaths {
    static func find(in value: JSONValue, path: [String] = []) -> [String] {
        switch value {
        case .string(let s) where RedactionMarker.hidesValue(s):
            return [Redactor.pointer(path)]
        case .array(let items): return items.enumerated().flatMap { find(in: $1, path: path + [String($0)]) }
        case .object(let o): return o.members.flatMap { find(in: $0.value, path: path + [$0.key]) }
        default: return []
        }
    }

    static func json(in value: JSONValue?) -> JSONValue {
        .array(find(in: value ?? .null).map(JSONValue.string))
    }
}
