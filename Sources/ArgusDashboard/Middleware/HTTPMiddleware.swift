/// One concern every request passes through on its way to a handler, on the model of
/// Hummingbird's `MiddlewareProtocol`: it answers itself (a refusal), or passes the request
/// on with `next` and may change the answer that comes back. Synchronous, because each
/// request has a handler thread of its own.
protocol HTTPMiddleware: Sendable {
    func handle(_ request: HTTPRequest, next: (HTTPRequest) throws -> HTTPResponse) throws -> HTTPResponse
}

/// Middleware in order, outermost first, around an endpoint.
struct MiddlewareChain: Sendable {
    let middleware: [any HTTPMiddleware]

    init(_ middleware: [any HTTPMiddleware]) {
        self.middleware = middleware
    }

    func respond(to request: HTTPRequest, endpoint: (HTTPRequest) throws -> HTTPResponse) -> HTTPResponse {
        func step(_ index: Int, _ request: HTTPRequest) throws -> HTTPResponse {
            guard index < middleware.count else { return try endpoint(request) }
            return try middleware[index].handle(request) { try step(index + 1, $0) }
        }
        do {
            return try step(0, request)
        } catch {
            // Only when no ErrorMiddleware is in the chain (or one outside it throws).
            return ErrorMiddleware.response(for: error)
        }
    }
}
