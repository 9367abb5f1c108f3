import ArgusSystem

/// Where `argus proxy` listens: `HOST:PORT`, `[IPv6]:PORT`; port 0 asks for any free port.
/// Loopback unless the user says otherwise: the proxy adds the `--header` credentials to
/// whatever reaches it, so anyone who can connect can use them.
public struct ListenAddress: Sendable, Equatable {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public static func parse(_ text: String) throws(RemoteError) -> ListenAddress {
        var host: Substring
        var portText: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw .badListen("--listen \(text.debugDescription) needs a port: [::1]:8080") }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else {
                throw .badListen("--listen takes HOST:PORT, e.g. 127.0.0.1:8080 (got \(text.debugDescription))")
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty else { throw .badListen("--listen \(text.debugDescription) needs a host, e.g. 127.0.0.1:\(portText)") }
        guard let port = Int(portText), (0...65535).contains(port) else {
            throw .badListen("--listen \(text.debugDescription): the port must be a number from 0 to 65535")
        }
        return ListenAddress(host: String(host), port: port)
    }

    public var isLoopback: Bool { Loopback.isLoopback(host: host) }

    /// `host:port` as it appears in a URL or a Host header (IPv6 in brackets).
    public func authority(port: Int? = nil) -> String {
        let shown = host.contains(":") ? "[\(host)]" : host
        return "\(shown):\(port ?? self.port)"
    }
}
