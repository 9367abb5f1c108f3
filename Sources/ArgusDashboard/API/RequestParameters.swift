import ArgusCore
import Foundation

/// What the API reads from requests: query parameters, path ids and JSON bodies,
/// each refused with a 400 that says what was wrong.
extension HTTPRequest {
    /// A query parameter that must be an integer when present.
    func integer(_ name: String) throws(HTTPError) -> Int64? {
        guard let text = query(name), !text.isEmpty else { return nil }
        guard let value = Int64(text) else { throw HTTPError(400, "\(name) must be an integer (got \(text))") }
        return value
    }

    /// A query parameter that filters when present and not empty.
    func filter(_ name: String) -> String? {
        query(name).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// `limit`: 1–1000.
    func limit(default fallback: Int = 100) throws(HTTPError) -> Int {
        guard let value = try integer("limit") else { return fallback }
        guard (1...1000).contains(value) else { throw HTTPError(400, "limit must be between 1 and 1000") }
        return Int(value)
    }

    /// A time as µs since the epoch or ISO 8601.
    func time(_ name: String) throws(HTTPError) -> Int64? {
        guard let text = query(name), !text.isEmpty else { return nil }
        if let micros = Int64(text) { return micros }
        if let micros = TimeFormat.parseISO8601(text) { return micros }
        throw HTTPError(400, "\(name) must be an ISO 8601 time or microseconds since the epoch (got \(text))")
    }

    /// `include_replays=1`: list replay runs (`argus replay`, `argus test`, dashboard replays) with the real traffic.
    var includesReplays: Bool {
        ["1", "true", "yes"].contains(query("include_replays") ?? "")
    }

    /// The body as a JSON object (an empty body is `{}`).
    func jsonObject() throws(HTTPError) -> JSONValue {
        if body.isEmpty { return [:] }
        let value: JSONValue
        do {
            value = try JSONParser.parse(body)
        } catch {
            throw HTTPError(400, "the request body is not valid JSON: \(error)")
        }
        guard case .object = value else { throw HTTPError(400, "the request body must be a JSON object") }
        return value
    }
}

/// Path parameters.
extension [String: String] {
    /// A positive id from the path (`/api/runs/:id`).
    func id(_ name: String = "id") throws(HTTPError) -> Int64 {
        guard let text = self[name], let value = Int64(text), value > 0 else { throw HTTPError(400, "\(self[name] ?? "") is not an id") }
        return value
    }
}

extension HTTPResponse {
    /// A page of a keyset-paged list: `next_cursor` is the last id when the page is full, else null.
    static func page<T>(_ items: [T], limit: Int, key: String, id: (T) -> Int64, json: (T) -> JSONValue) -> HTTPResponse {
        let next: JSONValue = items.count == limit ? items.last.map { .number(String(id($0))) } ?? .null : .null
        return .json([key: .array(items.map(json)), "next_cursor": next])
    }
}
