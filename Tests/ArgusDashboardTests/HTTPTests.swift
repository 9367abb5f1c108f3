import ArgusCore
import ArgusSystem
import Foundation
import Testing
@testable import ArgusDashboard

@Suite struct RequestParserTests {
    func parse(_ text: String, maxHeader: Int = 1024, maxBody: Int = 1024) -> RequestParser.Outcome {
        RequestParser.parse(Array(text.utf8), maxHeaderBytes: maxHeader, maxBodyBytes: maxBody)
    }

    @Test func aRequestWithQueryHeadersAndBodyParses() throws {
        guard
            case .request(let r, let consumed) = parse(
                "POST /api/calls/7/replay?x=1&tag=a%20b&tag=c+d HTTP/1.1\r\nHost: 127.0.0.1:3000\r\nX-Argus-Token: t\r\nContent-Length: 2\r\n\r\n{}NEXT"
            )
        else { Issue.record("not parsed"); return }
        #expect(r.method == "POST" && r.path == "/api/calls/7/replay")
        #expect(r.query("x") == "1" && r.query["tag"] == ["a b", "c d"])
        #expect(r.header("x-argus-token") == "t" && r.header("HOST") == "127.0.0.1:3000")
        #expect(r.bodyText == "{}")
        #expect(
            consumed
                == "POST /api/calls/7/replay?x=1&tag=a%20b&tag=c+d HTTP/1.1\r\nHost: 127.0.0.1:3000\r\nX-Argus-Token: t\r\nContent-Length: 2\r\n\r\n{}"
                .utf8.count)
    }

    @Test func partialRequestsWaitForMoreBytes() {
        guard case .incomplete = parse("GET / HTTP/1.1\r\nHost: x\r\n") else { Issue.record("expected incomplete"); return }
        guard case .incomplete = parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n12345") else {
            Issue.record("expected incomplete"); return
        }
    }

    @Test func badRequestsGetTheRightStatus() {
        func status(_ outcome: RequestParser.Outcome) -> Int? {
            if case .failure(let status, _) = outcome { return status }
            return nil
        }
        #expect(status(parse("GARBAGE\r\n\r\n")) == 400)
        #expect(status(parse("GET http://evil/ HTTP/1.1\r\n\r\n")) == 400)
        #expect(status(parse("GET / HTTP/2.0\r\n\r\n")) == 400)
        #expect(status(parse("GET / HTTP/1.1\r\n bad: fold\r\n\r\n")) == 400)
        #expect(status(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n")) == 400)
        #expect(status(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")) == 400)
        #expect(status(parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")) == 501)
        #expect(status(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n")) == 413)
        #expect(status(parse("GET / HTTP/1.1\r\nX: " + String(repeating: "a", count: 2000))) == 431)
    }

    func status(_ head: String) -> Int? {
        if case .failure(let status, _) = parse(head + "\r\n\r\n") { return status }
        return nil
    }

    @Test func whatTwoParsersCouldReadTwoWaysIsRefused() {
        let post = "POST / HTTP/1.1\r\nHost: x\r\n"
        #expect(status("GET / HTTP/1.1\r\nHost: 127.0.0.1:3000\r\nHost: evil.example") == 400)
        #expect(status("GET / HTTP/1.1") == 400, "HTTP/1.1 without Host")
        for length in ["+5", "-0", "5 5", "0x5", "5,5", "5, 5", "1e3", "", "٥", "99999999999999999999"] {
            #expect(status(post + "Content-Length: \(length)") == 400, "Content-Length: \(length)")
        }
        #expect(status(post + "Content-Length: 5\r\nContent-Length: 6") == 400)
        #expect(status(post + "Transfer-Encoding: chunked\r\nContent-Length: 5") == 400)
        #expect(status(post + "Transfer-Encoding: identity") == 501)
        #expect(status(post + "Transfer-Encoding: gzip, chunked") == 501)
        #expect(status("GET / HTTP/1.1\r\nHost: x\r\nBad Name: 1") == 400)
        #expect(status("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\u{0}b") == 400)
        #expect(status("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb") == 400)
        #expect(status("GET /a\u{7F}b HTTP/1.1\r\nHost: x") == 400)
        #expect(status("GET / HTTP/1.1\r\nHost: x\r\n\tfolded") == 400)
        #expect(status("GET / HTTP/1.1\r\nHost: x" + String(repeating: "\r\nX: 1", count: 101)) == 431)
        // What stays allowed: identical repeated lengths, spaces around values, HTTP/1.0 without Host.
        guard case .request(let same, _) = parse(post + "Content-Length: 2\r\nContent-Length:  2 \r\n\r\n{}") else {
            Issue.record("identical Content-Length refused"); return
        }
        #expect(same.bodyText == "{}")
        guard case .request = parse("GET / HTTP/1.0\r\n\r\n") else { Issue.record("HTTP/1.0 refused"); return }
    }

    @Test func aHeadTrickledAByteAtATimeIsSearchedOnce() {
        let head = Array(("GET / HTTP/1.1\r\nHost: x\r\nX-Padding: " + String(repeating: "a", count: 60_000) + "\r\n\r\n").utf8)
        var scanner = RequestParser.HeadScanner()
        var buffer: [UInt8] = []
        var end: Int?
        for byte in head where end == nil {
            buffer.append(byte)
            end = scanner.end(in: buffer)
        }
        #expect(end == head.count - 4)
        #expect(scanner.searched <= 4 * head.count, "searched \(scanner.searched) bytes for a \(head.count)-byte head")
    }

    @Test func theEndOfAHeadIsFoundAcrossEverySplit() {
        let head = Array("GET / HTTP/1.1\r\nHost: x\r\nX: \r\r\n\n\r\n\r\nbody".utf8)
        let end = RequestParser.findHeadEnd(head, from: 0)
        #expect(end == head.count - 8)
        for split in 0...head.count {
            // The server searches again from where it stopped, less three bytes, each time more arrives.
            let first = Array(head[0..<split])
            let resumed = RequestParser.findHeadEnd(first, from: 0) ?? RequestParser.findHeadEnd(head, from: split - 3)
            #expect(resumed == end, "split at \(split)")
        }
    }
}

