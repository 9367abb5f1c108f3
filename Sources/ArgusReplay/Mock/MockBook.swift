import ArgusCore

/// The recorded requests of a plan, indexed for answering: by method and tool (or resource, or
/// prompt), then by params without the volatile `_meta` keys. Finds the answer to a live request
/// by the match rule, or says why there is none and which recorded call comes closest.
///
/// Keeps state for `sequence` and `strict` (what has been served): one owner, one thread.
final class MockBook {
    /// One recorded request and what was answered, ready to send.
    final class Entry: Sendable {
        let call: ReplayCall
        /// The params as matched: `_meta`'s volatile keys gone, absent params as `{}`.
        let matchParams: JSONValue
        /// The answer after `"id":…,`: `"result":…}` or `"error":…}`, so a response is two copies.
        let answerTail: [UInt8]?
        /// The answer was stored redacted (the recording says so, or it holds a marker: a suite edited since).
        let redacted: Bool

        init(_ call: ReplayCall) {
            self.call = call
            matchParams = MockBook.matchable(call.params, method: call.method)
            answerTail = call.expected.map { Array(JSONWriter.bytes($0).dropFirst()) }
            var markers: [[String]] = []
            if let expected = call.expected { ReplayEngine.findMarkers(expected, path: [], into: &markers) }
            redacted = call.answerRedacted || !markers.isEmpty
        }

        /// `call 12, tools/call get_time {"timezone":"UTC"}`, for messages.
        var label: String {
            let id = call.callID.map { "call \($0), " } ?? ""
            return id + MockBook.describe(method: call.method, params: call.params)
        }
    }

    /// Identical recorded requests, in recorded order.
    final class Group {
        var entries: [Entry]
        var served = 0

        init(_ entry: Entry) { entries = [entry] }
    }

    struct Miss {
        var message: String
        var closest: Entry?
        var differences: [String]
    }

    enum Lookup {
        case hit(Entry)
        case miss(Miss)
    }

    let rule: MatchRule
    /// Every recorded request, in recorded order (pings aside: they are answered without a recording).
    let entries: [Entry]
    /// By method and canonical params: one lookup per request, however long the recording.
    private var groups: [String: Group] = [:]
    private var position = 0

    init(plan: ReplayPlan, rule: MatchRule) {
        self.rule = rule
        let calls = (plan.otherCalls + plan.calls).filter { $0.method != MCP.Method.ping }
        let ordered = calls.enumerated().sorted { a, b in
            (a.element.requestSeq ?? .max, a.offset) < (b.element.requestSeq ?? .max, b.offset)
        }
        entries = ordered.map { Entry($0.element) }
        for entry in entries {
            let key = Self.key(method: entry.call.method, matchParams: entry.matchParams)
            if let group = groups[key] {
                group.entries.append(entry)
            } else {
                groups[key] = Group(entry)
            }
        }
    }

    /// The answer to a request. `params` must already be redacted as the recording was, so that a
    /// secret sent now matches the `[REDACTED]` stored then.
    func lookup(method: String, params: JSONValue?) -> Lookup {
        let live = Self.matchable(params, method: method)
        if rule == .strict {
            guard position < entries.count else {
                return .miss(
                    Miss(
                        message: "no recorded answer for \(Self.describe(method: method, params: params)): all \(entries.count) "
                            + "recorded requests were answered (match: strict)", closest: nil, differences: []))
            }
            let expected = entries[position]
            guard expected.call.method == method, expected.matchParams.sameValue(as: live) else {
                let differences = Self.differences(expected, method: method, live: live)
                return .miss(
                    Miss(
                        message: "\(Self.describe(method: method, params: params)) is out of the recorded order "
                            + "(match: strict): the next recorded request is \(expected.label)"
                            + Self.differing(differences), closest: expected, differences: differences))
            }
            position += 1
            return .hit(expected)
        }
        guard let group = groups[Self.key(method: method, matchParams: live)] else {
            return .miss(closest(to: method, params: params, live: live))
        }
        switch rule {
        case .params:
            return .hit(group.entries[0])
        case .sequence, .strict:
            defer { group.served += 1 }
            return .hit(group.entries[min(group.served, group.entries.count - 1)])
        }
    }

