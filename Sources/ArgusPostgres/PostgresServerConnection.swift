import ArgusStore
import Foundation
import PostgresNIO
import Synchronization

/// A PostgreSQL store's connection as ArgusStore uses it (`ServerConnection`): values converted
/// both ways, the connection opened again when it was lost (never inside a transaction, where
/// that would split it), and LISTEN for the live feed.
public final class PostgresServerConnection: ServerConnection, @unchecked Sendable {
    public let postgresLocation: PostgresLocation
    private let environment: [String: String]
    private let timeoutSeconds: Double
    private var session: PostgresSession?
    private var transactionDepth = 0
    /// Notifications received, plus one each time listening (re)starts: a notification may have
    /// been missed while there was no connection, so a reader looks again.
    private let listening = ListenState()
    /// The session that listens, while it does.
    private var listeningSession: ObjectIdentifier?

    public init(location: PostgresLocation, environment: [String: String], timeoutSeconds: Double = 10) throws {
        postgresLocation = location
        self.environment = environment
        self.timeoutSeconds = timeoutSeconds
        _ = try connected()
    }

    public var location: String { postgresLocation.description }

    deinit { session?.close() }

    /// The open session: a lost one is replaced outside transactions; inside one, its loss fails the transaction.
    private func connected() throws -> PostgresSession {
        if let session, !session.isClosed { return session }
        if transactionDepth > 0 { throw PostgresStoreError.connectionLost(reason: "the connection closed during a transaction") }
        session = nil
        let opened = try PostgresSession.connect(postgresLocation, environment: environment, timeoutSeconds: timeoutSeconds)
        session = opened
        return opened
    }

    @discardableResult
    public func query(_ sql: String, _ arguments: [SQLiteValue]) throws -> ServerRows {
        var binds = PostgresBindings(capacity: arguments.count)
        for argument in arguments {
            switch argument {
            case .null: binds.appendNull()
            case .int(let value): binds.append(value)
            case .double(let value): binds.append(value)
            case .text(let value): binds.append(value)
            case .blob(let bytes): binds.append(ByteBuffer(bytes: bytes))
            }
        }
        let rows = try dropOnLoss { try connected().query(PostgresQuery(unsafeSQL: sql, binds: binds)) }
        guard let first = rows.first else { return ServerRows(columns: [], rows: []) }
        let columns = first.map(\.columnName)
        return ServerRows(columns: columns, rows: try rows.map { row in try row.map(Self.value) })
    }

    public func copy(into table: String, columns: [String], text: [UInt8]) throws {
        do {
            try dropOnLoss { try connected().copy(into: table, columns: columns, text: text) }
        } catch let error as PostgresStoreError where !error.isTransient {
            throw CopyRefused(reason: error.description)
        }
    }

    /// Runs `body`; when the connection turns out lost, it is let go, so the next statement
    /// outside a transaction opens another (the server restarted, or ended this session).
    @discardableResult
    private func dropOnLoss<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PostgresStoreError where error.isTransient {
            session?.close()
            session = nil
            throw error
        }
    }

    /// A cell as the store's value: integers, floating point, text and bytes (what the schema uses).
    private static func value(_ cell: PostgresCell) throws -> SQLiteValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int8: return .int(try cell.decode(Int64.self))
        case .int4: return .int(Int64(try cell.decode(Int32.self)))
        case .int2: return .int(Int64(try cell.decode(Int16.self)))
        case .bool: return .int(try cell.decode(Bool.self) ? 1 : 0)
        case .float8, .float4: return .double(try cell.decode(Double.self))
        case .numeric: return .double(Double(try cell.decode(String.self)) ?? 0)
        case .bytea: return .blob(cell.bytes.map { Array($0.readableBytesView) } ?? [])
        default: return .text(try cell.decode(String.self))
        }
    }

    public func transaction<T>(readOnlySnapshot: Bool, _ body: () throws -> T) throws -> T {
        if transactionDepth > 0 { return try body() }  // already in one: its snapshot, its commit
        let session = try connected()
        try dropOnLoss {
            try session.query(PostgresQuery(unsafeSQL: readOnlySnapshot ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN"))
        }
        transactionDepth = 1
        defer { transactionDepth = 0 }
        do {
            let result = try body()
            try dropOnLoss { try session.query("COMMIT") }
            return result
        } catch {
            if !session.isClosed { _ = try? session.query("ROLLBACK") }
            throw error
        }
    }

    public func notificationCount(channel: String) throws -> Int64 {
        let session = try connected()
        if listeningSession != ObjectIdentifier(session) || listening.state.withLock({ $0.ended }) {
            listening.state.withLock { $0.ended = false }
            let state = listening
            try session.listen(
                channel: channel, onNotification: { state.state.withLock { $0.count += 1 } },
                onEnd: { state.state.withLock { $0.ended = true } })
            listeningSession = ObjectIdentifier(session)
            listening.state.withLock { $0.count += 1 }
        }
        return listening.state.withLock { $0.count }
    }
}

/// What the listening task reports to the connection's thread.
private final class ListenState: Sendable {
    let state = Mutex<(count: Int64, ended: Bool)>((0, false))
}
