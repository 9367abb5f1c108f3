import Foundation
import Testing
@testable import ArgusCore
@testable import ArgusStore

/// A delete removes everything that belongs to what was deleted, and the bytes
/// with it: not left in free pages of the file, not in the WAL.
@Suite struct DeletionTests {
    /// A session recorded without redaction (as `--no-redact` does, or a secret no rule
    /// knew): two calls with progress, one cancelled call, a log notification, stderr,
    /// and a command line with a token. Each piece carries a marker to scan for.
    static func record(into store: TestStore) {
        var ops: [RecordOp] = []
        var config = RecorderConfig(
            serverName: "srv",
            launch: LaunchSpec(command: "srv", args: ["--token", "ARGV-MARKER-tok"], cwd: "/", envNames: []),
            redaction: RedactionPolicy(enabled: false))
        config.stderrTailLines = 5
        let recorder = SessionRecorder(config: config) { ops.append($0) }
        var t = Timestamp(monotonicNanos: 1_000_000_000, wallMicros: 1_700_000_000_000_000)
        func feed(_ d: Direction, _ line: String) {
            t.monotonicNanos += 1_000_000
            t.wallMicros += 1000
            recorder.ingest(d, Array((line + "\n").utf8), at: t)
        }
        recorder.start(at: t)
        for (id, marker) in [(1, "KEEP"), (2, "GONE")] {
            feed(
                .clientToServer,
                #"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"work","arguments":{"m":"PARAMS-\#(marker)-1"},"_meta":{"progressToken":"tok-\#(id)"}}}"#
            )
            feed(
                .serverToClient,
                #"{"jsonrpc":"2.0","method":"notifications/progress","params":{"progressToken":"tok-\#(id)","progress":1,"message":"PROGRESS-\#(marker)-2"}}"#
            )
            feed(.serverToClient, #"{"jsonrpc":"2.0","id":\#(id),"result":{"content":[{"type":"text","text":"RESULT-\#(marker)-3"}]}}"#)
        }
        feed(.clientToServer, #"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"slow","arguments":{"m":"PARAMS-GONE-4"}}}"#)
        feed(.clientToServer, #"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":3,"reason":"CANCEL-GONE-5"}}"#)
        feed(.serverToClient, #"{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"LOG-RUN-6"}}"#)
        Array("STDERR-RUN-7 token\n".utf8).withUnsafeBytes { recorder.ingestStderr($0, at: t) }
        recorder.finish(reason: .clientEOF, exitStatus: 0, at: t)
        store.record(ops)
    }

    /// Which markers are still stored: SQLite, anywhere in the database file or its WAL (free
    /// pages included); PostgreSQL, in any row a user of the store can read.
    static func present(_ markers: [String], in store: TestStore) throws -> [String] {
        let bytes: Data
        switch store.backend {
        case .sqlite:
            bytes = ["", "-wal"].compactMap { FileManager.default.contents(atPath: store.location + $0) }.reduce(Data(), +)
        case .postgres:
            let text = try store.sql(
                """
                SELECT concat_ws(' ', (SELECT string_agg(body, ' ') FROM messages), (SELECT string_agg(line, ' ') FROM server_logs),
                                 (SELECT string_agg(args || ' ' || COALESCE(stderr_tail, ''), ' ') FROM runs),
                                 (SELECT string_agg(encode(sealed, 'escape'), ' ') FROM sealed_params))
                """)
            guard case .text(let all) = text else { return [] }
            bytes = Data(all.utf8)
        }
        return markers.filter { bytes.range(of: Data($0.utf8)) != nil }
    }

    static let kept = ["PARAMS-KEEP-1", "PROGRESS-KEEP-2", "RESULT-KEEP-3"]
    static let callMarkers = ["PARAMS-GONE-1", "PROGRESS-GONE-2", "RESULT-GONE-3", "PARAMS-GONE-4", "CANCEL-GONE-5"]
    static let runMarkers = ["LOG-RUN-6", "STDERR-RUN-7", "ARGV-MARKER-tok"]

    func ids(_ reader: any ArgusReader, where predicate: (CallRecord) -> Bool) throws -> [Int64] {
        var filter = CallFilter()
        filter.limit = 100
        return try reader.calls(filter).filter(predicate).map(\.id)
    }

    @Test(arguments: TestStore.backends) func deletingCallsTakesTheirNotificationsAndLeavesNoBytes(_ backend: TestStore.Backend) throws {
        guard let store = try TestStore.make(backend) else { return }
        Self.record(into: store)
        #expect(try Self.present(Self.kept + Self.callMarkers, in: store).count == 8)  // the scan sees them before
        let reader = try store.reader()
        let doomed = try ids(reader) { ["2", "3"].contains($0.jsonrpcID) }
        #expect(doomed.count == 2)

        let writer = try store.writer()
        var selection = CallDeletion.Selection()
        selection.ids = doomed
        #expect(try writer.deleteCalls(selection) == 2)

        #expect(try Self.present(Self.callMarkers, in: store) == [])
        #expect(try Self.present(Self.kept, in: store) == Self.kept)  // the other call and its progress stay
        let run = try #require(try reader.runs().first)
        #expect(run.callCount == 1)
        #expect(run.messageCount == 4)  // call 1 (3 messages) and the log notification
    }

    @Test(arguments: TestStore.backends) func deletingARunsCallsTakesItsStderrNotificationsAndCommandLine(_ backend: TestStore.Backend)
        throws
    {
        guard let store = try TestStore.make(backend) else { return }
        Self.record(into: store)
        #expect(try Self.present(Self.runMarkers, in: store) == Self.runMarkers)
        let writer = try store.writer()
        var selection = CallDeletion.Selection()
        selection.run = 1
        #expect(try writer.deleteCalls(selection) == 3)

        #expect(try Self.present(Self.kept + Self.callMarkers + Self.runMarkers, in: store) == [])
        let reader = try store.reader()
        let run = try #require(try reader.run(id: 1))
        #expect(run.stderrTail == nil)
        #expect(run.args == ["--token", "[REDACTED]"])  // recorded before arguments were redacted: redacted now
        #expect(run.messageCount == 0 && run.callCount == 0)
        #expect(try reader.serverLogs(run: 1).isEmpty)
    }

    @Test(arguments: TestStore.backends) func deletingARunRemovesItWhole(_ backend: TestStore.Backend) throws {
        guard let store = try TestStore.make(backend) else { return }
        Self.record(into: store)
        let writer = try store.writer()
        #expect(try writer.deleteRuns([1]).runs == 1)
        #expect(try Self.present(Self.kept + Self.callMarkers + Self.runMarkers, in: store) == [])
        let reader = try store.reader()
        #expect(try reader.runs().isEmpty)
    }

    @Test func everyConnectionErasesWhatItDeletes() throws {
        let path = temporaryDirectory() + "/argus.db"
        let writer = try ArgusDatabase.openForWriting(path: path)
        #expect(try writer.scalarInt("PRAGMA secure_delete") == 1)
        let reader = try ArgusDatabase.openForReading(path: path)
        #expect(try reader.scalarInt("PRAGMA secure_delete") == 1)
    }
}