@Suite struct AccessGuardTests {
    let door = AccessGuard(bindHost: "127.0.0.1", port: 3000)
    let tokens = TokenCheck(token: "s3cret-token-0123456789abcdef0123")

    func request(_ method: String = "GET", host: String? = "127.0.0.1:3000", headers: [(String, String)] = []) -> HTTPRequest {
        var all = headers
        if let host { all.append(("host", host)) }
        return HTTPRequest(method: method, target: "/api/runs", headers: all.map { (name: $0.0.lowercased(), value: $0.1) })
    }

    @Test func theNamesThisDashboardAnswersToPass() {
        for host in ["127.0.0.1:3000", "localhost:3000", "LOCALHOST:3000", "[::1]:3000", "127.0.0.1"] {
            #expect(door.refusal(for: request(host: host)) == nil, "\(host)")
        }
    }

    @Test func otherHostsAreRefused() {
        for host in ["evil.example:3000", "evil.example", "127.0.0.1:3001", "127.0.0.1.evil.example:3000", "[::1", ""] {
            guard let refusal = door.refusal(for: request(host: host)) else { Issue.record("\(host) allowed"); continue }
            #expect(refusal.status == 403)
        }
        guard door.refusal(for: request(host: nil))?.status == 403 else { Issue.record("no Host allowed"); return }
    }

    @Test func crossOriginRequestsAreRefused() {
        #expect(door.refusal(for: request(headers: [("Origin", "http://127.0.0.1:3000")])) == nil)
        #expect(door.refusal(for: request(headers: [("Origin", "http://localhost:3000")])) == nil)
        for origin in ["https://evil.example", "http://127.0.0.1:3001", "null", "http://127.0.0.1:3000.evil.example"] {
            guard door.refusal(for: request("POST", headers: [("Origin", origin), ("X-Argus-Token", tokens.token)]))?.status == 403 else {
                Issue.record("\(origin) allowed"); continue
            }
        }
        guard door.refusal(for: request(headers: [("Sec-Fetch-Site", "cross-site")]))?.status == 403 else {
            Issue.record("cross-site fetch allowed"); return
        }
    }

    @Test func changesNeedTheToken() {
        guard let missing = tokens.refusal(for: request("POST")), missing.status == 401 else { Issue.record("no token allowed"); return }
        #expect(missing.message.contains("~/.argus/token"))
        guard tokens.refusal(for: request("DELETE", headers: [("X-Argus-Token", "wrong")]))?.status == 403 else {
            Issue.record("wrong token allowed"); return
        }
        #expect(tokens.refusal(for: request("POST", headers: [("X-Argus-Token", tokens.token)])) == nil)
        #expect(tokens.refusal(for: request("DELETE", headers: [("Authorization", "Bearer \(tokens.token)")])) == nil)
        #expect(tokens.refusal(for: request("GET")) == nil)  // reads need no token
    }

