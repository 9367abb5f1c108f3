import ArgusCore
import ArgusPostgres
import ArgusStore
import Foundation
import Testing

/// The live feed under many short sessions from separate `argus wrap` processes:
/// every committed call reaches every listener once, in order, and the poller,
/// the stats and `/metrics` agree with the database.
@Suite struct DashboardFeedTests {
    /// What an SDK client does in a short session: initialize, one tool call, then tools/list.
    static func shortSession(_ index: Int, database: String, home: String, extra: [String: String] = [:]) -> Int32? {
        let environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }.merging(["ARGUS_HOME": home]) { $1 }
        guard let session = try? WrapSessionHarness(server: [Binaries.testServer], environment: environment, database: database)
        else { return nil }
        session.initialize()
        session.callTool("echo", ["message": .string("session \(index)")])
        session.request("tools/list")
        return session.finish()
    }

    /// Runs `count` sessions at once, each from its own thread and process; their exit statuses.
    static func concurrentSessions(
        _ indexes: Range<Int>, database: String, home: String,
        extra: [String: String] = [:]
    ) -> [Int32?] {
        final class Statuses: @unchecked Sendable {
            let lock = NSLock()
            var values: [Int32?] = []
        }
        let group = DispatchGroup()
        let statuses = Statuses()
        for index in indexes {
            group.enter()
            Thread.detachNewThread {
                let status = shortSession(index, database: database, home: home, extra: extra)
                statuses.lock.withLock { statuses.values.append(status) }
                group.leave()
            }
        }
        group.wait()
        return statuses.values
    }

    static func callIDs(_ events: [EventStreamReader.Event]) -> [Int64] {
        events.filter { $0.name == "call" }.compactMap { $0.data?["id"]?.intValue.map(Int64.init) }
    }

    static func eventIDs(_ events: [EventStreamReader.Event]) -> [Int64] { events.compactMap { $0.id.flatMap { Int64($0) } } }

    static func isStrictlyIncreasing(_ values: [Int64]) -> Bool { zip(values, values.dropFirst()).allSatisfy { $0 < $1 } }

    /// Polls `/api/calls?after=` the way a script would, on its own thread, until stopped.
    final class Poller: @unchecked Sendable {
        private let port: Int
        private let lock = NSLock()
        private var seen: [Int64] = []
        private var problems: [String] = []
        private var stopped = false
        private let done = DispatchSemaphore(value: 0)

        init(port: Int) {
            self.port = port
            Thread.detachNewThread { [self] in run() }
        }

        private func run() {
            var cursor: Int64 = 0
            while !lock.withLock({ stopped }) {
                let page = HTTPProbe.request("GET", "/api/calls?after=\(cursor)&limit=7", port: port)
                guard page.status == 200, let next = page.json?["next_cursor"]?.intValue else {
                    lock.withLock { problems.append("HTTP \(page.status): \(page.body.prefix(200))") }
                    break
                }
                let ids = DashboardTests.ids(page)
                lock.withLock { seen += ids }
                cursor = Int64(next)
                if ids.isEmpty { Thread.sleep(forTimeInterval: 0.05) }  // a poller's interval; nothing waits on it
            }
            done.signal()
        }

        var ids: [Int64] { lock.withLock { seen } }
        var errors: [String] { lock.withLock { problems } }

        func stop() {
            lock.withLock { stopped = true }
            done.wait()
        }
    }

    /// On PostgreSQL the wraps write at the same time (SQLite takes them one at a time): the
    /// feed's numbers and the calls' ids must still follow commit order.
    @Test(arguments: ["sqlite", "postgres"])
    func everyCommittedCallReachesEveryListenerOnceInOrderAndEveryCountAgrees(_ backend: String) throws {
        let directory = temporaryDirectory("feed")
        let home = directory + "/home"
        var database = directory + "/argus.db"
        var extra: [String: String] = [:]
        if backend == "postgres" {
            guard PostgresStoreTests.available else { return }
            let store = try PostgresStoreTests.Store()
            database = store.url
            extra = ["PGPASSWORD": store.environment["PGPASSWORD"] ?? ""]
            PostgresBackend.register(environment: store.environment)
        }
        _ = try ArgusDatabase.writer(path: database)  // empty, as `argus dashboard` makes it on a first start
        let dashboard = try DashboardProcess(database: database, home: home, environment: extra)
        defer { dashboard.stop() }

        let steady = [try #require(EventStreamReader(port: dashboard.port)), try #require(EventStreamReader(port: dashboard.port))]
        let dropping = try #require(EventStreamReader(port: dashboard.port))
        for listener in steady + [dropping] { #expect(listener.waitFor { $0.name == "hello" } != nil) }
        let poller = Poller(port: dashboard.port)

        var statuses: [Int32?] = []
        var resumed: EventStreamReader?
        var beforeDrop: [EventStreamReader.Event] = []
        for round in 0..<10 {  // 50 sessions, five processes at a time
            statuses += Self.concurrentSessions(round * 5..<round * 5 + 5, database: database, home: home, extra: extra)
            if round == 4 {
                // Midway, the third listener goes away; it comes back a round later, from its last event id.
                beforeDrop = dropping.all
                dropping.close()
            }
            if round == 5 {
                resumed = EventStreamReader(port: dashboard.port, lastEventID: Self.eventIDs(beforeDrop).last ?? 0)
            }
        }
        defer {
            for listener in steady { listener.close() }
            resumed?.close()
        }
        #expect(statuses.count == 50 && statuses.allSatisfy { $0 == 0 }, "exit statuses: \(statuses)")

        var all = CallFilter()
        all.limit = 1000
        let stored = try ArgusDatabase.reader(path: database).calls(all).map(\.id).sorted()
        #expect(stored.count == 150, "3 calls per session")
        let expected = Set(stored)
        func complete(_ events: [EventStreamReader.Event]) -> Bool { expected.isSubset(of: Self.callIDs(events)) }

        let reconnected = try #require(resumed)
        for (name, listener) in [("first", steady[0]), ("second", steady[1]), ("resumed", reconnected)] {
            let earlier = listener === reconnected ? beforeDrop : []
            let arrived = listener.waitUntil(timeout: 60) { complete(earlier + $0) }
            let events = earlier + listener.all
            let calls = Self.callIDs(events)
            #expect(arrived, "\(name) listener: missing calls \(expected.subtracting(calls).sorted())")
            #expect(calls.count == Set(calls).count, "\(name) listener: repeated calls \(calls)")
            #expect(Set(calls) == expected, "\(name) listener: calls not in the database \(Set(calls).subtracting(expected).sorted())")
            let ids = Self.eventIDs(events)
            #expect(Self.isStrictlyIncreasing(ids), "\(name) listener: event ids \(ids)")
        }

        #expect(waitUntil(timeout: 60) { Set(poller.ids) == expected }, "poller missed \(expected.subtracting(poller.ids).sorted())")
        poller.stop()
        #expect(poller.errors.isEmpty, "\(poller.errors)")
        #expect(poller.ids == stored, "the poller saw \(poller.ids.count) ids for \(stored.count) calls: \(poller.ids)")

        // The stats index and /metrics are fed by the same feed: they count what the database holds.
        var counted = 0, exported = 0
        let agree = waitUntil(timeout: 30) {
            counted = dashboard.get("/api/stats").json?["servers"]?.arrayValue?.compactMap { $0["count"]?.intValue }.reduce(0, +) ?? -1
            exported = dashboard.get("/metrics").body.split(separator: "\n").filter { $0.hasPrefix("argus_calls_total{") }
                .compactMap { $0.split(separator: " ").last.flatMap { Int($0) } }.reduce(0, +)
            return counted == stored.count && exported == stored.count
        }
        #expect(agree, "database \(stored.count), /api/stats \(counted), /metrics \(exported)")
    }

    /// A writer may complete a call after it was first written (pending, then answered):
    /// the change is sent again, with a newer id, and a reconnecting client gets it too.
    @Test func aCallThatChangesAfterItWasSentIsSentAgain() throws {
        let session = try DashboardTests.record([("echo", ["message": "first"])])
        let dashboard = try DashboardProcess(database: session.database, home: session.argusHome)
        defer { dashboard.stop() }
        let stream = try #require(EventStreamReader(port: dashboard.port))
        defer { stream.close() }
        #expect(stream.waitFor { $0.name == "hello" } != nil)
        let before = Int64(dashboard.get("/api/sse/status").json?["last_event_id"]?.intValue ?? 0)

        let echo = try #require(DashboardTests.ids(dashboard.get("/api/calls?tool=echo")).first)
        let writer = try ArgusDatabase.openForWriting(path: session.database)
        try writer.run("UPDATE calls SET status = 'error', is_error = 1, error_message = 'completed later' WHERE id = ?", [.int(echo)])

        let update = try #require(
            stream.waitFor { $0.name == "call" && $0.data?["id"] == .int(Int(echo)) },
            "no event for the changed call: \(stream.all.map(\.name))")
        #expect(update.data?["error_message"] == "completed later" && update.data?["status"] == "error")
        let id = try #require(update.id.flatMap { Int64($0) })
        #expect(id > before)

        let resumed = try #require(EventStreamReader(port: dashboard.port, lastEventID: before))
        defer { resumed.close() }
        #expect(resumed.waitFor { $0.name == "call" && $0.data?["id"] == .int(Int(echo)) && $0.id == update.id } != nil)
    }

    /// A browser tab that kept a Last-Event-ID from another database (the dashboard was restarted on
    /// another file) is told to reload, and then receives every new event.
    @Test func aLastEventIDFromAnotherDatabaseGetsAResetThenEveryEvent() throws {
        let session = try DashboardTests.record([("echo", ["message": "first"])])
        let dashboard = try DashboardProcess(database: session.database, home: session.argusHome)
        defer { dashboard.stop() }
        let stream = try #require(EventStreamReader(port: dashboard.port, lastEventID: 999_999))
        defer { stream.close() }
        #expect(stream.waitFor { $0.name == "reset" } != nil, "\(stream.all.map(\.name))")
        _ = try DashboardTests.record([("echo", ["message": "second"])], database: session.database, home: session.argusHome)
        #expect(stream.waitFor { $0.name == "call" && $0.data?["tool"] == "echo" } != nil, "\(stream.all.map(\.name))")
    }
}
