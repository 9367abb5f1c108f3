extension JSONValue {
    /// A text that is the same for values that are the same as data (`sameValue(as:)`):
    /// object keys sorted, numbers by value. For telling identical calls apart by their arguments.
    public var canonicalText: String {
        switch self {
        case .number(let text):
            guard let value = Double(text) else { return text }
            return value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
        case .array(let items):
            return "[" + items.map(\.canonicalText).joined(separator: ",") + "]"
        case .object(let object):
            let members = object.members.sorted { $0.key < $1.key }
                .map { JSONWriter.quoted($0.key) + ":" + $0.value.canonicalText }
            return "{" + members.joined(separator: ",") + "}"
        default:
            return JSONWriter.string(self)
        }
    }
}
