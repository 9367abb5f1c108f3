#if canImport(Glibc)
import Glibc
#endif

/// A user's own secret shape (config `redaction.patterns`): a POSIX extended
/// regular expression whose matches, anywhere in any string, are replaced by
/// `[REDACTED:name]`. Compiled once; `regexec` is safe to share between threads.
public final class ValuePattern: @unchecked Sendable {
    public let name: String
    public let source: String
    private var regex = regex_t()

    public struct InvalidPattern: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    public init(name: String, pattern: String) throws(InvalidPattern) {
        self.name = name
        source = pattern
        let rc = regcomp(&regex, pattern, REG_EXTENDED)
        guard rc == 0 else {
            var message = [CChar](repeating: 0, count: 256)
            regerror(rc, &regex, &message, message.count)
            throw InvalidPattern(
                description: "invalid regular expression \"\(pattern)\": "
                    + String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
    }

    deinit { regfree(&regex) }

    /// Byte ranges of the non-empty matches in UTF-8 text.
    func matches(in text: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        guard !text.isEmpty else { return [] }
        var cString = Array(text)
        if cString.contains(0) { return [] }  // regexec stops at NUL; such strings are not text anyway
        cString.append(0)
        var found: [Range<Int>] = []
        cString.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { base in
                var offset = 0
                var match = regmatch_t()
                while offset < text.count,
                    regexec(&regex, base + offset, 1, &match, offset == 0 ? 0 : REG_NOTBOL) == 0
                {
                    let start = offset + Int(match.rm_so), end = offset + Int(match.rm_eo)
                    if end > start { found.append(start..<end) }
                    offset = max(end, start + 1)
                }
            }
        }
        return found
    }
}
