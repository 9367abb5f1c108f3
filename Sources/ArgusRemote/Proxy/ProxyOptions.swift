import ArgusProxy

/// What `argus proxy` was asked to do: where to listen, the upstream server, the headers to
/// add to what goes upstream, and the recording options of `argus wrap`.
public struct ProxyOptions: Sendable {
    public var listen: ListenAddress
    public var upstream: String
    public var headers: [HeaderTemplate]
    /// Listening on an address other machines can reach was asked for explicitly.
    public var allowRemote = false
    /// The proxy's address as clients reach it (default `http://LISTEN`): what OAuth metadata
    /// names as the resource. Never taken from a request's headers.
    public var publicURL: String?
    public var wrap: WrapOptions

    public init(listen: ListenAddress, upstream: String, headers: [HeaderTemplate], wrap: WrapOptions) {
        self.listen = listen
        self.upstream = upstream
        self.headers = headers
        self.wrap = wrap
    }
}
