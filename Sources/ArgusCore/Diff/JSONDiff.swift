/// Paths to leave out of a comparison: JSON Pointers whose segments may be
/// globs. `*` matches one segment (or part of one: `observed_*`), `**` any
/// number of segments. A pattern without a leading `/` matches at any depth
/// (`timestamp` is `/**/timestamp`).
public struct IgnoreRules: Sendable, Equatable {
    public private(set) var patterns: [String]
    private var compiled: [[String]]

    public init(_ patterns: [String] = []) {
        self.patterns = patterns
        compiled = patterns.map { pattern in
            let absolute = pattern.hasPrefix("/") ? pattern : "/**/" + pattern
            return absolute.split(separator: "/", omittingEmptySubsequences: true).map {
                String($0).replacing("~1", with: "/").replacing("~0", with: "~")
            }
        }
    }

    public var isEmpty: Bool { patterns.isEmpty }

    public func adding(_ more: [String]) -> IgnoreRules { IgnoreRules(patterns + more) }

    /// True when the path (unescaped segments) is ignored.
    public func matches(_ path: [String]) -> Bool {
        compiled.contains { Self.match($0[...], path[...]) }
    }

    static func match(_ pattern: ArraySlice<String>, _ path: ArraySlice<String>) -> Bool {
        guard let head = pattern.first else { return path.isEmpty }
        if head == "**" {
            let rest = pattern.dropFirst()
            var tail = path
            while true {
                if match(rest, tail) { return true }
                guard !tail.isEmpty else { return false }
                tail = tail.dropFirst()
            }
        }
        guard let segment = path.first, segmentMatches(head, segment) else { return false }
        return match(pattern.dropFirst(), path.dropFirst())
    }

    static func segmentMatches(_ pattern: String, _ segment: String) -> Bool {
        if pattern == "*" || pattern == segment { return true }
        guard pattern.contains("*") else { return false }
        // A glob within a segment: `*` for any run of characters; `?` is an ordinary character in keys.
        return Glob.matches(pattern, segment, questionMarkIsWildcard: false)
    }

    /// The value with every ignored path removed.
    public func strip(_ value: JSONValue) -> JSONValue {
        guard !compiled.isEmpty else { return value }
        var path: [String] = []
        return strip(value, &path)
    }

    private func strip(_ value: JSONValue, _ path: inout [String]) -> JSONValue {
        switch value {
        case .object(let object):
            var kept: [JSONMember] = []
            for member in object.members {
                path.append(member.key)
                if !matches(path) { kept.append(JSONMember(member.key, strip(member.value, &path))) }
                path.removeLast()
            }
            return .object(JSONObject(kept))
        case .array(let items):
            var kept: [JSONValue] = []
            for (i, item) in items.enumerated() {
                path.append(String(i))
                if !matches(path) { kept.append(strip(item, &path)) }
                path.removeLast()
            }
            return .array(kept)
        default:
            return value
        }
    }
}

/// A structural difference between two JSON values, with JSON Pointer paths.
public enum JSONDiff {
    public enum Kind: String, Sendable { case added, removed, changed }

    public struct Line: Sendable, Equatable {
        public enum Kind: String, Sendable { case same, added, removed }
        public var kind: Kind
        public var text: String
    }

    public struct Change: Sendable {
        public var pointer: String
        public var kind: Kind
        public var before: JSONValue?
        public var after: JSONValue?
        /// For long or multi-line text: what changed, line by line.
        public var lines: [Line]?

        public var json: JSONValue {
            var o: JSONObject = ["path": .string(pointer), "kind": .string(kind.rawValue)]
            if let before { o["before"] = before }
            if let after { o["after"] = after }
            if let lines {
                o["lines"] = .array(
                    lines.filter { $0.kind != .same }.map {
                        ["kind": .string($0.kind.rawValue), "text": .string($0.text)]
                    })
            }
            return .object(o)
        }
    }

    /// Differences from `before` to `after`, ignoring `ignore`d paths.
    ///
    /// Text that holds a JSON object or array (as MCP tools often return in
    /// `content[].text`) is compared as JSON, its paths continuing into it:
    /// `/result/content/0/text/observed_at`.
    public static func diff(_ before: JSONValue, _ after: JSONValue, ignoring ignore: IgnoreRules = IgnoreRules()) -> [Change] {
        var changes: [Change] = []
        var path: [String] = []
        compare(ignore.strip(expandingJSONText(before)), ignore.strip(expandingJSONText(after)), &path, &changes)
        return changes
    }

