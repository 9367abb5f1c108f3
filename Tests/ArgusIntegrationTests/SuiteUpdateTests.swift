import ArgusCore
import ArgusStore
import Foundation
import Testing

/// Suites that keep up with a changing server: `argus test --update` accepts what the server
/// answers now, and a replay answers the server's own requests as the recorded client did, in order.
@Suite struct SuiteUpdateTests {
    @Test func updateAcceptsTheChangedAnswersAndPrintsWhatItAccepted() throws {
        let (session, _) = try ReplayTests.record(
            Array(repeating: ("random_failure", JSONValue.object([:])), count: 6)
                + [("calculate", ["operation": "add", "a": 1, "b": 2])],
            environment: ["ARGUS_TEST_SEED": "1"])
        let suite = session.directory + "/suite.json"
        #expect(try ReplayTests.argus(["export", "--run", "1", "--out", suite], session: session).status == 0)
        let before = try JSONParser.parse(try String(contentsOfFile: suite, encoding: .utf8))

        let changed = try ReplayTests.argus(["test", "--suite", suite], session: session, environment: ["ARGUS_TEST_SEED": "2"])
        #expect(changed.status == 1, "\(changed.out)")
        let changes = changed.out.components(separatedBy: "\nchanged  ").count - 1 + (changed.out.hasPrefix("changed  ") ? 1 : 0)
        #expect(changes > 0)

        let update = try ReplayTests.argus(["test", "--suite", suite, "--update"], session: session, environment: ["ARGUS_TEST_SEED": "2"])
        #expect(update.status == 0, "\(update.out) \(update.err)")
        #expect(update.out.contains("accepted random_failure (call "), "\(update.out)")
        #expect(update.out.contains("~ /result/content/0/text"))
        #expect(
            update.out.contains(
                "7 calls: \(changes) accepted, \(7 - changes) equal, 0 failed (kept as they were), 0 skipped; \(suite) updated"),
            "\(update.out)")
        #expect(try FileManager.default.attributesOfItem(atPath: suite)[.posixPermissions] as? Int == 0o600)

        // The suite now expects what the server answers with seed 2, and nothing else in it moved.
        let after = try JSONParser.parse(try String(contentsOfFile: suite, encoding: .utf8))
        for key in ["server", "handshake", "other_calls", "source_run", "exported_at"] { #expect(after[key] == before[key], "\(key)") }
        #expect(after["calls"]?[6] == before["calls"]?[6])  // calculate was equal: untouched
        let again = try ReplayTests.argus(["test", "--suite", suite], session: session, environment: ["ARGUS_TEST_SEED": "2"])
        #expect(again.status == 0, "\(again.out)")
        #expect(again.out.contains("7 calls: 7 equal, 0 changed, 0 failed, 0 skipped"))
        let unchanged = try ReplayTests.argus(
            ["test", "--suite", suite, "--update"], session: session, environment: ["ARGUS_TEST_SEED": "2"])
        #expect(unchanged.status == 0 && unchanged.out.contains("; \(suite) is unchanged"), "\(unchanged.out)")

        // A failed call is not an answer to accept: it keeps what it had, and the update says so with exit 1.
        let crash = try ReplayTests.argus(
            ["test", "--suite", suite, "--update"], session: session,
            environment: ["ARGUS_TEST_SEED": "1", "ARGUS_TEST_CRASH_ON_TOOL": "calculate"])
        #expect(crash.status == 1, "\(crash.out)")
        #expect(crash.out.contains("failed   calculate"))
        let crashed = try JSONParser.parse(try String(contentsOfFile: suite, encoding: .utf8))
        #expect(crashed["calls"]?[6] == before["calls"]?[6])

        let refused = try ReplayTests.argus(["test", "--run", "1", "--update"], session: session)
        #expect(refused.status != 0 && refused.err.contains("--update rewrites a suite file: export the run first"))
    }

    @Test func theServersRequestsDuringACallGetTheRecordedAnswersInOrder() throws {
        // confirm_action asks twice (elicitation/create); the recorded client accepted, then declined.
        let session = try WrapSessionHarness(testServer: [])
        session.initialize()
        session.request("tools/list")
        session.proxy.send([
            "jsonrpc": "2.0", "id": "confirm", "method": "tools/call",
            "params": ["name": "confirm_action", "arguments": ["action": "deploy", "questions": 2]],
        ])
        for answer in ["accept", "decline"] {
            let question = try JSONParser.parse(try #require(session.proxy.readLine()))
            #expect(question["method"] == "elicitation/create")
            session.proxy.send([
                "jsonrpc": "2.0", "id": question["id"] ?? .null,
                "result": ["action": .string(answer), "content": ["confirm": .bool(answer == "accept")]],
            ])
        }
        #expect(session.proxy.response(to: "confirm")?["result"]?["structuredContent"]?["confirmed"] == false)
        #expect(session.finish() == 0)

        // By method alone the second question would get the first answer (accept), and the call would change.
        let tested = try ReplayTests.argus(["test", "--run", "1"], session: session)
        #expect(tested.status == 0, "\(tested.out) \(tested.err)")
        #expect(tested.out.contains("1 calls: 1 equal") || tested.out.contains("1 call: 1 equal"), "\(tested.out)")
        // The suite keeps both questions and answers, in order.
        let suite = session.directory + "/suite.json"
        #expect(try ReplayTests.argus(["export", "--run", "1", "--out", suite], session: session).status == 0)
        let file = try JSONParser.parse(try String(contentsOfFile: suite, encoding: .utf8))
        let messages = try #require(file["calls"]?[0]?["server_messages"]?.arrayValue)
        #expect(messages.map { $0["message"]?["method"] } == ["elicitation/create", "elicitation/create"])
        #expect(messages.map { $0["client_answer"]?["result"]?["action"] } == ["accept", "decline"])
        let fromSuite = try ReplayTests.argus(["test", "--suite", suite], session: session)
        #expect(fromSuite.status == 0, "\(fromSuite.out) \(fromSuite.err)")
    }
}
