/// What to redact before anything is stored.
public struct RedactionPolicy: Sendable {
    public var enabled: Bool
    public var keyMatcher: SecretKeyMatcher
    /// Secret values taken from the server's environment (name, value); every
    /// occurrence of a value in any string is replaced.
    public var secretValues: [(name: String, value: String)]
    /// The user's own secret shapes, from the configuration.
    public var valuePatterns: [ValuePattern] = []

    /// Values shorter than this are not treated as secrets: redacting every
    /// occurrence of "1" or "dev" would destroy the recording.
    public static let minimumSecretValueLength = 6

    public init(enabled: Bool = true, extraKeys: [String] = [], secretValues: [(name: String, value: String)] = []) {
        self.enabled = enabled
        self.keyMatcher = SecretKeyMatcher(extraKeys: extraKeys)
        self.secretValues = secretValues.filter { $0.value.utf8.count >= Self.minimumSecretValueLength }
            .sorted { $0.value.utf8.count > $1.value.utf8.count }  // longest first: no partial leftovers
    }

    /// The policy for a server started with `environment`: the values of
    /// variables whose names look secret (`GITHUB_TOKEN`, `DB_PASS`, `GH_PAT`, …),
    /// and the secrets inside any other value (the password of `DATABASE_URL=postgres://u:pw@h`).
    public static func forEnvironment(
        _ environment: [String: String], enabled: Bool = true, extraKeys: [String] = [],
        patterns: [ValuePattern] = []
    ) -> RedactionPolicy {
        let matcher = SecretKeyMatcher(extraKeys: extraKeys)
        var policy = RedactionPolicy(
            enabled: enabled, extraKeys: extraKeys,
            secretValues: secrets(in: environment, matcher: matcher))
        policy.valuePatterns = patterns
        return policy
    }

    /// The secret values of an environment, by name or by shape.
    static func secrets(in environment: [String: String], matcher: SecretKeyMatcher) -> [(name: String, value: String)] {
        let scanner = KeyValueText(matcher: matcher)
        var found: [(name: String, value: String)] = []
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) {
            if matcher.isSecretVariable(name) {
                found.append((name, value))
                continue
            }
            var copy = value
            copy.withUTF8 { bytes in
                let ranges = SecretPatterns.matches(in: bytes).map(\.range) + scanner.matches(in: bytes)
                for range in ranges {
                    found.append((name, String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)))
                }
            }
        }
        return found
    }
}

extension RedactionPolicy {
    /// This policy, also redacting the secret-looking values of `environment`
    /// (the variables a configured server gets on top of argus's own).
    public func including(environment: [String: String]) -> RedactionPolicy {
        let added = Self.secrets(in: environment, matcher: keyMatcher)
        guard !added.isEmpty else { return self }
        var policy = self
        policy.secretValues = (secretValues + added).filter { $0.value.utf8.count >= Self.minimumSecretValueLength }
            .sorted { $0.value.utf8.count > $1.value.utf8.count }
        return policy
    }
}

/// One place where a value was replaced.
public struct RedactionHit: Sendable, Equatable {
    /// JSON Pointer (RFC 6901) to the replaced value.
    public var pointer: String
    /// Why: `key`, a pattern kind (`github-token`, `jwt`, …) or `env:NAME`.
    public var reason: String
    /// The value before redaction (kept in memory only; sealed for replay, never stored in clear).
    public var original: JSONValue
}

/// Replaces secrets in JSON values and text. Redaction is applied to a parsed
/// copy; a value with nothing to redact is returned as `nil` so callers keep
/// (and store) the original bytes untouched.
///
/// A redactor remembers the values it removed by key (`SecretMemory`) and
/// scrubs them wherever they appear afterwards, so keep one per session.
/// All work is linear in the size of the input: each string is scanned once by
/// each detector, and the ranges found are merged after one sort.
public struct Redactor: Sendable {
    static let marker = RedactionMarker.redacted(label: nil).text
    public let policy: RedactionPolicy
    /// The values this redactor has removed by key, searched for in everything after.
    public let memory: SecretMemory
    private let keyValues: KeyValueText

    /// Keys whose subtrees are JSON Schemas: their property names are field
    /// names, not values, so key rules do not apply inside (value patterns do).
    static let schemaKeys: Set<String> = ["inputSchema", "outputSchema", "requestedSchema"]

    /// Object keys shorter than this are not searched for secrets.
    static let minimumSecretKeyLength = 16

    /// How many levels of JSON inside a string inside JSON are opened.
    static let maxTextDepth = 4

    public init(policy: RedactionPolicy) {
        self.policy = policy
        memory = SecretMemory(
            fixed: policy.secretValues.map {
                NeedleMatcher.Needle(bytes: Array($0.value.utf8), label: "env:\($0.name)")
            })
        keyValues = KeyValueText(matcher: policy.keyMatcher)
    }

