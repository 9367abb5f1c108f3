/// When a behaviour becomes a finding, and how serious each finding is. From the config's
/// `verdicts` section:
///
///     "verdicts": {"loop_calls": 5, "loop_window_s": 10, "repeat_calls": 3, "fast_retry_ms": 100,
///                  "max_retries": 3, "levels": {"went_on": "failure"}}
public struct VerdictThresholds: Sendable, Equatable {
    /// A runaway loop: this many identical calls…
    public var loopCalls = 5
    /// …within this many seconds.
    public var loopWindowSeconds = 10.0
    /// Identical calls answered successfully this many times are reported as repeated.
    public var repeatCalls = 3
    /// A retry sooner than this after the failure is reported as a retry without backoff.
    public var fastRetryMillis = 100.0
    /// More retries than this after one failure are reported.
    public var maxRetries = 3
    /// The level of each kind, where it differs from `VerdictKind.defaultLevel`.
    public var levels: [String: Verdict.Level] = [:]

    public init() {}

    public func level(of kind: VerdictKind) -> Verdict.Level { levels[kind.rawValue] ?? kind.defaultLevel }

    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public var path: String
        public var message: String
        public var description: String { "\(path): \(message)" }
    }

    /// Reads the `verdicts` section (`prefix` names it in messages).
    public static func parse(_ value: JSONValue, prefix: String = "verdicts") throws(ParseError) -> VerdictThresholds {
        func fail(_ key: String, _ message: String) -> ParseError { ParseError(path: "\(prefix).\(key)", message: message) }
        guard case .object(let object) = value else { throw ParseError(path: prefix, message: "expected an object") }
        let allowed: Set = ["loop_calls", "loop_window_s", "repeat_calls", "fast_retry_ms", "max_retries", "levels"]
        for key in object.keys where !allowed.contains(key) && !key.hasPrefix("//") {
            throw fail(key, "unknown field (expected one of: \(allowed.sorted().joined(separator: ", ")))")
        }
        func integer(_ key: String, minimum: Int) throws(ParseError) -> Int? {
            guard let v = object[key] else { return nil }
            guard let n = v.intValue else { throw fail(key, "expected an integer") }
            if n < minimum { throw fail(key, "must be at least \(minimum)") }
            return n
        }
        func number(_ key: String) throws(ParseError) -> Double? {
            guard let v = object[key] else { return nil }
            guard let n = v.doubleValue, n >= 0 else { throw fail(key, "expected a number of at least 0") }
            return n
        }
        var t = VerdictThresholds()
        if let v = try integer("loop_calls", minimum: 2) { t.loopCalls = v }
        if let v = try number("loop_window_s") { t.loopWindowSeconds = v }
        if let v = try integer("repeat_calls", minimum: 2) { t.repeatCalls = v }
        if let v = try number("fast_retry_ms") { t.fastRetryMillis = v }
        if let v = try integer("max_retries", minimum: 0) { t.maxRetries = v }
        if let levels = object["levels"] {
            guard case .object(let entries) = levels else { throw fail("levels", "expected {\"kind\": \"info|warning|failure\"}") }
            for member in entries.members where !member.key.hasPrefix("//") {
                guard VerdictKind(rawValue: member.key) != nil else {
                    throw fail(
                        "levels.\(member.key)",
                        "unknown verdict (one of: \(VerdictKind.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                guard let text = member.value.stringValue, let level = Verdict.Level(rawValue: text) else {
                    throw fail("levels.\(member.key)", "expected \"info\", \"warning\" or \"failure\"")
                }
                t.levels[member.key] = level
            }
        }
        return t
    }
}
