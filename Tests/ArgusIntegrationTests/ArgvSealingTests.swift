import ArgusCore
import ArgusStore
import Foundation
import Testing

/// The server's command line is stored redacted; replay starts the server with the
/// real arguments (sealed with the replay key), or says how to start it otherwise.
@Suite struct ArgvSealingTests {
    static let arguments = ["--api-key=argv-sealed-key-1", "--token", "argv-sealed-token-2"]

    static func record(options: [String] = []) throws -> (WrapSessionHarness, Int64) {
        let session = try WrapSessionHarness(server: [Binaries.testServer] + arguments, options: options)
        session.initialize()
        session.request("tools/list")
        session.callTool("launch_info")
        #expect(session.finish() == 0)
        var filter = CallFilter()
        filter.tool = "launch_info"
        return (session, try #require(try session.reader().calls(filter).first?.id))
    }

    @Test func theCommandLineIsStoredRedactedAndReplayStartsTheServerWithTheOriginal() throws {
        let (session, id) = try Self.record()
        let run = try #require(try session.reader().runs().first)
        #expect(run.args == ["--api-key=[REDACTED:key-value]", "--token", "[REDACTED]"])
        #expect(try session.reader().sealedArgs(run: run.id) != nil)
        // launch_info answers with the arguments the server got: equal only if they are the originals.
        let replay = try ReplayTests.argus(["replay", String(id)], session: session)
        #expect(replay.status == 0, "\(replay.out) \(replay.err)")
        #expect(replay.out.hasPrefix("equal"), "\(replay.out)")
        let replayRun = try #require(try session.reader().runs().first { $0.kind == "replay" })
        #expect(replayRun.args == run.args)  // the replay's own command line is stored redacted too
    }

    @Test func withoutTheOriginalsReplaySaysHowToStartTheServer() throws {
        let (session, id) = try Self.record(options: ["--no-seal"])
        #expect(try session.reader().sealedArgs(run: 1) == nil)
        let refused = try ReplayTests.argus(["replay", String(id)], session: session)
        #expect(refused.status != 0)
        let said = refused.out + refused.err
        #expect(said.contains("command line was recorded with secrets redacted") && said.contains("--server NAME"), "\(said)")
        #expect(!said.contains("argv-sealed"))

        // A server from the config, with its real arguments, is the way out.
        let config = session.directory + "/argus.config.json"
        let args = JSONWriter.string(.array(Self.arguments.map(JSONValue.string)))
        try #"{"servers": {"test": {"command": "\#(Binaries.testServer)", "args": \#(args)}}}"#
            .write(toFile: config, atomically: true, encoding: .utf8)
        let configured = try ReplayTests.argus(["replay", String(id), "--config", config, "--server", "test"], session: session)
        #expect(configured.status == 0, "\(configured.out) \(configured.err)")
        #expect(configured.out.hasPrefix("equal"), "\(configured.out)")
    }

    @Test func aServerThatFailsOnItsArgumentsIsQuotedRedacted() throws {
        // The server's own stderr passes through as it is; what argus says about it, and stores, is redacted.
        let session = try WrapSessionHarness(server: [
            "/bin/sh", "-c", #"echo "invalid token $2" >&2; exit 3"#, "sh", "--token",
            "argv-failing-secret-1",
        ])
        #expect(session.proxy.waitForExit() == 3)
        #expect(session.proxy.waitForStderr(containing: "Last stderr line", timeout: 20), "\(session.proxy.stderrText)")
        let said = session.proxy.stderrText.split(separator: "\n").filter { $0.hasPrefix("argus:") }
        #expect(said.contains { $0.contains("Last stderr line: \"invalid token [REDACTED:echo]\"") }, "\(said)")
        #expect(!said.contains { $0.contains("argv-failing-secret-1") }, "\(said)")
        let database = ["", "-wal"].compactMap { FileManager.default.contents(atPath: session.database + $0) }.reduce(Data(), +)
        #expect(database.range(of: Data("argv-failing-secret-1".utf8)) == nil)
    }
}
