import ArgusCore

/// HTTP/1.1 request heads, parsed strictly: what two parsers could read two ways
/// (a smuggling or cache-poisoning trick) is refused, not guessed at.
///
/// Pure and incremental: the server looks for the end of a head from where it
/// stopped (linear in the bytes received, however they trickle in), parses the
/// head once it is whole, asks whether to read the body at all, and only then
/// reads it. The fuzzer (`Tests/Fuzz/http`) drives `parse`.
enum RequestParser {
    enum Outcome {
        case incomplete
        case request(HTTPRequest, consumed: Int)
        case failure(status: Int, message: String)
    }

    /// A complete head: the request (without its body) and what the body will be.
    struct Head {
        var request: HTTPRequest
        var contentLength: Int
        /// `Expect: 100-continue`: the client waits for a go-ahead before sending the body.
        var expectsContinue: Bool
    }

    struct Failure: Error, Equatable {
        var status: Int
        var message: String
    }

    static let maxHeaderCount = 100

    /// Parses one request from the start of `buffer`, if it is all there (tests and the fuzzer;
    /// the server runs the same steps as bytes arrive).
    static func parse(_ buffer: [UInt8], maxHeaderBytes: Int, maxBodyBytes: Int) -> Outcome {
        guard let headEnd = findHeadEnd(buffer, from: 0) else {
            return buffer.count > maxHeaderBytes ? .failure(status: 431, message: "request head over \(maxHeaderBytes) bytes") : .incomplete
        }
        if headEnd > maxHeaderBytes { return .failure(status: 431, message: "request head over \(maxHeaderBytes) bytes") }
        let head: Head
        switch parseHead(buffer[0..<headEnd]) {
        case .success(let parsed): head = parsed
        case .failure(let failure): return .failure(status: failure.status, message: failure.message)
        }
        if head.contentLength > maxBodyBytes { return .failure(status: 413, message: tooLarge(head.contentLength, limit: maxBodyBytes)) }
        let bodyStart = headEnd + 4
        guard buffer.count - bodyStart >= head.contentLength else { return .incomplete }
        var request = head.request
        request.body = Array(buffer[bodyStart..<(bodyStart + head.contentLength)])
        return .request(request, consumed: bodyStart + head.contentLength)
    }

    static func tooLarge(_ length: Int, limit: Int) -> String {
        limit == 0
            ? "this request takes no body (Content-Length: \(length))"
            : "the request body (\(length) bytes) is over the \(byteCount(limit)) this endpoint accepts"
    }

    static func byteCount(_ bytes: Int) -> String {
        bytes >= 1 << 20 && bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : "\(bytes) bytes"
    }

    /// The index of the `\r\n\r\n` that ends the head, searching from `start` (pass where the
    /// previous search stopped, less three bytes, so each byte is looked at about once).
    static func findHeadEnd(_ buffer: [UInt8], from start: Int) -> Int? {
        var i = max(0, start)
        let count = buffer.count
        while i + 3 < count {
            // The fourth byte first: a mismatch there skips four at once.
            let fourth = buffer[i + 3]
            if fourth == 10 {
                if buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 { return i }
                i += 1
            } else if fourth == 13 {
                i += 1
            } else {
                i += 4
            }
        }
        return nil
    }

    /// The search for the end of a head in a buffer that grows as bytes arrive: each search starts
    /// where the previous one stopped, so a head trickled in a byte at a time costs what one read costs.
    struct HeadScanner {
        private(set) var scanned = 0
        /// Bytes searched over all calls (tests check that the work stays linear).
        private(set) var searched = 0

        mutating func end(in buffer: [UInt8]) -> Int? {
            let start = max(0, scanned - 3)
            searched += buffer.count - start
            scanned = buffer.count
            return RequestParser.findHeadEnd(buffer, from: start)
        }

        mutating func reset() { scanned = 0 }
    }

