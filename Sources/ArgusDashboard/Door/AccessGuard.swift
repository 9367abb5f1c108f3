import ArgusCore
import ArgusSystem
import Foundation

/// The dashboard's door against other sites: which Host and Origin headers are ours.
///
/// - Host: a page on evil.example that rebinds its DNS name to 127.0.0.1 sends
///   `Host: evil.example`; only the names this server is reached by pass.
/// - Origin: browsers send it on cross-origin requests and on every POST; it
///   must be this server's own origin. No CORS header is ever sent.
///
/// `TokenCheck`, next in the chain, asks changes for the token.
public struct AccessGuard: HTTPMiddleware {
    /// Host names (without port) that may appear in Host and Origin, with this dashboard's port.
    public let allowedHosts: Set<String>
    /// Names given with `--allowed-host` (a tunnel, a proxy): any port, http or https.
    public let forwardedHosts: Set<String>
    public let port: Int

    public init(bindHost: String, port: Int, extraHosts: [String] = []) {
        self.port = port
        var hosts: Set<String> = ["localhost", "127.0.0.1", "::1"]
        hosts.insert(Self.normalized(bindHost))
        if Self.isWildcard(bindHost) { hosts.formUnion(Self.machineAddresses()) }
        allowedHosts = hosts
        forwardedHosts = Set(extraHosts.map(Self.normalized))
    }

    func handle(_ request: HTTPRequest, next: (HTTPRequest) throws -> HTTPResponse) throws -> HTTPResponse {
        if let refusal = refusal(for: request) { throw refusal }
        return try next(request)
    }

    /// Why the request is refused (403), or nil when it comes from this dashboard's own pages or a tool.
    public func refusal(for request: HTTPRequest) -> HTTPError? {
        guard let host = request.header("host"), let (name, hostPort) = Self.split(host),
            forwardedHosts.contains(name) || allowedHosts.contains(name) && (hostPort == nil || hostPort == port)
        else {
            return HTTPError(
                403,
                "the Host header does not name this dashboard (DNS rebinding protection); "
                    + "open http://127.0.0.1:\(port)/")
        }
        if let origin = request.header("origin"), !isOwnOrigin(origin) {
            return HTTPError(403, "cross-origin requests are refused (Origin \(origin))")
        }
        if request.header("sec-fetch-site") == "cross-site" {
            return HTTPError(403, "cross-site requests are refused")
        }
        return nil
    }

    func isOwnOrigin(_ origin: String) -> Bool {
        let scheme = origin.hasPrefix("http://") ? "http://" : origin.hasPrefix("https://") ? "https://" : nil
        guard let scheme else { return false }
        let rest = String(origin.dropFirst(scheme.count))
        guard !rest.contains("/"), let (name, originPort) = Self.split(rest) else { return false }
        if forwardedHosts.contains(name) { return true }
        return scheme == "http://" && allowedHosts.contains(name) && (originPort ?? 80) == port
    }

    /// `host:port`, `[::1]:port`, `host` → (lowercased name, port).
    static func split(_ value: String) -> (String, Int?)? {
        if value.hasPrefix("[") {
            guard let close = value.firstIndex(of: "]") else { return nil }
            let name = String(value[value.index(after: value.startIndex)..<close]).lowercased()
            let rest = value[value.index(after: close)...]
            if rest.isEmpty { return (name, nil) }
            guard rest.hasPrefix(":"), let port = Int(rest.dropFirst()) else { return nil }
            return (name, port)
        }
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        switch parts.count {
        case 1: return (value.lowercased(), nil)
        case 2:
            guard let port = Int(parts[1]) else { return nil }
            return (String(parts[0]).lowercased(), port)
        default: return nil
        }
    }

    static func normalized(_ host: String) -> String {
        host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()).lowercased() : host.lowercased()
    }

    public static func isWildcard(_ host: String) -> Bool { host == "0.0.0.0" || host == "::" || host == "[::]" }

    /// Whether a `--host` can only be reached from this machine (see `Loopback.isLoopback(host:)`).
    public static func isLoopback(_ host: String) -> Bool { Loopback.isLoopback(host: host) }

    /// This machine's addresses and host name, for a dashboard bound to all interfaces.
    static func machineAddresses() -> Set<String> {
        var result: Set<String> = []
        var buffer = [CChar](repeating: 0, count: 256)
        if gethostname(&buffer, buffer.count) == 0 { result.insert(Self.text(buffer).lowercased()) }
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return result }
        defer { freeifaddrs(list) }
        var cursor = list
        while let entry = cursor {
            if let address = entry.pointee.ifa_addr {
                var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
                let length = socklen_t(
                    address.pointee.sa_family == AF_INET6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
                if [AF_INET, AF_INET6].contains(Int32(address.pointee.sa_family)),
                    getnameinfo(address, length, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0
                {
                    let text = Self.text(host)
                    result.insert(String(text.split(separator: "%").first ?? ""))  // drop an IPv6 zone
                }
            }
            cursor = entry.pointee.ifa_next
        }
        return result
    }

    /// A C string filled in by the system, up to its terminating zero.
    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
