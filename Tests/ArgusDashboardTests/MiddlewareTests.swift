import ArgusCore
import Testing
@testable import ArgusDashboard

/// The chain every dashboard request passes, in the dashboard's order.
@Suite struct MiddlewareTests {
    let chain = MiddlewareChain([
        SecurityHeaders(), ErrorMiddleware(), AccessGuard(bindHost: "127.0.0.1", port: 3000),
        TokenCheck(token: "s3cret-token-0123456789abcdef0123"),
    ])

    func request(_ method: String, host: String = "127.0.0.1:3000", headers: [(String, String)] = []) -> HTTPRequest {
        HTTPRequest(
            method: method, target: "/api/calls/1/replay",
            headers: [(name: "host", value: host)] + headers.map { (name: $0.0.lowercased(), value: $0.1) })
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String { "the disk caught fire" }
    }

    @Test func anotherSiteIsRefusedBeforeTheTokenIsAskedForAndRefusalsCarryTheSecurityHeaders() {
        var reached = false
        let refused = chain.respond(to: request("POST", host: "evil.example")) { _ in
            reached = true
            return .text("replayed")
        }
        #expect(refused.status == 403 && !reached)
        #expect(refused.header("content-security-policy")?.contains("script-src 'self'") == true)
        #expect(refused.header("x-frame-options") == "DENY" && refused.header("cache-control") == "no-store")
        #expect(chain.respond(to: request("POST")) { _ in .text("replayed") }.status == 401)
        let allowed = chain.respond(to: request("POST", headers: [("X-Argus-Token", "s3cret-token-0123456789abcdef0123")])) { _ in
            .text("replayed")
        }
        #expect(allowed.status == 200 && allowed.header("x-content-type-options") == "nosniff")
    }

    @Test func errorsThrownByAnEndpointBecomeJSONAnswers() throws {
        let missing = chain.respond(to: request("GET")) { _ in throw HTTPError(404, "no call 1") }
        #expect(missing.status == 404 && missing.header("content-type")?.hasPrefix("application/json") == true)
        if case .bytes(let body) = missing.body {
            #expect(try JSONParser.parse(body) == ["error": ["status": 404, "message": "no call 1"]])
        }
        let notAllowed = chain.respond(to: request("GET")) { _ in throw HTTPError(405, "no", headers: ["allow": "POST"]) }
        #expect(notAllowed.header("allow") == "POST")
        let broken = chain.respond(to: request("GET")) { _ in throw Failure() }
        #expect(broken.status == 500 && broken.header("content-security-policy") != nil)
    }

    @Test func aSuccessKeepsItsOwnCachePolicy() {
        let cached = chain.respond(to: request("GET")) { _ in
            HTTPResponse(status: 200, headers: [("cache-control", "max-age=300")])
        }
        #expect(cached.headers.filter { $0.name == "cache-control" }.map(\.value) == ["max-age=300"])
    }
}
