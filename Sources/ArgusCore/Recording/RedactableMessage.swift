/// A message on its way to storage while redaction scripts change it: the value their changes
/// are merged into, once each, and the text stored for it.
///
/// Scripts do not keep key order, so a part they replace is put back in the order the
/// original had (keys it lacked come after, sorted). A part a script returns with the same
/// value is not a change: the original stays, bytes and all.
public struct RedactableMessage: Sendable, Equatable {
    /// The parts a script may replace: `params` of a request or notification, `result` and `error` of a response.
    public static let parts: Set<String> = ["params", "result", "error"]

    /// The message before any script changed it, and its text.
    public let original: JSONObject
    public let originalText: String
    /// The message with every change so far.
    public private(set) var object: JSONObject
    /// Parts that differ from the original.
    private var changedParts: Set<String> = []

    public init(_ object: JSONObject, text: String) {
        original = object
        originalText = text
        self.object = object
    }

    public var isChanged: Bool { !changedParts.isEmpty }

    /// The text to store: the original's while nothing changed, else the message written anew.
    public var text: String { isChanged ? JSONWriter.string(.object(object)) : originalText }

    /// Puts `value` in place of `part` (one of `parts`; others are ignored). A later replacement
    /// of the same part wins, as if the earlier one had not been made.
    public mutating func replace(_ part: String, with value: JSONValue) {
        guard Self.parts.contains(part) else { return }
        let before = original[part]
        if let before, before.sameValue(as: value) {
            object[part] = before
            changedParts.remove(part)
        } else {
            object[part] = before.map { value.reordered(like: $0) } ?? value
            changedParts.insert(part)
        }
    }
}
