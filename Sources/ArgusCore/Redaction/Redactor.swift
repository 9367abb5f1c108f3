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
    /// variables whose names look secret (`GITHUB_TOKEN`, `API_KEY`, …).
    public static func forEnvironment(_ environment: [String: String], enabled: Bool = true, extraKeys: [String] = [],
                                      patterns: [ValuePattern] = []) -> RedactionPolicy
    {
        let matcher = SecretKeyMatcher(extraKeys: extraKeys)
        let secrets = environment.filter { matcher.isSecret($0.key) }.map { (name: $0.key, value: $0.value) }
        var policy = RedactionPolicy(enabled: enabled, extraKeys: extraKeys, secretValues: secrets)
        policy.valuePatterns = patterns
        return policy
    }
}

extension RedactionPolicy {
    /// This policy, also redacting the secret-looking values of `environment`
    /// (the variables a configured server gets on top of argus's own).
    public func including(environment: [String: String]) -> RedactionPolicy {
        let added = environment.filter { keyMatcher.isSecret($0.key) }.map { (name: $0.key, value: $0.value) }
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
public struct Redactor: Sendable {
    public static let marker = "[REDACTED]"
    public let policy: RedactionPolicy

    /// Keys whose subtrees are JSON Schemas: their property names are field
    /// names, not values, so key rules do not apply inside (value patterns do).
    static let schemaKeys: Set<String> = ["inputSchema", "outputSchema", "requestedSchema"]

    public init(policy: RedactionPolicy) { self.policy = policy }

    /// Returns the redacted value, or nil when nothing needed redaction.
    public func redact(_ value: JSONValue, hits: inout [RedactionHit]) -> JSONValue? {
        guard policy.enabled else { return nil }
        var path: [String] = []
        return walk(value, path: &path, inSchema: false, hits: &hits)
    }

    public func redact(_ value: JSONValue) -> JSONValue? {
        var hits: [RedactionHit] = []
        return redact(value, hits: &hits)
    }

    /// Redacts free text (stderr lines, frames that are not JSON). Nil when unchanged.
    public func redactText(_ text: String) -> String? {
        guard policy.enabled else { return nil }
        return redactString(text).map(\.text)
    }

    // MARK: walking

    private func walk(_ value: JSONValue, path: inout [String], inSchema: Bool, hits: inout [RedactionHit]) -> JSONValue? {
        switch value {
        case .string(let s):
            guard let result = redactString(s) else { return nil }
            hits.append(RedactionHit(pointer: Self.pointer(path), reason: result.reason, original: value))
            return .string(result.text)
        case .array(let items):
            var changed: [JSONValue]? = nil
            for (i, item) in items.enumerated() {
                path.append(String(i))
                if let replacement = walk(item, path: &path, inSchema: inSchema, hits: &hits) {
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
                    replacement = redactAll(member.value, path: &path, hits: &hits)
                } else {
                    let entersSchema = inSchema || Self.schemaKeys.contains(member.key)
                    replacement = walk(member.value, path: &path, inSchema: entersSchema, hits: &hits)
                }
                if let replacement {
                    if changed == nil { changed = object }
                    changed?.members[i].value = replacement
                }
                path.removeLast()
            }
            return changed.map(JSONValue.object)
        case .null, .bool, .number:
            return nil
        }
    }

    /// Under a secret key: every string and number becomes the marker, keeping
    /// the structure (so a replay can put the sealed originals back).
    private func redactAll(_ value: JSONValue, path: inout [String], hits: inout [RedactionHit]) -> JSONValue? {
        switch value {
        case .string(let s):
            if s == Self.marker { return nil }
            hits.append(RedactionHit(pointer: Self.pointer(path), reason: "key", original: value))
            return .string(Self.marker)
        case .number:
            hits.append(RedactionHit(pointer: Self.pointer(path), reason: "key", original: value))
            return .string(Self.marker)
        case .array(let items):
            var changed: [JSONValue]? = nil
            for (i, item) in items.enumerated() {
                path.append(String(i))
                if let r = redactAll(item, path: &path, hits: &hits) {
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
                if let r = redactAll(member.value, path: &path, hits: &hits) {
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
        var marker: String
    }

    private func redactString(_ text: String) -> (text: String, reason: String)? {
        var copy = text
        return copy.withUTF8 { buffer -> (text: String, reason: String)? in
            var replacements: [Replacement] = []
            for secret in policy.secretValues {
                for range in Self.occurrences(of: secret.value, in: buffer)
                where !replacements.contains(where: { $0.range.overlaps(range) }) {
                    replacements.append(Replacement(range: range, marker: "[REDACTED:env:\(secret.name)]"))
                }
            }
            for match in SecretPatterns.matches(in: buffer)
            where !replacements.contains(where: { $0.range.overlaps(match.range) }) {
                replacements.append(Replacement(range: match.range, marker: "[REDACTED:\(match.kind)]"))
            }
            for pattern in policy.valuePatterns {
                for range in pattern.matches(in: buffer) where !replacements.contains(where: { $0.range.overlaps(range) }) {
                    replacements.append(Replacement(range: range, marker: "[REDACTED:\(pattern.name)]"))
                }
            }
            if replacements.isEmpty { return nil }
            replacements.sort { $0.range.lowerBound < $1.range.lowerBound }
            var out: [UInt8] = []
            out.reserveCapacity(buffer.count)
            var cursor = 0
            for r in replacements {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[cursor..<r.range.lowerBound]))
                out.append(contentsOf: r.marker.utf8)
                cursor = r.range.upperBound
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[cursor..<buffer.count]))
            let reasons = replacements.map { String($0.marker.dropFirst(10).dropLast()) }
            return (String(decoding: out, as: UTF8.self), Array(Set(reasons)).sorted().joined(separator: ","))
        }
    }

    static func occurrences(of needle: String, in haystack: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        let pattern = Array(needle.utf8)
        guard let first = pattern.first, pattern.count <= haystack.count else { return [] }
        var result: [Range<Int>] = []
        var i = 0
        let last = haystack.count - pattern.count
        while i <= last {
            if haystack[i] == first {
                var k = 1
                while k < pattern.count, haystack[i + k] == pattern[k] { k += 1 }
                if k == pattern.count {
                    result.append(i..<(i + pattern.count))
                    i += pattern.count
                    continue
                }
            }
            i += 1
        }
        return result
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
