import ArgusSystem
import Foundation
import Testing
@testable import ArgusCore
@testable import ArgusPostgres
@testable import ArgusStore

/// The recorder's batches in a real PostgreSQL server: the rows SQLite gets, exactly once,
/// whatever happens to the connection.
@Suite(.serialized) struct PostgresWriterTests {
    /// A session of `calls` tool calls, recorded as `argus wrap` records it.
    static func session(calls: Int, marker: String = "x") -> [RecordOp] {
        var ops: [RecordOp] = []
        let config = RecorderConfig(
            serverName: "srv", launch: LaunchSpec(command: "srv", args: ["--flag"], cwd: "/", envNames: ["HOME"]),
            redaction: RedactionPolicy(enabled: false))
        let recorder = SessionRecorder(config: config) { ops.append($0) }
        var t = Timestamp(monotonicNanos: 1_000_000_000, wallMicros: 1_700_000_000_000_000)
        func feed(_ d: Direction, _ line: String) {
            t.monotonicNanos += 1_000_000
            t.wallMicros += 1000
            recorder.ingest(d, Array((line + "\n").utf8), at: t)
        }
        recorder.start(at: t)
        feed(
            .clientToServer,
            #"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","clientInfo":{"name":"c","version":"1"},"capabilities":{}}}"#
        )
        feed(
            .serverToClient,
            #"{"jsonrpc":"2.0","id":0,"result":{"protocolVersion":"2025-06-18","serverInfo":{"name":"s","version":"2"},"capabilities":{}}}"#
        )
        for id in 1...calls {
            feed(
                .clientToServer,
                #"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"echo","arguments":{"m":"\#(marker)-\#(id)"}}}"#)
            let failed = id % 10 == 0
            feed(
                .serverToClient,
                #"{"jsonrpc":"2.0","id":\#(id),"result":{"content":[{"type":"text","text":"\#(marker)"}],"isError":\#(failed)}}"#)
        }
        recorder.finish(reason: .clientEOF, exitStatus: 0, at: t)
        return ops
    }

    static func count(_ ops: [RecordOp], _ match: (RecordOp) -> Bool) -> Int { ops.filter(match).count }

    @Test func aSessionIsStoredWithItsRunsCallsMessagesAndCounters() throws {
        guard TestPostgres.isAvailable else { return }
        let db = try TestPostgres()
        defer { db.drop() }
        let ops = Self.session(calls: 50)
        let writer = try db.writer()
        var runs: [LocalRunID: Int64] = [:]
        // In three batches, as the writer thread takes them.
        let third = ops.count / 3
        var callIDs: [CallReference: Int64] = [:]
        for slice in [ops[..<third], ops[third..<(2 * third)], ops[(2 * third)...]] {
            callIDs.merge(try writer.write(Array(slice), runs: &runs, events: [])) { $1 }
        }
        #expect(writer.refusedCopies == 0, "messages and calls sent with COPY")

        let messages = Self.count(ops) { if case .message = $0 { true } else { false } }
        let calls = Self.count(ops) { if case .call = $0 { true } else { false } }
        #expect(try db.count("runs") == 1)
        #expect(try db.count("messages") == messages)
        #expect(try db.count("calls") == calls)
        #expect(calls == 51, "initialize and 50 tool calls")
        let session = try db.session()
        defer { session.close() }
        #expect(try session.integer("SELECT message_count FROM runs") == Int64(messages))
        #expect(try session.integer("SELECT call_count FROM runs") == Int64(calls))
        #expect(try session.integer("SELECT error_count FROM runs") == 5)
        #expect(try session.integer("SELECT count(*) FROM runs WHERE ended_at IS NOT NULL AND client_name = 'c'") == 1)
        #expect(try session.integer("SELECT count(*) FROM calls WHERE tool = 'echo' AND server = 'srv'") == 50)
        #expect(try session.integer("SELECT version FROM argus_schema") == Int64(PostgresSchema.currentVersion))
        // The ids the writer gives back (they link exported spans to the recording) are the
        // stored rows', ascending in the order the calls were recorded (the feed reads by id).
        let stored = try db.rows("SELECT request_seq, id FROM calls ORDER BY id")
        let local = try #require(runs.first?.key)
        let given = callIDs.filter { $0.key.run == local }.sorted { $0.value < $1.value }.map {
            [SQLiteValue.int(Int64($0.key.requestSeq)), .int($0.value)]
        }
        #expect(given == stored)
        let order = stored.compactMap { row -> Int64? in if case .int(let seq) = row[0] { seq } else { nil } }
        #expect(order == order.sorted())
    }

    /// The connection drops after COMMIT was sent and before its answer came: the batch is sent
    /// again by a writer that cannot know whether it was stored. Its marker says it was.
    @Test func aBatchSentAgainAfterALostAnswerIsNotStoredTwice() throws {
        guard TestPostgres.isAvailable else { return }
        let db = try TestPostgres()
        defer { db.drop() }
        let ops = Self.session(calls: 20)
        let first = try db.writer(origin: "laptop/1")
        var runs: [LocalRunID: Int64] = [:]
        try first.write(ops, runs: &runs, events: [])

        // The same writer's state before the answer: batch 1 not known to be stored, no run ids.
        let again = try db.writer(origin: "laptop/1")
        var runsAgain: [LocalRunID: Int64] = [:]
        try again.write(ops, runs: &runsAgain, events: [])
        #expect(runsAgain == runs, "the run ids come back from the stored rows")
        // The next batch goes on from there.
        let more = Self.session(calls: 3)
        var moreRuns: [LocalRunID: Int64] = [:]
        let other = try db.writer(origin: "laptop/2")
        try other.write(more, runs: &moreRuns, events: [])

        #expect(try db.count("runs") == 2)
        #expect(try db.count("calls") == 21 + 4)
        #expect(try db.count("recorder_batches") == 2)
    }

    /// The recorder's writer opened its store writer again (after an error that was not the
    /// server being away): the new one goes on with the same origin and the next number, so its
    /// batches are neither mistaken for stored ones nor stored twice if sent again.
    @Test func aWriterOpenedAgainGoesOnWithTheRecordersNumbering() throws {
        guard TestPostgres.isAvailable else { return }
        let db = try TestPostgres()
        defer { db.drop() }
        let numbering = BatchNumbering()
        let ops = Self.session(calls: 10)
        let half = ops.count / 2
        var runs: [LocalRunID: Int64] = [:]
        try db.writer(numbering: numbering).write(Array(ops[..<half]), runs: &runs, events: [])
        try db.writer(numbering: numbering).write(Array(ops[half...]), runs: &runs, events: [])

        #expect(numbering.current == 3, "two batches stored")
        #expect(try db.count("runs") == 1)
        #expect(try db.count("calls") == 11)
        let session = try db.session()
        defer { session.close() }
        #expect(try session.integer("SELECT count(DISTINCT origin) FROM recorder_batches") == 1)
        #expect(try session.integer("SELECT max(batch) FROM recorder_batches") == 2)
    }

    /// The server ends the writer's connection between batches (a restart, a failover, an
    /// administrator): the next write says so, and writing again reconnects; nothing is lost
    /// or doubled.
    @Test func aDroppedConnectionLosesNothingAndDoublesNothing() throws {
        guard TestPostgres.isAvailable else { return }
        let db = try TestPostgres()
        defer { db.drop() }
        let ops = Self.session(calls: 30)
        let half = ops.count / 2
        let writer = try db.writer()
        var runs: [LocalRunID: Int64] = [:]
        try writer.write(Array(ops[..<half]), runs: &runs, events: [])
        try db.admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(db.location.database)'")

        var attempts = 0
        while true {
            attempts += 1
            do {
                try writer.write(Array(ops[half...]), runs: &runs, events: [])
                break
            } catch let error as PostgresStoreError {
                #expect(error.isTransient, "\(error)")
                try #require(attempts < 3, "still failing: \(error)")
            }
        }
        #expect(try db.count("calls") == 31)
        #expect(try db.count("recorder_batches") == 2)
    }

    /// Messages go to the server with COPY, whose text format gives tab, line feed, carriage
    /// return, backslash and `\N` meanings of their own: every body comes back as it was sent.
    @Test func messagesSentWithCopyComeBackByteForByte() throws {
        guard TestPostgres.isAvailable else { return }
        let db = try TestPostgres()
        defer { db.drop() }
        let awkward = [
            "a\tb", "line\nbreak", "cr\r\nlf", #"back\slash \N \\N"#, #"\N"#, "", "unicode é 💥 \u{7f}", "trailing\\",
        ]
        var sent: [Int: (body: String, method: String?)] = [:]
        var index = 0
        let ops = Self.session(calls: 10).map { op -> RecordOp in
            guard case .message(let run, var message) = op else { return op }
            message.body = awkward[index % awkward.count] + " #\(message.seq)"
            if index % 3 == 0 { message.method = nil }
            index += 1
            sent[message.seq] = (message.body, message.method)
            return .message(run, message)
        }
        var runs: [LocalRunID: Int64] = [:]
        let writer = try db.writer()
        try writer.write(ops, runs: &runs, events: [])
        #expect(writer.refusedCopies == 0, "sent with COPY")

        let rows = try db.rows("SELECT seq, body, method FROM messages ORDER BY seq")
        #expect(rows.count == sent.count)
        for row in rows {
            guard case .int(let seq) = row[0], let expected = sent[Int(seq)] else {
                Issue.record("an unexpected row: \(row)")
                continue
            }
            #expect(row[1] == .text(expected.body), "message \(seq)")
            #expect(row[2] == (expected.method.map { .text($0) } ?? .null), "message \(seq)")
        }
    }

    /// A 50 MB answer is one message: sent with COPY in pieces, stored whole, and the batch
    /// around it too.
    @Test func aFiftyMegabyteMessageIsStoredWhole() throws {
        guard TestPostgres.isAvailable else { return }
        let db = try TestPostgres()
        defer { db.drop() }
        let big =
            #"{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":""# + String(repeating: "a\\b\tc", count: 10_000_000)
            + #""}]}}"#
        var replaced = false
        let ops = Self.session(calls: 3).map { op -> RecordOp in
            guard !replaced, case .message(let run, var message) = op, message.direction == .serverToClient, message.seq > 1 else {
                return op
            }
            replaced = true
            message.body = big
            message.size = big.utf8.count
            return .message(run, message)
        }
        try #require(replaced)
        var runs: [LocalRunID: Int64] = [:]
        let writer = try db.writer()
        try writer.write(ops, runs: &runs, events: [])
        #expect(writer.refusedCopies == 0)

        let stored = try db.rows("SELECT count(*), max(octet_length(body)) FROM messages WHERE body = $1", [.text(big)])
        #expect(stored == [[.int(1), .int(Int64(big.utf8.count))]])
        #expect(try db.count("calls") == 4)
    }

    /// COPY has no `ON CONFLICT`: a batch holding a message already stored at its place has
    /// its COPY refused and is written again with inserts that keep the stored one, as before.
    @Test func aMessageAlreadyStoredAtItsPlaceKeepsItAndTheBatchIsStoredWhole() throws {
        guard TestPostgres.isAvailable else { return }
        let db = try TestPostgres()
        defer { db.drop() }
        let ops = Self.session(calls: 5)
        let writer = try db.writer()
        var runs: [LocalRunID: Int64] = [:]
        try writer.write(ops, runs: &runs, events: [])
        let stored = try db.count("messages")

        let messages = ops.compactMap { op -> (LocalRunID, MessageRecord)? in
            if case .message(let run, let message) = op { (run, message) } else { nil }
        }
        let (run, third) = try #require(messages.dropFirst(2).first)
        var again = third
        again.body = "not the stored one"
        var fresh = third
        fresh.seq = 1_000
        fresh.body = "new"
        try writer.write([.message(run, again), .message(run, fresh)], runs: &runs, events: [])

        #expect(writer.refusedCopies == 1)
        #expect(try db.count("messages") == stored + 1)
        let bodies = try db.rows("SELECT seq, body FROM messages WHERE seq IN (\(third.seq), 1000) ORDER BY seq")
        #expect(bodies == [[.int(Int64(third.seq)), .text(third.body)], [.int(1000), .text("new")]])
        #expect(try db.count("recorder_batches") == 2)
    }

    @Test func aWrongPasswordSaysSo() throws {
        guard TestPostgres.isAvailable else { return }
        let location = try PostgresLocation(url: TestPostgres.url ?? "", environment: [:])
        do {
            _ = try PostgresSession.connect(location, environment: ["PGPASSWORD": "not-the-password"])
            Issue.record("a wrong password was accepted")
        } catch let error as PostgresStoreError {
            let text = "\(error)"
            #expect(text.contains("refused user \(location.user)"), "\(text)")
            #expect(text.contains("password authentication failed"), "\(text)")
            #expect(!text.contains("not-the-password"))
            #expect(!error.isTransient)
        }
    }

    @Test func anUnreachableServerSaysWhereAndWhy() throws {
        // A port nobody listens on: bound, then closed.
        let location = try PostgresLocation(
            url: "postgres://argus@127.0.0.1:\(try #require(Loopback.unusedPort()))/argus?sslmode=disable", environment: [:])
        let started = Date()
        do {
            _ = try PostgresSession.connect(location, environment: [:], timeoutSeconds: 5)
            Issue.record("connected to a closed port")
        } catch let error as PostgresStoreError {
            #expect("\(error)".hasPrefix("cannot reach PostgreSQL at postgres://argus@127.0.0.1:"), "\(error)")
            #expect("\(error)".lowercased().contains("refused"), "\(error)")
            #expect(error.isTransient)
        }
        #expect(Date().timeIntervalSince(started) < 5)
    }
}