    /// The value with every string that parses as a JSON object or array replaced by what it parses to.
    static func expandingJSONText(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let text):
            guard let first = text.utf8.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }),
                first == UInt8(ascii: "{") || first == UInt8(ascii: "["),
                let parsed = try? JSONParser.parse(Array(text.utf8))
            else { return value }
            return expandingJSONText(parsed)
        case .array(let items): return .array(items.map(expandingJSONText))
        case .object(let object): return .object(JSONObject(object.members.map { JSONMember($0.key, expandingJSONText($0.value)) }))
        default: return value
        }
    }

    /// Strings this long, or with line breaks, are compared line by line.
    static let textThreshold = 80

    private static func compare(_ a: JSONValue, _ b: JSONValue, _ path: inout [String], _ changes: inout [Change]) {
        switch (a, b) {
        case (.object(let x), .object(let y)):
            for member in x.members {
                path.append(member.key)
                if let other = y[member.key] {
                    compare(member.value, other, &path, &changes)
                } else {
                    changes.append(Change(pointer: Redactor.pointer(path), kind: .removed, before: member.value, after: nil))
                }
                path.removeLast()
            }
            for member in y.members where x[member.key] == nil {
                path.append(member.key)
                changes.append(Change(pointer: Redactor.pointer(path), kind: .added, before: nil, after: member.value))
                path.removeLast()
            }
        case (.array(let x), .array(let y)):
            compareArrays(x, y, &path, &changes)
        case (.string(let s), .string(let t))
        where s != t
            && (s.utf8.count >= textThreshold || t.utf8.count >= textThreshold || s.contains("\n") || t.contains("\n")):
            changes.append(
                Change(
                    pointer: Redactor.pointer(path), kind: .changed, before: a, after: b,
                    lines: lineDiff(s, t)))
        default:
            if !a.sameValue(as: b) {
                changes.append(Change(pointer: Redactor.pointer(path), kind: .changed, before: a, after: b))
            }
        }
    }

    /// Arrays are aligned on their longest common subsequence, so an inserted
    /// element is one `added` change, not a shift of everything after it.
    private static func compareArrays(_ x: [JSONValue], _ y: [JSONValue], _ path: inout [String], _ changes: inout [Change]) {
        let pairs = x.count * y.count <= 1_000_000 ? lcs(x, y) { $0.sameValue(as: $1) } : []
        var i = 0, j = 0
        func flush(until nextI: Int, _ nextJ: Int) {
            // Unmatched stretches: pair them up as changes, the rest added or removed.
            while i < nextI && j < nextJ {
                path.append(String(i))
                compare(x[i], y[j], &path, &changes)
                path.removeLast()
                i += 1
                j += 1
            }
            while i < nextI {
                path.append(String(i))
                changes.append(Change(pointer: Redactor.pointer(path), kind: .removed, before: x[i], after: nil))
                path.removeLast()
                i += 1
            }
            while j < nextJ {
                path.append(String(j))
                changes.append(Change(pointer: Redactor.pointer(path), kind: .added, before: nil, after: y[j]))
                path.removeLast()
                j += 1
            }
        }
        if pairs.isEmpty && !(x.isEmpty || y.isEmpty) && x.count * y.count > 1_000_000 {
            flush(until: x.count, y.count)  // too big to align: index by index
            return
        }
        for (pi, pj) in pairs {
            flush(until: pi, pj)
            i = pi + 1
            j = pj + 1
        }
        flush(until: x.count, y.count)
    }

    /// Index pairs of a longest common subsequence (dynamic programming).
    static func lcs<T>(_ x: [T], _ y: [T], equal: (T, T) -> Bool) -> [(Int, Int)] {
        let n = x.count, m = y.count
        if n == 0 || m == 0 { return [] }
        var table = [Int](repeating: 0, count: (n + 1) * (m + 1))
        for i in stride(from: n - 1, through: 0, by: -1) {
            for j in stride(from: m - 1, through: 0, by: -1) {
                table[i * (m + 1) + j] =
                    equal(x[i], y[j])
                    ? table[(i + 1) * (m + 1) + j + 1] + 1
                    : max(table[(i + 1) * (m + 1) + j], table[i * (m + 1) + j + 1])
            }
        }
        var pairs: [(Int, Int)] = []
        var i = 0, j = 0
        while i < n && j < m {
            if equal(x[i], y[j]) {
                pairs.append((i, j))
                i += 1
                j += 1
            } else if table[(i + 1) * (m + 1) + j] >= table[i * (m + 1) + j + 1] {
                i += 1
            } else {
                j += 1
            }
        }
        return pairs
    }

    /// A line diff of two texts (same / removed / added lines).
    public static func lineDiff(_ a: String, _ b: String) -> [Line] {
        let x = a.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let y = b.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if x.count * y.count > 4_000_000 {
            return x.map { Line(kind: .removed, text: $0) } + y.map { Line(kind: .added, text: $0) }
        }
        var lines: [Line] = []
        var i = 0, j = 0
        for (pi, pj) in lcs(x, y, equal: ==) {
            while i < pi { lines.append(Line(kind: .removed, text: x[i])); i += 1 }
            while j < pj { lines.append(Line(kind: .added, text: y[j])); j += 1 }
            lines.append(Line(kind: .same, text: x[i]))
            i += 1
            j += 1
        }
        while i < x.count { lines.append(Line(kind: .removed, text: x[i])); i += 1 }
        while j < y.count { lines.append(Line(kind: .added, text: y[j])); j += 1 }
        return lines
    }
}
