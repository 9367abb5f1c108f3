import ArgusCore
import ArgusStore
import ArgusSystem
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// `argus-bench proxy-load`: many MCP sessions at once through one `argus proxy`, against the
/// same load sent straight to the upstream in the same run (the baseline: what the load
/// generator and the upstream manage on this machine), then one 50 MB answer relayed through
/// a fresh proxy, its memory compared with its memory idle.
///
/// The upstream (`argus-bench mcp-http-server`, a process of its own) is a Streamable HTTP MCP
/// server on SwiftNIO that does as little as possible: `initialize` opens a session
/// (`Mcp-Session-Id`), `tools/call` gets a small JSON answer at once, `tools/call` of `large`
/// a JSON answer of `--large-mb` MB written in 64 KB chunks. Python could not generate this
/// load, so the load generator is here too: `--sessions` keep-alive connections, one MCP
/// session each, all initialized before any calls (so that they are all open at once), then
/// `--calls` `tools/call` each, one after the other, then `DELETE`.
enum ProxyLoadBench {
    static func run(_ options: Options) {
        let bin = options.string("bin", URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path)
        let sessions = options.int("sessions", 1000)
        let calls = options.int("calls", 20)
        let largeMB = options.int("large-mb", 50)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("argus-proxy-load-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let upstreamPort = freePort()
        let upstream = spawn(CommandLine.arguments[0], ["mcp-http-server", "--port", String(upstreamPort), "--large-mb", String(largeMB)])
        defer { stop(upstream) }
        waitForPort(upstreamPort)
        let upstreamURL = "http://127.0.0.1:\(upstreamPort)/mcp"

        print(
            "proxy-load: \(sessions) sessions at once, each `initialize` then \(calls) `tools/call` one after the other on a keep-alive connection, then `DELETE`; \(ProcessInfo.processInfo.activeProcessorCount) CPUs"
        )
        print("| path | calls/s | calls answered | errors | sessions | proxy peak RSS (VmHWM) |")
        print("|---|---|---|---|---|---|")
        let direct = LoadGenerator.run(port: upstreamPort, sessions: sessions, calls: calls)
        print(
            "| direct to the upstream (baseline) | \(Int(direct.callsPerSecond)) | \(direct.answered) | \(direct.errors) | \(direct.sessions) | - |"
        )

        let database = directory + "/load.db"
        let proxyPort = freePort()
        let proxy = spawn(bin + "/argus", ["proxy", "--listen", "127.0.0.1:\(proxyPort)", "--upstream", upstreamURL, "--db", database])
        waitForPort(proxyPort)
        let idle = DashboardBench.rss(proxy.processIdentifier)
        let through = LoadGenerator.run(port: proxyPort, sessions: sessions, calls: calls)
        let peak = DashboardBench.hwm(proxy.processIdentifier)
        let after = DashboardBench.rss(proxy.processIdentifier)
        let threads = threadCount(proxy.processIdentifier)
        stop(proxy)
        let runs =
            (try? SQLiteReader(path: database).runs(limit: 1_000_000, server: nil, beforeID: nil, excludeReplays: false, keeping: [])) ?? []
        let recordedCalls = runs.reduce(0) { $0 + $1.callCount }
        print(
            "| through argus proxy (recording) | \(Int(through.callsPerSecond)) | \(through.answered) | \(through.errors) | \(through.sessions) | \(peak / 1024) MiB |"
        )
        print("")
        print(
            "argus proxy: \(idle / 1024) MiB resident idle, \(peak / 1024) MiB at most under load, \(after / 1024) MiB after every session ended (\(threads) threads then); "
                + "recorded: \(runs.count) runs, \(recordedCalls) calls (expected \(sessions) runs, \(sessions * (calls + 1)) calls with the initializes)"
        )
        if let error = through.firstError ?? direct.firstError { print("first error: \(error)") }

        print("")
        largeAnswer(bin: bin, upstreamURL: upstreamURL, upstreamPort: upstreamPort, megabytes: largeMB, directory: directory)
    }

    /// One `tools/call` whose answer is `megabytes` of JSON, directly and through a fresh proxy
    /// (recording on, as always): the proxy's resident memory idle and at most.
    static func largeAnswer(bin: String, upstreamURL: String, upstreamPort: Int, megabytes: Int, directory: String) {
        print("large answer: one `tools/call` answered with \(megabytes) MB of JSON (Content-Length, written in 64 KB chunks)")
        print("| path | answer (MB) | time (ms) | proxy RSS idle (MiB) | proxy peak RSS (MiB) | peak − idle (MiB) |")
        print("|---|---|---|---|---|---|")
        let start = SystemClock.monotonicNanos()
        let direct = BlockingClient.largeCall(port: upstreamPort)
        print(
            "| direct | \(String(format: "%.1f", Double(direct) / 1e6)) | \(String(format: "%.0f", Double(SystemClock.monotonicNanos() - start) / 1e6)) | - | - | - |"
        )
        do {
            let port = freePort()
            let arguments = ["proxy", "--listen", "127.0.0.1:\(port)", "--upstream", upstreamURL, "--db", directory + "/large.db"]
            let proxy = spawn(bin + "/argus", arguments)
            waitForPort(port)
            _ = BlockingClient.initialize(port: port)  // a session open, its recording started: the idle state
            usleep(200_000)
            let idle = DashboardBench.rss(proxy.processIdentifier)
            let begin = SystemClock.monotonicNanos()
            let bytes = BlockingClient.largeCall(port: port)
            let elapsed = Double(SystemClock.monotonicNanos() - begin) / 1e6
            let peak = DashboardBench.hwm(proxy.processIdentifier)
            stop(proxy)
            print(
                "| argus proxy | \(String(format: "%.1f", Double(bytes) / 1e6)) | \(String(format: "%.0f", elapsed)) | \(idle / 1024) | \(peak / 1024) | \((peak - idle) / 1024) |"
            )
        }
    }

    // MARK: processes

    static func threadCount(_ pid: Int32) -> Int {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = text.split(separator: "\n").first { $0.hasPrefix("Threads:") } ?? ""
        return Int(line.dropFirst("Threads:".count).trimmingCharacters(in: .whitespaces)) ?? 0
    }

    static func spawn(_ executable: String, _ arguments: [String]) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        do {
            try process.run()
        } catch {
            FileHandle.standardError.write(Data("cannot start \(executable): \(error)\n".utf8))
            exit(1)
        }
        return process
    }

