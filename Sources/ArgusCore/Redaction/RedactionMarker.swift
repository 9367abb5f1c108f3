/// What Argus stores in place of something it must not keep. The recorder, the replay
/// engine, script tests and the dashboard make and recognise markers here, so their
/// spelling lives in one place.
public enum RedactionMarker: Sendable, Hashable {
    /// A secret: `[REDACTED]` for a value under a secret key, `[REDACTED:jwt]` for one found
    /// by its shape (the label names it), `[REDACTED:echo]` for a remembered value seen again.
    case redacted(label: String?)
    /// What a script's `redact` hook dropped: `[DROPPED by script NAME]`.
    case dropped(script: String)
    /// What a redaction script failed on or could not be loaded for (fail closed): `[REDACTION FAILED]`.
    case failed

    public var text: String {
        switch self {
        case .redacted(nil): return Self.redactedText
        case .redacted(let label?): return "\(Self.redactedPrefix):\(label)]"
        case .dropped(let script): return "\(Self.droppedPrefix)\(script)]"
        case .failed: return "[REDACTION FAILED]"
        }
    }

    public var json: JSONValue { .string(text) }

    /// The marker `text` is, exactly; nil for anything else (including text that only contains one).
    public init?(_ text: String) {
        if text == Self.redactedText {
            self = .redacted(label: nil)
        } else if text.hasPrefix(Self.redactedPrefix + ":"), text.hasSuffix("]") {
            self = .redacted(label: String(text.dropFirst(Self.redactedPrefix.count + 1).dropLast()))
        } else if text.hasPrefix(Self.droppedPrefix), text.hasSuffix("]") {
            self = .dropped(script: String(text.dropFirst(Self.droppedPrefix.count).dropLast()))
        } else if text == RedactionMarker.failed.text {
            self = .failed
        } else {
            return nil
        }
    }

    /// Whether a secret was cut out of `text`: it is, or contains, a `[REDACTED…]` marker.
    public static func containsRedaction(_ text: String) -> Bool { text.contains(redactedPrefix) }

    /// Whether `text` stands for a value the recording does not have: a secret cut out of it,
    /// or a script's drop in its place.
    public static func hidesValue(_ text: String) -> Bool {
        containsRedaction(text) || text.hasPrefix(droppedPrefix)
    }

    /// How every `[REDACTED…]` marker begins, for scanners that look at bytes.
    public static let redactedPrefix = "[REDACTED"
    static let redactedPrefixBytes = Array(redactedPrefix.utf8)
    static let redactedText = redactedPrefix + "]"
    static let droppedPrefix = "[DROPPED by script "
}
