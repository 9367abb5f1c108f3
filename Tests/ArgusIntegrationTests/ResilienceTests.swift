import ArgusCore
import ArgusStore
import Foundation
import Testing

/// The session goes on whatever happens to the database; nothing is lost while a retry can succeed.
@Suite struct ResilienceTests {
    @Test func aLockedDatabaseDelaysRecordingNotTheSession() throws {
        let dir = temporaryDirectory("locked")
        let path = dir + "/argus.db"
        _ = try ArgusDatabase.openForWriting(path: path)
        let blocker = try SQLiteConnection(path: path)
        let session = try WrapSessionHarness(server: [Binaries.testServer], database: path)
        session.initialize()
        #expect(waitUntil { ((try? SQLiteReader(path: path).runs().first?.callCount) ?? 0) == 1 })
        try blocker.execute("BEGIN EXCLUSIVE")
        var slowest = 0.0
        for i in 0..<20 {
            let start = Date()
            #expect(session.callTool("echo", ["message": .int(i)]) != nil)
            slowest = max(slowest, Date().timeIntervalSince(start))
        }
        #expect(slowest < 1.0, "a call waited \(slowest) s on the locked database")
        #expect(session.proxy.waitForStderr(containing: "recording paused: the database is locked"))
        try blocker.execute("COMMIT")
        #expect(session.proxy.waitForStderr(containing: "recording resumed"))
        #expect(session.finish() == 0)
        #expect(try SQLiteReader(path: path).runs().first?.callCount == 21)
    }