    static func stop(_ process: Process) {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    static func freePort() -> Int {
        guard let port = Loopback.unusedPort() else {
            FileHandle.standardError.write(Data("no free port on 127.0.0.1\n".utf8))
            exit(1)
        }
        return port
    }

    static func waitForPort(_ port: Int) {
        for _ in 0..<600 {
            if let fd = Loopback.connect(port: port) {
                close(fd)
                return
            }
            usleep(50_000)
        }
        FileHandle.standardError.write(Data("nothing listens on \(port)\n".utf8))
        exit(1)
    }
}

// MARK: - the load generator

/// What one load run did.
struct LoadResult {
    var sessions = 0
    var answered = 0
    var errors = 0
    var callsPerSecond = 0.0
    var firstError: String?
}

enum LoadGenerator {
    /// `sessions` connections, each one MCP session; the calls start when every session is open.
    static func run(port: Int, sessions: Int, calls: Int) -> LoadResult {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        defer { try? group.syncShutdownGracefully() }
        let tally = Tally(sessions: sessions)
        var drivers: [(Channel, SessionDriver)] = []
        for _ in 0..<sessions {
            let driver = SessionDriver(port: port, calls: calls, tally: tally)
            let bootstrap = ClientBootstrap(group: group)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(driver)
                    }
                }
            do {
                let channel = try bootstrap.connect(host: "127.0.0.1", port: port).wait()
                drivers.append((channel, driver))
            } catch {
                tally.failed("connect: \(error)", session: true)
            }
        }
        // Every session initialized (or failed) before the first call: they are all open at once.
        tally.waitForInitialized()
        let start = SystemClock.monotonicNanos()
        for (channel, driver) in drivers {
            channel.eventLoop.execute { driver.beginCalls() }
        }
        tally.waitForCalls()
        let seconds = Double(SystemClock.monotonicNanos() - start) / 1e9
        tally.waitForClosed()
        for (channel, _) in drivers { try? channel.close().wait() }
        var result = tally.result
        result.callsPerSecond = Double(result.answered) / seconds
        return result
    }
}

