import ArgusCore
import ArgusPostgres
import ArgusStore
import ArgusSystem
import Foundation
import Testing

/// `argus wrap --db postgres://…` against the real PostgreSQL server Scripts/test.sh starts
/// (ARGUS_TEST_POSTGRES_URL): many wraps from separate processes, each on its own connection,
/// every row exactly once; and a store that is away never holds up a session.
@Suite(.serialized) struct PostgresStoreTests {
    /// A fresh database on the test server, and the environment a wrap needs to reach it.
    struct Store {
        let url: String
        let location: PostgresLocation
        let environment: [String: String]

        init() throws {
            let password = ProcessInfo.processInfo.environment["ARGUS_TEST_POSTGRES_PASSWORD"] ?? ""
            environment = ProcessInfo.processInfo.environment.merging(["PGPASSWORD": password]) { $1 }
            let admin = try PostgresLocation(url: ProcessInfo.processInfo.environment["ARGUS_TEST_POSTGRES_URL"] ?? "", environment: [:])
            var location = admin
            location.database = "argus_wrap_\(UUID().uuidString.prefix(8).lowercased())"
            let session = try PostgresSession.connect(admin, environment: environment)
            defer { session.close() }
            try session.execute(["CREATE DATABASE \(location.database)"])
            self.location = location
            url = location.description
        }

        func integer(_ statement: String) throws -> Int64? {
            let session = try PostgresSession.connect(location, environment: environment)
            defer { session.close() }
            return try session.integer(statement)
        }
    }

    static var available: Bool {
        if ProcessInfo.processInfo.environment["ARGUS_TEST_POSTGRES_URL"] != nil { return true }
        if ProcessInfo.processInfo.environment["ARGUS_REQUIRE_POSTGRES"] == "1" {
            Issue.record("ARGUS_REQUIRE_POSTGRES=1 but ARGUS_TEST_POSTGRES_URL is not set")
        } else {
            print("skipping PostgreSQL wrap tests: ARGUS_TEST_POSTGRES_URL is not set (Scripts/test.sh starts a server)")
        }
        return false
    }

    @Test func twentyConcurrentWrapsStoreEveryCallExactlyOnce() throws {
        guard Self.available else { return }
        let store = try Store()
        let wraps = 20
        let callsEach = 25
        let sessions = try (0..<wraps).map { _ in
            try WrapSessionHarness(
                server: [Binaries.testServer], options: ["--name", "team"], environment: store.environment,
                database: store.url)
        }
        DispatchQueue.concurrentPerform(iterations: wraps) { index in
            let session = sessions[index]
            session.initialize()
            for call in 0..<callsEach {
                let text = session.callTool("echo", ["message": .string("wrap-\(index)-call-\(call)")])?["content"]?[0]?["text"]?
                    .stringValue
                if text == nil { Issue.record("wrap \(index) call \(call) got no answer") }
            }
        }
        for (index, session) in sessions.enumerated() {
            let status = session.finish()
            #expect(status == 0, "wrap \(index) exited \(String(describing: status)): \(session.proxy.stderrToEnd())")
        }

        #expect(try store.integer("SELECT count(*) FROM runs") == Int64(wraps))
        #expect(try store.integer("SELECT count(*) FROM calls WHERE method = 'tools/call'") == Int64(wraps * callsEach))
        #expect(try store.integer("SELECT count(DISTINCT (run_id, request_seq)) FROM calls") == store.integer("SELECT count(*) FROM calls"))
        #expect(try store.integer("SELECT count(*) FROM runs WHERE ended_at IS NOT NULL") == Int64(wraps))
        #expect(try store.integer("SELECT sum(call_count)::BIGINT FROM runs") == store.integer("SELECT count(*) FROM calls"))
        #expect(try store.integer("SELECT sum(message_count)::BIGINT FROM runs") == store.integer("SELECT count(*) FROM messages"))
    }

