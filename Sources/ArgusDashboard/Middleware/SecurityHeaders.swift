/// Headers on every answer, refusals and errors included: no sniffing, no framing, no referrer,
/// a content security policy that allows only this dashboard's own files (the UI has no inline
/// script or style), and nothing cached unless the answer says otherwise.
struct SecurityHeaders: HTTPMiddleware {
    static let contentSecurityPolicy =
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        + "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

    func handle(_ request: HTTPRequest, next: (HTTPRequest) throws -> HTTPResponse) throws -> HTTPResponse {
        var response = try next(request)
        response.headers += [
            ("x-content-type-options", "nosniff"), ("x-frame-options", "DENY"), ("referrer-policy", "no-referrer"),
            ("content-security-policy", Self.contentSecurityPolicy),
        ]
        if response.header("cache-control") == nil { response.headers.append(("cache-control", "no-store")) }
        return response
    }
}
