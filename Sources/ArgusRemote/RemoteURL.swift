import AsyncHTTPClient

/// The remote server's address, checked before anything is sent.
struct RemoteURL: Sendable {
    /// As given: what requests go to.
    var text: String
    var isHTTPS: Bool
    var host: String
    /// The port the URL names, if it names one.
    var port: Int?
    /// Without credentials, query or fragment: what recordings and messages show.
    var display: String

    init(_ text: String) throws(RemoteError) {
        let lower = text.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else {
            throw .badURL("--url takes an http:// or https:// address, e.g. https://api.example.com/mcp (got \(text.debugDescription))")
        }
        self.init(unchecked: text)
        guard !host.isEmpty, !text.contains(where: { $0 == " " || $0 == "\n" || $0 == "\r" }) else {
            throw .badURL("--url \(display.debugDescription) has no host name, or contains a space")
        }
    }

    /// Best effort for an address that failed the check (only to name the run).
    init(unchecked text: String) {
        self.text = text
        isHTTPS = text.lowercased().hasPrefix("https://")
        var rest = Substring(text)
        var scheme = ""
        if let range = rest.range(of: "://") {
            scheme = String(rest[..<range.upperBound])
            rest = rest[range.upperBound...]
        }
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        let pathEnd = rest[authorityEnd...].firstIndex(where: { $0 == "?" || $0 == "#" }) ?? rest.endIndex
        display = scheme + authority + rest[authorityEnd..<pathEnd]
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = String(authority[authority.index(after: authority.startIndex)..<close])
        } else {
            host = String(authority.split(separator: ":", maxSplits: 1).first ?? "")
        }
        let afterHost = authority.hasPrefix("[") ? authority[(authority.firstIndex(of: "]") ?? authority.startIndex)...] : authority
        port = afterHost.lastIndex(of: ":").flatMap { Int(afterHost[afterHost.index(after: $0)...]) }
    }
}

/// The HTTP(S) proxy a client would use from the environment (`HTTPS_PROXY`, `HTTP_PROXY`,
/// lower-case too, and `NO_PROXY`), as curl reads them.
enum ProxySetting {
    static func fromEnvironment(_ environment: [String: String], for target: RemoteURL) throws(RemoteError)
        -> HTTPClient.Configuration.Proxy?
    {
        let names = target.isHTTPS ? ["https_proxy", "HTTPS_PROXY"] : ["http_proxy", "HTTP_PROXY"]
        guard let value = names.lazy.compactMap({ environment[$0] }).first(where: { !$0.isEmpty }) else { return nil }
        let exempt = (environment["no_proxy"] ?? environment["NO_PROXY"] ?? "").split(separator: ",")
            .map { String($0).trimmingSpaces.lowercased() }
        let host = target.host.lowercased()
        if exempt.contains(where: { $0 == "*" || host == $0 || host.hasSuffix($0.hasPrefix(".") ? $0 : "." + $0) }) { return nil }
        let proxy = RemoteURL(unchecked: value.contains("://") ? value : "http://" + value)
        let portText = proxy.display.split(separator: "/").dropFirst().first?.split(separator: ":").dropFirst().first
        guard !proxy.host.isEmpty else { throw .badURL("the proxy \(value.debugDescription) in the environment has no host") }
        var port = 80
        if let portText {
            guard let number = Int(portText) else {
                throw .badURL("the proxy \(proxy.display.debugDescription) in the environment has a bad port")
            }
            port = number
        }
        return .server(host: proxy.host, port: port)
    }
}

extension RemoteURL {
    /// `scheme://host[:port]`, without credentials.
    var origin: String {
        guard let schemeEnd = display.range(of: "://") else { return display }
        let rest = display[schemeEnd.upperBound...]
        return String(display[..<schemeEnd.upperBound]) + rest.prefix { $0 != "/" }
    }

    /// The path requests go to (`/` when the address has none), without query or fragment.
    var path: String {
        let rest = display.dropFirst(origin.count)
        return rest.isEmpty ? "/" : String(rest)
    }
}