    /// The store is unreachable (nothing listens): the session is relayed as ever, argus says
    /// on stderr that recording is paused and why, and exits within its flush timeout.
    @Test func anUnreachableStoreNeverStallsTheSession() throws {
        let port = try #require(Loopback.unusedPort())
        let session = try WrapSessionHarness(
            server: [Binaries.testServer],
            options: ["--flush-timeout", "2"],
            database: "postgres://argus@127.0.0.1:\(port)/argus?sslmode=disable")
        session.initialize()
        for call in 0..<5 {
            let text = session.callTool("echo", ["message": .string("call-\(call)")])?["content"]?[0]?["text"]?.stringValue
            #expect(text?.contains("call-\(call)") == true, "call \(call) answered \(String(describing: text))")
        }
        #expect(session.proxy.waitForStderr(containing: "recording paused: cannot reach PostgreSQL at postgres://argus@127.0.0.1:\(port)"))
        let started = Date()
        _ = session.finish()
        #expect(Date().timeIntervalSince(started) < 30)
        #expect(session.proxy.stderrToEnd().contains("could not be written"))
    }

    /// The server restarts while a session records (`pg_ctl restart -m fast`: every connection
    /// is cut): the session's calls are answered as ever, none waits on the store, and every
    /// call is stored exactly once when the server is back.
    @Test func aServerRestartedMidSessionLosesNothingAndNeverStallsTheSession() throws {
        guard let cluster = try PostgresClusterHarness.start() else { return }
        defer { cluster.stop() }
        let environment = ProcessInfo.processInfo.environment.merging(["PGPASSWORD": cluster.password]) { $1 }
        let session = try WrapSessionHarness(
            server: [Binaries.testServer], options: ["--flush-timeout", "60"],
            environment: environment, database: cluster.url)
        session.initialize()
        var made = 0
        var slowest = 0.0
        func call() {
            let started = Date()
            let text = session.callTool("echo", ["message": .string("call-\(made)")])?["content"]?[0]?["text"]?.stringValue
            slowest = max(slowest, Date().timeIntervalSince(started))
            #expect(text?.contains("call-\(made)") == true, "call \(made) answered \(String(describing: text))")
            made += 1
        }
        for _ in 0..<10 { call() }
        #expect(
            waitUntil(timeout: 30) { (try? Self.integer(cluster, "SELECT count(*) FROM calls WHERE tool = 'echo'")) == 10 },
            "the first calls were not stored before the restart")

        let restarted = DispatchSemaphore(value: 0)
        let restartError = LockedValue<String?>(nil)
        Thread.detachNewThread {
            do { try cluster.restart() } catch { restartError.set("\(error)") }
            restarted.signal()
        }
        // Calls go on while the server goes down and comes back.
        while restarted.wait(timeout: .now() + 0.05) == .timedOut { call() }
        #expect(restartError.value == nil, "\(restartError.value ?? "")")
        for _ in 0..<10 { call() }
        #expect(slowest < 2, "a call waited \(slowest) s while the server restarted")
        #expect(session.finish() == 0, "\(session.proxy.stderrToEnd())")