    /// What one redaction pass carries along: the matcher of known values (taken
    /// once per message) and the values it removed by key, to remember after.
    private struct Pass {
        var needles: NeedleMatcher
        var recent: RecentValues
        var learned: [[UInt8]] = []
        var textDepth = 0

        init(_ snapshot: (matcher: NeedleMatcher, recent: RecentValues)) {
            needles = snapshot.matcher
            recent = snapshot.recent
        }
    }

    /// Returns the redacted value, or nil when nothing needed redaction.
    public func redact(_ value: JSONValue, hits: inout [RedactionHit]) -> JSONValue? {
        guard policy.enabled else { return nil }
        let firstHit = hits.count
        var pass = Pass(memory.snapshot)
        var path: [String] = []
        var result = walk(value, path: &path, inSchema: false, pass: &pass, hits: &hits)
        let learnt = memory.learn(pass.learned)
        if !learnt.isEmpty, Self.occurs(learnt, in: result ?? value) {
            // A value learnt in this message also appears elsewhere in it (perhaps before): once more, with it.
            var again = Pass(memory.snapshot)
            var more: [RedactionHit] = []
            if let second = walk(result ?? value, path: &path, inSchema: false, pass: &again, hits: &more) {
                result = second
                let seen = Set(hits[firstHit...].map(\.pointer))
                hits += more.filter { !seen.contains($0.pointer) }
            }
        }
        return result
    }

    public func redact(_ value: JSONValue) -> JSONValue? {
        var hits: [RedactionHit] = []
        return redact(value, hits: &hits)
    }

    /// Redacts free text (stderr lines, frames that are not JSON or were cut). Nil when unchanged.
    public func redactText(_ text: String) -> String? {
        guard policy.enabled else { return nil }
        var pass = Pass(memory.snapshot)
        var result = redactString(text, pass: &pass)
        let learnt = memory.learn(pass.learned)
        if !learnt.isEmpty, Self.occurs(learnt, in: .string(result?.text ?? text)) {
            var again = Pass(memory.snapshot)
            if let second = redactString(result?.text ?? text, pass: &again) { result = second }
        }
        return result?.text
    }

    /// Whether any of `values` is still somewhere in `value` (strings and keys): a cheap
    /// search with those values alone, which spares most messages a second pass.
    static func occurs(_ values: [[UInt8]], in value: JSONValue) -> Bool {
        // A few values are searched directly; many at once with an automaton of their own.
        let single = values.count <= SecretMemory.recentValues ? values.map(KnownValue.init) : []
        let matcher = single.isEmpty ? NeedleMatcher(values.map { NeedleMatcher.Needle(bytes: $0, label: "") }) : nil
        func search(_ text: String) -> Bool {
            var copy = text
            return copy.withUTF8 { bytes in
                if let matcher {
                    var found: [NeedleMatcher.Match] = []
                    matcher.matches(in: bytes, into: &found)
                    return !found.isEmpty
                }
                return single.contains { $0.occurs(in: bytes) }
            }
        }
        func visit(_ value: JSONValue) -> Bool {
            switch value {
            case .string(let s): return search(s)
            case .array(let items): return items.contains(where: visit)
            case .object(let object): return object.members.contains { search($0.key) || visit($0.value) }
            case .null, .bool, .number: return false
            }
        }
        return visit(value)
    }

    /// The server's command line with its secrets replaced, or nil when it has
    /// none: values of secret-named options (`--token X`, `--api-key=X`,
    /// `-p X`), `NAME=value` with a secret name, and every shape `redactText`
    /// finds (URLs with credentials, tokens). The values are remembered, so a
    /// server that prints them is scrubbed too.
    public func redactArguments(command: String, _ arguments: [String]) -> [String]? {
        guard policy.enabled else { return nil }
        var pass = Pass(memory.snapshot)
        var redacted = arguments
        var changed = false
        let packageRunner = Self.packageRunners.contains(String(command.split(separator: "/").last ?? ""))
        var i = 0
        while i < arguments.count {
            let argument = arguments[i]
            if i + 1 < arguments.count, isSecretOption(argument, packageRunner: packageRunner),
                Self.isOptionValue(arguments[i + 1], of: argument)
            {
                redacted[i + 1] = Self.marker
                pass.learned.append(Array(arguments[i + 1].utf8))
                changed = true
                i += 2
                continue
            }
            if let result = redactString(argument, pass: &pass) {
                redacted[i] = result.text
                changed = true
            }
            i += 1
        }
        memory.learn(pass.learned)
        return changed ? redacted : nil
    }

