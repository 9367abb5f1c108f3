/// Decides whether an object key names a secret, by its word segments.
///
/// A key is split into lowercase segments at `_`, `-`, `.`, spaces and
/// camelCase boundaries (`githubToken` → github, token; `X-Api-Key` → x, api,
/// key; `APIKey` → api, key). It is secret when a secret term appears among the
/// segments (`token`, `api key`, `session id`, …) and no segment after that
/// term says the value is *about* the secret rather than the secret itself
/// (`token_count`, `max_tokens`, `password_file`, `api_key_name`).
///
/// Short terms (`key`, `pass`, `pwd`, `auth`, `pat`) are whole segments only,
/// so `keyword`, `monkey`, `author` and `passage` stay ordinary; `key` after a
/// word that makes it a name (`primary_key`, `sort_key`, `public_key`) is not secret.
public struct SecretKeyMatcher: Sendable {
    /// Terms that are one segment.
    static let singleTerms: Set<String> = [
        "token", "secret", "secrets", "password", "passwords", "passwd", "passphrase",
        "authorization", "cookie", "cookies", "credential", "credentials",
        "apikey", "apikeys", "privatekey", "sessionid", "accesstoken", "refreshtoken",
        "authtoken", "clientsecret",
        // Short forms seen in configs and environments: DB_PASS, MYSQL_PWD, GH_PAT, STRIPE_KEY, {"auth": …}.
        "pass", "pwd", "auth", "key", "pat",
    ]
    /// Segments that, right before `key`, make it a name or a public value rather than a secret.
    static let keyQualifiers: Set<String> = [
        "primary", "foreign", "unique", "composite", "sort", "partition", "hash", "range", "row", "column",
        "cache", "lookup", "map", "group", "object", "routing", "idempotency", "dedup", "dedupe", "public",
        "shortcut", "hot", "translation", "i18n", "message", "label", "metadata", "index", "join", "dict",
    ]
    /// Terms that span two segments.
    static let pairTerms: Set<[String]> = [["api", "key"], ["api", "keys"], ["private", "key"], ["session", "id"]]

    /// Segments that, after a secret term, describe the secret instead of holding it.
    static let descriptors: Set<String> = [
        "count", "counts", "limit", "limits", "max", "min", "type", "types", "kind", "length", "len", "size",
        "usage", "used", "remaining", "expiry", "expires", "expiration", "expired", "ttl", "lifetime",
        "url", "uri", "endpoint", "name", "names", "header", "field", "fields", "hint", "required", "enabled",
        "present", "exists", "valid", "path", "file", "env", "var", "id", "ids", "label", "format", "provided",
        "set", "location", "source", "created", "updated", "at", "time", "timestamp", "schema",
        "method", "methods", "mode", "provider", "providers", "scheme", "scope", "scopes", "status", "strategy",
        "policy", "version", "algorithm", "sock", "socket", "dir", "directory", "home", "store",
    ]

    /// Extra keys from `--redact`/config, as segment sequences.
    public let extraTerms: [[String]]

    /// Lowercase fragments of which every secret key contains at least one;
    /// most keys (`jsonrpc`, `params`, `name`, …) are ruled out without splitting.
    private let triggers: [[UInt8]]

    public init(extraKeys: [String] = []) {
        extraTerms = extraKeys.map(Self.segments).filter { !$0.isEmpty }
        let builtIn = ["tok", "secret", "pass", "auth", "cookie", "credential", "key", "session", "pwd", "pat"]
        triggers = (builtIn + extraTerms.compactMap(\.first)).map { Array($0.utf8) }
    }

    /// MCP's own keys that contain a secret term but hold none.
    static let protocolKeys: Set<String> = ["progressToken"]

    /// Environment variables whose names match a term but whose values are not secrets
    /// (`PWD` is the working directory: redacting it would blank every path in a recording).
    static let ordinaryEnvironmentNames: Set<String> = ["PWD", "OLDPWD"]

    /// Whether an environment variable's value is a secret, by its name.
    public func isSecretVariable(_ name: String) -> Bool {
        !Self.ordinaryEnvironmentNames.contains(name) && isSecret(name)
    }