        #expect(try Self.integer(cluster, "SELECT count(*) FROM calls WHERE tool = 'echo'") == Int64(made), "\(made) calls made")
        #expect(
            try Self.integer(cluster, "SELECT count(DISTINCT request_seq) FROM calls")
                == Self.integer(cluster, "SELECT count(*) FROM calls"))
        #expect(try Self.integer(cluster, "SELECT count(*) FROM runs WHERE ended_at IS NOT NULL") == 1)
        #expect(
            try Self.integer(cluster, "SELECT sum(message_count)::BIGINT FROM runs")
                == Self.integer(cluster, "SELECT count(*) FROM messages"))
        let stderr = session.proxy.stderrToEnd()
        if stderr.contains("recording paused") { #expect(stderr.contains("recording resumed"), "\(stderr)") }
    }

    static func integer(_ cluster: PostgresClusterHarness, _ statement: String) throws -> Int64? {
        let session = try PostgresSession.connect(
            try PostgresLocation(url: cluster.url, environment: [:]),
            environment: ["PGPASSWORD": cluster.password])
        defer { session.close() }
        return try session.integer(statement)
    }

    /// A wrong password and an unreachable server: the wrap relays the session and says why it
    /// records nothing; the listings fail at once, saying what to fix.
    @Test func aWrongPasswordAndAnUnreachableServerSayWhatToFix() throws {
        guard Self.available else { return }
        let store = try Store()
        var wrong = store.environment
        wrong["PGPASSWORD"] = "not-the-password"
        let session = try WrapSessionHarness(
            server: [Binaries.testServer], options: ["--flush-timeout", "2"], environment: wrong,
            database: store.url)
        session.initialize()
        #expect(
            session.callTool("echo", ["message": "still relayed"])?["content"]?[0]?["text"]?.stringValue?.contains("still relayed") == true)
        #expect(session.proxy.waitForStderr(containing: "refused user argus: password authentication failed"))
        _ = session.finish()
        #expect(!session.proxy.stderrToEnd().contains("not-the-password"))

        let refused = try Spawned(Binaries.argus, ["runs", "--db", store.url], environment: wrong)
        let refusal = String(decoding: refused.readToEnd(), as: UTF8.self) + refused.stderrText
        #expect(refused.waitForExit() == 1)
        #expect(refusal.contains("refused user argus: password authentication failed"), "\(refusal)")

        let port = try #require(Loopback.unusedPort())
        let started = Date()
        let away = try Spawned(
            Binaries.argus, ["calls", "--db", "postgres://argus@127.0.0.1:\(port)/argus?sslmode=disable"],
            environment: store.environment)
        let problem = String(decoding: away.readToEnd(), as: UTF8.self) + away.stderrText
        #expect(away.waitForExit() == 1)
        #expect(problem.contains("cannot reach PostgreSQL at postgres://argus@127.0.0.1:\(port)"), "\(problem)")
        #expect(Date().timeIntervalSince(started) < 15)
    }

    @Test func aPasswordInTheURLIsRefusedBeforeAnythingStarts() throws {
        let session = try WrapSessionHarness(server: [Binaries.testServer], database: "postgres://argus:hunter2@127.0.0.1/argus")
        let status = session.proxy.waitForExit(timeout: 60)
        #expect(status != 0)
        let stderr = session.proxy.stderrToEnd()
        #expect(stderr.contains("PGPASSWORD"), "\(stderr)")
        #expect(!stderr.contains("hunter2"), "\(stderr)")
    }

    @Test func diagnoseChecksTheConnectionTheSchemaThePermissionsAndTheLag() throws {
        guard Self.available else { return }
        let store = try Store()
        let wrap = try WrapSessionHarness(server: [Binaries.testServer], environment: store.environment, database: store.url)
        wrap.initialize()
        _ = wrap.finish()

        let diagnose = try Spawned(Binaries.argus, ["diagnose", "--db", store.url], environment: store.environment)
        let output = String(decoding: diagnose.readToEnd(), as: UTF8.self)
        _ = diagnose.waitForExit()
        #expect(output.contains("✓ connected to PostgreSQL 1"), "\(output)")
        #expect(output.contains("✓ schema version \(PostgresSchema.currentVersion)"), "\(output)")
        #expect(output.contains("can record"), "\(output)")
        #expect(output.contains("1 runs, 1 calls"), "\(output)")

        var wrong = store.environment
        wrong["PGPASSWORD"] = "not-the-password"
        let refused = try Spawned(Binaries.argus, ["diagnose", "--db", store.url], environment: wrong)
        let refusal = String(decoding: refused.readToEnd(), as: UTF8.self)
        #expect(refused.waitForExit() == 1)
        #expect(refusal.contains("✗ PostgreSQL at \(store.url) refused user argus: password authentication failed"), "\(refusal)")
    }
}
