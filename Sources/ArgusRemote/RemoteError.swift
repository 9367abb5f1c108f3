/// What can stop `argus wrap --url` before the session starts.
public enum RemoteError: Error, Sendable, Equatable, CustomStringConvertible {
    case badURL(String)
    case badHeader(String)
    case badTLS(String)

    public var description: String {
        switch self {
        case .badURL(let text), .badHeader(let text), .badTLS(let text): text
        }
    }
}