    public func isSecret(_ key: String) -> Bool {
        guard mayBeSecret(key), !Self.protocolKeys.contains(key) else { return false }
        let parts = Self.segments(key)
        if parts.isEmpty { return false }
        for term in extraTerms where Self.contains(parts, term) { return true }
        // Find the last segment index where a term ends.
        var lastTermEnd: Int? = nil
        for i in parts.indices {
            if Self.singleTerms.contains(parts[i]), !(parts[i] == "key" && i > 0 && Self.keyQualifiers.contains(parts[i - 1])) {
                lastTermEnd = i
            }
            if i > 0, Self.pairTerms.contains([parts[i - 1], parts[i]]) { lastTermEnd = i }
        }
        guard let end = lastTermEnd else { return false }
        return !parts[(end + 1)...].contains(where: Self.descriptors.contains)
    }

    /// True when the key contains a trigger fragment (ASCII case-insensitive). No allocation.
    private func mayBeSecret(_ key: String) -> Bool {
        var key = key
        return key.withUTF8 { bytes in
            for trigger in triggers where bytes.count >= trigger.count {
                let first = trigger[0]
                var start = 0
                while start <= bytes.count - trigger.count {
                    if Self.lower(bytes[start]) == first {
                        var k = 1
                        while k < trigger.count, Self.lower(bytes[start + k]) == trigger[k] { k += 1 }
                        if k == trigger.count { return true }
                    }
                    start += 1
                }
            }
            return false
        }
    }

    @inline(__always) static func lower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b + 0x20 : b }

    static func contains(_ parts: [String], _ term: [String]) -> Bool {
        guard term.count <= parts.count else { return false }
        for start in 0...(parts.count - term.count) where Array(parts[start..<start + term.count]) == term {
            return true
        }
        return false
    }

    /// Splits a key into lowercase word segments.
    public static func segments(_ key: String) -> [String] {
        if key.utf8.allSatisfy({ $0 < 0x80 }) { return asciiSegments(key) }
        var result: [String] = []
        var current: [Character] = []
        let chars = Array(key)
        func flush() {
            if !current.isEmpty { result.append(String(current).lowercased()) }
            current.removeAll(keepingCapacity: true)
        }
        for (i, c) in chars.enumerated() {
            if isSeparator(c.asciiValue) {
                flush()
                continue
            }
            if c.isUppercase, let prev = current.last {
                let nextIsLower = i + 1 < chars.count && chars[i + 1].isLowercase
                if prev.isLowercase || prev.isNumber || (prev.isUppercase && nextIsLower) { flush() }
            }
            current.append(c)
        }
        flush()
        return result
    }

    @inline(__always) static func isSeparator(_ b: UInt8?) -> Bool {
        b == 0x5F || b == 0x2D || b == 0x2E || b == 0x20 || b == 0x2F || b == 0x3A  // _ - . space / :
    }

    /// The same rules on bytes: keys are nearly always ASCII, and this runs for every candidate key.
    static func asciiSegments(_ key: String) -> [String] {
        var result: [String] = []
        var current: [UInt8] = []
        let bytes = Array(key.utf8)
        @inline(__always) func isUpper(_ b: UInt8) -> Bool { b >= 0x41 && b <= 0x5A }
        @inline(__always) func isLower(_ b: UInt8) -> Bool { b >= 0x61 && b <= 0x7A }
        @inline(__always) func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
        func flush() {
            if !current.isEmpty { result.append(String(decoding: current, as: UTF8.self)) }
            current.removeAll(keepingCapacity: true)
        }
        for (i, b) in bytes.enumerated() {
            if isSeparator(b) {
                flush()
                continue
            }
            if isUpper(b), let prev = current.last, i > 0 {
                let original = bytes[i - 1]
                let nextIsLower = i + 1 < bytes.count && isLower(bytes[i + 1])
                if isLower(original) || isDigit(prev) || (isUpper(original) && nextIsLower) { flush() }
            }
            current.append(lower(b))
        }
        flush()
        return result
    }
}
