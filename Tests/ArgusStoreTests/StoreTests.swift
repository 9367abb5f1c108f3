import Foundation
import Testing
@testable import ArgusCore
@testable import ArgusStore

/// A fresh directory per test.
func temporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "argus-store-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Records a short session through the real recorder into `ops`.
func sampleSession(calls: Int = 3, run: LocalRunID = 1, server: String = "sample", numbering: RunNumbering? = nil) -> [RecordOp] {
    var ops: [RecordOp] = []
    var config = RecorderConfig(serverName: server, launch: LaunchSpec(command: "srv", args: ["--x"], cwd: "/tmp", envNames: ["HOME"]))
    if let numbering { config.runNumbering = numbering }
    let recorder = SessionRecorder(config: config) { ops.append($0) }
    var t = Timestamp(monotonicNanos: 1_000_000_000, wallMicros: 1_700_000_000_000_000)
    func feed(_ d: Direction, _ line: String, after ms: UInt64 = 1) {
        t.monotonicNanos += ms * 1_000_000
        t.wallMicros += Int64(ms * 1000)
        recorder.ingest(d, Array((line + "\n").utf8), at: t)
    }
    recorder.start(at: t)
    feed(
        .clientToServer,
        #"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","clientInfo":{"name":"tester","version":"1"}}}"#
    )
    feed(.serverToClient, #"{"jsonrpc":"2.0","id":0,"result":{"protocolVersion":"2025-11-25","serverInfo":{"name":"srv","version":"2"}}}"#)
    for i in 1...calls {
        feed(
            .clientToServer,
            #"{"jsonrpc":"2.0","id":\#(i),"method":"tools/call","params":{"name":"echo","arguments":{"message":"m\#(i)"}}}"#)
        let failed = i % 3 == 0
        feed(
            .serverToClient, #"{"jsonrpc":"2.0","id":\#(i),"result":{"content":[{"type":"text","text":"m\#(i)"}],"isError":\#(failed)}}"#,
            after: UInt64(i))
    }
    recorder.finish(reason: .clientEOF, exitStatus: 0, at: t)
    return ops
}

@Suite struct StoreTests {
    @Test(arguments: TestStore.backends) func writesAndReadsBackASession(_ backend: TestStore.Backend) throws {
        guard let store = try TestStore.make(backend) else { return }
        #expect(store.record(sampleSession(calls: 6)) == 0)

        let reader = try store.reader()
        let runs = try reader.runs()
        #expect(runs.count == 1)
        let run = try #require(runs.first)
        #expect(run.serverName == "sample")
        #expect(run.args == ["--x"])
        #expect(run.clientName == "tester")
        #expect(run.serverInfoName == "srv")
        #expect(run.protocolVersion == "2025-11-25")
        #expect(run.endReason == .clientEOF)
        #expect(run.callCount == 7)
        #expect(run.errorCount == 2)
        #expect(run.messageCount == 14)

        var filter = CallFilter()
        filter.tool = "echo"
        let calls = try reader.calls(filter)
        #expect(calls.count == 6)
        #expect(calls.first?.jsonrpcID == "6")  // newest first
        let detail = try #require(try reader.call(id: calls[0].id))
        #expect(detail.params?["arguments"]?["message"] == "m6")
        #expect(detail.result?["isError"] == true)

        filter.errorsOnly = true
        #expect(try reader.calls(filter).map(\.jsonrpcID) == ["6", "3"])

        let echo = try #require(try reader.stats().first { $0.name == "echo" })
        #expect(echo.count == 6 && echo.errors == 2)
        #expect(echo.p50 == 3_000 && echo.max == 6_000)

        #expect(try reader.counts() == (runs: 1, calls: 7, messages: 14))
        #expect(try reader.timeline(run: run.id).filter { $0.kind == .call }.count == 7)
        #expect(try reader.messages(run: run.id).count == 14)
        #expect(try reader.firstRequest(run: run.id, method: "initialize")?["params"]?["clientInfo"]?["name"] == "tester")

        if backend == .sqlite {  // the file is private to its owner
            let mode = try FileManager.default.attributesOfItem(atPath: store.location)[.posixPermissions] as? Int
            #expect(mode == 0o600)
        }
    }

    /// Exporters link each span to its recorded call by the ids a batch's write returns.
    @Test(arguments: TestStore.backends) func aBatchsWriteReturnsTheIDsItsCallsWereStoredUnder(_ backend: TestStore.Backend) throws {
        guard let store = try TestStore.make(backend) else { return }
        let ops = sampleSession(calls: 3)
        var runs: [LocalRunID: Int64] = [:]
        let ids = try store.writer().write(ops, runs: &runs, events: [])
        let reader = try store.reader()
        let stored = try reader.calls(CallFilter())
        #expect(ids.count == stored.count && !stored.isEmpty, "returned \(ids), stored \(stored.map(\.id))")
        for call in stored {
            let local = try #require(runs.first { $0.value == call.runID }?.key, "run \(call.runID) not in \(runs)")
            #expect(ids[CallReference(run: local, requestSeq: call.requestSeq)] == call.id, "call \(call.id): \(ids)")
        }
    }

    /// What the live feed and the wraps' run-request watchers poll: it changes once another
    /// connection commits (SQLite: data_version; PostgreSQL: a notification, no table read).
    @Test(arguments: TestStore.backends) func dataVersionChangesWhenAnotherConnectionCommits(_ backend: TestStore.Backend) throws {
        guard let store = try TestStore.make(backend) else { return }
        #expect(store.record(sampleSession(calls: 1)) == 0)
        let reader = try store.reader()
        let before = try reader.dataVersion()
        #expect(try reader.dataVersion() == before, "nothing committed in between")
        #expect(store.record(sampleSession(calls: 1)) == 0)
        let deadline = Date().addingTimeInterval(5)
        var now = try reader.dataVersion()
        while now == before && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.01)
            now = try reader.dataVersion()
        }
        #expect(now != before, "data version still \(now) 5 s after another connection committed")
        try store.writer().requestRun(server: "sample", requestedBy: "test")
        let requested = try reader.dataVersion()
        let later = Date().addingTimeInterval(5)
        while try reader.dataVersion() == requested && Date() < later { Thread.sleep(forTimeInterval: 0.01) }
        #expect(try reader.runRequests(after: 0, since: 0).map(\.server) == ["sample"])
    }

    @Test(arguments: TestStore.backends) func cursorsPageThroughCalls(_ backend: TestStore.Backend) throws {
        guard let store = try TestStore.make(backend) else { return }
        #expect(store.record(sampleSession(calls: 25)) == 0)
        let reader = try store.reader()
        var filter = CallFilter()
        filter.limit = 10
        var seen: [Int64] = []
        while true {
            let page = try reader.calls(filter)
            if page.isEmpty { break }
            seen += page.map(\.id)
            filter.beforeID = page.last?.id
        }
        #expect(seen == seen.sorted(by: >))
        #expect(seen.count == 26)
    }

    /// One server's or one tool's pages are read ids first (from that column's index): backwards
    /// and forwards they hold exactly its calls, in order, whatever the other servers did since.
    @Test(arguments: TestStore.backends) func pagesOfOneServerHoldItsCallsInOrderBothWays(_ backend: TestStore.Backend) throws {
        guard let store = try TestStore.make(backend) else { return }
        #expect(store.record(sampleSession(calls: 12, server: "old")) == 0)
        #expect(store.record(sampleSession(calls: 30, server: "new")) == 0)
        let reader = try store.reader()
        var everything = CallFilter()
        everything.limit = 1000
        let all = try reader.calls(everything)
        let old = all.filter { $0.server == "old" }.map(\.id)
        #expect(old.count == 13 && all.count == 44, "\(old.count) of \(all.count)")

        func pages(_ filter: CallFilter, forward: Bool) throws -> [Int64] {
            var filter = filter
            filter.limit = 5
            if forward { filter.afterID = 0 }
            var seen: [Int64] = []
            while true {
                let page = try reader.calls(filter).map(\.id)
                if page.isEmpty { return seen }
                seen += page
                if forward { filter.afterID = page.last } else { filter.beforeID = page.last }
            }
        }
        var byServer = CallFilter()
        byServer.server = "old"
        #expect(try pages(byServer, forward: false) == old.sorted(by: >))
        #expect(try pages(byServer, forward: true) == old.sorted())
        var byTool = CallFilter()
        byTool.server = "old"
        byTool.tool = "echo"
        #expect(try pages(byTool, forward: false) == Array(old.sorted(by: >).dropLast()), "the initialize call has no tool")
    }

    @Test(arguments: TestStore.backends) func pollingForwardFromACursorReturnsTheOldestFirstAndMissesNothing(_ backend: TestStore.Backend)
        throws
    {
        guard let store = try TestStore.make(backend) else { return }
        #expect(store.record(sampleSession(calls: 25)) == 0)
        let reader = try store.reader()
        var filter = CallFilter()
        filter.limit = 10
        filter.afterID = 0
        var seen: [Int64] = []
        var requests = 0
        while true {
            let page = try reader.calls(filter)
            requests += 1
            if page.isEmpty { break }
            seen += page.map(\.id)
            filter.afterID = page.last?.id
        }
        #expect(seen == Array(1...26), "\(seen)")
        #expect(requests == 4)
    }

    @Test(arguments: TestStore.backends) func feedChangesNumberEveryChangeInCommitOrder(_ backend: TestStore.Backend) throws {
        guard let store = try TestStore.make(backend) else { return }
        #expect(store.record(sampleSession(calls: 2)) == 0)
        let reader = try store.reader()
        let first = try reader.feedChanges(after: 0, limit: 1000)
        #expect(first.filter { $0.kind == .call }.map(\.rowID) == [1, 2, 3], "\(first)")
        #expect(first.first?.kind == .run && first.first?.rowID == 1, "a run comes before its calls in the same commit: \(first)")
        #expect(first.map(\.seq) == Array(1...Int64(first.count)))

        // An update is a change of its own, numbered after everything before it.
        let top = try reader.feedRange().newest
        try store.sql("UPDATE calls SET status = 'error' WHERE id = 1")
        #expect(try reader.feedChanges(after: top, limit: 10) == [FeedChange(seq: top + 1, kind: .call, rowID: 1)])

        // Deleting the newest call frees its id for the next insert in SQLite; the numbers still only grow.
        try store.sql("DELETE FROM calls WHERE id = 3")
        try store.sql(
            """
            INSERT INTO calls (run_id, server, request_seq, direction, method, jsonrpc_id, started_at, status)
            VALUES (1, 'sample', 99, 'c2s', 'tools/call', '99', 0, 'ok')
            """)
        guard case .int(let inserted) = try store.sql("SELECT MAX(id) FROM calls") else { Issue.record("no call"); return }
        let last = try reader.feedChanges(after: top + 1, limit: 10)
        #expect(last == [FeedChange(seq: top + 2, kind: .callDeleted, rowID: 3), FeedChange(seq: top + 3, kind: .call, rowID: inserted)])
    }

    @Test(arguments: TestStore.backends) func feedChangesKeepTheNewestHundredThousand(_ backend: TestStore.Backend) throws {
        guard let store = try TestStore.make(backend) else { return }
        _ = try store.writer()  // the tables
        switch backend {
        case .sqlite:
            try ArgusDatabase.openForWriting(path: store.location).execute(
                """
                BEGIN;
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 110000)
                INSERT INTO feed_changes (kind, row_id) SELECT 'run', i FROM n;
                COMMIT;
                """)
        case .postgres:  // the changes of one transaction, numbered as it commits
            try store.sql("SELECT argus_feed_record('run', ARRAY(SELECT generate_series(1, 110000)::BIGINT))")
        }
        let range = try store.reader().feedRange()
        #expect(range.newest == 110_000)
        #expect((100_000...101_024).contains(range.newest - range.oldest + 1), "kept \(range)")
    }

    @Test func percentilesUseNearestRank() {
        let values: [Int64] = Array(1...100)
        #expect(ToolStats.percentile(values, 0.5) == 50)
        #expect(ToolStats.percentile(values, 0.99) == 99)
        #expect(ToolStats.percentile([7], 0.95) == 7)
        #expect(ToolStats.percentile([], 0.5) == nil)
    }

    @Test func refusesADatabaseFromANewerArgus() throws {
        let path = temporaryDirectory() + "/new.db"
        let db = try SQLiteConnection(path: path)
        try db.execute("PRAGMA user_version = 999")
        #expect(throws: Schema.OpenError.self) { try ArgusDatabase.openForReading(path: path) }
        #expect(throws: Schema.OpenError.self) { try ArgusDatabase.openForWriting(path: path) }
    }

    @Test func missingDatabaseSaysWhatToDo() {
        #expect {
            try SQLiteReader(path: "/nonexistent/argus.db")
        } throws: { error in
            "\(error)".contains("argus wrap")
        }
    }

    @Test func waitsOutALockHeldByAnotherProcessAndLosesNothing() throws {
        let path = temporaryDirectory() + "/locked.db"
        _ = try ArgusDatabase.openForWriting(path: path)
        let blocker = try SQLiteConnection(path: path)
        try blocker.execute("BEGIN EXCLUSIVE")
        let reports = LockedLines()
        let writer = BatchedWriter(options: .init(path: path, busyTimeoutMillis: 100), report: { reports.append($0) })
        for op in sampleSession(calls: 10) { writer.submit(op) }
        Thread.sleep(forTimeInterval: 0.8)
        #expect(writer.statistics.opsWritten == 0)
        #expect(writer.statistics.failedAttempts > 0)
        try blocker.execute("COMMIT")
        let stats = writer.finish(timeoutSeconds: 10)
        #expect(stats.opsAbandoned == 0)
        let reader = try SQLiteReader(path: path)
        #expect(try reader.runs().first?.callCount == 11)
        #expect(reports.lines.contains { $0.contains("recording paused") && $0.contains("locked") })
        #expect(reports.lines.contains { $0.contains("recording resumed") })
        let events = try reader.db.query("SELECT kind, message FROM recorder_events")
        #expect(events.first?.text(0) == "write_retry")
    }

    @Test func aBrokenPathRecoversOnceItIsFixed() throws {
        let dir = temporaryDirectory()
        // A file where the directory should be: SQLite cannot create the database.
        _ = FileManager.default.createFile(atPath: dir + "/data", contents: Data("x".utf8))
        let reports = LockedLines()
        let writer = BatchedWriter(options: .init(path: dir + "/data/argus.db"), report: { reports.append($0) })
        for op in sampleSession(calls: 2) { writer.submit(op) }
        Thread.sleep(forTimeInterval: 0.4)
        #expect(reports.lines.contains { $0.contains("recording paused") })
        try FileManager.default.removeItem(atPath: dir + "/data")
        let stats = writer.finish(timeoutSeconds: 10)
        #expect(stats.opsAbandoned == 0)
        #expect(try SQLiteReader(path: dir + "/data/argus.db").runs().first?.callCount == 3)
    }

    @Test func aWriterForEverySessionForgetsRunsLongEndedAndLosesNothing() throws {
        let path = temporaryDirectory() + "/sessions.db"
        let writer = BatchedWriter(options: .init(path: path), report: { _ in })
        // One writer, as argus proxy has, for more sessions than it remembers.
        let numbering = RunNumbering()
        let sessions = 2 * BatchedWriter.endedRunsKept + 100
        var runs: [LocalRunID] = []
        for _ in 0..<sessions {
            let ops = sampleSession(calls: 1, numbering: numbering)
            if case .startRun(let start)? = ops.first { runs.append(start.run) }
            for op in ops { writer.submit(op) }
        }
        let stats = writer.finish(timeoutSeconds: 30)
        #expect(stats.opsAbandoned == 0 && stats.failedAttempts == 0, "\(stats)")
        #expect(runs.count == sessions)
        #expect(writer.databaseID(of: runs[0]) == nil, "the first session's run is forgotten")
        #expect(writer.databaseID(of: runs[sessions - 1]) != nil, "the newest session's run is known")
        let reader = try SQLiteReader(path: path)
        let counted = try reader.db.query("SELECT COUNT(*), SUM(call_count) FROM runs")
        #expect(counted.first?.int(0) == Int64(sessions) && counted.first?.int(1) == Int64(2 * sessions), "\(counted)")
    }

    @Test func givesUpOnlyAtTheDeadlineAndSaysHowMuch() throws {
        let dir = temporaryDirectory()
        _ = FileManager.default.createFile(atPath: dir + "/f", contents: Data())
        let reports = LockedLines()
        let writer = BatchedWriter(options: .init(path: dir + "/f/argus.db"), report: { reports.append($0) })
        let ops = sampleSession(calls: 2)
        for op in ops { writer.submit(op) }
        let stats = writer.finish(timeoutSeconds: 0.5)
        #expect(stats.opsAbandoned == ops.count)
        #expect(reports.lines.contains { $0.contains("could not write \(ops.count) recorded records") })
    }
}

final class LockedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    func append(_ line: String) { lock.withLock { stored.append(line) } }
    var lines: [String] { lock.withLock { stored } }
}
