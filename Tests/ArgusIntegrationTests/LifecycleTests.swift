import ArgusCore
import ArgusStore
import Foundation
import Testing

/// The child is never orphaned and the proxy ends the way the server ends.
@Suite struct LifecycleTests {
    /// The test server prints `ready (pid N)` on stderr; argus passes stderr through.
    func serverPID(_ session: WrapSessionHarness) -> Int32? {
        guard session.proxy.waitForStderr(containing: "ready (pid ") else { return nil }
        let text = session.proxy.stderrText
        guard let range = text.range(of: "ready (pid ") else { return nil }
        return Int32(text[range.upperBound...].prefix { $0.isNumber })
    }

    func lastRun(_ session: WrapSessionHarness) throws -> RunRecord {
        try #require(try session.reader().runs().first)
    }

    @Test func clientEOFClosesTheServerInputAndPropagatesItsStatus() throws {
        let session = try WrapSessionHarness(server: ["/bin/sh", "-c", "cat > /dev/null; exit 7"])
        session.proxy.send(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        #expect(session.finish() == 7)
        let run = try lastRun(session)
        #expect(run.endReason == .clientEOF)
        #expect(run.exitStatus == 7)
    }

    @Test func aServerThatIgnoresEOFAndSIGTERMIsKilledAfterTheGracePeriod() throws {
        let dir = temporaryDirectory("stubborn")
        let session = try WrapSessionHarness(
            server: ["/bin/sh", "-c", #"trap "" TERM; echo $$ > "$0"; while true; do sleep 0.05; done"#, dir + "/pid"],
            options: ["--grace", "0.3"])
        #expect(waitUntil { FileManager.default.fileExists(atPath: dir + "/pid") })
        let started = Date()
        #expect(session.finish() == 137)  // SIGKILL
        #expect(Date().timeIntervalSince(started) < 5)
        let pid =
            Int32((try? String(contentsOfFile: dir + "/pid", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? -1
        #expect(pid > 0 && !processExists(pid))
        #expect(try lastRun(session).exitStatus == 137)
    }

    @Test(arguments: [(SIGTERM, Int32(143), "SIGTERM"), (SIGINT, Int32(130), "SIGINT"), (SIGHUP, Int32(129), "SIGHUP")])
    func signalsAreForwardedAndTheProxyExitsLikeTheServer(_ signal: Int32, _ status: Int32, _ name: String) throws {
        let session = try WrapSessionHarness(testServer: [])
        session.initialize()
        let pid = try #require(serverPID(session))
        #expect(processExists(pid))
        session.proxy.signal(signal)
        #expect(session.proxy.waitForExit() == status)
        #expect(!processExists(pid))
        let run = try lastRun(session)
        #expect(run.endReason == .signal)
        #expect(run.endDetail == name)
        #expect(run.exitStatus == Int32(status))
        #expect(run.callCount == 1)  // the queue was flushed before exit
    }

    @Test func killingTheProxyWithSIGKILLStillTakesTheServerDown() throws {
        let session = try WrapSessionHarness(testServer: [])
        session.initialize()
        let pid = try #require(serverPID(session))
        session.proxy.signal(SIGKILL)
        _ = session.proxy.waitForExit()
        #expect(waitUntil(timeout: 5) { !processExists(pid) }, "the server outlived a SIGKILLed proxy")
    }

    /// The kernel's death signal is only SIGTERM: a server that ignores it (a `docker run`
    /// client that traps it, say) must still go when argus is SIGKILLed. Plain processes, not an
    /// MCP SDK client, which would kill the whole group itself and hide the orphan.
    @Test func aServerThatIgnoresSIGTERMDoesNotOutliveASIGKILLedProxy() throws {
        let dir = temporaryDirectory("orphan")
        let session = try WrapSessionHarness(
            server: ["/bin/sh", "-c", #"trap "" TERM; echo $$ > "$0"; while true; do sleep 0.05; done"#, dir + "/pid"],
            options: ["--grace", "0.5"])
        #expect(waitUntil(timeout: 30) { FileManager.default.fileExists(atPath: dir + "/pid") })
        let pid =
            Int32((try? String(contentsOfFile: dir + "/pid", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? -1
        try #require(pid > 0 && processExists(pid))
        defer { kill(-pid, SIGKILL) }  // never leave it behind, whatever the outcome
        session.proxy.signal(SIGKILL)
        _ = session.proxy.waitForExit()
        #expect(waitUntil(timeout: 60) { !processExists(pid) }, "the server (pid \(pid)) ignored SIGTERM and outlived a SIGKILLed proxy")
    }

    /// The watchdog holds none of the session's pipes (the client would wait for EOF, the server
    /// for its input to close), and it leaves with a session that ends normally.
    @Test func theWatchdogHoldsNoPipeOfTheSessionAndLeavesWithIt() throws {
        let session = try WrapSessionHarness(testServer: [])
        session.initialize()
        let marker = "ARGUS_HOME=\(session.argusHome)"
        #expect(waitUntil(timeout: 30) { !Self.watchdogs(environment: marker).isEmpty }, "no watchdog for this session")
        for pid in Self.watchdogs(environment: marker) {
            let fds = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []).compactMap(Int.init).sorted()
            let targets = fds.map { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\($0)")) ?? "?" }
            #expect(
                Array(targets.prefix(3)) == ["/dev/null", "/dev/null", "/dev/null"] && targets.count == 4,
                "watchdog \(pid) holds \(zip(fds, targets).map { "\($0)=\($1)" })")
        }
        #expect(session.finish() == 0)
        #expect(
            waitUntil(timeout: 30) { Self.watchdogs(environment: marker).isEmpty },
            "watchdogs left behind: \(Self.watchdogs(environment: marker))")
    }

    /// Live `argus-watchdog` processes whose environment has `entry` (it inherits argus's).
    static func watchdogs(environment entry: String) -> [Int32] {
        let pids = ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap(Int32.init)
        return pids.filter { pid in
            guard (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8)) == "argus-watchdog\n", processExists(pid) else {
                return false
            }
            let environ = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/environ"))) ?? Data()
            return environ.split(separator: 0).contains { Data($0) == Data(entry.utf8) }
        }
    }

    @Test func aMissingCommandFailsWithOneClearLine() throws {
        let session = try WrapSessionHarness(server: ["no-such-mcp-server-xyz", "--flag"])
        #expect(session.proxy.waitForExit() == 127)
        let lines = session.proxy.stderrText.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("argus: cannot start the MCP server: command not found: no-such-mcp-server-xyz") == true)
        let run = try lastRun(session)
        #expect(run.endReason == .serverFailedToStart)
        #expect(run.exitStatus == 127)
        #expect(run.endDetail?.contains("command not found") == true)
        #expect(run.args == ["--flag"])
    }

    @Test func aServerThatExitsAtOnceIsReportedWithItsStderr() throws {
        var env = ProcessInfo.processInfo.environment
        env["ARGUS_TEST_FAIL_AT_START"] = "GITHUB_TOKEN is not set"
        let session = try WrapSessionHarness(testServer: [], environment: env)
        #expect(session.proxy.waitForExit() == 3)
        let stderr = session.proxy.stderrText
        #expect(stderr.contains("Error: GITHUB_TOKEN is not set"))  // passed through
        let summary = stderr.split(separator: "\n").filter { $0.hasPrefix("argus:") }
        #expect(summary.count == 1)
        #expect(summary.first?.contains("failed to start") == true)
        #expect(summary.first?.contains("exited with status 3") == true)
        #expect(summary.first?.contains("GITHUB_TOKEN is not set") == true)
        let run = try lastRun(session)
        #expect(run.endReason == .serverFailedToStart)
        #expect(run.stderrTail?.contains("GITHUB_TOKEN is not set") == true)
        // `argus runs` says it too, as the README promises: the server's last words.
        let runs = try Spawned(Binaries.argus, ["runs", "--db", session.database])
        let listing = String(decoding: runs.readToEnd(), as: UTF8.self)
        #expect(runs.waitForExit() == 0)
        #expect(listing.contains(#"run \#(run.id): the server failed to start: exited with status 3"#), "\(listing)")
        #expect(listing.contains(#"last stderr line: "Error: GITHUB_TOKEN is not set""#), "\(listing) \(runs.stderrToEnd())")
    }

    @Test func aServerCrashMidSessionEndsTheProxyWithItsStatus() throws {
        let session = try WrapSessionHarness(server: [
            "/bin/sh", "-c",
            #"read line; echo '{"jsonrpc":"2.0","id":1,"result":{}}'; echo "fatal: boom" >&2; exit 9"#,
        ])
        #expect(session.request("ping", id: 1)?["result"] != nil)
        #expect(session.proxy.waitForExit() == 9)
        #expect(session.proxy.stderrText.contains(#"argus: the MCP server exited with status 9. Last stderr line: "fatal: boom""#))
        let run = try lastRun(session)
        #expect(run.endReason == .serverExited)
        #expect(run.exitStatus == 9)
    }

    @Test func processesLeftInTheServerGroupAreReaped() throws {
        let dir = temporaryDirectory("group")
        let session = try WrapSessionHarness(server: [
            "/bin/sh", "-c", #"sleep 300 & echo $! > "$0"; exec "$1""#,
            dir + "/pid", Binaries.testServer,
        ])
        session.initialize()
        let pid =
            Int32((try? String(contentsOfFile: dir + "/pid", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? -1
        #expect(pid > 0 && processExists(pid))
        #expect(session.finish() == 0)
        #expect(waitUntil(timeout: 3) { !processExists(pid) }, "a grandchild outlived the session")
    }

    @Test func theServerInheritsTheWholeEnvironment() throws {
        let dir = temporaryDirectory("env")
        var env = ProcessInfo.processInfo.environment
        env["ARGUS_IT_VALUE"] = "inherited-value"
        env["SOME_API_KEY"] = "k-1234567890"
        let session = try WrapSessionHarness(
            server: ["/bin/sh", "-c", #"env > "$0"; exec "$1""#, dir + "/env", Binaries.testServer],
            environment: env)
        session.initialize()
        #expect(session.finish() == 0)
        let seen = try String(contentsOfFile: dir + "/env", encoding: .utf8)
        #expect(seen.contains("ARGUS_IT_VALUE=inherited-value"))
        #expect(seen.contains("SOME_API_KEY=k-1234567890"))
        let run = try lastRun(session)
        #expect(run.envNames.contains("ARGUS_IT_VALUE"))
        #expect(run.envNames.contains("SOME_API_KEY"))
        // Names only: no value is recorded.
        let raw = try Data(contentsOf: URL(fileURLWithPath: session.database))
        #expect(raw.range(of: Data("k-1234567890".utf8)) == nil)
    }

    @Test func wrapWithoutACommandExplainsUsage() throws {
        let proxy = try Spawned(Binaries.argus, ["wrap"])
        #expect(proxy.waitForExit() != 0)
        #expect(proxy.stderrText.contains("give the server command after --"))
    }

    @Test(arguments: ["--help", "-h"])
    func wrapHelpIsHelpNotAServer(_ flag: String) throws {
        let dir = temporaryDirectory("help")
        let proxy = try Spawned(Binaries.argus, ["wrap", "--db", dir + "/argus.db", flag])
        let out = String(decoding: proxy.readToEnd(), as: UTF8.self)
        #expect(proxy.waitForExit() == 0, "\(proxy.stderrText)")
        #expect(out.contains("USAGE: argus wrap") && out.contains("--idle-timeout"), "\(out)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/argus.db"))  // no run named --help
    }

    /// An option argus does not know, before `--`, is a typo to point at, not a server to run.
    @Test func anUnknownOptionBeforeTheCommandIsAUsageError() throws {
        let dir = temporaryDirectory("typo")
        let proxy = try Spawned(Binaries.argus, ["wrap", "--db", dir + "/argus.db", "--typo", "--", Binaries.testServer])
        #expect(proxy.waitForExit() == 64)  // EX_USAGE
        let stderr = proxy.stderrToEnd()
        #expect(stderr.contains("unknown option --typo"), "\(stderr)")
        #expect(!stderr.contains("command not found"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/argus.db"))
    }
}