/// Counts shared by every session's driver.
final class Tally: @unchecked Sendable {
    private let condition = NSCondition()
    private let sessions: Int
    private var initialized = 0
    private var callsDone = 0
    private var closed = 0
    private(set) var totals = LoadResult()

    init(sessions: Int) { self.sessions = sessions }

    var result: LoadResult { locked { totals } }

    func sessionInitialized(ok: Bool) {
        locked {
            initialized += 1
            if ok { totals.sessions += 1 }
            condition.broadcast()
        }
    }

    func sessionCallsDone(answered: Int, errors: Int, error: String?) {
        locked {
            callsDone += 1
            totals.answered += answered
            totals.errors += errors
            if totals.firstError == nil { totals.firstError = error }
            condition.broadcast()
        }
    }

    func sessionClosed() {
        locked {
            closed += 1
            condition.broadcast()
        }
    }

    /// A session that could not even start counts as initialized, done and closed, with one error.
    func failed(_ error: String, session: Bool) {
        locked {
            initialized += 1
            callsDone += 1
            closed += 1
            totals.errors += 1
            if totals.firstError == nil { totals.firstError = error }
            condition.broadcast()
        }
    }

    func waitForInitialized() { wait { initialized >= sessions } }
    func waitForCalls() { wait { callsDone >= sessions } }
    func waitForClosed() { wait { closed >= sessions } }

    private func wait(_ done: () -> Bool) {
        locked {
            let deadline = Date().addingTimeInterval(600)
            while !done(), condition.wait(until: deadline) {}
        }
    }

    private func locked<T>(_ body: () -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body()
    }
}

