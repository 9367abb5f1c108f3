/// What can stop `argus wrap --url` or `argus proxy` before any traffic.
public enum RemoteError: Error, Sendable, Equatable, CustomStringConvertible {
    case badURL(String)
    case badHeader(String)
    case badTLS(String)
    /// `argus proxy --listen`: an address that cannot be parsed, bound, or is not loopback without `--allow-remote`.
    case badListen(String)

    public var description: String {
        switch self {
        case .badURL(let text), .badHeader(let text), .badTLS(let text), .badListen(let text): text
        }
    }
}