    @Test func aWildcardBindAcceptsThisMachinesNames() {
        let open = AccessGuard(bindHost: "0.0.0.0", port: 80)
        #expect(open.allowedHosts.contains("127.0.0.1"))
        #expect(open.refusal(for: HTTPRequest(method: "GET", target: "/", headers: [("host", "evil.example")])) != nil)
    }

    @Test func aForwardedNameIsAcceptedOnAnyPortAndScheme() {
        let tunnel = AccessGuard(bindHost: "127.0.0.1", port: 3000, extraHosts: ["argus.example.ts.net"])
        func check(_ headers: [(String, String)]) -> HTTPError? {
            tunnel.refusal(for: HTTPRequest(method: "GET", target: "/", headers: headers.map { (name: $0.0, value: $0.1) }))
        }
        #expect(check([("host", "argus.example.ts.net"), ("origin", "https://argus.example.ts.net")]) == nil)
        #expect(check([("host", "argus.example.ts.net:8443"), ("origin", "https://argus.example.ts.net:8443")]) == nil)
        #expect(check([("host", "127.0.0.1:3000"), ("origin", "https://127.0.0.1:3000")]) != nil)  // only forwarded names get https
        #expect(check([("host", "other.ts.net")]) != nil)
    }

    @Test func loopbackIsRecognised() {
        for host in ["127.0.0.1", "127.5.6.7", "localhost", "LOCALHOST", "::1", "[::1]", "::ffff:127.0.0.1"] {
            #expect(AccessGuard.isLoopback(host), "\(host)")
        }
        // Names are someone's DNS records; `0.0.0.0` and `::` are every interface.
        for host in [
            "0.0.0.0", "::", "192.168.1.4", "127.0.0.1.evil.example", "127.evil.example", "localhost.evil.example",
            "::ffff:10.0.0.1", "", "128.0.0.1",
        ] {
            #expect(!AccessGuard.isLoopback(host), "\(host)")
        }
    }
}

@Suite struct RouterTests {
    func answer(_ router: Router, _ request: HTTPRequest) -> HTTPResponse {
        MiddlewareChain([ErrorMiddleware()]).respond(to: request, endpoint: router.handle)
    }

    @Test func routesMatchMethodAndPattern() {
        var router = Router()
        router.add("GET", "/api/runs/:id") { _, p in .text("run \(p["id"]!)") }
        router.add("POST", "/api/runs/:id/stop") { _, p in .text("stop \(p["id"]!)") }
        func body(_ r: HTTPResponse) -> String {
            if case .bytes(let b) = r.body { return String(decoding: b, as: UTF8.self) } else { return "" }
        }
        #expect(body(answer(router, HTTPRequest(method: "GET", target: "/api/runs/12"))) == "run 12")
        #expect(body(answer(router, HTTPRequest(method: "POST", target: "/api/runs/12/stop"))) == "stop 12")
        let wrongMethod = answer(router, HTTPRequest(method: "DELETE", target: "/api/runs/12"))
        #expect(wrongMethod.status == 405 && wrongMethod.header("allow") == "GET")
        #expect(answer(router, HTTPRequest(method: "GET", target: "/api/nope")).status == 404)
    }

    @Test func aRouteSaysHowLargeABodyItTakes() {
        var router = Router()
        router.add("POST", "/api/calls/:id/replay", maxBodyBytes: 16 << 20) { _, _ in .text("") }
        router.add("POST", "/api/notify") { _, _ in .text("") }
        router.add("GET", "/api/runs") { _, _ in .text("") }
        #expect(router.maxBodyBytes(for: HTTPRequest(method: "POST", target: "/api/calls/7/replay")) == 16 << 20)
        #expect(router.maxBodyBytes(for: HTTPRequest(method: "POST", target: "/api/notify")) == 1 << 20)
        #expect(router.maxBodyBytes(for: HTTPRequest(method: "DELETE", target: "/api/unknown")) == 1 << 20)
        #expect(router.maxBodyBytes(for: HTTPRequest(method: "GET", target: "/api/runs")) == 0)
    }
}