/// One MCP session on one connection: `initialize`, `notifications/initialized`, then, when
/// told, `calls` `tools/call` one after the other, then `DELETE`. Lives on its channel's loop.
final class SessionDriver: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private enum Step { case initialize, initialized, waiting, call, delete, done }

    private let host: String
    private let calls: Int
    private let tally: Tally
    private var step = Step.initialize
    private var context: ChannelHandlerContext?
    private var session: String?
    private var status = 0
    private var body = ByteBuffer()
    private var sent = 0
    private var answered = 0
    private var errors = 0
    private var firstError: String?

    init(port: Int, calls: Int, tally: Tally) {
        host = "127.0.0.1:\(port)"
        self.calls = calls
        self.tally = tally
    }

    func channelActive(context: ChannelHandlerContext) {
        self.context = context
        post(
            #"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"argus-bench","version":"1"}}}"#
        )
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        let was = step
        if was != .done {
            step = .done
            if was == .initialize || was == .initialized { tally.sessionInitialized(ok: false) }
            if was != .delete {
                tally.sessionCallsDone(answered: answered, errors: errors + 1, error: firstError ?? "the connection closed")
            }
            tally.sessionClosed()
        }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            if step == .initialize { session = head.headers.first(name: "mcp-session-id") }
            body.clear()
        case .body(var chunk):
            body.writeBuffer(&chunk)
        case .end:
            answer()
        }
    }

    /// Called on the loop once every session is open.
    func beginCalls() {
        guard step == .waiting else { return }
        step = .call
        nextCall()
    }

    private func answer() {
        switch step {
        case .initialize:
            guard status == 200, session != nil else {
                note("initialize: HTTP \(status)")
                step = .done
                tally.sessionInitialized(ok: false)
                tally.sessionCallsDone(answered: 0, errors: errors, error: firstError)
                context?.close(promise: nil)
                return
            }
            step = .initialized
            post(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        case .initialized:
            if status != 202 { note("notifications/initialized: HTTP \(status)") }
            step = .waiting
            tally.sessionInitialized(ok: true)
        case .call:
            if status == 200, body.readableBytesView.firstRange(of: Array(#""result""#.utf8)) != nil {
                answered += 1
            } else {
                note("tools/call: HTTP \(status): \(String(buffer: body).prefix(200))")
            }
            nextCall()
        case .delete:
            if status != 200 { note("DELETE: HTTP \(status)") }
            step = .done
            tally.sessionClosed()
        case .waiting, .done:
            break
        }
    }

    private func nextCall() {
        guard sent < calls else {
            tally.sessionCallsDone(answered: answered, errors: errors, error: firstError)
            step = .delete
            send(.DELETE, body: nil)
            return
        }
        sent += 1
        post(#"{"jsonrpc":"2.0","id":\#(sent),"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello"}}}"#)
    }

    private func note(_ error: String) {
        errors += 1
        if firstError == nil { firstError = error }
    }

    private func post(_ json: String) { send(.POST, body: json) }

    private func send(_ method: HTTPMethod, body json: String?) {
        guard let context else { return }
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: host)
        headers.add(name: "Accept", value: "application/json, text/event-stream")
        if let session { headers.add(name: "Mcp-Session-Id", value: session) }
        var buffer: ByteBuffer?
        if let json {
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: String(json.utf8.count))
            buffer = context.channel.allocator.buffer(string: json)
        } else {
            headers.add(name: "Content-Length", value: "0")
        }
        context.write(
            wrapOutboundOut(.head(HTTPRequestHead(version: .http1_1, method: method, uri: "/mcp", headers: headers))), promise: nil)
        if let buffer { context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}

// MARK: - the upstream

/// `argus-bench mcp-http-server --port N [--large-mb M]`: the fastest Streamable HTTP MCP
/// server we can make, for the load above.
enum MCPHTTPServer {
    static func run(_ options: Options) {
        let port = options.int("port", 8931)
        let largeBytes = options.int("large-mb", 50) * 1_000_000
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        do {
            let channel = try ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 4096)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        try channel.pipeline.syncOperations.addHandler(MCPHTTPHandler(largeBytes: largeBytes))
                    }
                }
                .bind(host: "127.0.0.1", port: port).wait()
            try channel.closeFuture.wait()
        } catch {
            FileHandle.standardError.write(Data("mcp-http-server: \(error)\n".utf8))
            exit(1)
        }
    }
}

