/// What can still be read from a frame too large to keep whole: the top-level
/// `id` of a JSON-RPC message, and whether it carries `error` or `result`, so a
/// 100 MB response still completes its call instead of leaving it unanswered.
enum TruncatedFrame {
    struct Summary: Equatable {
        var id: JSONValue?
        var isError = false
        var isResponse = false
    }

    /// Scans the kept prefix for top-level keys; stops once `id` and the kind are known.
    static func summarize(_ bytes: ArraySlice<UInt8>) -> Summary {
        var summary = Summary()
        var depth = 0
        var inString = false
        var escaped = false
        var keyStart: Int?
        var lastKey: [UInt8] = []
        var expectingValueOf: [UInt8]?
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let b = bytes[i]
            if inString {
                if escaped {
                    escaped = false
                } else if b == 0x5C {
                    escaped = true
                } else if b == 0x22 {
                    inString = false
                    if let start = keyStart {
                        lastKey = Array(bytes[start..<i])
                        keyStart = nil
                    }
                }
                i += 1
                continue
            }
            switch b {
            case 0x22:  // "
                inString = true
                // A string at depth 1 right after `{` or `,` is a key.
                if depth == 1 && expectingValueOf == nil { keyStart = i + 1 }
            case 0x3A:  // :
                if depth == 1 {
                    expectingValueOf = lastKey
                    if lastKey == Array("id".utf8) {
                        var end = i + 1
                        while end < bytes.endIndex, bytes[end] != 0x2C, bytes[end] != 0x7D { end += 1 }
                        summary.id = try? JSONParser.parse(Array(bytes[(i + 1)..<end]))
                    } else if lastKey == Array("error".utf8) {
                        summary.isError = true
                        summary.isResponse = true
                    } else if lastKey == Array("result".utf8) {
                        summary.isResponse = true
                    }
                    if summary.id != nil && summary.isResponse { return summary }
                }
            case 0x2C:  // ,
                if depth == 1 { expectingValueOf = nil }
            case 0x7B, 0x5B: depth += 1
            case 0x7D, 0x5D: depth -= 1
            default: break
            }
            i += 1
        }
        return summary
    }
}
