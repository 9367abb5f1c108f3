import ArgusCore

/// OAuth discovery through the proxy (RFC 9728). A client that reaches the server at the
/// proxy's address checks that the protected-resource metadata names that address as its
/// `resource`; the upstream's document names the upstream. So the document is served with
/// the upstream's origin replaced by the proxy's (the path kept), and a `WWW-Authenticate`
/// challenge that points at the upstream's metadata points at the proxy's copy instead.
/// Everything else in the document (the authorization servers, scopes) is the upstream's:
/// the client authorizes with the real authorization server, and its token passes through.
struct ProtectedResourceMetadata {
    /// `scheme://host:port` of the upstream server.
    var upstreamOrigin: String
    /// `scheme://host:port` of the proxy, from its configuration, never from a request.
    var proxyOrigin: String

    static let wellKnownPrefix = "/.well-known/oauth-protected-resource"

    /// The document with `resource` rewritten, or nil when it is not a JSON object (then it is
    /// passed on as it came, and the client decides).
    func rewrite(_ document: [UInt8]) -> [UInt8]? {
        guard case .object(var fields)? = try? JSONParser.parse(document) else { return nil }
        if let resource = fields["resource"]?.stringValue { fields["resource"] = .string(proxied(resource)) }
        return JSONWriter.bytes(.object(fields))
    }

    /// A challenge whose `resource_metadata` is on the upstream's origin, moved to the proxy's.
    func rewriteChallenge(_ header: String) -> String {
        guard let key = header.range(of: "resource_metadata=\""),
            let close = header[key.upperBound...].firstIndex(of: "\"")
        else { return header }
        let url = String(header[key.upperBound..<close])
        return header[..<key.upperBound] + proxied(url) + header[close...]
    }

    /// `url` with the upstream's origin replaced by the proxy's; other URLs are left alone.
    func proxied(_ url: String) -> String {
        guard url.lowercased().hasPrefix(upstreamOrigin.lowercased()) else { return url }
        let rest = url.dropFirst(upstreamOrigin.count)
        guard rest.isEmpty || rest.hasPrefix("/") || rest.hasPrefix("?") else { return url }
        return proxyOrigin + rest
    }
}
