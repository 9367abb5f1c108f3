import ArgusCore
import ArgusSystem
import CArgusSystem
#if canImport(Glibc)
import Glibc
#endif

/// `argus wrap --api URL`: after recordings are committed, tells a dashboard
/// to look now (`POST URL/api/notify`). The dashboard notices new rows by
/// itself within 50 ms; this is for compatibility with setups that push.
/// At most one request per 100 ms, on its own thread, never on the relay path.
///
/// The request carries the dashboard token, so it goes only to this machine
/// (127.0.0.0/8, ::1, `localhost`), never through a proxy, unless the user
/// allowed a remote dashboard (`--api-allow-remote`); otherwise nothing is sent
/// and stderr says why (recording is not affected either way).
public final class DashboardNotifier: @unchecked Sendable {
    private let endpoint: String
    private let direct: Bool
    private let tokenPath: String
    private let report: @Sendable (String) -> Void
    private let monitor = Monitor()
    private var pending = false
    private var finishing = false
    private var reportedFailure = false
    private var thread: OSThread?

    /// Nil (after saying why on `report`) when the URL is not one the token may be sent to.
    public init?(apiURL: String, tokenPath: String, allowRemote: Bool = false, report: @escaping @Sendable (String) -> Void) {
        switch Self.destination(apiURL) {
        case .invalid(let reason):
            report("argus: not notifying the dashboard at \(apiURL): \(reason) (recording is not affected)")
            return nil
        case .remote(let host) where !allowRemote:
            report(
                "argus: not sending the dashboard token to \(host): --api sends it only to this machine "
                    + "(127.0.0.1, ::1, localhost). Add --api-allow-remote if \(host) is your own dashboard "
                    + "(recording is not affected, and the dashboard finds new calls by itself)")
            return nil
        case .remote:
            direct = false
        case .loopback:
            direct = true
        }
        endpoint = (apiURL.hasSuffix("/") ? String(apiURL.dropLast()) : apiURL) + "/api/notify"
        self.tokenPath = tokenPath
        self.report = report
        thread = OSThread(name: "argus-notify", background: true) { [self] in run() }
    }

    enum Destination: Equatable {
        case loopback
        case remote(host: String)
        case invalid(reason: String)
    }

    /// Where `http(s)://host[:port][/path]` points. Anything a URL parser could read two ways (user
    /// info, backslashes, spaces) is refused rather than guessed at: the token must not go elsewhere.
    static func destination(_ url: String) -> Destination {
        let lower = url.lowercased()
        guard let scheme = ["http://", "https://"].first(where: { lower.hasPrefix($0) }) else {
            return .invalid(reason: "the URL must start with http:// or https://")
        }
        let rest = url.dropFirst(scheme.count)
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if url.contains(where: { $0 == "\\" || $0.isWhitespace || $0.asciiValue.map { $0 < 0x20 || $0 == 0x7F } == true })
            || authority.contains("@")
        {
            return .invalid(reason: "the URL has characters or user information a dashboard URL does not need")
        }
        var host = Substring(authority)
        var port: Substring = ""
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return .invalid(reason: "unclosed [ in the address") }
            port = host[host.index(after: close)...]
            host = host[host.startIndex...close]
        } else if let colon = host.firstIndex(of: ":") {
            port = host[colon...]
            host = host[..<colon]
        }
        guard !host.isEmpty,
            port.isEmpty || (port.count > 1 && port.dropFirst().allSatisfy(\.isASCII) && port.dropFirst().allSatisfy(\.isNumber))
        else { return .invalid(reason: "no host, or a port that is not a number") }
        return Loopback.isLoopback(host: String(host)) ? .loopback : .remote(host: String(host))
    }

    /// Records were committed.
    public func committed() {
        monitor.locked {
            pending = true
            monitor.signal()
        }
    }

    /// Sends the last notice if one is due, and returns once no request is in flight: exiting
    /// while libcurl runs on another thread can crash the process (and the MCP client sees its status).
    public func finish() {
        monitor.locked {
            finishing = true
            monitor.broadcast()
        }
        thread?.join(timeoutSeconds: 3)  // requests time out after 2 s
    }

    private func run() {
        while true {
            let last = monitor.locked { () -> Bool? in
                while !pending && !finishing { monitor.wait(untilMonotonicNanos: nil) }
                defer { pending = false }
                return pending ? finishing : nil
            }
            guard let last else { return }  // finishing, nothing left to say
            post()
            if last { return }
            // At most ten a second; a finish cuts the pause short.
            monitor.locked { if !finishing { monitor.wait(untilMonotonicNanos: SystemClock.monotonicNanos() + 100_000_000) } }
        }
    }

    private func post() {
        // The token is read each time: the dashboard may create it after this proxy started.
        let token = readToken()
        var error = [CChar](repeating: 0, count: 256)
        let post = direct ? argus_http_post_json_direct : argus_http_post_json
        let status = post(endpoint, "{}", 2000, "argus/\(argusVersion)", "X-Argus-Token: \(token)", &error, Int32(error.count))
        let ok = (200..<300).contains(status)
        let problem =
            status < 0 ? String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : "HTTP \(status)"
        let say = monitor.locked { () -> Bool in
            defer { reportedFailure = !ok }
            return !ok && !reportedFailure
        }
        if say { report("argus: cannot notify the dashboard at \(endpoint): \(problem) (recording is not affected)") }
    }

    /// The token file's first line (plain libc: the proxy does not load Foundation).
    private func readToken() -> String {
        let fd = open(tokenPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = read(fd, &buffer, buffer.count)
        guard n > 0 else { return "" }
        return String(decoding: buffer[0..<n].prefix { $0 != 0x0A && $0 != 0x0D && $0 != 0x20 }, as: UTF8.self)
    }
}
