import Dispatch
import Logging
import PostgresNIO
import Synchronization

/// One connection to a PostgreSQL store, used from one thread at a time and blocking it: the
/// store's callers (the recorder's writer thread, the dashboard's handler threads, the CLI) are
/// synchronous, like the SQLite store beside it. PostgresNIO does the wire protocol (SCRAM, TLS,
/// extended queries) on its event loop threads, which exist only once a PostgreSQL store is opened.
///
/// It waits on futures of the event loop, never on a Task: a Task needs a free thread of Swift's
/// cooperative pool, which callers inside Swift concurrency (tests, a server's handlers) may all
/// be blocking, and the wait would then end only at its timeout.
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
    public static func connect(
        _ location: PostgresLocation, environment: [String: String],
        timeoutSeconds: Double = 10
    ) throws -> PostgresSession {
        let password = try location.password(environment: environment)
        var configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.user, password: password,
            database: location.database, tls: try tls(for: location))
        configuration.options.connectTimeout = .milliseconds(Int64(timeoutSeconds * 1000))
        let connecting = PostgresConnection.connect(
            on: PostgresConnection.defaultEventLoopGroup.any(), configuration: configuration,
            id: 1, logger: silent)
        // A connection that arrives after the wait gave up is closed, not dropped open.
        let connection = try wait(
            for: connecting, seconds: timeoutSeconds + 1, location: location,
            onTimeout: {
                connecting.whenSuccess { $0.closeNow() }
            })
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
        return try Self.wait(
            for: connection.query(query, logger: Self.silent), seconds: timeoutSeconds, location: location,
            onTimeout: { connection.closeNow() }
        ).rows
    }

    /// Loads rows into `table` with `COPY … FROM STDIN`: `text` is the rows in COPY's text format
    /// (a line per row, tab-separated, `\N` for NULL). No statement to parse or plan per row, so the
    /// server stores a recorder's bulk faster than with multi-row inserts.
    ///
    /// PostgresNIO offers COPY only as an async function: it runs as a task on the connection's
    /// own event loop (`EventLoopTaskExecutor`), never on Swift's cooperative pool, and this
    /// thread waits for it as for any statement.
    public func copy(into table: String, columns: [String], text: [UInt8]) throws {
        let connection = self.connection
        let done = connection.eventLoop.makePromise(of: Void.self)
        let data = ByteBuffer(bytes: text)
        Task(executorPreference: EventLoopTaskExecutor(connection.eventLoop)) {
            do {
                try await connection.copyFrom(table: table, columns: columns, logger: Self.silent) { writer in
                    // CopyData messages of at most 1 MiB; rows may span them.
                    var rest = data
                    while let chunk = rest.readSlice(length: min(rest.readableBytes, 1 << 20)), chunk.readableBytes > 0 {
                        try await writer.write(chunk)
                    }
                }
                done.succeed()
            } catch {
                done.fail(error)
            }
        }
        try Self.wait(for: done.futureResult, seconds: timeoutSeconds, location: location, onTimeout: { connection.closeNow() })
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
    /// notification, `onEnd` once the connection closes. Returns once the server has answered a
    /// statement sent after the LISTEN, so nothing committed afterwards is missed.
    func listen(channel: String, onNotification: @escaping @Sendable () -> Void, onEnd: @escaping @Sendable () -> Void) throws {
        connection.addListener(channel: channel) { _, _ in onNotification() }
        connection.closeFuture.whenComplete { _ in onEnd() }
        try query("SELECT 1")
    }

    deinit { close() }

    public func close() {
        guard !connection.isClosed else { return }
        let closing: EventLoopFuture<Void> = connection.close()
        _ = try? Self.wait(for: closing, seconds: 2, location: location, onTimeout: {})
    }

    /// Waits for a future of the event loop on this (non-async) thread, at most `seconds`.
    private static func wait<T: Sendable>(
        for future: EventLoopFuture<T>, seconds: Double, location: PostgresLocation,
        onTimeout: () -> Void
    ) throws -> T {
        let outcome = Mutex<Result<T, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        future.whenComplete { result in
            outcome.withLock { $0 = result }
            done.signal()
        }
        if done.wait(timeout: .now() + seconds) == .timedOut {
            onTimeout()
            throw PostgresStoreError.connectionLost(reason: "no answer within \(Int(seconds)) s")
        }
        guard let result = outcome.withLock({ $0 }) else { throw PostgresStoreError.connectionLost(reason: "no answer") }
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

/// Runs a task's jobs on one event loop, in its thread: the async parts of PostgresNIO a
/// blocking caller needs (COPY) then never wait for a thread of Swift's cooperative pool.
private final class EventLoopTaskExecutor: TaskExecutor {
    private let loop: any EventLoop

    init(_ loop: any EventLoop) { self.loop = loop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
