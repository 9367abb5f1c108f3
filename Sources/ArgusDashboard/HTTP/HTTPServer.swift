import ArgusCore
import ArgusSystem
import Foundation

/// Why the server could not start, each with what to do about it.
public enum HTTPServerError: Error, CustomStringConvertible, Sendable {
    case portInUse(host: String, port: Int, owner: String?)
    case permissionDenied(port: Int)
    case addressNotAvailable(host: String)
    case unresolvable(host: String, reason: String)
    case system(String)

    public var description: String {
        switch self {
        case .portInUse(let host, let port, let owner):
            return "port \(port) on \(host) is already in use" + (owner.map { " by \($0)" } ?? "")
                + "; stop it or pick another port with --port (0 picks a free one)"
        case .permissionDenied(let port):
            return "not allowed to listen on port \(port) (ports below 1024 need privileges); use --port 3000"
        case .addressNotAvailable(let host):
            return "\(host) is not an address of this machine"
        case .unresolvable(let host, let reason):
            return "cannot resolve \(host): \(reason)"
        case .system(let message):
            return message
        }
    }
}

/// What to do with a request whose head has arrived, decided before any of its body is read.
public enum Admission: Sendable {
    /// Read a body of up to this many bytes (a longer one is answered 413), then handle the request.
    case accept(maxBodyBytes: Int)
    /// Answer this at once and close, without reading the body (a request the door refuses).
    case refuse(HTTPResponse)
}

/// A small HTTP/1.1 server for the dashboard: keep-alive, pipelining,
/// Content-Length bodies, streamed responses (SSE).
///
/// One thread (the reactor) accepts connections and reads every request with
/// non-blocking sockets and `poll`, so a connection that sends slowly or not at
/// all holds a few bytes of memory, never a thread. A request is handed to a
/// handler thread only once its head has passed `admit` and its body has
/// arrived whole. Limits, as HAProxy and nginx set them: a whole head within
/// `headTimeoutSeconds` of its first byte, a body within `bodyTimeoutSeconds`,
/// caps on handlers and streams, and when every connection slot is taken, the
/// connection that has waited longest for its request is closed to make room
/// (nginx does the same with idle keep-alive connections) — so idle or
/// trickling sockets cannot lock anyone out. Docs/ARCHITECTURE.md explains the choices.
///
/// Why not SwiftNIO/Hummingbird: the dashboard serves a handful of local
/// clients; this is about a thousand lines that build in seconds and add nothing to
/// `argus wrap`'s start-up.
public final class HTTPServer: @unchecked Sendable {
    public struct Options: Sendable {
        public var host: String
        public var port: Int
        /// Connections open at once, in every state.
        public var maxConnections = 512
        /// Requests handled at once; the others wait for a free handler.
        public var maxHandlers = 32
        /// Streamed responses (SSE) open at once; more are answered 503.
        public var maxStreams = 64
        public var maxHeaderBytes = 64 << 10
        /// The body limit when `admit` does not set one.
        public var maxBodyBytes = 1 << 20
        /// A request head must be whole this long after its first byte (after the connection, for the first request).
        public var headTimeoutSeconds = 10.0
        /// A body must be whole this long after its head.
        public var bodyTimeoutSeconds = 30.0
        /// A kept-alive connection with no new request for this long is closed.
        public var idleTimeoutSeconds = 60.0
        /// A client that does not take what is written for this long is dropped.
        public var writeTimeoutSeconds = 15.0

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
    }

    public typealias Handler = @Sendable (HTTPRequest) -> HTTPResponse
    public typealias Admit = @Sendable (HTTPRequest) -> Admission

    public let options: Options
    private let handler: Handler
    private let admit: Admit
    private let monitor = Monitor()
    private var listenFD: Int32 = -1
    private var wakeFDs: (read: Int32, write: Int32) = (-1, -1)
    private var reactor: OSThread?
    private var stopping = false
    /// Connections handed to handler threads (queued, being answered, or streaming), by descriptor.
    private var inFlight: Set<Int32> = []
    private var ready: [(Connection, HTTPRequest)] = []
    private var returned: [Connection] = []
    private var handlers = 0
    private var streams = 0
    /// Connections the reactor holds (reading, idle, lingering), as of its last turn.
    private var reading = 0
    public private(set) var boundPort = 0
    /// The bound address is a loopback one (127.0.0.0/8 or ::1), read from the socket itself.
    public private(set) var isLoopbackBound = false

