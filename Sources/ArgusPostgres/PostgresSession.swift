import Dispatch
import Logging
import PostgresNIO
import Synchronization

/// One connection to a PostgreSQL store, used from one thread at a time and blocking it: the
/// store's callers (the recorder's writer thread, the CLI's listings) are synchronous, like the
/// SQLite store beside it. PostgresNIO does the wire protocol (SCRAM, TLS, extended queries) on
/// its shared event loop, which exists only once a PostgreSQL store is opened.
///
/// It blocks its thread while a Task does the work on Swift's cooperative pool: call it from
/// threads of one's own (the recorder's writer, the CLI's main thread), not from inside Swift
/// concurrency, where blocked pool threads can leave the Task none to run on (a timeout then).
///
/// Every wait is bounded: an answer that does not come in `timeoutSeconds` closes the connection
/// and throws `connectionLost`, so a server that hangs can delay recording, never a session.
public final class PostgresSession: @unchecked Sendable {
    public let location: PostgresLocation
    private let connection: PostgresConnection
    private let timeoutSeconds: Double

    /// PostgresNIO logs through swift-log; `argus wrap`'s stdout is the MCP channel, so nothing
    /// may reach it: failures come back as errors and are reported by the caller.
    static let silent = Logger(label: "argus.postgres") { _ in SwiftLogNoOpLogHandler() }

    private init(location: PostgresLocation, connection: PostgresConnection, timeoutSeconds: Double) {
        self.location = location
        self.connection = connection
        self.timeoutSeconds = timeoutSeconds
    }

    /// Connects and authenticates. `environment` supplies the password (`PostgresLocation.password`).
    public static func connect(_ location: PostgresLocation, environment: [String: String],
                               timeoutSeconds: Double = 10) throws -> PostgresSession {
        let password = try location.password(environment: environment)
        var configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.user, password: password,
            database: location.database, tls: try tls(for: location))
        configuration.options.connectTimeout = .milliseconds(Int64(timeoutSeconds * 1000))
        let settled = configuration
        // A connection that arrives after the wait gave up is closed, not dropped open.
        let gaveUp = Mutex(false)
        let connection = try wait(timeoutSeconds: timeoutSeconds + 1, location: location, onTimeout: { gaveUp.withLock { $0 = true } }) {
            let connection = try await PostgresConnection.connect(configuration: settled, id: 1, logger: silent)
            if gaveUp.withLock({ $0 }) { try? await connection.close() }
            return connection
        }
        return PostgresSession(location: location, connection: connection, timeoutSeconds: timeoutSeconds)
    }

    private static func tls(for location: PostgresLocation) throws -> PostgresConnection.Configuration.TLS {
        switch location.tls {
        case .disable: return .disable
        case .allow, .prefer: return .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require, .verifyCA, .verifyFull: return .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
    }

    /// Runs one statement and returns its rows.
    @discardableResult
    public func query(_ query: PostgresQuery) throws -> [PostgresRow] {
        let connection = self.connection
        return try Self.wait(timeoutSeconds: timeoutSeconds, location: location, onTimeout: { connection.closeNow() }) {
            try await connection.query(query, logger: Self.silent).collect()
        }
    }

    /// The first column of the first row of a statement without parameters, as an integer
    /// (counts, versions, ids); nil when there is no row or it is NULL.
    public func integer(_ statement: String) throws -> Int64? {
        try query(PostgresQuery(unsafeSQL: statement)).first?.decode(Int64?.self)
    }

    /// Runs statements that take no parameters, one after the other.
    public func execute(_ statements: [String]) throws {
        for statement in statements { try query(PostgresQuery(unsafeSQL: statement)) }
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try query("BEGIN")
        do {
            let result = try body()
            try query("COMMIT")
            return result
        } catch {
            _ = try? query("ROLLBACK")
            throw error
        }
    }

    public var isClosed: Bool { connection.isClosed }

    /// Listens on `channel` (LISTEN) for as long as the connection lives: `onNotification` for each
    /// notification, `onEnd` once when listening stops (the connection closed or broke). Returns
    /// whether the server acknowledged the LISTEN within the wait.
    func listen(channel: String, onNotification: @escaping @Sendable () -> Void,
                onEnd: @escaping @Sendable () -> Void) throws -> Bool {
        let connection = self.connection
        let started = DispatchSemaphore(value: 0)
        Task {
            defer { onEnd() }
            _ = try? await connection.listen(on: channel) { notifications in
                started.signal()
                for try await _ in notifications { onNotification() }
            }
            started.signal()  // LISTEN failed: the wait below ends at once
        }
        return started.wait(timeout: .now() + timeoutSeconds) == .success && !connection.isClosed
    }

    deinit { close() }

    public func close() {
        guard !connection.isClosed else { return }
        let connection = self.connection
        _ = try? Self.wait(timeoutSeconds: 2, location: location, onTimeout: { connection.closeNow() }) {
            try await connection.close()
        }
    }

    /// Waits for an asynchronous PostgresNIO call on this (non-async) thread, at most `timeoutSeconds`.
    private static func wait<T: Sendable>(timeoutSeconds: Double, location: PostgresLocation,
                                          onTimeout: @Sendable () -> Void,
                                          _ body: @escaping @Sendable () async throws -> T) throws -> T {
        let outcome = Mutex<Result<T, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            let result: Result<T, any Error>
            do { result = .success(try await body()) } catch { result = .failure(error) }
            outcome.withLock { $0 = result }
            done.signal()
        }
        if done.wait(timeout: .now() + timeoutSeconds) == .timedOut {
            onTimeout()
            throw PostgresStoreError.connectionLost(reason: "no answer within \(Int(timeoutSeconds)) s")
        }
        guard let result = outcome.withLock({ $0 }) else {
            throw PostgresStoreError.connectionLost(reason: "no answer")
        }
        do { return try result.get() } catch { throw PostgresStoreError.from(error, location: location) }
    }
}

extension PostgresConnection {
    /// Starts closing without waiting (a statement that did not answer in time fails with it).
    fileprivate func closeNow() {
        let closing: EventLoopFuture<Void> = close()
        _ = closing
    }
}