    /// Parses a complete head (the bytes before the blank line).
    static func parseHead(_ bytes: ArraySlice<UInt8>) -> Result<Head, Failure> {
        func fail(_ status: Int, _ message: String) -> Result<Head, Failure> { .failure(Failure(status: status, message: message)) }
        guard let text = String(validating: bytes, as: UTF8.self) else { return fail(400, "the request head is not UTF-8") }
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: false)[...]
        guard let first = lines.popFirst() else { return fail(400, "malformed request line") }
        let requestLine = first.split(separator: " ", omittingEmptySubsequences: false)
        guard requestLine.count == 3, !requestLine[0].isEmpty,
            requestLine[0].utf8.allSatisfy({ (0x41...0x5A).contains($0) }),
            requestLine[2] == "HTTP/1.1" || requestLine[2] == "HTTP/1.0"
        else { return fail(400, "malformed request line") }
        let target = String(requestLine[1])
        guard target.hasPrefix("/") else { return fail(400, "only origin-form request targets are accepted") }
        guard !target.utf8.contains(where: isControl) else { return fail(400, "the request target has control characters") }

        var headers: [(name: String, value: String)] = []
        for line in lines {
            guard let colon = line.utf8.firstIndex(of: UInt8(ascii: ":")), colon != line.startIndex,
                line.utf8[..<colon].allSatisfy(isTokenByte)
            else {
                // A line starting with a space continues the previous one (obs-fold): refused, like any line
                // two parsers could read differently.
                return fail(400, "malformed header line")
            }
            let value = trimmed(line.utf8[line.utf8.index(after: colon)...])
            guard !value.contains(where: { isControl($0) && $0 != 0x09 }) else {
                return fail(400, "a header value has control characters")
            }
            headers.append((String(decoding: line.utf8[..<colon], as: UTF8.self).lowercased(), String(decoding: value, as: UTF8.self)))
        }
        if headers.count > maxHeaderCount { return fail(431, "more than \(maxHeaderCount) header lines") }

        let hosts = headers.filter { $0.name == "host" }
        if hosts.count > 1 { return fail(400, "more than one Host header") }
        if hosts.isEmpty && requestLine[2] == "HTTP/1.1" { return fail(400, "an HTTP/1.1 request needs a Host header") }

        let lengths = headers.filter { $0.name == "content-length" }.map(\.value)
        if headers.contains(where: { $0.name == "transfer-encoding" }) {
            // With both, two parsers could disagree on where the body ends (request smuggling).
            if !lengths.isEmpty { return fail(400, "Transfer-Encoding and Content-Length together") }
            return fail(501, "Transfer-Encoding is not supported; send the body with Content-Length")
        }
        var length = 0
        if let firstLength = lengths.first {
            // Digits only: no sign, no spaces, no lists; repeats must agree (RFC 9110 §8.6).
            guard !firstLength.isEmpty, firstLength.utf8.count <= 15, firstLength.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
                let value = Int(firstLength)
            else { return fail(400, "invalid Content-Length: \(firstLength)") }
            guard lengths.allSatisfy({ $0 == firstLength }) else { return fail(400, "Content-Length headers disagree") }
            length = value
        }
        let expectsContinue = headers.contains { $0.name == "expect" && $0.value.lowercased() == "100-continue" }
        let request = HTTPRequest(method: String(requestLine[0]), target: target, headers: headers, version: String(requestLine[2]))
        return .success(Head(request: request, contentLength: length, expectsContinue: expectsContinue))
    }

    /// RFC 9110 token characters (header names).
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
            UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
            UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default: return false
        }
    }

    static func isControl(_ byte: UInt8) -> Bool { byte < 0x20 || byte == 0x7F }

    /// Without leading and trailing spaces and tabs (optional whitespace around a header value).
    static func trimmed(_ value: Substring.UTF8View.SubSequence) -> Substring.UTF8View.SubSequence {
        var value = value
        while let first = value.first, first == 0x20 || first == 0x09 { value = value.dropFirst() }
        while let last = value.last, last == 0x20 || last == 0x09 { value = value.dropLast() }
        return value
    }
}