    /// - Parameters:
    ///   - admit: called with each request's head (no body yet); the default accepts `maxBodyBytes`.
    public init(options: Options, admit: Admit? = nil, handler: @escaping Handler) {
        self.options = options
        self.handler = handler
        let maxBody = options.maxBodyBytes
        self.admit = admit ?? { _ in .accept(maxBodyBytes: maxBody) }
    }

    /// Binds, listens and starts accepting. Returns the port (useful with port 0).
    @discardableResult
    public func start() throws(HTTPServerError) -> Int {
        let port = try listen()
        serve()
        return port
    }

    /// Binds and listens, without accepting yet: the port is known (and taken) before
    /// anything that depends on it is set up.
    public func listen() throws(HTTPServerError) -> Int {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(options.host, String(options.port), &hints, &result)
        guard rc == 0, let first = result else {
            throw .unresolvable(host: options.host, reason: String(cString: gai_strerror(rc)))
        }
        defer { freeaddrinfo(result) }
        let fd = socket(
            first.pointee.ai_family, first.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw .system("cannot create a socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        if bind(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) != 0 {
            let code = errno
            close(fd)
            switch code {
            case EADDRINUSE: throw .portInUse(host: options.host, port: options.port, owner: PortOwner.describe(port: options.port))
            case EACCES: throw .permissionDenied(port: options.port)
            case EADDRNOTAVAIL: throw .addressNotAvailable(host: options.host)
            default: throw .system("cannot listen on \(options.host):\(options.port): \(String(cString: strerror(code)))")
            }
        }
        guard Glibc.listen(fd, 128) == 0 else {
            close(fd)
            throw .system("cannot listen: \(String(cString: strerror(errno)))")
        }
        var pipeFDs: [Int32] = [-1, -1]
        guard pipe(&pipeFDs) == 0 else {
            close(fd)
            throw .system("cannot create a pipe: \(String(cString: strerror(errno)))")
        }
        for end in pipeFDs { SocketIO.makeNonBlocking(end) }
        let address = SocketAddress.local(fd)
        boundPort = address?.port ?? options.port
        isLoopbackBound = address?.isLoopback ?? false
        monitor.locked {
            listenFD = fd
            wakeFDs = (pipeFDs[0], pipeFDs[1])
        }
        return boundPort
    }

    /// Starts accepting connections (after `listen`).
    public func serve() {
        let (fd, wake) = monitor.locked { (listenFD, wakeFDs.read) }
        guard fd >= 0 else { return }
        let thread = OSThread(name: "http-reactor") { [self] in runReactor(listener: fd, wake: wake) }
        monitor.locked { reactor = thread }
    }

    /// Stops accepting, and closes every connection (streams see `isServerStopping`).
    /// The reactor closes the sockets it owns itself, so no descriptor is closed while still in use.
    public func stop() {
        let thread = monitor.locked { () -> OSThread? in
            stopping = true
            for fd in inFlight { shutdown(fd, Int32(SHUT_RDWR)) }
            monitor.broadcast()
            return reactor
        }
        wake()
        if let thread {
            thread.join(timeoutSeconds: 5)
        } else {
            monitor.locked {  // listened but never served
                if listenFD >= 0 { close(listenFD) }
                listenFD = -1
            }
        }
    }

    var isStopping: Bool { monitor.locked { stopping } }

    /// Connections open now, in every state.
    var openConnections: Int { monitor.locked { reading + inFlight.count } }

    private func wake() {
        let fd = monitor.locked { wakeFDs.write }
        var byte: UInt8 = 1
        if fd >= 0 { _ = Glibc.write(fd, &byte, 1) }
    }

    // MARK: the reactor: accepting and reading requests

    /// A connection while its request is read. Owned by the reactor thread, or by one handler thread.
    final class Connection {
        enum State {
            /// Waiting for the first byte of a request (a kept-alive connection).
            case idle
            /// Reading a head; the deadline is for the whole head.
            case head
            /// Reading a body of this length.
            case body(HTTPRequest, length: Int)
            /// Answered with an error and half-closed: input is read and dropped until the client closes,
            /// so the answer is not lost to a reset (nginx's lingering close).
            case lingering(budget: Int)
        }

        let fd: Int32
        var state: State
        var buffer: [UInt8] = []
        var headScanner = RequestParser.HeadScanner()
        var deadline: UInt64
        /// When it began waiting for its current request: the oldest is closed first when slots run out.
        var waitingSince: UInt64

        init(fd: Int32, state: State, deadline: UInt64, now: UInt64) {
            self.fd = fd
            self.state = state
            self.deadline = deadline
            waitingSince = now
        }
    }

    private static func nanos(_ seconds: Double) -> UInt64 { UInt64(max(0, seconds) * 1e9) }

    private func runReactor(listener: Int32, wake: Int32) {
        var connections: [Int32: Connection] = [:]
        var acceptPausedUntil: UInt64 = 0
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let now = SystemClock.monotonicNanos()
            var fds = [pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
            if now >= acceptPausedUntil { fds.append(pollfd(fd: listener, events: Int16(POLLIN), revents: 0)) }
            for fd in connections.keys { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
            let earliest = connections.values.map(\.deadline).min() ?? now + 1_000_000_000
            let timeout = Int32(min(1000, max(0, (Int64(bitPattern: earliest &- now) + 999_999) / 1_000_000)))
            let pause = now < acceptPausedUntil ? Int32((acceptPausedUntil - now) / 1_000_000 + 1) : timeout
            _ = poll(&fds, nfds_t(fds.count), min(timeout, pause))

            if fds[0].revents != 0 {
                var drain = [UInt8](repeating: 0, count: 256)
                while read(wake, &drain, drain.count) > 0 {}
            }
            let (stop, back) = monitor.locked { () -> (Bool, [Connection]) in
                defer { returned.removeAll() }
                return (stopping, returned)
            }
            if stop {
                for connection in connections.values + back { close(connection.fd) }
                close(listener)
                monitor.locked {
                    listenFD = -1
                    close(wakeFDs.read)
                    close(wakeFDs.write)
                    wakeFDs = (-1, -1)
                }
                return
            }
            for connection in back {
                // Answered and kept alive: back to waiting, and a pipelined request may already be buffered.
                connections[connection.fd] = connection
                advance(connection, connections: &connections, now: SystemClock.monotonicNanos())
            }

            for entry in fds.dropFirst() where entry.revents != 0 && entry.fd != listener {
                guard let connection = connections[entry.fd] else { continue }
                receive(connection, chunk: &chunk, connections: &connections)
            }
            if fds.count > 1, fds[1].fd == listener, fds[1].revents != 0 {
                acceptPausedUntil = acceptConnections(listener, connections: &connections, chunk: &chunk)
            }
            expire(&connections)
            monitor.locked { reading = connections.count }
        }
    }

    /// Accepts what is waiting. Returns when to look at the listener again (later, when out of descriptors).
    private func acceptConnections(_ listener: Int32, connections: inout [Int32: Connection], chunk: inout [UInt8]) -> UInt64 {
        for _ in 0..<64 {
            let fd = accept(listener, nil, nil)
            if fd < 0 {
                switch errno {
                case EINTR, ECONNABORTED: continue
                case EMFILE, ENFILE:
                    // Out of descriptors: make room by closing the connection that waited longest, or wait a little.
                    if evictOldest(&connections) { continue }
                    return SystemClock.monotonicNanos() + 50_000_000
                default: return 0  // EAGAIN: nothing more waiting
                }
            }
            SocketIO.makeNonBlocking(fd)  // and close-on-exec: servers started by replays must not inherit it
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let inFlightCount = monitor.locked { inFlight.count }
            if connections.count + inFlightCount >= options.maxConnections && !evictOldest(&connections) {
                SocketIO.sendNow(
                    fd, HTTPResponse.error(503, "too many connections; try again").headBytes(contentLength: nil, keepAlive: false))
                close(fd)
                continue
            }
            let now = SystemClock.monotonicNanos()
            let connection = Connection(fd: fd, state: .head, deadline: now + Self.nanos(options.headTimeoutSeconds), now: now)
            connections[fd] = connection
            // Most clients send the request with the connection: read it now, before anything can evict it.
            receive(connection, chunk: &chunk, connections: &connections)
        }
        return 0
    }

    /// Closes the connection that has waited longest for its request (lingering ones first). False if there is none.
    private func evictOldest(_ connections: inout [Int32: Connection]) -> Bool {
        let victim = connections.values.min { a, b in
            let (lingerA, lingerB) = (a.isLingering, b.isLingering)
            if lingerA != lingerB { return lingerA }
            return a.waitingSince < b.waitingSince
        }
        guard let victim else { return false }
        if case .head = victim.state, !victim.buffer.isEmpty {
            SocketIO.sendNow(
                victim.fd,
                HTTPResponse.error(503, "the server is busy; closed to make room")
                    .headBytes(contentLength: nil, keepAlive: false))
        }
        connections.removeValue(forKey: victim.fd)
        close(victim.fd)
        return true
    }

    /// Reads what the socket has (one chunk) and moves the connection on.
    private func receive(_ connection: Connection, chunk: inout [UInt8], connections: inout [Int32: Connection]) {
        let n = read(connection.fd, &chunk, chunk.count)
        if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) { return }
        if n <= 0 {  // the client closed (or reset): nothing more will come
            connections.removeValue(forKey: connection.fd)
            close(connection.fd)
            return
        }
        if case .lingering(let budget) = connection.state {
            if budget - n <= 0 {
                connections.removeValue(forKey: connection.fd)
                close(connection.fd)
            } else {
                connection.state = .lingering(budget: budget - n)
            }
            return
        }
        connection.buffer.append(contentsOf: chunk[0..<n])
        advance(connection, connections: &connections, now: SystemClock.monotonicNanos())
    }

    /// Moves a connection through its states with the bytes it has: head, admission, body, hand-off.
    private func advance(_ connection: Connection, connections: inout [Int32: Connection], now: UInt64) {
        switch connection.state {
        case .idle:
            guard !connection.buffer.isEmpty else { return }
            connection.state = .head  // the first byte of the next request: its head has headTimeout from now
            connection.deadline = now + Self.nanos(options.headTimeoutSeconds)
            advance(connection, connections: &connections, now: now)

        case .head:
            guard let end = connection.headScanner.end(in: connection.buffer) else {
                if connection.buffer.count > options.maxHeaderBytes {
                    refuse(connection, .error(431, "request head over \(options.maxHeaderBytes) bytes"), now: now)
                }
                return
            }
            if end > options.maxHeaderBytes {
                return refuse(connection, .error(431, "request head over \(options.maxHeaderBytes) bytes"), now: now)
            }
            let head: RequestParser.Head
            switch RequestParser.parseHead(connection.buffer[0..<end]) {
            case .failure(let failure): return refuse(connection, .error(failure.status, failure.message), now: now)
            case .success(let parsed): head = parsed
            }
            // The door is checked on the head alone: a refused request's body is never read.
            switch admit(head.request) {
            case .refuse(let response): return refuse(connection, response, now: now)
            case .accept(let maxBody):
                if head.contentLength > maxBody {
                    return refuse(connection, .error(413, RequestParser.tooLarge(head.contentLength, limit: maxBody)), now: now)
                }
            }
            connection.buffer.removeFirst(end + 4)
            connection.headScanner.reset()
            if head.expectsContinue && head.contentLength > connection.buffer.count {
                SocketIO.sendNow(connection.fd, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
            }
            connection.state = .body(head.request, length: head.contentLength)
            connection.deadline = now + Self.nanos(options.bodyTimeoutSeconds)
            advance(connection, connections: &connections, now: now)

        case .body(var request, let length):
            guard connection.buffer.count >= length else { return }
            request.body = Array(connection.buffer[0..<length])
            connection.buffer.removeFirst(length)
            connections.removeValue(forKey: connection.fd)
            dispatch(connection, request)

        case .lingering:
            connection.buffer.removeAll()
        }
    }

    /// Answers with an error, half-closes, and reads what still comes for a moment before closing.
    private func refuse(_ connection: Connection, _ response: HTTPResponse, now: UInt64) {
        let bytes: [UInt8]
        if case .bytes(let body) = response.body {
            bytes = response.headBytes(contentLength: body.count, keepAlive: false) + body
        } else {
            bytes = response.headBytes(contentLength: 0, keepAlive: false)
        }
        SocketIO.sendNow(connection.fd, bytes)
        shutdown(connection.fd, Int32(SHUT_WR))
        connection.buffer = []
        connection.state = .lingering(budget: 1 << 20)
        connection.deadline = now + 2_000_000_000
    }

    /// Closes connections past their deadline: 408 for a request that did not arrive whole in time.
    private func expire(_ connections: inout [Int32: Connection]) {
        let now = SystemClock.monotonicNanos()
        for connection in connections.values where connection.deadline <= now {
            switch connection.state {
            case .head where !connection.buffer.isEmpty, .body:
                refuse(connection, .error(408, "the request did not arrive in time"), now: now)
            default:
                connections.removeValue(forKey: connection.fd)
                close(connection.fd)
            }
        }
    }

    // MARK: handlers

    /// Queues a whole request for a handler thread, starting one if fewer than `maxHandlers` run.
    private func dispatch(_ connection: Connection, _ request: HTTPRequest) {
        let start = monitor.locked { () -> Bool in
            inFlight.insert(connection.fd)
            ready.append((connection, request))
            guard handlers < options.maxHandlers else { return false }
            handlers += 1
            return true
        }
        if start { OSThread(name: "http-handler") { [self] in runHandler() } }
    }

    /// Answers queued requests until none is left.
    private func runHandler() {
        while let (connection, request) = monitor.locked({ () -> (Connection, HTTPRequest)? in
            guard !ready.isEmpty else {
                handlers -= 1
                return nil
            }
            return ready.removeFirst()
        }) {
            if !answer(connection, request) { return }  // this thread became a stream's and has ended with it
        }
    }

    /// Answers one request. False when the request became a stream (which this thread then served to its end).
    private func answer(_ connection: Connection, _ request: HTTPRequest) -> Bool {
        let keepAlive = request.version == "HTTP/1.1" && request.header("connection")?.lowercased() != "close"
        let isHead = request.method == "HEAD"
        var routed = request
        if isHead { routed.method = "GET" }
        let response = isStopping ? .error(503, "the server is stopping") : handler(routed)
        switch response.body {
        case .bytes(let body):
            var bytes = response.headBytes(contentLength: body.count, keepAlive: keepAlive)
            if !isHead { bytes += body }
            let written = bytes.withUnsafeBytes { SocketIO.writeAll(connection.fd, $0, timeoutSeconds: options.writeTimeoutSeconds) }
            finish(connection, keepAlive: written && keepAlive)
            return true
        case .stream(let body):
            guard !isHead else {
                let head = response.headBytes(contentLength: nil, keepAlive: false)
                _ = head.withUnsafeBytes { SocketIO.writeAll(connection.fd, $0, timeoutSeconds: options.writeTimeoutSeconds) }
                finish(connection, keepAlive: false)
                return true
            }
            let admitted = monitor.locked { () -> Bool in
                guard streams < options.maxStreams else { return false }
                streams += 1
                return true
            }
            guard admitted else {
                let busy = HTTPResponse.error(503, "too many event streams are open (\(options.maxStreams)); close one and retry")
                if case .bytes(let text) = busy.body {
                    let bytes = busy.headBytes(contentLength: text.count, keepAlive: false) + text
                    _ = bytes.withUnsafeBytes { SocketIO.writeAll(connection.fd, $0, timeoutSeconds: options.writeTimeoutSeconds) }
                }
                finish(connection, keepAlive: false)
                return true
            }
            // A stream lasts as long as its client: this thread leaves the handlers, and another takes its place.
            let replace = monitor.locked { () -> Bool in
                if ready.isEmpty {
                    handlers -= 1
                    return false
                }
                return true
            }
            if replace { OSThread(name: "http-handler") { [self] in runHandler() } }
            let head = response.headBytes(contentLength: nil, keepAlive: false)
            if head.withUnsafeBytes({ SocketIO.writeAll(connection.fd, $0, timeoutSeconds: options.writeTimeoutSeconds) }) {
                let fd = connection.fd, timeout = options.writeTimeoutSeconds
                body(
                    HTTPStreamWriter(
                        write: { bytes in bytes.withUnsafeBytes { SocketIO.writeAll(fd, $0, timeoutSeconds: timeout) } },
                        stopped: { [weak self] in self?.isStopping ?? true }))
            }
            finish(connection, keepAlive: false)
            monitor.locked { streams -= 1 }
            return false
        }
    }

    /// After an answer: back to the reactor for the next request, or closed.
    private func finish(_ connection: Connection, keepAlive: Bool) {
        let handedBack = monitor.locked { () -> Bool in
            inFlight.remove(connection.fd)  // before the close below: stop() never shuts down a reused descriptor
            guard keepAlive && !stopping else { return false }
            let now = SystemClock.monotonicNanos()
            connection.state = .idle
            connection.waitingSince = now
            connection.deadline = now + Self.nanos(options.idleTimeoutSeconds)
            returned.append(connection)
            return true
        }
        if handedBack { wake() } else { close(connection.fd) }
    }
}

extension HTTPServer.Connection {
    var isLingering: Bool {
        if case .lingering = state { return true }
        return false
    }
}

enum SocketIO {
    /// Writes everything to a non-blocking socket within `timeoutSeconds`, or returns false
    /// (peer gone, or not reading).
    static func writeAll(_ fd: Int32, _ raw: UnsafeRawBufferPointer, timeoutSeconds: Double) -> Bool {
        guard var pointer = raw.baseAddress else { return true }
        var left = raw.count
        let deadline = SystemClock.monotonicNanos() + UInt64(timeoutSeconds * 1e9)
        while left > 0 {
            let n = send(fd, pointer, left, Int32(MSG_NOSIGNAL))
            if n > 0 {
                pointer += n
                left -= n
                continue
            }
            guard n < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR else { return false }
            let now = SystemClock.monotonicNanos()
            guard now < deadline else { return false }
            var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            _ = poll(&entry, 1, Int32(min(1000, (deadline - now) / 1_000_000 + 1)))
        }
        return true
    }

    static func makeNonBlocking(_ fd: Int32) {
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    /// One attempt to write a short answer (an error) without waiting; whatever does not fit is dropped.
    static func sendNow(_ fd: Int32, _ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
    }
}

/// The address a socket is bound to.
struct SocketAddress {
    var port: Int
    var isLoopback: Bool

    static func local(_ fd: Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        return withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { address -> SocketAddress? in
                guard getsockname(fd, address, &length) == 0 else { return nil }
                let port: UInt16
                switch Int32(address.pointee.sa_family) {
                case AF_INET: port = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_port }
                case AF_INET6: port = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_port }
                default: return nil
                }
                return SocketAddress(port: Int(UInt16(bigEndian: port)), isLoopback: Loopback.isLoopback(address: UnsafePointer(address)))
            }
        }
    }
}

/// Who holds a TCP port: read from /proc (Linux), for "port in use" messages.
enum PortOwner {
    static func describe(port: Int) -> String? {
        var inodes: Set<String> = []
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            guard let text = try? String(contentsOfFile: table, encoding: .utf8) else { continue }
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                // local_address is HEX_IP:HEX_PORT; state 0A is LISTEN; field 9 is the inode.
                guard fields.count > 9, fields[3] == "0A", let portHex = fields[1].split(separator: ":").last,
                    Int(portHex, radix: 16) == port
                else { continue }
                inodes.insert(String(fields[9]))
            }
        }
        guard !inodes.isEmpty, let pids = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
        for pid in pids where pid.allSatisfy(\.isNumber) {
            guard let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd") else { continue }
            for fd in fds {
                guard let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)"),
                    link.hasPrefix("socket:["), inodes.contains(String(link.dropFirst(8).dropLast()))
                else { continue }
                let name =
                    (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
                return "process \(pid) (\(name))"
            }
        }
        return "another process"
    }
}
