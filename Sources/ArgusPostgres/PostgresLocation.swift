import ArgusCore

/// Where a shared PostgreSQL store is: `postgres://user@host:5432/argus?sslmode=prefer`, as
/// `--db`, `$ARGUS_DB` or the config's `database` give it. The password is never part of it: a
/// command line is stored in the recording (and shows in `ps`), so a literal password is refused
/// and one comes from `${VAR}` in its place, `PGPASSWORD` or `~/.pgpass` (`password(...)`).
public struct PostgresLocation: Sendable, Hashable, CustomStringConvertible {
    /// libpq's `sslmode` words. Argus verifies the server's certificate whenever it uses TLS.
    public enum TLSMode: String, Sendable, Hashable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var user: String
    public var database: String
    public var tls: TLSMode
    /// `${NAME}` in the password's place: the password is read from that variable when connecting.
    public var passwordVariable: String?

    /// Whether `--db` names a PostgreSQL store rather than a SQLite file.
    public static func isPostgres(_ value: String) -> Bool {
        value.hasPrefix("postgres://") || value.hasPrefix("postgresql://")
    }

    /// Parses a `postgres://` URL; what it leaves out comes from `PGHOST`, `PGPORT`, `PGUSER`,
    /// `PGDATABASE` and `PGSSLMODE`, then libpq's defaults (localhost, 5432, the login name).
    public init(url: String, environment: [String: String]) throws {
        guard let schemeEnd = url.range(of: "://"), Self.isPostgres(url) else {
            throw PostgresStoreError.badLocation(url: url, reason: "it does not start with postgres://")
        }
        var rest = Substring(url[schemeEnd.upperBound...])
        var query = ""
        if let mark = rest.firstIndex(of: "?") {
            query = String(rest[rest.index(after: mark)...])
            rest = rest[..<mark]
        }
        var path = ""
        if let slash = rest.firstIndex(of: "/") {
            path = String(rest[rest.index(after: slash)...])
            rest = rest[..<slash]
        }
        var userInfo: Substring?
        if let at = rest.lastIndex(of: "@") {
            userInfo = rest[..<at]
            rest = rest[rest.index(after: at)...]
        }

        var user: String?
        if let userInfo {
            if let colon = userInfo.firstIndex(of: ":") {
                let secret = String(userInfo[userInfo.index(after: colon)...])
                guard let variable = Self.variableName(secret) else { throw PostgresStoreError.passwordInLocation }
                passwordVariable = variable
                user = Self.percentDecoded(userInfo[..<colon])
            } else {
                user = Self.percentDecoded(userInfo)
            }
        }

        // host, host:port, [v6], [v6]:port
        var hostPart = rest
        var portText: Substring?
        if hostPart.hasPrefix("[") {
            guard let close = hostPart.firstIndex(of: "]") else {
                throw PostgresStoreError.badLocation(url: url, reason: "an IPv6 address misses its ]")
            }
            let after = hostPart[hostPart.index(after: close)...]
            if after.hasPrefix(":") { portText = after.dropFirst() }
            hostPart = hostPart[hostPart.index(after: hostPart.startIndex)..<close]
        } else if let colon = hostPart.lastIndex(of: ":") {
            portText = hostPart[hostPart.index(after: colon)...]
            hostPart = hostPart[..<colon]
        }

        var parameters: [String: String] = [:]
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1)
            parameters[Self.percentDecoded(parts[0])] = parts.count > 1 ? Self.percentDecoded(parts[1]) : ""
        }
        if parameters["password"] != nil { throw PostgresStoreError.passwordInLocation }

        host = hostPart.isEmpty ? (environment["PGHOST"] ?? "localhost") : Self.percentDecoded(hostPart)
        if let portText, !portText.isEmpty {
            guard let port = Int(portText), (1...65535).contains(port) else {
                throw PostgresStoreError.badLocation(url: url, reason: "\"\(portText)\" is not a port")
            }
            self.port = port
        } else {
            port = environment["PGPORT"].flatMap(Int.init) ?? 5432
        }
        self.user = user ?? parameters["user"] ?? environment["PGUSER"] ?? environment["USER"] ?? "postgres"
        let database = Self.percentDecoded(Substring(path))
        self.database = !database.isEmpty ? database : (parameters["dbname"] ?? environment["PGDATABASE"] ?? self.user)
        let mode = parameters["sslmode"] ?? environment["PGSSLMODE"] ?? TLSMode.prefer.rawValue
        guard let tls = TLSMode(rawValue: mode) else {
            throw PostgresStoreError.badLocation(
                url: url, reason: "sslmode=\(mode) is not one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.tls = tls
    }

    /// The location without any secret: for messages, `argus diagnose` and the recording.
    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        let secret = passwordVariable.map { ":${\($0)}" } ?? ""
        return "postgres://\(user)\(secret)@\(shownHost):\(port)/\(database)?sslmode=\(tls.rawValue)"
    }

    /// The password, from `${VAR}` in the location, else `PGPASSWORD`, else the password file
    /// (`PGPASSFILE` or `~/.pgpass`); nil when none has one (the server may not ask).
    public func password(environment: [String: String]) throws -> String? {
        if let passwordVariable {
            guard let value = environment[passwordVariable] else { throw PostgresStoreError.missingPasswordVariable(passwordVariable) }
            return value
        }
        if let value = environment["PGPASSWORD"] { return value }
        let file = environment["PGPASSFILE"] ?? environment["HOME"].map { "\($0)/.pgpass" }
        guard let file else { return nil }
        return PasswordFile.read(path: file)?.password(host: host, port: port, database: database, user: user)
    }

    /// `${NAME}` → NAME.
    private static func variableName(_ text: String) -> String? {
        guard text.hasPrefix("${"), text.hasSuffix("}"), text.count > 3 else { return nil }
        let name = text.dropFirst(2).dropLast()
        guard name.allSatisfy({ $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }) else { return nil }
        return String(name)
    }

    private static func percentDecoded(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%"), let high = iterator.next(), let low = iterator.next(),
                let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