    /// Commands whose `-p` names a package, not a password.
    static let packageRunners: Set<String> = ["npx", "bunx", "pnpx", "uvx", "pipx", "npm", "pnpm", "yarn", "bun", "uv", "pip", "pip3"]

    /// `--token`, `-token`, `--client-secret` (a value follows); `-p` (password, for mysql,
    /// sshpass and the like). Not `--no-auth`, not `--token=X` (the value is in the same word).
    private func isSecretOption(_ argument: String, packageRunner: Bool) -> Bool {
        guard argument.hasPrefix("-"), !argument.contains("=") else { return false }
        let name = argument.drop { $0 == "-" }
        if name.isEmpty || name.hasPrefix("no-") { return false }
        if name.count == 1 { return name == "p" && !packageRunner }
        return policy.keyMatcher.isSecret(String(name))
    }

    /// Whether `next` is the value of `option` (not the next option, not a port or version for `-p`).
    static func isOptionValue(_ next: String, of option: String) -> Bool {
        if next.hasPrefix("-") || next.isEmpty { return false }
        if option == "-p" {
            // `docker run -p 8080:80`, `ssh -p 22`, `uvx -p 3.12`: numbers are not passwords.
            let portLike = next.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x3A || $0 == 0x2F }
            return !portLike && !next.hasSuffix("/tcp") && !next.hasSuffix("/udp")
        }
        return true
    }

    // MARK: walking

    private func walk(
        _ value: JSONValue, path: inout [String], inSchema: Bool, pass: inout Pass,
        hits: inout [RedactionHit]
    ) -> JSONValue? {
        switch value {
        case .string(let s):
            switch jsonInText(s, path: &path, pass: &pass, hits: &hits) {
            case .redacted(let json): return json
            case .unchanged: return nil
            case .notJSON: break
            }
            guard let result = redactString(s, pass: &pass) else { return nil }
            hits.append(RedactionHit(pointer: Self.pointer(path), reason: result.reason, original: value))
            return .string(result.text)
        case .array(let items):
            var changed: [JSONValue]? = nil
            for (i, item) in items.enumerated() {
                path.append(String(i))
                if let replacement = walk(item, path: &path, inSchema: inSchema, pass: &pass, hits: &hits) {
                    if changed == nil { changed = items }
                    changed?[i] = replacement
                }
                path.removeLast()
            }
            return changed.map(JSONValue.array)
        case .object(let object):
            var changed: JSONObject? = nil
            for (i, member) in object.members.enumerated() {
                path.append(member.key)
                let replacement: JSONValue?
                if !inSchema, policy.keyMatcher.isSecret(member.key) {
                    replacement = redactAll(member.value, path: &path, pass: &pass, hits: &hits)
                } else {
                    let entersSchema = inSchema || Self.schemaKeys.contains(member.key)
                    replacement = walk(member.value, path: &path, inSchema: entersSchema, pass: &pass, hits: &hits)
                }
                if let replacement {
                    if changed == nil { changed = object }
                    changed?.members[i].value = replacement
                }
                // A secret used as a key (`{"sk-live-…": {…}}`): the key itself is replaced. Keys that
                // short are names (`jsonrpc`, `progressToken`); every known token shape is longer.
                if member.key.utf8.count >= Self.minimumSecretKeyLength, let key = redactString(member.key, pass: &pass) {
                    hits.append(RedactionHit(pointer: Self.pointer(path), reason: key.reason, original: .string(member.key)))
                    if changed == nil { changed = object }
                    changed?.members[i].key = key.text
                }
                path.removeLast()
            }
            return changed.map(JSONValue.object)
        case .null, .bool, .number:
            return nil
        }
    }

    /// A string that holds a JSON object or array (FastMCP returns a dict both as
    /// `structuredContent` and as JSON text in `content[0].text`) is redacted as
    /// JSON, its pointer continuing inside it, as the replay diff reads it. A
    /// changed one is stored re-serialized (compact); an unchanged one as it was.
    private func jsonInText(
        _ text: String, path: inout [String], pass: inout Pass,
        hits: inout [RedactionHit]
    ) -> JSONText {
        guard pass.textDepth < Self.maxTextDepth,
            let first = text.utf8.first(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }),
            first == UInt8(ascii: "{") || first == UInt8(ascii: "["),
            let parsed = try? JSONParser.parse(Array(text.utf8))
        else { return .notJSON }
        pass.textDepth += 1
        defer { pass.textDepth -= 1 }
        guard let redacted = walk(parsed, path: &path, inSchema: false, pass: &pass, hits: &hits) else { return .unchanged }
        return .redacted(.string(JSONWriter.string(redacted)))
    }

    private enum JSONText {
        case notJSON
        case unchanged
        case redacted(JSONValue)
    }

    /// Under a secret key: every string and number becomes the marker, keeping
    /// the structure (so a replay can put the sealed originals back). The values
    /// are remembered, to be scrubbed wherever they are echoed.
    private func redactAll(
        _ value: JSONValue, path: inout [String], pass: inout Pass,
        hits: inout [RedactionHit]
    ) -> JSONValue? {
        switch value {
        case .string(let s):
            if s == Self.marker { return nil }
            hits.append(RedactionHit(pointer: Self.pointer(path), reason: "key", original: value))
            pass.learned.append(Array(s.utf8))
            return .string(Self.marker)
        case .number(let literal):
            hits.append(RedactionHit(pointer: Self.pointer(path), reason: "key", original: value))
            pass.learned.append(Array(literal.utf8))
            return .string(Self.marker)
        case .array(let items):
            var changed: [JSONValue]? = nil
            for (i, item) in items.enumerated() {
                path.append(String(i))
                if let r = redactAll(item, path: &path, pass: &pass, hits: &hits) {
                    if changed == nil { changed = items }
                    changed?[i] = r
                }
                path.removeLast()
            }
            return changed.map(JSONValue.array)
        case .object(let object):
            var changed: JSONObject? = nil
            for (i, member) in object.members.enumerated() {
                path.append(member.key)
                if let r = redactAll(member.value, path: &path, pass: &pass, hits: &hits) {
                    if changed == nil { changed = object }
                    changed?.members[i].value = r
                }
                path.removeLast()
            }
            return changed.map(JSONValue.object)
        case .null, .bool:
            return nil
        }
    }

    // MARK: strings

    private struct Replacement {
        var range: Range<Int>
        var label: String
        /// Which detector found it, for a deterministic order when ranges start together.
        var source: Int
    }

    /// Finds every secret in the string with each detector, merges overlapping
    /// ranges into one (so no part of an overlapping secret is left), and
    /// rebuilds the string once. Linear: one scan per detector, one sort.
    private func redactString(_ text: String, pass: inout Pass) -> (text: String, reason: String)? {
        var copy = text
        let needles = pass.needles, recent = pass.recent
        return copy.withUTF8 { buffer -> (text: String, reason: String)? in
            var found: [Replacement] = []
            var known: [NeedleMatcher.Match] = []
            needles.matches(in: buffer, into: &known)
            for match in known { found.append(Replacement(range: match.range, label: match.label, source: 0)) }
            recent.ranges(in: buffer) { found.append(Replacement(range: $0, label: SecretMemory.echoLabel, source: 0)) }
            for match in SecretPatterns.matches(in: buffer) {
                found.append(Replacement(range: match.range, label: match.kind, source: 1))
            }
            for range in keyValues.matches(in: buffer) {
                found.append(Replacement(range: range, label: "key-value", source: 2))
                pass.learned.append(Array(UnsafeBufferPointer(rebasing: buffer[range])))
            }
            for pattern in policy.valuePatterns {
                for range in pattern.matches(in: buffer) {
                    found.append(Replacement(range: range, label: pattern.name, source: 3))
                }
            }
            if found.isEmpty { return nil }
            found.sort { ($0.range.lowerBound, $0.source) < ($1.range.lowerBound, $1.source) }
            var merged: [Replacement] = []
            var reasons: Set<String> = []
            for replacement in found {
                reasons.insert(replacement.label)
                if let last = merged.last, replacement.range.lowerBound < last.range.upperBound {
                    if replacement.range.upperBound > last.range.upperBound {
                        merged[merged.count - 1].range = last.range.lowerBound..<replacement.range.upperBound
                    }
                } else {
                    merged.append(replacement)
                }
            }
            var out: [UInt8] = []
            out.reserveCapacity(buffer.count)
            var cursor = 0
            for r in merged {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[cursor..<r.range.lowerBound]))
                out.append(contentsOf: RedactionMarker.redacted(label: r.label).text.utf8)
                cursor = r.range.upperBound
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[cursor..<buffer.count]))
            return (String(decoding: out, as: UTF8.self), reasons.sorted().joined(separator: ","))
        }
    }

    /// RFC 6901 JSON Pointer for a path of keys/indices.
    public static func pointer(_ path: [String]) -> String {
        var out = ""
        for part in path {
            out.append("/")
            // Escaping is rare; check bytes before doing any work.
            if part.utf8.contains(where: { $0 == 0x7E || $0 == 0x2F }) {
                for c in part {
                    switch c {
                    case "~": out.append("~0")
                    case "/": out.append("~1")
                    default: out.append(c)
                    }
                }
            } else {
                out.append(part)
            }
        }
        return out
    }
}
