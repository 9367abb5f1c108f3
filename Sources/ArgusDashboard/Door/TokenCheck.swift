import Foundation

/// Every request that changes something (POST, PUT, PATCH, DELETE) carries the dashboard's
/// token: `X-Argus-Token`, or `Authorization: Bearer`. Missing → 401, wrong → 403.
/// On loopback the page carries the token in a meta tag: other sites' pages cannot read it
/// (same-origin policy, and `AccessGuard` stops rebinding). On any other address the page
/// does not carry it, since anyone reaching the page could.
struct TokenCheck: HTTPMiddleware {
    let token: String

    static let mutatingMethods: Set<String> = ["POST", "PUT", "PATCH", "DELETE"]

    func handle(_ request: HTTPRequest, next: (HTTPRequest) throws -> HTTPResponse) throws -> HTTPResponse {
        if let refusal = refusal(for: request) { throw refusal }
        return try next(request)
    }

    func refusal(for request: HTTPRequest) -> HTTPError? {
        guard Self.mutatingMethods.contains(request.method) else { return nil }
        guard let presented = Self.presentedToken(request) else {
            return HTTPError(401, "this endpoint changes things: send the token from ~/.argus/token in an X-Argus-Token header")
        }
        guard Self.constantTimeEqual(presented, token) else { return HTTPError(403, "wrong token (see ~/.argus/token)") }
        return nil
    }

    static func presentedToken(_ request: HTTPRequest) -> String? {
        if let header = request.header("x-argus-token") { return header }
        if let authorization = request.header("authorization"), authorization.lowercased().hasPrefix("bearer ") {
            return String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        }
        return nil
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<x.count { difference |= x[i] ^ y[i] }
        return difference == 0
    }
}
