import ArgusCore
import ArgusStore
import Crypto
import Foundation

/// The dashboard's door: which Host and Origin headers are ours, and the
/// token every mutating request must carry.
///
/// - Host: a page on evil.example that rebinds its DNS name to 127.0.0.1 sends
///   `Host: evil.example`; only the names this server is reached by pass.
/// - Origin: browsers send it on cross-origin requests and on every POST; it
///   must be this server's own origin. No CORS header is ever sent.
/// - Token: `X-Argus-Token` (or `Authorization: Bearer`) on POST/PUT/PATCH/DELETE.
///   On loopback the page carries it in a meta tag: other sites' pages cannot read
///   it (same-origin policy, and the Host check stops rebinding). On any other
///   address the page does not carry it, since anyone reaching the page could.
public struct AccessGuard: Sendable {
    public let token: String
    /// Host names (without port) that may appear in Host and Origin, with this dashboard's port.
    public let allowedHosts: Set<String>
    /// Names given with `--allowed-host` (a tunnel, a proxy): any port, http or https.
    public let forwardedHosts: Set<String>
    public let port: Int

    public init(token: String, bindHost: String, port: Int, extraHosts: [String] = []) {
        self.token = token
        self.port = port
        var hosts: Set<String> = ["localhost", "127.0.0.1", "::1"]
        hosts.insert(Self.normalized(bindHost))
        if Self.isWildcard(bindHost) { hosts.formUnion(Self.machineAddresses()) }
        allowedHosts = hosts
        forwardedHosts = Set(extraHosts.map(Self.normalized))
    }

    public enum Verdict: Equatable, Sendable {
        case allowed
        case denied(status: Int, message: String)
    }

    public static let mutatingMethods: Set<String> = ["POST", "PUT", "PATCH", "DELETE"]

    public func check(_ request: HTTPRequest) -> Verdict {
        guard let host = request.header("host"), let (name, hostPort) = Self.split(host),
              forwardedHosts.contains(name) || allowedHosts.contains(name) && (hostPort == nil || hostPort == port)
        else {
            return .denied(status: 403, message: "the Host header does not name this dashboard (DNS rebinding protection); "
                                                  + "open http://127.0.0.1:\(port)/")
        }
        if let origin = request.header("origin"), !isOwnOrigin(origin) {
            return .denied(status: 403, message: "cross-origin requests are refused (Origin \(origin))")
        }
        if request.header("sec-fetch-site") == "cross-site" {
            return .denied(status: 403, message: "cross-site requests are refused")
        }
        if Self.mutatingMethods.contains(request.method) {
            guard let presented = presentedToken(request) else {
                return .denied(status: 401, message: "this endpoint changes things: send the token from ~/.argus/token "
                                                     + "in an X-Argus-Token header")
            }
            guard Self.constantTimeEqual(presented, token) else {
                return .denied(status: 403, message: "wrong token (see ~/.argus/token)")
            }
        }
        return .allowed
    }

    func presentedToken(_ request: HTTPRequest) -> String? {
        if let header = request.header("x-argus-token") { return header }
        if let authorization = request.header("authorization"), authorization.lowercased().hasPrefix("bearer ") {
            return String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces)
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

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<x.count { difference |= x[i] ^ y[i] }
        return difference == 0
    }

    /// This machine's addresses and host name, for a dashboard bound to all interfaces.
    static func machineAddresses() -> Set<String> {
        var result: Set<String> = []
        var buffer = [CChar](repeating: 0, count: 256)
        if gethostname(&buffer, buffer.count) == 0 { result.insert(String(cString: buffer).lowercased()) }
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return result }
        defer { freeifaddrs(list) }
        var cursor = list
        while let entry = cursor {
            if let address = entry.pointee.ifa_addr {
                var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
                let length = socklen_t(address.pointee.sa_family == AF_INET6 ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size)
                if [AF_INET, AF_INET6].contains(Int32(address.pointee.sa_family)),
                   getnameinfo(address, length, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0 {
                    let text = String(cString: host)
                    result.insert(String(text.split(separator: "%").first ?? ""))  // drop an IPv6 zone
                }
            }
            cursor = entry.pointee.ifa_next
        }
        return result
    }
}
