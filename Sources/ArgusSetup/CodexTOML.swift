import Foundation

/// Codex's `~/.codex/config.toml`: the `[mcp_servers.NAME]` table, written and
/// merged as text so that everything else in the file (comments included) stays
/// exactly as it was. Only the entry's own table is replaced; its sub-tables
/// (`[mcp_servers.NAME.tools.…]`, set by the user) are kept.
enum CodexTOML {
    /// The table for an entry. Variables are forwarded by Codex from its own
    /// environment (`env_vars`), unless literal values were asked for.
    static func table(_ entry: ClientEntry) -> String {
        if let url = entry.url { return "[mcp_servers.\(key(entry.name))]\nurl = \(string(url))\n" }
        var lines = [
            "[mcp_servers.\(key(entry.name))]",
            "command = \(string(entry.argusPath))",
            "args = [" + entry.arguments.map(string).joined(separator: ", ") + "]",
        ]
        let forwarded = entry.environment.filter { entry.literalValues[$0] == nil }
        if !forwarded.isEmpty { lines.append("env_vars = [" + forwarded.map(string).joined(separator: ", ") + "]") }
        let literal = entry.environment.filter { entry.literalValues[$0] != nil }
        if !literal.isEmpty {
            lines.append("env = { " + literal.map { "\(key($0)) = \(string(entry.literalValues[$0]!))" }.joined(separator: ", ") + " }")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func merge(_ entry: ClientEntry, into text: String) throws -> ClientSetup.Result {
        let new = table(entry)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        let headers = [entry.name, "\"\(entry.name)\"", "'\(entry.name)'"].map { "mcp_servers.\($0)" }
        guard let start = lines.firstIndex(where: { line in headers.contains(tableName(line) ?? "") }) else {
            var out = text
            if !out.isEmpty && !out.hasSuffix("\n") { out += "\n" }
            if !out.isEmpty { out += "\n" }
            return ClientSetup.Result(text: out + new, changed: true)
        }
        var end = start + 1
        while end < lines.count, tableName(lines[end]) == nil { end += 1 }
        // Keep the blank lines and comments that separate this table from the next one.
        var keepFrom = end
        while keepFrom > start + 1,
            lines[keepFrom - 1].trimmingCharacters(in: .whitespaces).isEmpty
                || lines[keepFrom - 1].trimmingCharacters(in: .whitespaces).hasPrefix("#")
        { keepFrom -= 1 }
        let old = lines[start..<keepFrom].joined(separator: "\n") + "\n"
        if old == new { return ClientSetup.Result(text: text, changed: false) }
        var result = Array(lines[..<start])
        result += new.split(separator: "\n").map(String.init)
        result += lines[keepFrom...]
        return ClientSetup.Result(text: result.joined(separator: "\n") + "\n", changed: true)
    }

    /// `[name]` → `name` (nil for other lines; array tables `[[…]]` count as tables too).
    static func tableName(_ line: String) -> String? {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("["), let close = trimmed.lastIndex(of: "]") else { return nil }
        var name = String(trimmed[trimmed.index(after: trimmed.startIndex)..<close])
        if name.hasPrefix("[") { name = String(name.dropFirst()).trimmingCharacters(in: CharacterSet(charactersIn: "]")) }
        return name.split(separator: ".").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ".")
    }

    /// A bare key when it can be one, else a quoted one.
    static func key(_ name: String) -> String {
        name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") } && !name.isEmpty ? name : string(name)
    }

    /// A TOML basic string.
    static func string(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += "\\u" + String(scalar.value, radix: 16).leftPadded(to: 4)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