    @Test func anUnwritableDatabaseDoesNotBreakTheSession() throws {
        let dir = temporaryDirectory("unwritable")
        _ = FileManager.default.createFile(atPath: dir + "/not-a-dir", contents: Data())
        let session = try WrapSessionHarness(
            server: [Binaries.testServer], options: ["--flush-timeout", "0.5"],
            database: dir + "/not-a-dir/argus.db")
        session.initialize()
        #expect(session.callTool("calculate", ["operation": "add", "a": 1, "b": 1])?["structuredContent"]?["result"] == 2)
        #expect(session.finish() == 0)
        let stderr = session.proxy.stderrText
        #expect(
            stderr.contains(
                "argus: recording paused: the database \(dir)/not-a-dir/argus.db cannot be written: "
                    + "\(dir)/not-a-dir is not a directory"), "\(stderr)")
        #expect(stderr.contains("the MCP session is not affected"))
        #expect(stderr.contains("could not write"))
    }

    /// `--db` in a read-only directory: the session is relayed, the reason said once, and the
    /// proxy does not keep the client waiting at exit for a path that cannot become writable.
    @Test func aReadOnlyDirectoryIsExplainedAndDoesNotDelayTheEnd() throws {
        let directory = try ReadOnlyDirectory()
        defer { directory.remove() }
        // A flush timeout far longer than any test waits: only giving up at once lets the proxy exit in time.
        let session = try WrapSessionHarness(
            server: [Binaries.testServer], options: ["--flush-timeout", "600"],
            database: directory.path + "/argus.db")
        session.initialize()
        #expect(session.callTool("calculate", ["operation": "add", "a": 1, "b": 1])?["structuredContent"]?["result"] == 2)
        #expect(session.finish(timeout: 120) == 0, "the proxy waited for a database it can never write")
        let stderr = session.proxy.stderrToEnd()
        #expect(stderr.contains("cannot be written: \(directory.path) \(directory.reason)"), "\(stderr)")
        #expect(stderr.contains("pass --db with a writable path"))

        var environment = ProcessInfo.processInfo.environment
        environment["ARGUS_HOME"] = session.argusHome
        environment["ARGUS_CONFIG"] = nil
        let diagnose = try Spawned(Binaries.argus, ["diagnose", "--json", "--db", directory.path + "/argus.db"], environment: environment)
        let json = try JSONParser.parse(String(decoding: diagnose.readToEnd(), as: UTF8.self))
        #expect(diagnose.waitForExit() == 1)
        let check = json["checks"]?.arrayValue?.first { $0["section"] == "database" }
        #expect(check?["status"] == "failed", "\(check.map { JSONWriter.string($0) } ?? "no database check")")
        #expect(
            check?["title"]?.stringValue?.contains("cannot create one there: \(directory.path) \(directory.reason)") == true,
            "\(check.map { JSONWriter.string($0) } ?? "")")
    }

    /// The database holds tool parameters and results: it is created private, not created with the
    /// umask's mode and narrowed afterwards (a window in which anyone could open it and keep it open).
    @Test func theDatabaseIsCreatedPrivateRatherThanNarrowedLater() throws {
        let directory = temporaryDirectory("private-db")
        let watch = inotify_init1(Int32(IN_NONBLOCK))
        try #require(watch >= 0)
        defer { close(watch) }
        try #require(inotify_add_watch(watch, directory, UInt32(IN_CREATE) | UInt32(IN_ATTRIB)) >= 0)
        let session = try WrapSessionHarness(server: [Binaries.testServer], database: directory + "/argus.db")
        session.initialize()
        #expect(session.finish() == 0)

        var events: [(name: String, mask: UInt32)] = []
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let n = read(watch, &buffer, buffer.count)
            if n <= 0 { break }
            var offset = 0
            while offset + 16 <= n {
                let (mask, length) = buffer.withUnsafeBytes {
                    ($0.load(fromByteOffset: offset + 4, as: UInt32.self), Int($0.load(fromByteOffset: offset + 12, as: UInt32.self)))
                }
                let name = String(decoding: buffer[(offset + 16)..<(offset + 16 + length)].prefix { $0 != 0 }, as: UTF8.self)
                events.append((name, mask))
                offset += 16 + length
            }
        }
        #expect(events.contains { $0.name == "argus.db" && $0.mask & UInt32(IN_CREATE) != 0 }, "\(events)")
        #expect(
            !events.contains { $0.name == "argus.db" && $0.mask & UInt32(IN_ATTRIB) != 0 },
            "the database's mode was changed after it was created: \(events)")
        for file in ["argus.db", "argus.db-wal", "argus.db-shm"] where FileManager.default.fileExists(atPath: directory + "/" + file) {
            let mode = (try FileManager.default.attributesOfItem(atPath: directory + "/" + file)[.posixPermissions] as? Int) ?? 0
            #expect(mode == 0o600, "\(file) has mode \(String(mode, radix: 8))")
        }
    }

    @Test func aCorruptDatabaseIsReportedAndTheSessionGoesOn() throws {
        let dir = temporaryDirectory("corrupt")
        let path = dir + "/argus.db"
        try Data((0..<16384).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: URL(fileURLWithPath: path))
        let session = try WrapSessionHarness(server: [Binaries.testServer], options: ["--flush-timeout", "0.5"], database: path)
        session.initialize()
        #expect(session.callTool("echo", ["message": "still works"]) != nil)
        #expect(session.finish() == 0)
        #expect(session.proxy.stderrText.contains("not a valid Argus database"))
        let reader = try Spawned(Binaries.argus, ["runs", "--db", path])
        #expect(reader.waitForExit() == 1)
        #expect(reader.stderrText.contains("not a valid Argus database") || reader.stderrText.contains("not a database"))
    }

    @Test(.enabled(if: getuid() == 0, "mounting a small tmpfs needs root"))
    func aFullDiskPausesRecordingUntilThereIsRoomAgain() throws {
        let mount = temporaryDirectory("full")
        let mounted = Process()
        mounted.executableURL = URL(fileURLWithPath: "/bin/mount")
        mounted.arguments = ["-t", "tmpfs", "-o", "size=16m", "tmpfs", mount]
        try mounted.run()
        mounted.waitUntilExit()
        try #require(mounted.terminationStatus == 0, "could not mount a tmpfs")
        defer {
            let umount = Process()
            umount.executableURL = URL(fileURLWithPath: "/bin/umount")
            umount.arguments = ["-l", mount]
            try? umount.run()
            umount.waitUntilExit()
        }
        let session = try WrapSessionHarness(server: [Binaries.testServer], database: mount + "/argus.db")
        session.initialize()
        #expect(waitUntil { FileManager.default.fileExists(atPath: mount + "/argus.db") })
        // Fill the disk, leaving no room for the recording to grow.
        let filler = mount + "/filler"
        _ = FileManager.default.createFile(atPath: filler, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: filler))
        let block = Data(repeating: 0x41, count: 64 << 10)
        while (try? handle.write(contentsOf: block)) != nil {}
        try? handle.close()
        let payload = String(repeating: "x", count: 20_000)
        for i in 0..<30 {
            #expect(session.callTool("echo", ["message": .string("\(i) \(payload)")]) != nil)
        }
        // Recording runs at low priority: on a machine busy with other tests it can lag well behind the relay.
        #expect(session.proxy.waitForStderr(containing: "recording paused: the disk is full", timeout: 40))
        // Room for everything once the filler goes: the calls (~1.3 MB) and a WAL that grows to
        // ~4 MB before SQLite checkpoints it (a 3 MB disk filled up again on a busy machine).
        try FileManager.default.removeItem(atPath: filler)
        #expect(session.proxy.waitForStderr(containing: "recording resumed", timeout: 40))
        // Everything queued while the disk was full is written before exit, however slowly the machine goes.
        #expect(session.finish(timeout: 120) == 0)
        let calls = try SQLiteReader(path: mount + "/argus.db").runs().first?.callCount
        #expect(calls == 31, "argus said: \(session.proxy.stderrText)")
    }

    @Test func twentyProxiesWriteOneDatabaseWithoutLosingARow() throws {
        let path = temporaryDirectory("many") + "/argus.db"
        let callsEach = 40
        let sessions = try (0..<20).map { i in
            try WrapSessionHarness(server: [Binaries.testServer], options: ["--name", "s\(i)"], database: path)
        }
        DispatchQueue.concurrentPerform(iterations: sessions.count) { i in
            let session = sessions[i]
            session.initialize()
            for n in 0..<callsEach { session.callTool("echo", ["message": .int(n)]) }
        }
        for session in sessions { #expect(session.finish() == 0) }
        let reader = try SQLiteReader(path: path)
        let runs = try reader.runs(limit: 100)
        #expect(runs.count == 20)
        #expect(runs.allSatisfy { $0.callCount == callsEach + 1 && $0.endReason == .clientEOF })
        let total = try reader.db.scalarInt("SELECT count(*) FROM calls")
        #expect(total == Int64(20 * (callsEach + 1)))
        let messages = try reader.db.scalarInt("SELECT count(*) FROM messages")
        #expect(messages == Int64(20 * (2 * (callsEach + 1) + 1)))  // requests, responses and one notification each
    }
}

/// A directory nobody may write: a read-only tmpfs when root (root ignores modes), else mode 0555.
struct ReadOnlyDirectory {
    let path = temporaryDirectory("readonly")
    /// How argus should explain it.
    let reason: String

    init() throws {
        if getuid() == 0 {
            try #require(Self.run("/bin/mount", ["-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", path]) == 0, "could not mount a tmpfs")
            reason = "is on a read-only file system"
        } else {
            chmod(path, 0o555)
            reason = "is not writable (Permission denied)"
        }
    }

    func remove() {
        if getuid() == 0 { _ = Self.run("/bin/umount", ["-l", path]) } else { chmod(path, 0o755) }
    }

    static func run(_ tool: String, _ arguments: [String]) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        guard (try? process.run()) != nil else { return -1 }
        process.waitUntilExit()
        return process.terminationStatus
    }
}
