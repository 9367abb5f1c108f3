/// Method + path pattern → handler. Patterns are `/api/runs/:id`-style; a
/// `:name` segment matches one non-empty segment and is passed in `params`.
struct Router: Sendable {
    typealias Handler = @Sendable (HTTPRequest, [String: String]) throws -> HTTPResponse

    private struct Route {
        var method: String
        var pattern: String
        var segments: [String]
        var maxBodyBytes: Int?
        var handler: Handler
    }

    private var routes: [Route] = []

    /// Bodies are read only for requests that change something (and so carry the token): 1 MiB
    /// unless the route says otherwise.
    static let defaultMaxBodyBytes = 1 << 20

    mutating func add(_ method: String, _ pattern: String, maxBodyBytes: Int? = nil, _ handler: @escaping Handler) {
        routes.append(
            Route(
                method: method, pattern: pattern, segments: Self.segments(pattern), maxBodyBytes: maxBodyBytes,
                handler: handler))
    }

    /// Every route as (method, pattern), for checking the documentation against the code.
    var table: [(method: String, pattern: String)] { routes.map { ($0.method, $0.pattern) } }

    static func segments(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    /// The body a request may have, judged on its head: none for reads, the route's limit for changes.
    func maxBodyBytes(for head: HTTPRequest) -> Int {
        guard TokenCheck.mutatingMethods.contains(head.method) else { return 0 }
        let path = Self.segments(head.path)
        let route = routes.first { $0.method == head.method && Self.match($0.segments, path) != nil }
        return route?.maxBodyBytes ?? Self.defaultMaxBodyBytes
    }

    /// The response of the matching route; an `HTTPError` 404, or 405 when the path exists with other methods.
    func handle(_ request: HTTPRequest) throws -> HTTPResponse {
        let path = Self.segments(request.path)
        var allowed: [String] = []
        for route in routes {
            guard let params = Self.match(route.segments, path) else { continue }
            if route.method == request.method { return try route.handler(request, params) }
            allowed.append(route.method)
        }
        if !allowed.isEmpty {
            throw HTTPError(
                405, "\(request.method) is not allowed here (allowed: \(allowed.joined(separator: ", ")))",
                headers: ["allow": allowed.joined(separator: ", ")])
        }
        throw HTTPError(404, "no such endpoint: \(request.path) (see Docs/API.md)")
    }

    static func match(_ pattern: [String], _ path: [String]) -> [String: String]? {
        guard pattern.count == path.count else { return nil }
        var params: [String: String] = [:]
        for (p, s) in zip(pattern, path) {
            if p.hasPrefix(":") {
                params[String(p.dropFirst())] = s
            } else if p != s {
                return nil
            }
        }
        return params
    }
}
