import ArgusCore
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

/// A small HTTP/1.1 server: one thread accepts, one thread per connection
/// reads requests, calls the handler and writes the response. Keep-alive,
/// pipelining, Content-Length bodies, streamed responses (SSE), limits on
/// head and body sizes, idle timeouts, and a cap on connections.
///
/// Why not SwiftNIO/Hummingbird: the dashboard serves a handful of local
/// clients, and blocking threads keep it a few hundred lines that build in
/// seconds and add nothing to `argus wrap`'s start-up (see Docs/ARCHITECTURE.md).
public final class HTTPServer: @unchecked Sendable {
    public struct Options: Sendable {
        public var host: String
        public var port: Int
        public var maxConnections = 256
        public var maxHeaderBytes = 64 << 10
        public var maxBodyBytes = 16 << 20
        /// A connection with no complete request for this long is closed.
        public var idleTimeoutSeconds = 60
        /// A client that does not take what is written for this long is dropped.
        public var writeTimeoutSeconds = 15

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
    }

    public typealias Handler = @Sendable (HTTPRequest) -> HTTPResponse

    public let options: Options
    private let handler: Handler
    private let monitor = Monitor()
    private var listenFD: Int32 = -1
    private var connections: Set<Int32> = []
    private var stopping = false
    public private(set) var boundPort = 0

    public init(options: Options, handler: @escaping Handler) {
        self.options = options
        self.handler = handler
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
        let fd = socket(first.pointee.ai_family, first.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), 0)
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
        boundPort = Self.localPort(fd) ?? options.port
        monitor.locked { listenFD = fd }
        return boundPort
    }

    /// Starts accepting connections (after `listen`).
    public func serve() {
        let fd = monitor.locked { listenFD }
        guard fd >= 0 else { return }
        OSThread(name: "http-accept") { [self] in acceptLoop(fd) }
    }

    /// Stops accepting, and closes every connection (streams see `isServerStopping`).
    public func stop() {
        let (fd, open) = monitor.locked { () -> (Int32, Set<Int32>) in
            stopping = true
            let fd = listenFD
            listenFD = -1
            return (fd, connections)
        }
        if fd >= 0 {
            shutdown(fd, Int32(SHUT_RDWR))
            close(fd)
        }
        for connection in open { shutdown(connection, Int32(SHUT_RDWR)) }
    }

    var isStopping: Bool { monitor.locked { stopping } }

    static func localPort(_ fd: Int32) -> Int? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) == 0 }
        }
        guard ok else { return nil }
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) } }
        case AF_INET6:
            return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) } }
        default:
            return nil
        }
    }

    // MARK: connections

    private func acceptLoop(_ listener: Int32) {
        while true {
            let fd = accept(listener, nil, nil)
            if fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }  // servers started by replays must not inherit it
            if fd < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                if errno == EMFILE || errno == ENFILE {
                    usleep(50_000)  // out of descriptors: let some connections finish
                    continue
                }
                return  // the listener was closed
            }
            let admitted = monitor.locked { () -> Bool in
                guard !stopping, connections.count < options.maxConnections else { return false }
                connections.insert(fd)
                return true
            }
            guard admitted else {
                let busy = HTTPResponse.error(503, "too many connections")
                writeResponse(busy, fd: fd, keepAlive: false, headOnly: false)
                close(fd)
                continue
            }
            OSThread(name: "http-connection") { [self] in
                serve(fd)
                monitor.locked { _ = connections.remove(fd) }
                close(fd)
            }
        }
    }

    private func serve(_ fd: Int32) {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        SocketIO.setTimeout(fd, option: SO_RCVTIMEO, seconds: options.idleTimeoutSeconds)
        SocketIO.setTimeout(fd, option: SO_SNDTIMEO, seconds: options.writeTimeoutSeconds)
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while !isStopping {
            switch RequestParser.parse(buffer, maxHeaderBytes: options.maxHeaderBytes, maxBodyBytes: options.maxBodyBytes) {
            case .incomplete:
                let n = read(fd, &chunk, chunk.count)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 {
                    if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && !buffer.isEmpty {
                        writeResponse(.error(408, "the request did not arrive in time"), fd: fd, keepAlive: false, headOnly: false)
                    }
                    return
                }
                buffer.append(contentsOf: chunk[0..<n])
            case .failure(let status, let message):
                writeResponse(.error(status, message), fd: fd, keepAlive: false, headOnly: false)
                return
            case .request(let request, let consumed):
                buffer.removeFirst(consumed)
                let keepAlive = request.version == "HTTP/1.1" && request.header("connection")?.lowercased() != "close"
                let isHead = request.method == "HEAD"
                var routed = request
                if isHead { routed.method = "GET" }
                let response = handler(routed)
                switch response.body {
                case .bytes:
                    guard writeResponse(response, fd: fd, keepAlive: keepAlive, headOnly: isHead), keepAlive else { return }
                case .stream(let body):
                    let head = RequestParser.head(response, contentLength: nil, keepAlive: false)
                    guard head.withUnsafeBytes({ SocketIO.writeAll(fd, $0) }), !isHead else { return }
                    // A stream writes as events happen; it has no read timeout, only the write one.
                    body(HTTPStreamWriter(fd: fd, stopped: { [weak self] in self?.isStopping ?? true }))
                    return
                }
            }
        }
    }

    @discardableResult
    private func writeResponse(_ response: HTTPResponse, fd: Int32, keepAlive: Bool, headOnly: Bool) -> Bool {
        guard case .bytes(let body) = response.body else { return false }
        var bytes = RequestParser.head(response, contentLength: body.count, keepAlive: keepAlive)
        if !headOnly { bytes.append(contentsOf: body) }
        return bytes.withUnsafeBytes { SocketIO.writeAll(fd, $0) }
    }
}

enum SocketIO {
    /// Writes everything, or returns false (peer gone, write timeout).
    static func writeAll(_ fd: Int32, _ raw: UnsafeRawBufferPointer) -> Bool {
        guard var pointer = raw.baseAddress else { return true }
        var left = raw.count
        while left > 0 {
            let n = send(fd, pointer, left, Int32(MSG_NOSIGNAL))
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            pointer += n
            left -= n
        }
        return true
    }

    static func setTimeout(_ fd: Int32, option: Int32, seconds: Int) {
        var value = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, option, &value, socklen_t(MemoryLayout<timeval>.size))
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
                      Int(portHex, radix: 16) == port else { continue }
                inodes.insert(String(fields[9]))
            }
        }
        guard !inodes.isEmpty, let pids = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
        for pid in pids where pid.allSatisfy(\.isNumber) {
            guard let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd") else { continue }
            for fd in fds {
                guard let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)"),
                      link.hasPrefix("socket:["), inodes.contains(String(link.dropFirst(8).dropLast())) else { continue }
                let name = (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
                return "process \(pid) (\(name))"
            }
        }
        return "another process"
    }
}
