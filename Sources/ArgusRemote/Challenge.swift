import ArgusCore

/// A `WWW-Authenticate` challenge as data: `Bearer resource_metadata="…", scope="…"` becomes
/// `{"scheme": "Bearer", "resource_metadata": "…", "scope": "…"}`. Kept apart this way, the
/// parameters are not mistaken for a bearer token by redaction, and a client or a script can
/// read the metadata address (RFC 9728) without parsing the header again.
enum Challenge {
    static func parse(_ header: String) -> JSONValue {
        var rest = Substring(header).drop { $0 == " " }
        let scheme = rest.prefix { $0 != " " && $0 != "," }
        rest = rest.dropFirst(scheme.count)
        var fields: JSONObject = ["scheme": .string(String(scheme))]
        while true {
            rest = rest.drop { $0 == " " || $0 == "," }
            if rest.isEmpty { break }
            let equals = rest.firstIndex(of: "=") ?? rest.endIndex
            let name = String(rest[..<equals]).trimmingSpaces
            guard equals < rest.endIndex, !name.isEmpty, !name.contains(" ") else {
                // Not auth-params (a token68 such as Negotiate's): keep the rest as it was.
                fields["value"] = .string(String(rest).trimmingSpaces)
                break
            }
            rest = rest[rest.index(after: equals)...].drop { $0 == " " }
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                while let character = rest.first, character != "\"" {
                    if character == "\\" { rest = rest.dropFirst() }
                    if let next = rest.first { value.append(next) }
                    rest = rest.dropFirst()
                }
                rest = rest.dropFirst()
            } else {
                value = String(rest.prefix { $0 != "," }).trimmingSpaces
                rest = rest.drop { $0 != "," }
            }
            fields[name] = .string(value)
        }
        return .object(fields)
    }
}
