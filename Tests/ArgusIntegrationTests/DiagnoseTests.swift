import ArgusCore
import Foundation
import Testing

/// `argus diagnose` through the real binary.
@Suite struct DiagnoseTests {
    static func diagnose(_ arguments: [String], home: String) throws -> (status: Int32?, json: JSONValue?, text: String) {
        var env = ProcessInfo.processInfo.environment
        env["ARGUS_HOME"] = home
        env["NO_COLOR"] = "1"
        env["ARGUS_CONFIG"] = nil  // only the test's own config, if any
        let json = try Spawned(Binaries.argus, ["diagnose", "--json"] + arguments, environment: env)
        let out = String(decoding: json.readToEnd(), as: UTF8.self)
        let status = json.waitForExit()
        let text = try Spawned(Binaries.argus, ["diagnose"] + arguments, environment: env)
        let textOut = String(decoding: text.readToEnd(), as: UTF8.self)
        _ = text.waitForExit()
        return (status, try? JSONParser.parse(out), textOut)
    }

    static func checks(_ json: JSONValue?, _ section: String) -> [JSONValue] {
        json?["checks"]?.arrayValue?.filter { $0["section"] == .string(section) } ?? []
    }

    @Test func aHealthyInstallationPasses() throws {
        let session = try WrapSessionHarness(testServer: [])
        session.initialize()
        session.callTool("echo", ["message": "x"])
        #expect(session.finish() == 0)
        let home = session.argusHome
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let (status, json, text) = try Self.diagnose(["--db", session.database], home: home)
        #expect(status == 0, "\(text)")
        #expect(json?["ok"] == true)
        #expect(
            Self.checks(json, "database").contains { $0["status"] == "ok" && $0["title"]?.stringValue?.contains("is writable") == true })
        #expect(Self.checks(json, "database").contains { $0["title"]?.stringValue?.contains("journal mode wal") == true })
        #expect(Self.checks(json, "runs").first?["title"]?.stringValue?.contains("client eof") == true)
        #expect(Self.checks(json, "versions").first?["title"]?.stringValue?.contains("Lua 5.4") == true)
        #expect(text.contains("DATABASE") && text.contains("✓") && text.contains("Nothing is wrong."))
    }

    @Test func aMissingDatabaseIsExplained() throws {
        let home = temporaryDirectory("diag-missing")
        let (status, json, _) = try Self.diagnose(["--db", home + "/nowhere/argus.db"], home: home)
        #expect(status == 0)  // nothing recorded yet is not a failure
        let check = try #require(Self.checks(json, "database").first)
        #expect(check["status"] == "warning" && check["title"] == .string("no database at \(home)/nowhere/argus.db yet"))
    }

    @Test func aRunWhoseServerFailedToStartShowsItsStderr() throws {
        var env = ProcessInfo.processInfo.environment
        env["ARGUS_TEST_FAIL_AT_START"] = "license expired on 2026-01-01"
        let session = try WrapSessionHarness(testServer: [], environment: env)
        #expect(session.proxy.waitForExit() == 3)  // the proxy ends with its server, before the client closes anything
        let (status, json, text) = try Self.diagnose(["--db", session.database], home: session.argusHome)
        #expect(status == 1)
        let run = try #require(Self.checks(json, "runs").first)
        #expect(run["status"] == "failed")
        #expect(run["title"]?.stringValue?.contains("server failed to start (exit 3)") == true)
        #expect(run["details"]?.arrayValue?.contains { $0.stringValue?.contains("Error: license expired on 2026-01-01") == true } == true)
        #expect(text.contains("✗ run 1") && text.contains("Some checks failed"))
    }

    @Test func anInvalidConfigurationNamesTheField() throws {
        let home = temporaryDirectory("diag-config")
        let config = home + "/argus.config.json"
        try #"{"scripts": [{"config": {}}]}"#.write(toFile: config, atomically: true, encoding: .utf8)
        let (status, json, _) = try Self.diagnose(["--config", config, "--db", home + "/a.db"], home: home)
        #expect(status == 1)
        let check = try #require(Self.checks(json, "config").first)
        #expect(check["status"] == "failed")
        #expect(check["details"]?[0]?.stringValue?.contains("scripts[0].path: required") == true)
    }

    @Test func serversThatCannotStartAreFlagged() throws {
        let home = temporaryDirectory("diag-servers")
        let config = home + "/argus.config.json"
        try #"""
        {"servers": {"ok": {"command": "/bin/sh"}, "gone": {"command": "no-such-server-binary"},
                     "secret": {"command": "/bin/sh", "env": {"T": "${DIAG_MISSING_TOKEN}"}}}}
        """#.write(toFile: config, atomically: true, encoding: .utf8)
        let (status, json, _) = try Self.diagnose(["--config", config, "--db", home + "/a.db"], home: home)
        #expect(status == 1)
        let servers = Self.checks(json, "servers")
        #expect(servers.contains { $0["status"] == "ok" && $0["title"] == "server ok: /bin/sh → /bin/sh" })
        #expect(servers.contains { $0["status"] == "failed" && $0["title"] == "server gone: no-such-server-binary is not found on PATH" })
        #expect(
            servers.contains { $0["status"] == "failed" && $0["title"]?.stringValue?.contains("DIAG_MISSING_TOKEN is not set") == true })
    }

    @Test func theDashboardIsFoundWhenRunning() throws {
        let session = try WrapSessionHarness(testServer: [])
        session.initialize()
        #expect(session.finish() == 0)
        let dashboard = try DashboardProcess(database: session.database, home: session.argusHome)
        defer { dashboard.stop() }
        let config = session.directory + "/argus.config.json"
        try #"{"dashboard": {"port": \#(dashboard.port)}}"#.write(toFile: config, atomically: true, encoding: .utf8)
        let (_, json, _) = try Self.diagnose(["--config", config, "--db", session.database], home: session.argusHome)
        let check = try #require(Self.checks(json, "dashboard").first)
        #expect(check["status"] == "ok")
        #expect(check["title"]?.stringValue?.contains("http://127.0.0.1:\(dashboard.port)/") == true)
        #expect(Self.checks(json, "secrets").contains { $0["title"]?.stringValue?.hasSuffix("/token is private (mode 600)") == true })
    }

    @Test(.enabled(if: getuid() == 0, "a read-only mount needs root (root ignores file modes)"))
    func aReadOnlyDatabaseFails() throws {
        let session = try WrapSessionHarness(testServer: [])
        session.initialize()
        #expect(session.finish() == 0)
        let mount = temporaryDirectory("diag-ro")
        func run(_ tool: String, _ arguments: [String]) -> Int32 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = arguments
            try? process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }
        try #require(run("/bin/mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", mount]) == 0)
        defer { _ = run("/bin/umount", [mount]) }
        try FileManager.default.copyItem(atPath: session.database, toPath: mount + "/argus.db")
        try #require(run("/bin/mount", ["-o", "remount,ro", mount]) == 0)
        let (status, json, _) = try Self.diagnose(["--db", mount + "/argus.db"], home: session.argusHome)
        #expect(status == 1)
        // SQLite cannot even open a WAL database there (it must create -shm): diagnose says why.
        let check = try #require(Self.checks(json, "database").first)
        #expect(check["status"] == "failed")
        #expect(check["details"]?.arrayValue?.contains { $0.stringValue?.contains("\(mount) is not writable") == true } == true)
    }
}