@Suite struct DashboardTokenTests {
    @Test func theTokenIsCreatedOwnerOnlyAndKept() throws {
        let dir = NSTemporaryDirectory() + "argus-token-\(UUID().uuidString.prefix(8))"
        let path = dir + "/token"
        let token = try DashboardToken.loadOrCreate(path: path)
        #expect(token.count == 64 && token.allSatisfy(\.isHexDigit))
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o600)
        #expect(try DashboardToken.loadOrCreate(path: path) == token)
        try "short".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: (any Error).self) { try DashboardToken.loadOrCreate(path: path) }
    }
}

@Suite struct HTTPServerTests {
    /// A raw HTTP exchange over a socket: what was written comes back as text.
    static func exchange(port: Int, _ raw: String, readUntilClose: Bool = true) throws -> String {
        guard let fd = Loopback.connect(port: port, timeoutSeconds: 5) else { throw DashboardError("cannot connect") }
        defer { close(fd) }
        _ = raw.withCString { send(fd, $0, strlen($0), 0) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            received += buffer[0..<n]
        }
        return String(decoding: received, as: UTF8.self)
    }

    @Test func keepAliveAndPipeliningServeEachRequestInOrder() throws {
        let server = HTTPServer(options: .init(host: "127.0.0.1", port: 0)) { request in .text("you asked for \(request.path)") }
        let port = try server.start()
        defer { server.stop() }
        let text = try Self.exchange(
            port: port, "GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let one = try #require(text.range(of: "you asked for /one"))
        let two = try #require(text.range(of: "you asked for /two"))
        #expect(one.lowerBound < two.lowerBound)
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(text.contains("connection: keep-alive") && text.contains("connection: close"))
    }

    @Test func headRequestsGetHeadersOnly() throws {
        let server = HTTPServer(options: .init(host: "127.0.0.1", port: 0)) { _ in .text("body") }
        let port = try server.start()
        defer { server.stop() }
        let text = try Self.exchange(port: port, "HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(text.contains("content-length: 4") && !text.contains("body"))
    }

    @Test func malformedRequestsAreAnsweredAndClosed() throws {
        let server = HTTPServer(options: .init(host: "127.0.0.1", port: 0)) { _ in .text("never") }
        let port = try server.start()
        defer { server.stop() }
        #expect(try Self.exchange(port: port, "NONSENSE\r\n\r\n").hasPrefix("HTTP/1.1 400 Bad Request"))
        #expect(try Self.exchange(port: port, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n").hasPrefix("HTTP/1.1 501"))
    }

    @Test func aPortInUseSaysWhoHoldsIt() throws {
        let first = HTTPServer(options: .init(host: "127.0.0.1", port: 0)) { _ in .text("") }
        let port = try first.start()
        defer { first.stop() }
        let second = HTTPServer(options: .init(host: "127.0.0.1", port: port)) { _ in .text("") }
        #expect {
            try second.start()
        } throws: { error in
            let text = "\(error)"
            return text.contains("port \(port) on 127.0.0.1 is already in use") && text.contains("process \(getpid())")
        }
    }

    @Test func streamsWriteAsTheyGo() throws {
        let server = HTTPServer(options: .init(host: "127.0.0.1", port: 0)) { _ in
            HTTPResponse(
                status: 200, headers: [("content-type", "text/event-stream")],
                body: .stream { writer in
                    for i in 1...3 { writer.write("data: \(i)\n\n") }
                })
        }
        let port = try server.start()
        defer { server.stop() }
        let text = try Self.exchange(port: port, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(text.contains("data: 1\n\ndata: 2\n\ndata: 3\n\n"))
        #expect(!text.contains("content-length"))
    }
}

/// The server under hostile clients: slow, silent, refused, oversized.
@Suite struct HTTPServerLimitTests {
    static func connect(_ port: Int, sending text: String = "") throws -> Int32 {
        guard let fd = Loopback.connect(port: port, timeoutSeconds: 10) else { throw DashboardError("cannot connect") }
        if !text.isEmpty { _ = text.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) } }
        return fd
    }

