import ArgusSystem
import AsyncHTTPClient
import NIOHTTP1

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

    /// What answers a request.
    enum Route {
        /// The proxy itself, in plain text (a refused or misdirected request).
        case answer(HTTPResponseStatus, String, keepAlive: Bool)
        /// The MCP endpoint, with the request's query.
        case mcp(query: Substring?)
        /// OAuth discovery, from the remote server's origin.
        case wellKnown(RemoteBackend, path: Substring)
    }

    func route(_ head: HTTPRequestHead, tooLarge: Bool) -> Route {
        guard admits(host: head.headers.first(name: "host"), origin: head.headers.first(name: "origin")) else {
            return .answer(
                .forbidden,
                "argus proxy: this request's Host or Origin is not this proxy's address "
                    + "(a protection against DNS rebinding); use the address argus proxy printed, "
                    + "or --public-url for the name clients use\n", keepAlive: head.isKeepAlive)
        }
        if tooLarge {
            return .answer(.payloadTooLarge, "argus proxy: the request body is larger than \(maxRequestBytes >> 20) MB\n", keepAlive: false)
        }
        let (path, query) = Self.split(head.uri)
        if isServedPath(path) { return .mcp(query: query) }
        if case .remote(let remote) = backend, path.hasPrefix("/.well-known/") { return .wellKnown(remote, path: path) }
        return .answer(.notFound, "argus proxy: this proxy serves MCP at \(servedPath), not \(path)\n", keepAlive: head.isKeepAlive)
    }

    /// `/mcp?x=1` → (`/mcp`, `x=1`).
    static func split(_ uri: String) -> (path: Substring, query: Substring?) {
        let target = Substring(uri)
        guard let mark = target.firstIndex(of: "?") else { return (target, nil) }
        return (target[..<mark], target[target.index(after: mark)...])
    }

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
    /// Set for a plain-HTTP upstream, which each client connection reaches on a connection of its own.
    let plain: PlainUpstream?
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
