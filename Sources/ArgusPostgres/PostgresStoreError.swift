import PostgresNIO

/// What went wrong with a PostgreSQL store, in words a user can act on. No query parameter and
/// no password is ever part of one (PSQLError's own description is generic for that reason; the
/// server's message and SQLSTATE are what is shown).
public enum PostgresStoreError: Error, CustomStringConvertible, Sendable {
    case badLocation(url: String, reason: String)
    case passwordInLocation
    case missingPasswordVariable(String)
    /// The server could not be reached (refused, no route, no such host, timed out).
    case unreachable(location: String, reason: String)
    /// The server refused the user or its password.
    case authentication(location: String, user: String, reason: String)
    /// The server answered a statement with an error.
    case server(message: String, sqlState: String)
    /// The connection broke or an answer did not come in time: whether the last statement took
    /// effect is unknown (a batch is then written again; its marker makes that harmless).
    case connectionLost(reason: String)
    case newerSchema(found: Int, supported: Int, location: String)

    public var description: String {
        switch self {
        case .badLocation(let url, let reason):
            return "--db \(url) is not a PostgreSQL location: \(reason) (expected postgres://user@host:5432/database?sslmode=prefer)"
        case .passwordInLocation:
            return
                "a password in --db would be stored in the recording and shown by ps; put it in PGPASSWORD or ~/.pgpass, or write ${VARIABLE} in its place (postgres://user:${ARGUS_DB_PASSWORD}@host/argus)"
        case .missingPasswordVariable(let name):
            return "the PostgreSQL location takes its password from ${\(name)}, and \(name) is not set"
        case .unreachable(let location, let reason):
            return "cannot reach PostgreSQL at \(location): \(reason)"
        case .authentication(let location, let user, let reason):
            return
                "PostgreSQL at \(location) refused user \(user): \(reason) (the password comes from ${VAR} in --db, PGPASSWORD or ~/.pgpass)"
        case .server(let message, let sqlState):
            return "PostgreSQL: \(message) (SQLSTATE \(sqlState))"
        case .connectionLost(let reason):
            return "the connection to PostgreSQL was lost: \(reason)"
        case .newerSchema(let found, let supported, let location):
            return "the store at \(location) has schema version \(found), newer than this argus supports (\(supported)); upgrade argus"
        }
    }

    /// Whether trying again later may help: the server away, restarting or unreachable (not a
    /// wrong password, nor a statement the server rejects).
    public var isTransient: Bool {
        switch self {
        case .unreachable, .connectionLost: return true
        case .server(_, let state):
            return state.hasPrefix("08") || state.hasPrefix("57P") || state == "53300" || state == "40001" || state == "40P01"
        default: return false
        }
    }

    /// A PostgresNIO error, in these words.
    static func from(_ error: any Error, location: PostgresLocation) -> PostgresStoreError {
        if let error = error as? PostgresStoreError { return error }
        guard let error = error as? PSQLError else { return .connectionLost(reason: "\(error)") }
        if let info = error.serverInfo, let state = info[.sqlState] {
            let message = info[.message] ?? "error"
            if state == "28P01" || state == "28000" {
                return .authentication(location: location.description, user: location.user, reason: message)
            }
            return .server(message: message, sqlState: state)
        }
        switch error.code {
        case .connectionError:
            return .unreachable(location: location.description, reason: error.underlying.map { "\($0)" } ?? "connection failed")
        case .authMechanismRequiresPassword:
            return .authentication(
                location: location.description, user: location.user, reason: "the server asks for a password and none was found")
        case .sslUnsupported:
            return .unreachable(location: location.description, reason: "the server does not offer TLS (sslmode=\(location.tls.rawValue))")
        case .saslError, .unsupportedAuthMechanism:
            return .authentication(location: location.description, user: location.user, reason: "authentication failed (\(error.code))")
        default:
            return .connectionLost(reason: "\(error.code)" + (error.underlying.map { ": \($0)" } ?? ""))
        }
    }
}