    /// What arrives until the server closes the connection, or until the read times out.
    static func readAll(_ fd: Int32) -> String {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            received += buffer[0..<n]
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// The first bytes that arrive (a status line), without waiting for the close.
    static func readSome(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = recv(fd, &buffer, buffer.count, 0)
        return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : ""
    }

    static func server(_ configure: (inout HTTPServer.Options) -> Void = { _ in }, admit: HTTPServer.Admit? = nil) throws -> (
        HTTPServer, Int
    ) {
        var options = HTTPServer.Options(host: "127.0.0.1", port: 0)
        configure(&options)
        let server = HTTPServer(options: options, admit: admit) { request in .text("ok \(request.method) \(request.bodyText)") }
        return (server, try server.start())
    }

    @Test func slowClientsHoldingEverySlotDoNotLockOthersOut() throws {
        let (server, port) = try Self.server { $0.maxConnections = 16 }
        defer { server.stop() }
        // Three times as many sockets as slots, each stopped in the middle of a head (a slowloris).
        var slow: [Int32] = []
        defer { for fd in slow { close(fd) } }
        for _ in 0..<48 { slow.append(try Self.connect(port, sending: "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")) }
        let answer = try HTTPServerTests.exchange(port: port, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(answer.hasPrefix("HTTP/1.1 200 OK") && answer.hasSuffix("ok GET "), "\(answer)")
    }

    @Test func idleConnectionsMakeRoomForNewOnesOldestFirst() throws {
        let (server, port) = try Self.server { $0.maxConnections = 4 }
        defer { server.stop() }
        var idle: [Int32] = []
        defer { for fd in idle { close(fd) } }
        for _ in 0..<4 {
            idle.append(try Self.connect(port))
            // Each is accepted before the next connects, so "oldest" is well defined.
            #expect(waitUntilTrue { server.openConnections >= idle.count }, "accepted \(server.openConnections)")
        }
        let answer = try HTTPServerTests.exchange(port: port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(answer.hasPrefix("HTTP/1.1 200 OK"), "\(answer)")
        #expect(Self.readAll(idle[0]).isEmpty, "the oldest idle connection is closed, silently")
    }

    @Test func aHeadThatDoesNotArriveInTimeIsAnswered408() throws {
        let (server, port) = try Self.server { $0.headTimeoutSeconds = 0.3 }
        defer { server.stop() }
        let fd = try Self.connect(port, sending: "GET / HTTP/1.1\r\nHost: x\r\n")
        defer { close(fd) }
        let answer = Self.readAll(fd)
        #expect(answer.hasPrefix("HTTP/1.1 408 Request Timeout"), "\(answer)")
    }

    @Test func theDoorIsCheckedBeforeAnyBodyIsRead() throws {
        let (server, port) = try Self.server(admit: { head in
            head.header("x-token") == "yes" ? .accept(maxBodyBytes: 1 << 20) : .refuse(.error(403, "no token"))
        })
        defer { server.stop() }
        // Ten megabytes announced and none sent: the answer comes at once, and the body is never waited for.
        let fd = try Self.connect(port, sending: "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n")
        defer { close(fd) }
        let refused = Self.readSome(fd)
        #expect(refused.hasPrefix("HTTP/1.1 403 Forbidden") && refused.contains("no token"), "\(refused)")

        let tooLarge = try HTTPServerTests.exchange(
            port: port, "POST /x HTTP/1.1\r\nHost: x\r\nX-Token: yes\r\nContent-Length: 2000000\r\n\r\n")
        #expect(
            tooLarge.hasPrefix("HTTP/1.1 413 Content Too Large") && tooLarge.contains("over the 1 MiB this endpoint accepts"), "\(tooLarge)"
        )
        let accepted = try HTTPServerTests.exchange(
            port: port, "POST /x HTTP/1.1\r\nHost: x\r\nX-Token: yes\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
        #expect(accepted.hasSuffix("ok POST {}"), "\(accepted)")
    }

    @Test func aClientThatAsksFirstIsToldToSendItsBody() throws {
        let (server, port) = try Self.server()
        defer { server.stop() }
        let fd = try Self.connect(
            port, sending: "POST /x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\n")
        defer { close(fd) }
        let goAhead = Self.readSome(fd)
        #expect(goAhead == "HTTP/1.1 100 Continue\r\n\r\n", "\(goAhead)")
        _ = "{}".withCString { send(fd, $0, 2, Int32(MSG_NOSIGNAL)) }
        #expect(Self.readAll(fd).hasSuffix("ok POST {}"))
    }

    @Test func eventStreamsHaveTheirOwnCap() throws {
        var options = HTTPServer.Options(host: "127.0.0.1", port: 0)
        options.maxStreams = 1
        let server = HTTPServer(options: options) { request in
            guard request.path == "/events" else { return .text("page") }
            return HTTPResponse(
                status: 200, headers: [("content-type", "text/event-stream")],
                body: .stream { writer in
                    while !writer.isServerStopping && writer.write(": ping\n\n") { usleep(20_000) }
                })
        }
        let port = try server.start()
        defer { server.stop() }
        let first = try Self.connect(port, sending: "GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
        defer { close(first) }
        #expect(Self.readSome(first).hasPrefix("HTTP/1.1 200 OK"))
        let second = try HTTPServerTests.exchange(port: port, "GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(second.hasPrefix("HTTP/1.1 503") && second.contains("too many event streams"), "\(second)")
        // The page is still served while the stream holds its slot.
        #expect(try HTTPServerTests.exchange(port: port, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").hasSuffix("page"))
    }
}

/// Polls `condition` every 10 ms for up to `timeout` seconds.
func waitUntilTrue(timeout: Double = 10, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() { return true }
        usleep(10_000)
    }
    return condition()
}

@Suite struct StatsIndexTests {
    @Test func histogramPercentilesAreWithinABucketOfExact() {
        var histogram = LatencyHistogram()
        var values: [Int64] = []
        var state: UInt64 = 42
        for _ in 0..<20_000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let spread = UInt64(1) + (state >> 60)  // mostly small latencies, a long tail
            let v = Int64(50 + (state >> 33) % 2_000_000 / spread)
            values.append(v)
            histogram.add(v)
        }
        values.sort()
        for p in [0.5, 0.95, 0.99] {
            let exact = Double(values[Int((p * Double(values.count)).rounded(.up)) - 1])
            let approx = Double(histogram.percentile(p)!)
            #expect(abs(approx - exact) / exact <= 0.023, "p\(p): \(approx) vs \(exact)")
        }
        #expect(histogram.percentile(1.0) == values.last)
    }

    @Test func prometheusBucketsAreCumulative() {
        let index = StatsIndex()
        var calls: [CallRecord] = []
        for i in 1...50 {
            let tool = i % 2 == 0 ? "a\"b" : "c"
            calls.append(CallRecordFactory.make(id: Int64(i), tool: tool, latency: Int64(i * 1000), isError: i % 10 == 0))
        }
        index.add(calls)
        let text = index.prometheus(extra: [])
        #expect(text.contains(#"argus_calls_total{server="srv",method="tools/call",tool="a\"b"} 25"#))
        #expect(text.contains(#"argus_call_errors_total{server="srv",method="tools/call",tool="c"} 0"#))
        var previous = -1
        for line in text.split(separator: "\n")
        where line.hasPrefix("argus_call_latency_seconds_bucket{server=\"srv\",method=\"tools/call\",tool=\"c\"") {
            let count = Int(line.split(separator: " ").last!)!
            #expect(count >= previous)
            previous = count
        }
        #expect(previous == 25)
    }
}

@testable import ArgusStore

enum CallRecordFactory {
    static func make(id: Int64, tool: String, latency: Int64, isError: Bool) -> CallRecord {
        CallRecord(
            id: id, runID: 1, server: "srv", requestSeq: Int(id) * 2, responseSeq: Int(id) * 2 + 1, direction: .clientToServer,
            method: "tools/call", tool: tool, target: nil, jsonrpcID: String(id), startedAt: 1_700_000_000_000_000 + id * 1_000_000,
            endedAt: nil, latencyMicros: latency, status: isError ? .error : .ok, isError: isError, errorCode: nil,
            errorMessage: nil, progressCount: 0, cancelled: false, bytesIn: 10, bytesOut: 10, replayOf: nil)
    }
}

/// The in-memory stats describe real traffic: calls of replay runs that the live feed delivers are not counted.
@Suite struct StatsIndexRealTrafficTests {
    @Test func callsOfReplayRunsAreNotCounted() {
        let index = StatsIndex()
        var replayed = CallRecordFactory.make(id: 2, tool: "t", latency: 900_000, isError: true)
        replayed.runKind = "replay"
        index.add([
            CallRecordFactory.make(id: 1, tool: "t", latency: 1000, isError: false), replayed,
            CallRecordFactory.make(id: 3, tool: "t", latency: 2000, isError: false),
        ])
        let tool = index.statsJSON(server: nil)["tools"]?[0]
        #expect(tool?["count"] == 2 && tool?["errors"] == 0, "\(tool.map { JSONWriter.string($0) } ?? "")")
        #expect(index.prometheus(extra: []).contains(#"argus_calls_total{server="srv",method="tools/call",tool="t"} 2"#))
    }
}
