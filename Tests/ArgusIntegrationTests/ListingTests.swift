import ArgusCore
import ArgusStore
import Foundation
import Testing

/// What `argus calls` and `argus runs` print, through the real binary.
@Suite struct ListingTests {
    static func argus(_ arguments: [String], database: String) throws -> (status: Int32?, out: String, err: String) {
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        environment["ARGUS_CONFIG"] = nil
        let cli = try Spawned(Binaries.argus, arguments + ["--db", database], environment: environment)
        let out = String(decoding: cli.readToEnd(timeout: 60), as: UTF8.self)
        return (cli.waitForExit(timeout: 60), out, cli.stderrToEnd())
    }

    @Test func oneCallIsShownWhole() throws {
        let session = try WrapSessionHarness(testServer: [])
        session.initialize()
        let long = (0..<400).map { "word\($0)" }.joined(separator: " ")  // ~3.5 KB: more than any column
        session.callTool("echo", ["message": .string(long)])
        #expect(session.finish() == 0)
        let echo = try #require(try session.reader().calls(CallFilter()).first { $0.tool == "echo" })

        let shown = try Self.argus(["calls", String(echo.id)], database: session.database)
        #expect(shown.status == 0, "\(shown.err)")
        #expect(shown.out.hasPrefix("Call \(echo.id): tools/call echo"), "\(shown.out)")
        #expect(shown.out.contains("Params:") && shown.out.contains("Result:"))
        #expect(shown.out.components(separatedBy: long).count >= 3, "params and result, each whole")  // sent, and echoed

        let json = try Self.argus(["calls", String(echo.id), "--json"], database: session.database)
        #expect(try JSONParser.parse(json.out)["params"]?["arguments"]?["message"]?.stringValue == long)

        let missing = try Self.argus(["calls", "9999"], database: session.database)
        #expect(missing.status == 1 && missing.err.contains("no call 9999"))
    }

    @Test func listingsSayWhenTheyWereCut() throws {
        let session = try WrapSessionHarness(testServer: [])
        session.initialize()
        for i in 0..<3 { session.callTool("echo", ["message": .string("\(i)")]) }
        #expect(session.finish() == 0)

        let cut = try Self.argus(["calls", "--tool", "echo", "--limit", "2"], database: session.database)
        #expect(cut.out.contains("Showing the 2 most recent matching calls; there are more (--limit 4 shows more)."), "\(cut.out)")
        let whole = try Self.argus(["calls", "--tool", "echo", "--limit", "3"], database: session.database)
        #expect(!whole.out.contains("there are more"), "\(whole.out)")
        let json = try Self.argus(["calls", "--tool", "echo", "--limit", "2", "--json"], database: session.database)
        #expect(try JSONParser.parse(json.out).arrayValue?.count == 2)  // stdout stays JSON; the note goes to stderr
        #expect(json.err.contains("there are more"))

        let second = try WrapSessionHarness(server: [Binaries.testServer], database: session.database)
        second.initialize()
        #expect(second.finish() == 0)
        let runs = try Self.argus(["runs", "--limit", "1"], database: session.database)
        #expect(runs.out.contains("Showing the 1 newest runs; there are more"), "\(runs.out)")
    }

    /// A server's error message is the one thing a user came to read: it is never cut mid-word.
    @Test func errorMessagesAreNotTruncated() throws {
        let message =
            "The upstream service rejected the request because the account quota for this billing period "
            + "has been exhausted; raise the limit in the console or try again next month"
        let session = try WrapSessionHarness(server: [
            "/bin/sh", "-c",
            #"read line; printf '%s\n' '{"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"\#(message)"}}'; cat > /dev/null"#,
        ])
        session.request("tools/call", ["name": "quota", "arguments": [:]], id: 1)
        #expect(session.finish() == 0)
        let listing = try Self.argus(["calls", "--errors"], database: session.database)
        #expect(listing.out.contains(message), "\(listing.out)")
    }
}
