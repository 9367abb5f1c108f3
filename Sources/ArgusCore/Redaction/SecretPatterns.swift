/// Finds well-known secret shapes inside any text: bearer tokens, Basic
/// credentials, JWTs, GitHub, GitLab, AWS, Google, Slack, Stripe, Hugging Face,
/// npm and `sk-` API keys, passwords in URLs (connection strings included) and
/// PEM private keys. Hand-written byte scanners, not regular expressions: they
/// run on every string of every recorded message, so they must be linear and
/// fast. Each scanner starts at one byte and reads forward a bounded distance
/// or up to the end of what it matched, and the scan resumes after a match.
public enum SecretPatterns {
    public struct Match: Sendable, Equatable {
        /// Byte offsets into the UTF-8 text.
        public var range: Range<Int>
        public var kind: String
    }

    public static func matches(in text: String) -> [Match] {
        var copy = text
        return copy.withUTF8 { matches(in: $0) }
    }

    public static func matches(in s: UnsafeBufferPointer<UInt8>) -> [Match] {
        var found: [Match] = []
        let n = s.count
        var i = 0
        // An access key id is usually printed with its secret key close behind: that match waits
        // here until the scan reaches it, so whatever lies between is still scanned, in order.
        var awsSecret: Match? = nil
        while i < n {
            if let secret = awsSecret, i >= secret.range.lowerBound {
                found.append(secret)
                awsSecret = nil
                i = max(i, secret.range.upperBound)
                continue
            }
            let b = s[i]
            var hit: Match? = nil
            switch b {
            case UInt8(ascii: "B"), UInt8(ascii: "b"): hit = bearer(s, i) ?? basic(s, i)
            case UInt8(ascii: "e"): hit = jwt(s, i)
            case UInt8(ascii: "g"): hit = github(s, i) ?? gitlab(s, i)
            case UInt8(ascii: "A"): hit = aws(s, i) ?? google(s, i)
            case UInt8(ascii: "h"): hit = huggingFace(s, i)
            case UInt8(ascii: "n"): hit = npm(s, i)
            case UInt8(ascii: "x"): hit = slack(s, i)
            case UInt8(ascii: "s"), UInt8(ascii: "r"): hit = apiKey(s, i)
            case UInt8(ascii: "-"): hit = pem(s, i)
            case UInt8(ascii: ":"): hit = urlPassword(s, i)
            default: break
            }
            if let hit {
                found.append(hit)
                i = max(hit.range.upperBound, i + 1)
                if hit.kind == "aws-access-key", awsSecret == nil { awsSecret = awsSecretKey(s, after: i) }
            } else {
                i += 1
            }
        }
        if let secret = awsSecret { found.append(secret) }
        return found
    }

    // MARK: character classes

