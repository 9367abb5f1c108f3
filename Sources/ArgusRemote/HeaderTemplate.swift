/// A `--header NAME:VALUE` as the user wrote it. The value may name environment variables
/// (`Authorization:Bearer ${GITHUB_TOKEN}`); they are filled in when the session starts and
/// the result lives only in memory: recordings keep the header's name, never its value.
public struct HeaderTemplate: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }

    /// Parses `NAME:VALUE` (spaces around the value are dropped, as in curl's `-H`).
    public static func parse(_ text: String) throws(RemoteError) -> HeaderTemplate {
        guard let colon = text.firstIndex(of: ":") else {
            throw .badHeader("--header \(text.debugDescription) needs NAME:VALUE, e.g. --header 'Authorization:Bearer ${TOKEN}'")
        }
        let name = String(text[..<colon]).trimmingSpaces
        let value = String(text[text.index(after: colon)...]).trimmingSpaces
        guard !name.isEmpty, name.utf8.allSatisfy(Self.isTokenByte) else {
            throw .badHeader("--header \(name.debugDescription): a header name is letters, digits and -")
        }
        if value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) {
            throw .badHeader("--header \(name): the value cannot contain a line break")
        }
        return HeaderTemplate(name: name, value: value)
    }

    /// The value with each `${VAR}` replaced from `environment`; a variable that is not set is
    /// an error (sending `Bearer ` with nothing after it would only earn a confusing 401).
    public func expanded(_ environment: [String: String]) throws(RemoteError) -> String {
        var result = ""
        var rest = value[...]
        while let start = rest.firstRange(of: "${") {
            result += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw .badHeader("--header \(name): unclosed ${ in the value")
            }
            let variable = String(rest[start.upperBound..<end])
            guard let text = environment[variable] else {
                throw .badHeader("--header \(name) uses ${\(variable)}, which is not set in the environment")
            }
            result += text
            rest = rest[rest.index(after: end)...]
        }
        result += rest
        if result.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) {
            throw .badHeader("--header \(name): the value from the environment contains a line break")
        }
        return result
    }

    /// The environment variables the value names (recorded instead of the value).
    public var variables: [String] {
        var names: [String] = []
        var rest = value[...]
        while let start = rest.firstRange(of: "${"), let end = rest[start.upperBound...].firstIndex(of: "}") {
            names.append(String(rest[start.upperBound..<end]))
            rest = rest[rest.index(after: end)...]
        }
        return names
    }

    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}
