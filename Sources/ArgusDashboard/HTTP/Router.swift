/// Method + path pattern → handler. Patterns are `/api/runs/:id`-style; a
/// `:name` segment matches one non-empty segment and is passed in `params`.
struct Router: Sendable {
    typealias Handler = @Sendable (HTTPRequest, [String: String]) -> HTTPResponse

    private struct Route {
        var method: String
        var pattern: String
        var segments: [String]
        var handler: Handler
    }

    private var routes: [Route] = []

    mutating func add(_ method: String, _ pattern: String, _ handler: @escaping Handler) {
        routes.append(Route(method: method, pattern: pattern, segments: Self.segments(pattern), handler: handler))
    }

    /// Every route as (method, pattern), for checking the documentation against the code.
    var table: [(method: String, pattern: String)] { routes.map { ($0.method, $0.pattern) } }

    static func segments(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    /// The response of the matching route; 404, or 405 when the path exists with other methods.
    func handle(_ request: HTTPRequest) -> HTTPResponse {
        let path = Self.segments(request.path)
        var allowed: [String] = []
        for route in routes {
            guard let params = Self.match(route.segments, path) else { continue }
            if route.method == request.method { return route.handler(request, params) }
            allowed.append(route.method)
        }
        if !allowed.isEmpty {
            var response = HTTPResponse.error(405, "\(request.method) is not allowed here (allowed: \(allowed.joined(separator: ", ")))")
            response.headers.append(("allow", allowed.joined(separator: ", ")))
            return response
        }
        return .error(404, "no such endpoint: \(request.path) (see Docs/API.md)")
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