final class MCPHTTPHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let largeBytes: Int
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()

    init(largeBytes: Int) { self.largeBytes = largeBytes }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let next):
            head = next
            body.clear()
        case .body(var chunk):
            body.writeBuffer(&chunk)
        case .end:
            guard let head else { return }
            respond(context, head)
        }
    }

    private func respond(_ context: ChannelHandlerContext, _ head: HTTPRequestHead) {
        guard head.method == .POST else { return reply(context, head, status: .ok, json: nil) }
        guard let message = try? JSONParser.parse(Array(body.readableBytesView)), let id = message["id"] else {
            return reply(context, head, status: .accepted, json: nil)
        }
        let idText = JSONWriter.string(id)
        switch message["method"]?.stringValue {
        case "initialize":
            let session = String(UInt64.random(in: 0...UInt64.max), radix: 16)
            reply(
                context, head, status: .ok,
                json:
                    #"{"jsonrpc":"2.0","id":\#(idText),"result":{"protocolVersion":"2025-11-25","capabilities":{"tools":{}},"serverInfo":{"name":"bench-upstream","version":"1"}}}"#,
                session: session)
        case "tools/call" where message["params"]?["name"]?.stringValue == "large":
            large(context, head, id: idText)
        default:
            reply(
                context, head, status: .ok,
                json: #"{"jsonrpc":"2.0","id":\#(idText),"result":{"content":[{"type":"text","text":"hello"}],"isError":false}}"#)
        }
    }

    private func reply(
        _ context: ChannelHandlerContext, _ head: HTTPRequestHead, status: HTTPResponseStatus, json: String?, session: String? = nil
    ) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(json?.utf8.count ?? 0))
        if let session { headers.add(name: "Mcp-Session-Id", value: session) }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if let json { context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: json)))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    /// A JSON answer of `largeBytes`, one 64 KB chunk at a time, each written once the last is.
    private func large(_ context: ChannelHandlerContext, _ head: HTTPRequestHead, id: String) {
        let prefix = Array(#"{"jsonrpc":"2.0","id":\#(id),"result":{"content":[{"type":"text","text":""#.utf8)
        let suffix = Array(#""}],"isError":false}}"#.utf8)
        let filler = largeBytes - prefix.count - suffix.count
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(largeBytes))
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .ok, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: prefix)))), promise: nil)
        let chunk = context.channel.allocator.buffer(repeating: UInt8(ascii: "x"), count: 64 << 10)
        let channel = context.channel
        @Sendable func send(_ left: Int) {
            guard left > 0 else {
                channel.write(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: suffix))), promise: nil)
                channel.writeAndFlush(HTTPServerResponsePart.end(nil), promise: nil)
                return
            }
            let size = min(left, chunk.readableBytes)
            channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(chunk.getSlice(at: 0, length: size) ?? chunk))).whenSuccess {
                send(left - size)
            }
        }
        send(filler)
    }
}

// MARK: - a blocking client for single calls

enum BlockingClient {
    /// A session id from `initialize` (on a connection of its own, left open).
    static func initialize(port: Int) -> String? {
        guard let fd = Loopback.connect(port: port) else { return nil }
        return initialize(fd, port: port)
    }

    /// Initializes, then calls `large`; the answer's body size in bytes, read and dropped as it comes.
    static func largeCall(port: Int) -> Int {
        guard let fd = Loopback.connect(port: port) else { return 0 }
        defer { close(fd) }
        let session = initialize(fd, port: port)
        return exchange(
            fd, port: port, session: session, #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"large","arguments":{}}}"#
        ).1
    }

    /// `initialize` on `fd`; the session id its answer names.
    private static func initialize(_ fd: Int32, port: Int) -> String? {
        let (headers, _) = exchange(
            fd, port: port, session: nil,
            #"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"argus-bench","version":"1"}}}"#
        )
        return header("mcp-session-id", in: headers)
    }

    /// A header's value in a response's head (`name` in lower case).
    private static func header(_ name: String, in headers: String) -> String? {
        headers.split(separator: "\r\n").first { $0.lowercased().hasPrefix(name + ":") }
            .map { String($0.drop { $0 != ":" }.dropFirst()).trimmingCharacters(in: .whitespaces) }
    }

    /// One POST; the response's headers and its body's length (the body is read and dropped).
    private static func exchange(_ fd: Int32, port: Int, session: String?, _ json: String) -> (String, Int) {
        var request = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nContent-Type: application/json\r\n"
        request += "Accept: application/json, text/event-stream\r\nContent-Length: \(json.utf8.count)\r\n"
        if let session { request += "Mcp-Session-Id: \(session)\r\n" }
        writeAll(fd, Array((request + "\r\n" + json).utf8))
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var headerEnd: Int?
        while headerEnd == nil {
            let n = read(fd, &buffer, buffer.count)
            if n <= 0 { return ("", 0) }
            pending += buffer[0..<n]
            headerEnd = pending.firstRange(of: Array("\r\n\r\n".utf8))?.upperBound
        }
        guard let headerEnd else { return ("", 0) }
        let headers = String(decoding: pending[..<headerEnd], as: UTF8.self)
        let length = header("content-length", in: headers).flatMap { Int($0) } ?? 0
        var received = pending.count - headerEnd
        while received < length {
            let n = read(fd, &buffer, min(buffer.count, length - received))
            if n <= 0 { break }
            received += n
        }
        return (headers, received)
    }
}
