import ArgusCore

/// A call with its recorded (redacted) request and response.
public struct CallDetail: Sendable {
    public var call: CallRecord
    public var request: JSONValue?
    public var response: JSONValue?
    public var requestBody: String?
    public var responseBody: String?

    public var params: JSONValue? { request?["params"] }
    public var result: JSONValue? { response?["result"] }
    public var error: JSONValue? { response?["error"] }

    /// The call's messages from the bodies of the frames they were in (a batch's frame holds several).
    public init(call: CallRecord, requestBody: String?, responseBody: String?) {
        self.call = call
        self.requestBody = requestBody
        self.responseBody = responseBody
        request = requestBody.flatMap { Self.message(in: $0, id: call.jsonrpcID) }
        response = responseBody.flatMap { Self.message(in: $0, id: call.jsonrpcID) }
    }

    /// The message with this id inside a recorded frame (the frame itself, or the matching
    /// element of a batch).
    static func message(in body: String, id: String) -> JSONValue? {
        guard let value = try? JSONParser.parse(body) else { return nil }
        if let items = value.arrayValue {
            return items.first { $0["id"].map { JSONWriter.string($0) } == id }
        }
        return value
    }
}
