import ArgusProxy

/// What `argus proxy` was asked to do: where to listen, what to serve there, the headers to
/// add to what goes upstream, and the recording options of `argus wrap`.
public struct ProxyOptions: Sendable {
    public enum Target: Sendable, Equatable {
        /// A remote Streamable HTTP server (`--upstream URL`).
        case upstream(String)
        /// A stdio server, started for each session (`-- command args…`: `wrap.command` and `wrap.arguments`).
        case stdio
    }

    public var listen: ListenAddress
    public var target: Target
    public var headers: [HeaderTemplate]
    /// Listening on an address other machines can reach was asked for explicitly.
    public var allowRemote = false
    /// The proxy's address as clients reach it (default `http://LISTEN`): what OAuth metadata
    /// names as the resource. Never taken from a request's headers.
    public var publicURL: String?
    public var wrap: WrapOptions

    public init(listen: ListenAddress, target: Target, headers: [HeaderTemplate], wrap: WrapOptions) {
        self.listen = listen
        self.target = target
        self.headers = headers
        self.wrap = wrap
    }
}
