import Foundation

/// `~/.pgpass` as libpq reads it: lines of `host:port:database:user:password`, `*` matching
/// anything, `\:` and `\\` escaped, the first matching line winning. Like libpq, a file that
/// others can read is ignored (with a warning), since it holds passwords.
struct PasswordFile {
    struct Entry {
        var fields: [String]  // host, port, database, user
        var password: String
    }

    var entries: [Entry]

    /// nil when there is no such file, or when it is readable by group or others.
    static func read(path: String) -> PasswordFile? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let permissions = attributes[.posixPermissions] as? Int
        else { return nil }
        if permissions & 0o077 != 0 {
            FileHandle.standardError.write(Data("argus: ignoring \(path): others can read it (chmod 600 it)\n".utf8))
            return nil
        }
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return PasswordFile(text: String(decoding: data, as: UTF8.self))
    }

    init(text: String) {
        entries = text.split(whereSeparator: \.isNewline).compactMap { line in
            if line.hasPrefix("#") { return nil }
            var fields: [String] = []
            var current = ""
            var escaped = false
            for character in line {
                if escaped {
                    current.append(character)
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else if character == ":" && fields.count < 4 {
                    fields.append(current)
                    current = ""
                } else {
                    current.append(character)
                }
            }
            guard fields.count == 4 else { return nil }
            return Entry(fields: fields, password: current)
        }
    }

    func password(host: String, port: Int, database: String, user: String) -> String? {
        let wanted = [host, String(port), database, user]
        return entries.first { entry in
            zip(entry.fields, wanted).allSatisfy { field, value in field == "*" || field == value }
        }?.password
    }
}
