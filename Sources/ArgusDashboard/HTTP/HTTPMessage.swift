import ArgusCore

/// A parsed HTTP/1.1 request.
public struct HTTPRequest: Sendable {
    public var method: String
    /// The request target as sent (`/api/calls?limit=10`).
    public var target: String
    /// The decoded path, without the query.
    public var path: String
    public var query: [String: [String]]
    /// Header names are lowercased; repeated headers keep every value.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    public var version: String

    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name == lower }?.value
    }

    /// The first value of a query parameter.
    public func query(_ name: String) -> String? { query[name]?.first }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    public init(
        method: String, target: String, headers: [(name: String, value: String)] = [], body: [UInt8] = [],
        version: String = "HTTP/1.1"
    ) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
        self.version = version
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        path = HTTPRequest.percentDecode(String(parts.first ?? ""), plusIsSpace: false) ?? String(parts.first ?? "")
        query = parts.count > 1 ? HTTPRequest.parseQuery(String(parts[1])) : [:]
    }

    static func parseQuery(_ text: String) -> [String: [String]] {
        var result: [String: [String]] = [:]
        for pair in text.split(separator: "&") where !pair.isEmpty {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = percentDecode(String(kv[0]), plusIsSpace: true) ?? String(kv[0])
            let value = kv.count > 1 ? (percentDecode(String(kv[1]), plusIsSpace: true) ?? String(kv[1])) : ""
            result[key, default: []].append(value)
        }
        return result
    }

    static func percentDecode(_ text: String, plusIsSpace: Bool) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
                bytes.append(high << 4 | low)
            case UInt8(ascii: "+") where plusIsSpace:
                bytes.append(0x20)
            default:
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x41...0x46: return byte - 0x41 + 10
        case 0x61...0x66: return byte - 0x61 + 10
        default: return nil
        }
    }
}

/// A response: a complete body, or a stream written by the handler (server-sent events).
public struct HTTPResponse: Sendable {
    public enum Body: Sendable {
        case bytes([UInt8])
        /// Runs on the connection's thread after the headers are sent; the connection closes when it returns.
        case stream(@Sendable (HTTPStreamWriter) -> Void)
    }

    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: Body

    public init(status: Int, headers: [(name: String, value: String)] = [], body: Body = .bytes([])) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func json(_ value: JSONValue, status: Int = 200) -> HTTPResponse {
        HTTPResponse(
            status: status, headers: [("content-type", "application/json; charset=utf-8")],
            body: .bytes(JSONWriter.bytes(value)))
    }

    /// A JSON error body: `{"error": {"status": 404, "message": "…"}}`.
    public static func error(_ status: Int, _ message: String) -> HTTPResponse {
        json(["error": ["status": .number(String(status)), "message": .string(message)]], status: status)
    }

    public static func text(_ text: String, status: Int = 200, contentType: String = "text/plain; charset=utf-8") -> HTTPResponse {
        HTTPResponse(status: status, headers: [("content-type", contentType)], body: .bytes(Array(text.utf8)))
    }

    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }

    public static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 304: return "Not Modified"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 409: return "Conflict"
        case 411: return "Length Required"
        case 413: return "Content Too Large"
        case 422: return "Unprocessable Content"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        default: return "Status \(status)"
        }
    }
}

/// Writes to a streaming response. Every write is whole or fails; a failed
/// write means the client is gone (or stopped reading for the write timeout).
public final class HTTPStreamWriter: Sendable {
    private let send: @Sendable ([UInt8]) -> Bool
    private let stopped: @Sendable () -> Bool

    init(write: @escaping @Sendable ([UInt8]) -> Bool, stopped: @escaping @Sendable () -> Bool) {
        send = write
        self.stopped = stopped
    }

    /// False once the server is stopping: long streams should end.
    public var isServerStopping: Bool { stopped() }

    @discardableResult
    public func write(_ text: String) -> Bool { send(Array(text.utf8)) }

    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool { send(bytes) }
}

extension HTTPResponse {
    /// The status line and headers.
    func headBytes(contentLength: Int?, keepAlive: Bool) -> [UInt8] {
        var text = "HTTP/1.1 \(status) \(HTTPResponse.reason(status))\r\n"
        for header in headers { text += "\(header.name): \(header.value)\r\n" }
        if let contentLength { text += "content-length: \(contentLength)\r\n" }
        text += keepAlive ? "connection: keep-alive\r\n" : "connection: close\r\n"
        text += "\r\n"
        return Array(text.utf8)
    }
}
