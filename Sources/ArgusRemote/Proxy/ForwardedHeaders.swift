import NIOHTTP1

/// Which headers cross the proxy. End-to-end headers pass unchanged, `Authorization` among
/// them; hop-by-hop ones (RFC 9110 §7.6.1) belong to one connection and stop here, as do the
/// framing headers the HTTP libraries set for their own connection.
enum ForwardedHeaders {
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te", "trailer",
        "transfer-encoding", "upgrade",
    ]

    /// The client's headers for the upstream request, then `added` (the `--header` values),
    /// which replace a client's header of the same name. `Host` and `Content-Length` are the
    /// client library's to set; `Accept-Encoding` is dropped so that bodies arrive as sent and
    /// can be recorded; `Forwarded`/`X-Forwarded-*` are dropped: a client could forge them.
    static func request(_ headers: HTTPHeaders, adding added: [(String, String)]) -> HTTPHeaders {
        let named = connectionNamed(headers)
        var result = HTTPHeaders()
        for (name, value) in headers {
            let lower = name.lowercased()
            if hopByHop.contains(lower) || named.contains(lower) || lower == "host" || lower == "content-length"
                || lower == "accept-encoding" || lower == "forwarded" || lower.hasPrefix("x-forwarded-")
            {
                continue
            }
            result.add(name: name, value: value)
        }
        for (name, value) in added { result.replaceOrAdd(name: name, value: value) }
        return result
    }

    /// The upstream's response headers for the client. `Content-Length` stays: the body is
    /// forwarded byte for byte.
    static func response(_ headers: HTTPHeaders) -> HTTPHeaders {
        let named = connectionNamed(headers)
        var result = HTTPHeaders()
        for (name, value) in headers {
            let lower = name.lowercased()
            if !hopByHop.contains(lower) && !named.contains(lower) { result.add(name: name, value: value) }
        }
        return result
    }

    /// Headers a `Connection` header names are hop-by-hop too.
    private static func connectionNamed(_ headers: HTTPHeaders) -> Set<String> {
        // Most requests and answers have none: no set to build, on every call.
        guard headers.contains(name: "connection") else { return [] }
        return Set(headers[canonicalForm: "connection"].map { $0.lowercased() })
    }
}
