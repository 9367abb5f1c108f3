import ArgusStore

/// Errors become answers: an `HTTPError` with its status, a busy database 503 (try again),
/// anything else 500 with its description.
struct ErrorMiddleware: HTTPMiddleware {
    func handle(_ request: HTTPRequest, next: (HTTPRequest) throws -> HTTPResponse) throws -> HTTPResponse {
        do {
            return try next(request)
        } catch {
            return Self.response(for: error)
        }
    }

    static func response(for error: any Error) -> HTTPResponse {
        switch error {
        case let error as HTTPError: return error.response
        case let error as StoreFailure where error.isBusy: return .error(503, "the database is busy; try again")
        default: return .error(500, "\(error)")
        }
    }
}
