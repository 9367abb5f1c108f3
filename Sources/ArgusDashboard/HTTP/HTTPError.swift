import ArgusCore

/// An answer that is not a success: a status, a sentence for the user, and any headers
/// it needs (`allow` on a 405). Handlers, the router, the door and the replay service
/// throw it; `ErrorMiddleware` turns it into `{"error": {"status", "message"}}`.
/// (Hummingbird's `HTTPError` is the model.)
public struct HTTPError: Error, Equatable, Sendable, CustomStringConvertible {
    public var status: Int
    public var message: String
    public var headers: [String: String]

    public init(_ status: Int, _ message: String, headers: [String: String] = [:]) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    public var response: HTTPResponse {
        var response = HTTPResponse.error(status, message)
        response.headers += headers.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
        return response
    }

    public var description: String { "\(status) \(message)" }
}
