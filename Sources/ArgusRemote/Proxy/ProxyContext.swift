import ArgusSystem
import AsyncHTTPClient

/// What every connection of one `argus proxy` shares.
struct ProxyContext: Sendable {
    /// Where MCP requests go: a remote server, or stdio servers argus starts.
    enum Backend: Sendable {
        case remote(RemoteBackend)
        case stdio(StdioBackend)
    }

    let backend: Backend
    /// The MCP endpoint's path: the upstream's, or `/mcp` for a stdio server.
    let servedPath: String
    /// `Host` values (lower-cased authorities) this proxy answers to: its own addresses, so that
    /// a web page that rebinds a name of its own to 127.0.0.1 is refused.
    let allowedHosts: Set<String>
    /// The largest request body taken (a client message; answers stream, requests are small).
    var maxRequestBytes = 64 << 20

    /// Whether a path (without its query) is the MCP endpoint; a trailing slash does not matter.
    func isServedPath(_ path: Substring) -> Bool {
        func trimmed(_ text: Substring) -> Substring { text.count > 1 && text.hasSuffix("/") ? text.dropLast() : text }
        return trimmed(path) == trimmed(Substring(servedPath))
    }

    /// Whether a request's `Host` (and `Origin`, when a browser sent one) name this proxy.
    func admits(host: String?, origin: String?) -> Bool {
        guard let host = host?.lowercased(), allowedHosts.contains(host) || allowedHosts.contains(host + ":80") else {
            return false
        }
        guard let origin, origin != "null" else { return true }
        let originHost = RemoteURL(unchecked: origin).host
        return Loopback.isLoopback(host: originHost) || allowedHosts.contains(where: { $0.hasPrefix(originHost.lowercased() + ":") })
    }
}

/// A remote Streamable HTTP server behind the proxy.
struct RemoteBackend: Sendable {
    let client: HTTPClient
    let upstream: RemoteURL
    /// The `--header` values, expanded: added to every request to the MCP path.
    let upstreamHeaders: [(String, String)]
    let recordings: SessionRecordings
    let metadata: ProtectedResourceMetadata

    /// The upstream address for a request to the MCP path: the `--upstream` URL, with the
    /// client's query when that URL has none.
    func upstreamURL(query: Substring?) -> String {
        guard let query, !query.isEmpty, !upstream.text.contains("?") else { return upstream.text }
        return upstream.text + "?" + query
    }
}
