import ArgusCore
import ArgusSystem
import Foundation
import Testing

/// The dashboard's door under hostile clients, through the real binary: slow and
/// silent sockets, bodies sent to be refused, ambiguous heads, names that only
/// look like loopback, and `wrap --api` pointed elsewhere.
@Suite struct DashboardDoorTests {
    static func connect(_ port: Int, sending text: String = "") -> Int32? {
        guard let fd = Loopback.connect(port: port, timeoutSeconds: 20) else { return nil }
        if !text.isEmpty { _ = text.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) } }
        return fd
    }

    /// The first bytes the server sends (its status line), without waiting for it to close.
    static func firstBytes(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let n = recv(fd, &buffer, buffer.count, 0)
        return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : ""
    }

    static func dashboard() throws -> (DashboardProcess, WrapSessionHarness) {
        let session = try DashboardTests.record([("echo", ["message": "x"])])
        return (try DashboardProcess(database: session.database, home: session.argusHome), session)
    }

    @Test func slowAndSilentSocketsDoNotLockTheDashboardOut() throws {
        let (dashboard, _) = try Self.dashboard()
        defer { dashboard.stop() }
        // More sockets than the dashboard has connection slots: half stopped in the middle of a head
        // (a byte now and then is all a slowloris sends), half connected and silent.
        var sockets: [Int32] = []
        defer { for fd in sockets { close(fd) } }
        for i in 0..<600 {
            guard let fd = Self.connect(dashboard.port, sending: i % 2 == 0 ? "GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX: " : "")
            else { break }
            sockets.append(fd)
        }
        #expect(sockets.count == 600, "opened \(sockets.count) sockets")
        let health = dashboard.get("/api/health")
        #expect(health.status == 200 && health.json?["status"] == "ok", "\(health.status) \(health.body)")
        let page = dashboard.get("/")
        #expect(page.status == 200 && page.body.contains("argus-token"), "\(page.status) \(page.body.prefix(200))")
    }

    @Test func refusedRequestsAreAnsweredBeforeTheirBodyAndBodiesAreCapped() throws {
        let (dashboard, _) = try Self.dashboard()
        defer { dashboard.stop() }
        let port = dashboard.port
        // Ten megabytes announced, none sent: the door answers on the head alone.
        for (head, status) in [
            ("POST /api/calls/1/replay HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Length: 10000000\r\n\r\n", "401"),
            (
                "POST /api/calls/1/replay HTTP/1.1\r\nHost: attacker.example\r\nX-Argus-Token: \(dashboard.token)\r\nContent-Length: 10000000\r\n\r\n",
                "403"
            ),
        ] {
            let fd = try #require(Self.connect(port, sending: head))
            defer { close(fd) }
            let answer = Self.firstBytes(fd)
            #expect(answer.hasPrefix("HTTP/1.1 \(status)"), "\(answer.prefix(300))")
        }
        // With the token: 1 MiB for most endpoints, 16 MiB for a replay's edited arguments, nothing for a GET.
        let authorized = "X-Argus-Token: \(dashboard.token)\r\nOrigin: http://127.0.0.1:\(port)\r\nHost: 127.0.0.1:\(port)\r\n"
        for (head, limit) in [
            ("POST /api/runs/start HTTP/1.1\r\n\(authorized)Content-Length: 2000000\r\n\r\n", "1 MiB"),
            ("POST /api/calls/1/replay HTTP/1.1\r\n\(authorized)Content-Length: 17000000\r\n\r\n", "16 MiB"),
            ("GET /api/runs HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Length: 10\r\n\r\n", "no body"),
        ] {
            let fd = try #require(Self.connect(port, sending: head))
            defer { close(fd) }
            let answer = Self.firstBytes(fd)
            #expect(
                answer.hasPrefix("HTTP/1.1 413")
                    && answer.contains(limit == "no body" ? "takes no body" : "over the \(limit) this endpoint accepts"),
                "\(answer.prefix(300))")
        }
    }

    @Test func headsTwoParsersCouldReadTwoWaysAreRefused() throws {
        let (dashboard, _) = try Self.dashboard()
        defer { dashboard.stop() }
        let port = dashboard.port
        for head in [
            "GET /api/runs HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nHost: attacker.example\r\n\r\n",
            "POST /api/notify HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nX-Argus-Token: \(dashboard.token)\r\nContent-Length: +2\r\n\r\n{}",
            "POST /api/notify HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nX-Argus-Token: \(dashboard.token)\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
            "POST /api/notify HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nX-Argus-Token: \(dashboard.token)\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n{}",
        ] {
            let fd = try #require(Self.connect(port, sending: head))
            defer { close(fd) }
            let answer = Self.firstBytes(fd)
            #expect(answer.hasPrefix("HTTP/1.1 400"), "\(head.debugDescription): \(answer.prefix(200))")
        }
        #expect(dashboard.get("/api/sse/status").json?["notifications"] == 0)
    }

    @Test func aHostIsLoopbackOnlyIfItIs() throws {
        let session = try DashboardTests.record([])
        var env = ProcessInfo.processInfo.environment
        env["ARGUS_HOME"] = session.argusHome
        for host in ["127.0.0.1.evil.example", "localhost.evil.example"] {
            let refused = try Spawned(
                Binaries.argus, ["dashboard", "--db", session.database, "--host", host, "--port", "0"], environment: env)
            #expect(refused.waitForExit() == 1)
            _ = refused.waitForStderr(containing: "\n")
            #expect(refused.stderrText.contains("--allow-remote"), "\(host): \(refused.stderrText)")
        }
    }

    /// A plain TCP listener that records what it is sent (a stand-in for someone else's server).
    final class Listener: @unchecked Sendable {
        let port: Int
        private let fd: Int32
        private let lock = NSLock()
        private var received: [UInt8] = []

        init?(address: String) {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var bound = sockaddr_in()
            bound.sin_family = sa_family_t(AF_INET)
            bound.sin_addr.s_addr = inet_addr(address)
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let ok = withUnsafeMutablePointer(to: &bound) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, length) == 0 && Glibc.listen(fd, 16) == 0 && getsockname(fd, $0, &length) == 0
                }
            }
            guard fd >= 0, ok else { return nil }
            self.fd = fd
            port = Int(UInt16(bigEndian: bound.sin_port))
            Thread.detachNewThread { [self] in serve() }
        }

        private func serve() {
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { return }
                var buffer = [UInt8](repeating: 0, count: 4096)
                let n = recv(client, &buffer, buffer.count, 0)
                if n > 0 { lock.withLock { received += buffer[0..<n] } }
                let reply = "HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                _ = reply.withCString { send(client, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
                Glibc.close(client)
            }
        }

        var text: String { lock.withLock { String(decoding: received, as: UTF8.self) } }
        func close() { shutdown(fd, Int32(SHUT_RDWR)); Glibc.close(fd) }
    }

    /// An IPv4 address of this machine that is not a loopback one (the test needs a remote-looking URL that works).
    static func externalAddress() -> String? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return nil }
        defer { freeifaddrs(list) }
        var cursor = list
        while let entry = cursor {
            if let address = entry.pointee.ifa_addr, Int32(address.pointee.sa_family) == AF_INET, !Loopback.isLoopback(address: address) {
                var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
                if getnameinfo(address, socklen_t(MemoryLayout<sockaddr_in>.size), &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST)
                    == 0
                {
                    return String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                }
            }
            cursor = entry.pointee.ifa_next
        }
        return nil
    }

    @Test func wrapSendsTheDashboardTokenOnlyToThisMachineUnlessAllowed() throws {
        guard let address = Self.externalAddress(), let listener = Listener(address: address) else {
            Issue.record("this machine has no non-loopback IPv4 address to stand in for a remote dashboard")
            return
        }
        defer { listener.close() }
        let home = temporaryDirectory("api-home")
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let token = String(repeating: "ab", count: 32)
        try (token + "\n").write(toFile: home + "/token", atomically: true, encoding: .utf8)
        let environment = ProcessInfo.processInfo.environment.merging(["ARGUS_HOME": home]) { $1 }

        func session(_ options: [String]) throws -> WrapSessionHarness {
            let session = try WrapSessionHarness(server: [Binaries.testServer], options: options, environment: environment)
            session.initialize()
            session.callTool("echo", ["message": "hello"])
            let status = session.finish()
            #expect(status == 0, "\(options): \(session.proxy.stderrText)")
            return session
        }
        let remote = "http://\(address):\(listener.port)"
        for url in [remote, "http://127.0.0.1@\(address):\(listener.port)", "http://localhost.\(address).nip.io:\(listener.port)"] {
            let refused = try session(["--api", url])
            #expect(refused.proxy.stderrText.contains("argus: not "), "\(url): \(refused.proxy.stderrText)")
            #expect(try refused.reader().runs().first?.callCount == 2, "recording goes on")
        }
        #expect(!listener.text.contains(token), "the token went to \(address): \(listener.text)")

        // Explicitly allowed: the user says that address is their dashboard.
        let allowed = try session(["--api", remote, "--api-allow-remote"])
        #expect(waitUntil { listener.text.contains("X-Argus-Token: \(token)") }, "\(allowed.proxy.stderrText)")
    }

    /// `http_proxy` in the environment must not route the token through a proxy: libcurl would
    /// send even a 127.0.0.1 request there.
    @Test func wrapNeverSendsTheTokenThroughAProxy() throws {
        let (dashboard, session) = try Self.dashboard()
        defer { dashboard.stop() }
        let proxy = try #require(Listener(address: "127.0.0.1"))
        defer { proxy.close() }
        let environment = ProcessInfo.processInfo.environment.merging([
            "ARGUS_HOME": session.argusHome, "http_proxy": "http://127.0.0.1:\(proxy.port)", "HTTP_PROXY": "http://127.0.0.1:\(proxy.port)",
        ]) { $1 }
        let pushing = try WrapSessionHarness(
            server: [Binaries.testServer], options: ["--api", "http://127.0.0.1:\(dashboard.port)"],
            environment: environment, database: session.database)
        pushing.initialize()
        pushing.callTool("echo", ["message": "pushed"])
        #expect(waitUntil { (dashboard.get("/api/sse/status").json?["notifications"]?.intValue ?? 0) >= 1 }, "\(pushing.proxy.stderrText)")
        #expect(pushing.finish() == 0)
        #expect(!proxy.text.contains(dashboard.token), "the proxy got \(proxy.text)")
    }
}