    @inline(__always) static func isAlnum(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
    }
    @inline(__always) static func isUpperOrDigit(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) }
    @inline(__always) static func isBase64URL(_ b: UInt8) -> Bool { isAlnum(b) || b == 0x2D || b == 0x5F }
    @inline(__always) static func isTokenChar(_ b: UInt8) -> Bool {
        isAlnum(b) || b == 0x2D || b == 0x2E || b == 0x5F || b == 0x7E || b == 0x2B || b == 0x2F
    }

    /// True when position `i` starts a word (nothing alphanumeric right before it).
    @inline(__always) static func atWordStart(_ s: UnsafeBufferPointer<UInt8>, _ i: Int) -> Bool {
        i == 0 || !(isAlnum(s[i - 1]) || s[i - 1] == 0x5F)
    }

    static func hasPrefix(_ s: UnsafeBufferPointer<UInt8>, _ i: Int, _ prefix: StaticString, caseInsensitive: Bool = false)
        -> Bool
    {
        let count = prefix.utf8CodeUnitCount
        guard i + count <= s.count else { return false }
        let p = prefix.utf8Start
        for k in 0..<count {
            var a = s[i + k]
            var b = p[k]
            if caseInsensitive {
                if a >= 0x41 && a <= 0x5A { a += 0x20 }
                if b >= 0x41 && b <= 0x5A { b += 0x20 }
            }
            if a != b { return false }
        }
        return true
    }

    static func run(_ s: UnsafeBufferPointer<UInt8>, from: Int, while predicate: (UInt8) -> Bool) -> Int {
        var j = from
        while j < s.count, predicate(s[j]) { j += 1 }
        return j
    }

    // MARK: patterns

    /// `Bearer <token>`: the token is redacted, the word kept.
    static func bearer(_ s: UnsafeBufferPointer<UInt8>, _ i: Int) -> Match? {
        guard atWordStart(s, i), hasPrefix(s, i, "bearer", caseInsensitive: true) else { return nil }
        var j = i + 6
        guard j < s.count, s[j] == 0x20 || s[j] == 0x09 else { return nil }
        while j < s.count, s[j] == 0x20 || s[j] == 0x09 { j += 1 }
        let start = j
        var end = run(s, from: j, while: isTokenChar)
        end = run(s, from: end, while: { $0 == 0x3D })  // trailing '='
        guard end - start >= 8 else { return nil }
        // Ordinary words after "bearer" are not tokens: ask for a digit or symbol.
        var looksLikeToken = false
        for k in start..<end where !(s[k] >= 0x41 && s[k] <= 0x5A) && !(s[k] >= 0x61 && s[k] <= 0x7A) {
            looksLikeToken = true
            break
        }
        return looksLikeToken ? Match(range: start..<end, kind: "bearer") : nil
    }

    /// `Basic <base64 of user:password>` (HTTP Basic credentials): the credentials are redacted,
    /// the word kept. Only base64 that decodes to something with a `:` counts, so "basic usage" stays.
    static func basic(_ s: UnsafeBufferPointer<UInt8>, _ i: Int) -> Match? {
        guard atWordStart(s, i), hasPrefix(s, i, "basic", caseInsensitive: true) else { return nil }
        var j = i + 5
        guard j < s.count, s[j] == 0x20 || s[j] == 0x09 else { return nil }
        while j < s.count, s[j] == 0x20 || s[j] == 0x09 { j += 1 }
        let start = j
        var end = run(s, from: j, while: { isAlnum($0) || $0 == 0x2B || $0 == 0x2F })
        end = run(s, from: end, while: { $0 == 0x3D })
        guard end - start >= 8, end - start <= 4096, base64DecodesToPair(s, start..<end) else { return nil }
        return Match(range: start..<end, kind: "basic-auth")
    }

    /// True when the base64 text decodes to bytes that contain a `:` (user:password).
    static func base64DecodesToPair(_ s: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        var accumulator: UInt32 = 0
        var bits = 0
        for k in range {
            let c = s[k]
            let value: UInt32
            switch c {
            case 0x41...0x5A: value = UInt32(c - 0x41)
            case 0x61...0x7A: value = UInt32(c - 0x61 + 26)
            case 0x30...0x39: value = UInt32(c - 0x30 + 52)
            case 0x2B: value = 62
            case 0x2F: value = 63
            default: return false  // '=' padding ends the data
            }
            accumulator = (accumulator << 6) | value
            bits += 6
            if bits >= 8 {
                bits -= 8
                if (accumulator >> UInt32(bits)) & 0xFF == 0x3A { return true }
            }
        }
        return false
    }

    /// `eyJ….eyJ….sig`: a JSON Web Token.
    static func jwt(_ s: UnsafeBufferPointer<UInt8>, _ i: Int) -> Match? {
        guard atWordStart(s, i), hasPrefix(s, i, "eyJ") else { return nil }
        let headerEnd = run(s, from: i, while: isBase64URL)
        guard headerEnd - i >= 10, headerEnd < s.count, s[headerEnd] == 0x2E else { return nil }
        let payloadEnd = run(s, from: headerEnd + 1, while: isBase64URL)
        guard payloadEnd - headerEnd - 1 >= 10, payloadEnd < s.count, s[payloadEnd] == 0x2E else { return nil }
        let end = run(s, from: payloadEnd + 1, while: isBase64URL)
        return Match(range: i..<end, kind: "jwt")
    }

    /// `ghp_…`, `gho_…`, `ghu_…`, `ghs_…`, `ghr_…`, `github_pat_…`.
    static func github(_ s: UnsafeBufferPointer<UInt8>, _ i: Int) -> Match? {
        guard atWordStart(s, i) else { return nil }
        if hasPrefix(s, i, "github_pat_") {
            let end = run(s, from: i + 11, while: { isAlnum($0) || $0 == 0x5F })
            return end - i - 11 >= 20 ? Match(range: i..<end, kind: "github-token") : nil
        }
        guard i + 4 <= s.count, s[i + 1] == UInt8(ascii: "h"), s[i + 3] == 0x5F else { return nil }
        switch s[i + 2] {
        case UInt8(ascii: "p"), UInt8(ascii: "o"), UInt8(ascii: "u"), UInt8(ascii: "s"), UInt8(ascii: "r"):
            let end = run(s, from: i + 4, while: isAlnum)
            return end - i - 4 >= 20 ? Match(range: i..<end, kind: "github-token") : nil
        default: return nil
        }
    }

    /// AWS access key ids: `AKIA`/`ASIA`/`ABIA`/`ACCA` + 16 upper-case alphanumerics.
    static func aws(_ s: UnsafeBufferPointer<UInt8>, _ i: Int) -> Match? {
        guard atWordStart(s, i),
            hasPrefix(s, i, "AKIA") || hasPrefix(s, i, "ASIA") || hasPrefix(s, i, "ABIA") || hasPrefix(s, i, "ACCA")
        else { return nil }
        let end = run(s, from: i + 4, while: isUpperOrDigit)
        return end - i == 20 ? Match(range: i..<end, kind: "aws-access-key") : nil
    }

    /// An AWS secret access key (40 characters of base64) shortly after an access key id,
    /// as `aws configure list`, credential files and CLI output print them.
    static func awsSecretKey(_ s: UnsafeBufferPointer<UInt8>, after from: Int) -> Match? {
        let limit = min(s.count, from + 200)
        var j = from
        while j < limit {
            if isAWSSecretChar(s[j]), j == 0 || !isAWSSecretChar(s[j - 1]) {
                let end = run(s, from: j, while: isAWSSecretChar)
                if end - j == 40 { return Match(range: j..<end, kind: "aws-secret-key") }
                j = end
            } else {
                j += 1
            }
        }
        return nil
    }

    @inline(__always) static func isAWSSecretChar(_ b: UInt8) -> Bool { isAlnum(b) || b == 0x2B || b == 0x2F }

    /// Google API keys: `AIza` + 35 characters.
    static func google(_ s: UnsafeBufferPointer<UInt8>, _ i: Int) -> Match? {
        guard atWordStart(s, i), hasPrefix(s, i, "AIza") else { return nil }
        let end = run(s, from: i + 4, while: isBase64URL)
        return end - i - 4 >= 30 ? Match(range: i..<end, kind: "google-api-key") : nil
    }

    /// GitLab personal, deploy and trigger tokens: `glpat-…`, `gldt-…`, `glptt-…`.
    static func gitlab(_ s: UnsafeBufferPointer<UInt8>, _ i: Int) -> Match? {
        guard atWordStart(s, i) else { return nil }
        for prefix: StaticString in ["glpat-", "gldt-", "glptt-"] where hasPrefix(s, i, prefix) {
            let bodyStart = i + prefix.utf8CodeUnitCount
            let end = run(s, from: bodyStart, while: isBase64URL)
            return end - bodyStart >= 20 ? Match(range: i..<end, kind: "gitlab-token") : nil
        }
        return nil
    }

    /// Hugging Face tokens: `hf_` + 30 or more letters.
    static func huggingFace(_ s: UnsafeBufferPointer<UInt8>, _ i: Int) -> Match? {
        guard atWordStart(s, i), hasPrefix(s, i, "hf_") else { return nil }
        let end = run(s, from: i + 3, while: isAlnum)
        return end - i - 3 >= 30 ? Match(range: i..<end, kind: "huggingface-token") : nil
    }

    /// npm access tokens: `npm_` + 36 alphanumerics.
    static func npm(_ s: UnsafeBufferPointer<UInt8>, _ i: Int) -> Match? {
        guard atWordStart(s, i), hasPrefix(s, i, "npm_") else { return nil }
        let end = run(s, from: i + 4, while: isAlnum)
        return end - i - 4 >= 30 ? Match(range: i..<end, kind: "npm-token") : nil
    }

    /// Slack tokens: `xoxb-…`, `xoxp-…`, `xoxa-…`, `xoxo-…`, `xoxs-…`, `xoxr-…`, `xapp-…`.
    static func slack(_ s: UnsafeBufferPointer<UInt8>, _ i: Int) -> Match? {
        guard atWordStart(s, i) else { return nil }
        var bodyStart: Int
        if hasPrefix(s, i, "xapp-") {
            bodyStart = i + 5
        } else if hasPrefix(s, i, "xox"), i + 4 < s.count, s[i + 4] == 0x2D,
            [
                UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "p"), UInt8(ascii: "o"), UInt8(ascii: "s"),
                UInt8(ascii: "r"),
            ].contains(s[i + 3])
        {
            bodyStart = i + 5
        } else {
            return nil
        }
        let end = run(s, from: bodyStart, while: { isAlnum($0) || $0 == 0x2D })
        bodyStart = end - bodyStart
        return bodyStart >= 10 ? Match(range: i..<end, kind: "slack-token") : nil
    }

    /// `sk-…` (OpenAI, Anthropic and others) and Stripe `sk_live_`/`sk_test_`/`rk_live_`/`rk_test_` keys.
    static func apiKey(_ s: UnsafeBufferPointer<UInt8>, _ i: Int) -> Match? {
        guard atWordStart(s, i) else { return nil }
        if hasPrefix(s, i, "sk-") {
            let end = run(s, from: i + 3, while: isBase64URL)
            return end - i - 3 >= 20 ? Match(range: i..<end, kind: "api-key") : nil
        }
        for prefix: StaticString in ["sk_live_", "sk_test_", "rk_live_", "rk_test_"] where hasPrefix(s, i, prefix) {
            let end = run(s, from: i + 8, while: isAlnum)
            return end - i - 8 >= 16 ? Match(range: i..<end, kind: "api-key") : nil
        }
        return nil
    }

    /// `-----BEGIN … PRIVATE KEY-----` through the matching END line (or the end of the text).
    static func pem(_ s: UnsafeBufferPointer<UInt8>, _ i: Int) -> Match? {
        guard hasPrefix(s, i, "-----BEGIN ") else { return nil }
        // The header must end in "PRIVATE KEY-----" within a short distance.
        var j = i + 11
        let limit = min(s.count, j + 40)
        var headerEnd: Int? = nil
        while j < limit {
            if hasPrefix(s, j, "PRIVATE KEY-----") {
                headerEnd = j + 16
                break
            }
            if s[j] == 0x0A { break }
            j += 1
        }
        guard let bodyStart = headerEnd else { return nil }
        var k = bodyStart
        while k < s.count {
            if hasPrefix(s, k, "-----END ") {
                var e = k + 9
                while e < s.count, !hasPrefix(s, e, "-----") {
                    if s[e] == 0x0A { break }
                    e += 1
                }
                if hasPrefix(s, e, "-----") { return Match(range: i..<(e + 5), kind: "private-key") }
            }
            k += 1
        }
        return Match(range: i..<s.count, kind: "private-key")
    }

    /// The password in `scheme://user:password@host`: web URLs and connection strings
    /// (`postgres://`, `mysql://`, `mongodb+srv://`, `amqp://`, `redis://:password@host`).
    static func urlPassword(_ s: UnsafeBufferPointer<UInt8>, _ i: Int) -> Match? {
        guard hasPrefix(s, i, "://") else { return nil }
        var j = i + 3
        while j < s.count, s[j] != 0x3A, s[j] != 0x40, s[j] != 0x2F, s[j] > 0x20 { j += 1 }
        guard j < s.count, s[j] == 0x3A else { return nil }
        let passwordStart = j + 1
        // Up to the last `@` before the path: an unencoded `@` in a password is common in connection strings.
        var k = passwordStart
        var lastAt: Int? = nil
        while k < s.count, s[k] != 0x2F, s[k] > 0x20, s[k] != 0x22, s[k] != 0x27, s[k] != 0x5C {
            if s[k] == 0x40 { lastAt = k }
            k += 1
        }
        guard let at = lastAt, at > passwordStart else { return nil }
        return Match(range: passwordStart..<at, kind: "url-password")
    }
}
