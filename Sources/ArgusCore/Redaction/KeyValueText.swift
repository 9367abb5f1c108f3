/// Finds values written next to a secret-looking name in free text:
/// `password=hunter2`, `?access_token=…&`, `X-Api-Key: …`, `Cookie: a=b; c=d`,
/// `"client_secret": "…"` in JSON that did not parse (a truncated frame, a
/// broken line, JSON escaped inside a string), `DB_PASS=…` in a command line.
///
/// This is the key rule of `SecretKeyMatcher` applied to text, so that what
/// escapes the structured walk (text, frames that are not JSON) is still
/// redacted. One pass over the bytes: names are runs of `[A-Za-z0-9_.-]`, and a
/// value is read once, after the separator, so the work is linear in the text.
struct KeyValueText {
    let matcher: SecretKeyMatcher

    /// Header names whose unquoted value runs to the end of the line
    /// (`Cookie: a=b; c=d`, `Authorization: Digest username="u", response="…"`).
    static let lineValued: Set<String> = ["authorization", "proxy-authorization", "cookie", "set-cookie"]

    /// Byte ranges of secret values in UTF-8 text.
    func matches(in s: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        var found: [Range<Int>] = []
        let n = s.count
        var i = 0
        while i < n {
            guard Self.isNameByte(s[i]) else {
                i += 1
                continue
            }
            let nameStart = i
            while i < n, Self.isNameByte(s[i]) { i += 1 }
            let nameEnd = i
            guard nameEnd - nameStart >= 3, let value = valueRange(s, nameStart: nameStart, nameEnd: nameEnd) else { continue }
            found.append(value)
            i = max(value.upperBound, nameEnd)
        }
        return found
    }

    /// The value after a secret name, if the name is secret and a separator follows.
    private func valueRange(_ s: UnsafeBufferPointer<UInt8>, nameStart: Int, nameEnd: Int) -> Range<Int>? {
        let n = s.count
        var j = nameEnd
        // The name's closing quote: `"`, `'`, or an escaped one (`\"`, `\\\"`) in JSON inside JSON.
        if j < n, s[j] == 0x5C || s[j] == 0x22 || s[j] == 0x27 {
            var k = j
            while k < n, s[k] == 0x5C { k += 1 }
            guard k < n, s[k] == 0x22 || s[k] == 0x27 else { return nil }
            j = k + 1
        }
        while j < n, s[j] == 0x20 || s[j] == 0x09 { j += 1 }
        guard j < n else { return nil }
        let separator = s[j]
        if separator == 0x3A {  // `:` or `:=`
            j += 1
            if j < n, s[j] == 0x3D { j += 1 }
        } else if separator == 0x3D {  // `=`, not `==`
            j += 1
            if j < n, s[j] == 0x3D { return nil }
        } else {
            return nil
        }
        while j < n, s[j] == 0x20 || s[j] == 0x09 { j += 1 }
        guard j < n else { return nil }

        // Only now (a separator follows) is the name worth classifying.
        let name = String(decoding: UnsafeBufferPointer(rebasing: s[nameStart..<nameEnd]), as: UTF8.self)
        guard matcher.isSecret(name) else { return nil }

        // A quoted value: up to the same quote (with as many backslashes before it), or the end.
        var backslashes = 0
        var k = j
        while k < n, s[k] == 0x5C { backslashes += 1; k += 1 }
        if k < n, s[k] == 0x22 || s[k] == 0x27 {
            let quote = s[k]
            let start = k + 1
            var e = start
            while e < n {
                if s[e] == quote {
                    var before = 0
                    var b = e - 1
                    while b >= start, s[b] == 0x5C { before += 1; b -= 1 }
                    if backslashes == 0 ? before % 2 == 0 : before == backslashes { break }
                }
                e += 1
            }
            let end = backslashes > 0 && e < n ? e - backslashes : e
            return redactable(s, start..<max(start, end))
        }
        if backslashes > 0 { return nil }
        guard s[j] != 0x7B, s[j] != 0x5B else { return nil }  // an object or array: its own keys are checked

        let lineValued = Self.lineValued.contains(name.lowercased())
        var start = j
        if lineValued {
            // `Authorization: Bearer x`: the scheme stays, the credentials go.
            let word = SecretPatterns.run(s, from: j, while: { ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) })
            if word > j, word < n, s[word] == 0x20 { start = word + 1 }
        }
        var end = start
        while end < n, !(lineValued ? Self.endsLineValue(s[end]) : Self.endsValue(s[end])) { end += 1 }
        let value = start..<end
        // Prose such as "the key: it" or "the key=value format" is not a secret: a bare generic name needs a token-like value.
        if !lineValued, Self.genericNames.contains(name.lowercased()), !Self.looksLikeToken(s, value) { return nil }
        return redactable(s, value)
    }

    /// Names that are also ordinary words in prose.
    static let genericNames: Set<String> = ["key", "pass", "auth", "token", "secret", "pat"]

    /// Values that are nothing to hide: empty, a marker, or a JSON literal.
    private func redactable(_ s: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Range<Int>? {
        guard !range.isEmpty else { return nil }
        let marker = RedactionMarker.redactedPrefixBytes
        if s.count - range.lowerBound >= marker.count, s[range.lowerBound..<range.lowerBound + marker.count].elementsEqual(marker) {
            return nil
        }
        if range.count <= 5 {
            for literal: StaticString in ["null", "true", "false"]
            where range.count == literal.utf8CodeUnitCount
                && SecretPatterns.hasPrefix(s, range.lowerBound, literal)
            {
                return nil
            }
        }
        return range
    }

    /// Long, or with a digit, a symbol or mixed case: what generated tokens look like and words do not.
    static func looksLikeToken(_ s: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        if range.count >= 16 { return true }
        var upper = false, lower = false
        for k in range {
            let b = s[k]
            if b >= 0x41 && b <= 0x5A { upper = true } else if b >= 0x61 && b <= 0x7A { lower = true } else { return true }
        }
        return upper && lower
    }

    @inline(__always) static func isNameByte(_ b: UInt8) -> Bool {
        SecretPatterns.isAlnum(b) || b == 0x5F || b == 0x2D || b == 0x2E
    }

    /// Where an unquoted value ends: whitespace, a delimiter of URLs, headers,
    /// JSON or shell, or a quote (the text may be JSON escaped in JSON).
    @inline(__always) static func endsValue(_ b: UInt8) -> Bool {
        switch b {
        case 0x00...0x20, 0x22, 0x27, 0x26, 0x2C, 0x3B, 0x5C, 0x7D, 0x5D, 0x29, 0x3C, 0x3E: return true
        default: return false
        }
    }

    @inline(__always) static func endsLineValue(_ b: UInt8) -> Bool {
        b == 0x0A || b == 0x0D || b == 0x22 || b == 0x27 || b == 0x5C
    }
}