    private func closest(to method: String, params: JSONValue?, live: JSONValue) -> Miss {
        let request = Self.describe(method: method, params: params)
        let sameMethod = entries.filter { $0.call.method == method }
        guard !sameMethod.isEmpty else {
            var methods: [String] = []
            for entry in entries where !methods.contains(entry.call.method) { methods.append(entry.call.method) }
            return Miss(
                message: "no recorded answer for \(request) (match: \(rule.rawValue)): the recording has no \(method) "
                    + "request" + (methods.isEmpty ? "" : "; it has \(methods.joined(separator: ", "))"),
                closest: nil, differences: [])
        }
        let name = Self.name(params)
        var best = (entry: sameMethod[0], differences: [String](), score: Int.max)
        for entry in sameMethod {
            let differences = Self.differences(entry, method: method, live: live)
            let score = (Self.name(entry.call.params) == name ? 0 : 1_000_000) + differences.count
            if score < best.score { best = (entry, differences, score) }
        }
        return Miss(
            message: "no recorded answer for \(request) (match: \(rule.rawValue)); the closest recorded request is "
                + best.entry.label + Self.differing(best.differences),
            closest: best.entry, differences: best.differences)
    }

    // MARK: keys

    /// `_meta` keys that differ from one session to the next without changing the request.
    static func isVolatileMetaKey(_ key: String) -> Bool {
        key == MCP.MetaKey.progressToken || key == "traceparent" || key == "tracestate" || key == "baggage"
            || key.hasPrefix("io.modelcontextprotocol/")
    }

    /// The params as matched. An `initialize` matches whatever its params: it is the handshake, answered
    /// as recorded whichever client (name, version, capabilities) greets the mock.
    static func matchable(_ params: JSONValue?, method: String) -> JSONValue {
        if method == MCP.Method.initialize { return [:] }
        guard case .object(var object)? = params else { return params?.nonNull ?? [:] }
        if case .object(var meta)? = object["_meta"] {
            meta.members.removeAll { isVolatileMetaKey($0.key) }
            object["_meta"] = meta.isEmpty ? nil : .object(meta)
        }
        return .object(object)
    }

    /// What a request is about besides its method: the tool or prompt name, or the resource URI.
    static func name(_ params: JSONValue?) -> String {
        params?["name"]?.stringValue ?? params?["uri"]?.stringValue ?? ""
    }

    static func key(method: String, matchParams: JSONValue) -> String {
        var text = method + "\u{1}"
        canonical(matchParams, into: &text)
        return text
    }

    /// JSON text that is the same for values `sameValue` finds equal: object keys sorted (the last of
    /// duplicates kept, as lookups do), numbers by value (`1`, `1.0` and `1e0` alike).
    static func canonical(_ value: JSONValue, into text: inout String) {
        switch value {
        case .null, .bool, .string: text += JSONWriter.string(value)
        case .number(let literal):
            if let number = Double(literal) {
                text += number == 0 ? "0" : number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : "\(number)"
            } else {
                text += literal
            }
        case .array(let items):
            text += "["
            for (i, item) in items.enumerated() {
                if i > 0 { text += "," }
                canonical(item, into: &text)
            }
            text += "]"
        case .object(let object):
            var last: [String: JSONValue] = [:]
            for member in object.members { last[member.key] = member.value }
            text += "{"
            for (i, key) in last.keys.sorted().enumerated() {
                if i > 0 { text += "," }
                text += JSONWriter.quoted(key) + ":"
                canonical(last[key] ?? .null, into: &text)
            }
            text += "}"
        }
    }

    static func differences(_ entry: Entry, method: String, live: JSONValue) -> [String] {
        if entry.call.method != method { return ["method: \(entry.call.method)"] }
        return JSONDiff.diff(entry.matchParams, live).map { $0.pointer.isEmpty ? "/" : $0.pointer }
    }

    static func differing(_ differences: [String]) -> String {
        guard !differences.isEmpty else { return "" }
        let shown = differences.prefix(5).joined(separator: ", ")
        return ", which differs at \(shown)" + (differences.count > 5 ? " and \(differences.count - 5) more" : "")
    }

    /// `tools/call get_time {"timezone":"UTC"}`: the method, the tool, the arguments (shortened).
    static func describe(method: String, params: JSONValue?) -> String {
        var shown: JSONValue?
        if method == MCP.Method.toolsCall || method == MCP.Method.promptsGet {
            shown = params?["arguments"]
        } else if case .object(var rest) = matchable(params, method: method) {
            rest["name"] = nil
            rest["uri"] = nil
            shown = rest.isEmpty ? nil : .object(rest)
        }
        var text = method
        let name = name(params)
        if !name.isEmpty { text += " " + name }
        if let shown { text += " " + JSONWriter.string(shown).shortened(to: 200) }
        return text
    }
}
