/// One finding about what an agent did around a failure, an empty result or a repetition.
public struct Verdict: Sendable, Equatable {
    public enum Level: String, Sendable, Comparable, CaseIterable {
        case info
        case warning
        /// Fails `argus verdict` and the JUnit report.
        case failure

        public static func < (a: Level, b: Level) -> Bool {
            allCases.firstIndex(of: a) ?? 0 < allCases.firstIndex(of: b) ?? 0
        }
    }

    /// What was found (`VerdictKind`'s names, or a script's own).
    public var kind: String
    public var level: Level
    /// One sentence for people.
    public var message: String
    /// The call it is about (the failure, the empty result, the first of the repeated calls).
    public var callID: Int64?
    public var tool: String?
    /// The fault argus injected into that call, when it was one.
    public var fault: String?
    /// Figures behind the finding (`retries`, `first_retry_ms`, `calls`, `window_s`, …).
    public var facts: JSONObject = [:]
    /// `argus`, or `script NAME` for a verdict a Lua hook added.
    public var source = "argus"

    public init(
        kind: String, level: Level, message: String, callID: Int64? = nil, tool: String? = nil, fault: String? = nil,
        facts: JSONObject = [:], source: String = "argus"
    ) {
        self.kind = kind
        self.level = level
        self.message = message
        self.callID = callID
        self.tool = tool
        self.fault = fault
        self.facts = facts
        self.source = source
    }

    public var json: JSONValue {
        var o: JSONObject = ["kind": .string(kind), "level": .string(level.rawValue), "message": .string(message)]
        o["call_id"] = callID.map { .number(String($0)) } ?? .null
        o["tool"] = tool.map(JSONValue.string) ?? .null
        o["fault"] = fault.map(JSONValue.string) ?? .null
        o["facts"] = .object(facts)
        o["source"] = .string(source)
        return .object(o)
    }
}

/// The verdicts Argus itself finds.
public enum VerdictKind: String, Sendable, CaseIterable {
    /// The failed call was made again: how often, how fast, and whether it recovered.
    case retried
    /// The same call (tool and arguments) many times within a short window.
    case runawayLoop = "runaway_loop"
    /// A tool not annotated read-only was called again with the same arguments after it failed,
    /// with no read-only call in between to check whether the first attempt took effect.
    case blindWriteRetry = "blind_write_retry"
    /// No call at all after the failure.
    case gaveUp = "gave_up"
    /// Other tools were called after the failure, the failed one never again: as if it had succeeded.
    case wentOn = "went_on"
    /// What followed an empty result.
    case afterEmpty = "after_empty"
    /// The same call answered successfully several times: a missing cache, or a stuck loop.
    case repeatedCalls = "repeated_calls"

    public var defaultLevel: Verdict.Level {
        switch self {
        case .runawayLoop, .blindWriteRetry: return .failure
        case .wentOn, .repeatedCalls: return .warning
        case .retried, .gaveUp, .afterEmpty: return .info
        }
    }
}
