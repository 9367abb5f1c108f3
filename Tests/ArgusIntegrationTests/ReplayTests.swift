import ArgusCore
import ArgusStore
import Foundation
import Testing

/// `argus replay`, `argus export` and `argus test` through the real binaries:
/// a session recorded by `argus wrap`, replayed against a fresh argus-test-server.
@Suite struct ReplayTests {
    /// Runs the argus CLI against a session's database and key; returns status, stdout, stderr.
    @discardableResult
    static func argus(
        _ arguments: [String], session: WrapSessionHarness, environment extra: [String: String] = [:],
        cwd: String? = nil
    ) throws -> (status: Int32?, out: String, err: String) {
        var environment = ProcessInfo.processInfo.environment
        environment["ARGUS_HOME"] = session.argusHome
        environment["NO_COLOR"] = "1"
        environment.merge(extra) { $1 }
        let cli = try Spawned(Binaries.argus, arguments + ["--db", session.database], environment: environment, cwd: cwd)
        let out = String(decoding: cli.readToEnd(timeout: 60), as: UTF8.self)
        return (cli.waitForExit(timeout: 60), out, cli.stderrToEnd())
    }

    /// Records one session of the test server with the given calls; returns it (finished) and the call ids in order.
    static func record(_ calls: [(String, JSONValue)], environment extra: [String: String] = [:]) throws
        -> (WrapSessionHarness, [Int64])
    {
        let session = try WrapSessionHarness(testServer: [], environment: ProcessInfo.processInfo.environment.merging(extra) { $1 })
        session.initialize()
        session.request("tools/list")  // as clients do: it records the schemas and annotations replay relies on
        for (tool, arguments) in calls { session.callTool(tool, arguments) }
        #expect(session.finish() == 0)
        var filter = CallFilter()
        filter.method = "tools/call"
        let ids = try session.reader().calls(filter).map(\.id).sorted()
        #expect(ids.count == calls.count)
        return (session, ids)
    }

    static func received(_ path: String) -> [JSONValue] {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONParser.parse(String($0)) }
    }

    static func calls(_ path: String, tool: String) -> [JSONValue] {
        received(path).filter { $0["method"] == "tools/call" && $0["params"]?["name"]?.stringValue == tool }
    }

    @Test func calculateReplaysEqualAndTheReplayIsRecordedLinkedToTheOriginal() throws {
        let (session, ids) = try Self.record([("calculate", ["operation": "multiply", "a": 6, "b": 7])])
        let (status, out, err) = try Self.argus(["replay", String(ids[0])], session: session)
        #expect(status == 0, "stderr: \(err)")
        #expect(out.hasPrefix("equal    calculate (call \(ids[0]))"))

        let reader = try session.reader()
        let runs = try reader.runs()
        let replayRun = try #require(runs.first { $0.kind == "replay" })
        #expect(replayRun.clientName == "argus-tests")  // the recorded handshake, repeated
        var filter = CallFilter()
        filter.run = replayRun.id
        filter.method = "tools/call"
        let replayed = try #require(try reader.calls(filter).first)
        #expect(replayed.replayOf == ids[0])
        #expect(replayed.tool == "calculate" && !replayed.isError)

        let (_, json, _) = try Self.argus(["replay", String(ids[0]), "--json"], session: session)
        let result = try JSONParser.parse(json)
        #expect(result["outcome"] == "equal")
        #expect(result["actual"]?["result"]?["structuredContent"]?["result"] == 42)
        #expect(result["latency_us"]?["before"]?.intValue != nil && result["latency_us"]?["after"]?.intValue != nil)
        #expect(result["is_error"]?["changed"] == false)
        // The run the replay was recorded into is handed over with the result: the newest replay run.
        let newest = try #require(try reader.runs().filter { $0.kind == "replay" }.map(\.id).max())
        #expect(result["replay_run_id"]?.intValue.map(Int64.init) == newest && newest != replayRun.id)
    }

    @Test func oneLoadOfTheScriptsServesTheReplayAndItsRecording() throws {
        let (session, ids) = try Self.record([("calculate", ["operation": "add", "a": 2, "b": 3])])
        // State kept by mutate_replay (the engine's hook) is seen by redact (the recording's hook): one Lua state.
        let script = session.directory + "/shared.lua"
        try """
        function mutate_replay(params) argus.state.mutations = (argus.state.mutations or 0) + 1 return params end
        function redact(call, ctx)
          if ctx.phase == "request" and call.method == "tools/call" then
            call.params.arguments.mutations_seen = argus.state.mutations or 0
            return call
          end
        end
        """.write(toFile: script, atomically: true, encoding: .utf8)
        let replay = try Self.argus(["replay", String(ids[0]), "--script", script, "--json"], session: session)
        #expect(replay.status == 0, "\(replay.out) \(replay.err)")
        let runID = try #require(try JSONParser.parse(replay.out)["replay_run_id"]?.intValue)
        var filter = CallFilter()
        filter.run = Int64(runID)
        filter.method = "tools/call"
        let replayed = try #require(try session.reader().calls(filter).first)
        #expect(try session.reader().call(id: replayed.id)?.params?["arguments"]?["mutations_seen"]?.intValue == 1)

        // A script that does not load is said once, not once per hook family.
        let broken = session.directory + "/broken.lua"
        try "function on_call(call".write(toFile: broken, atomically: true, encoding: .utf8)
        let unloaded = try Self.argus(["replay", String(ids[0]), "--script", broken], session: session)
        #expect(unloaded.status == 0, "\(unloaded.out) \(unloaded.err)")
        #expect(unloaded.err.components(separatedBy: "not loaded").count == 2, "\(unloaded.err)")
    }

    @Test func aSeededRandomFailureShowsAChangeWhenTheSeedDiffers() throws {
        let calls = Array(repeating: ("random_failure", JSONValue.object([:])), count: 6)
        let (session, _) = try Self.record(calls, environment: ["ARGUS_TEST_SEED": "1"])
        let same = try Self.argus(["test", "--run", "1"], session: session, environment: ["ARGUS_TEST_SEED": "1"])
        #expect(same.status == 0, "same seed: \(same.out) \(same.err)")
        #expect(same.out.contains("6 calls: 6 equal, 0 changed, 0 failed, 0 skipped"))

        let other = try Self.argus(["test", "--run", "1"], session: session, environment: ["ARGUS_TEST_SEED": "2"])
        #expect(other.status == 1)
        #expect(other.out.contains("changed  random_failure"))
        #expect(other.out.contains("/result/content/0/text"))
        // Seeds 1 and 2 disagree on at least one outcome: the isError flip is called out.
        #expect(other.out.contains("isError: false → true") || other.out.contains("isError: true → false"))
    }

    @Test func aVolatileFieldIgnoredByFlagConfigOrLuaIsEqual() throws {
        let (session, ids) = try Self.record([("get_weather", ["city": "Lisbon"])])
        let id = String(ids[0])
        let plain = try Self.argus(["replay", id], session: session)
        #expect(plain.status == 1)
        #expect(plain.out.contains("~ /result/structuredContent/observed_at"))
        #expect(plain.out.contains("~ /result/content/0/text/observed_at"))  // JSON inside a text block, diffed as JSON

        let flags = try Self.argus(
            [
                "replay", id, "--ignore", "/result/structuredContent/observed_at",
                "--ignore", "/result/content/*/text/observed_at",
            ], session: session)
        #expect(flags.status == 0, "\(flags.out) \(flags.err)")
        let glob = try Self.argus(["replay", id, "--ignore", "observed_at"], session: session)
        #expect(glob.status == 0)

        let config = session.directory + "/argus.config.json"
        try #"{"replay": {"ignore": {"get_weather": ["**/observed_at"]}}}"#.write(toFile: config, atomically: true, encoding: .utf8)
        let configured = try Self.argus(["replay", id, "--config", config], session: session)
        #expect(configured.status == 0, "\(configured.out) \(configured.err)")

        let script = session.directory + "/normalize.lua"
        try """
        function normalize(outcome, call)
          if call.tool == "get_weather" and outcome.result then
            outcome.result.structuredContent.observed_at = nil
            outcome.result.content[1].text = outcome.result.content[1].text:gsub('"observed_at":"[^"]*"', '')
          end
          return outcome
        end
        """.write(toFile: script, atomically: true, encoding: .utf8)
        let normalized = try Self.argus(["replay", id, "--script", script], session: session)
        #expect(normalized.status == 0, "\(normalized.out) \(normalized.err)")
    }

    @Test func editedParamsAreSentAndTheDifferenceShown() throws {
        let (session, ids) = try Self.record([("calculate", ["operation": "add", "a": 2, "b": 3])])
        let log = session.directory + "/received.jsonl"
        let edited = try Self.argus(
            ["replay", String(ids[0]), "--params", #"{"a": 40}"#], session: session,
            environment: ["ARGUS_TEST_RECEIVED_LOG": log])
        #expect(edited.status == 1)
        #expect(edited.out.contains("~ /result/structuredContent/result: 5 → 43"))
        let sent = try #require(Self.calls(log, tool: "calculate").last)
        #expect(sent["params"]?["arguments"] == ["operation": "add", "a": 40, "b": 3])

        let invalid = try Self.argus(["replay", String(ids[0]), "--params", #"{"a": "forty"}"#], session: session)
        #expect(invalid.status == 2)
        #expect(invalid.out.contains("do not fit calculate's recorded input schema: arguments/a: expected number, got a string"))
        let notJSON = try Self.argus(["replay", String(ids[0]), "--params", "{a: 1"], session: session)
        #expect(notJSON.status == 2)  // the help's "2 the replay failed": nothing was replayed
        #expect(notJSON.err.contains("--params is not valid JSON"))
    }

    @Test func aLuaMutatorChangesTheReplayedParams() throws {
        let (session, ids) = try Self.record([("calculate", ["operation": "add", "a": 2, "b": 3])])
        let script = session.directory + "/mutate.lua"
        try """
        function mutate_replay(params, call)
          if call.tool == "calculate" then params.arguments.b = params.arguments.b * 100 end
          return params
        end
        """.write(toFile: script, atomically: true, encoding: .utf8)
        let log = session.directory + "/received.jsonl"
        let result = try Self.argus(
            ["replay", String(ids[0]), "--script", script, "--json"], session: session,
            environment: ["ARGUS_TEST_RECEIVED_LOG": log])
        #expect(result.status == 1)
        let json = try JSONParser.parse(result.out)
        #expect(json["params"]?["arguments"]?["b"] == 300)
        #expect(json["actual"]?["result"]?["structuredContent"]?["result"] == 302)
        #expect(Self.calls(log, tool: "calculate").last?["params"]?["arguments"]?["b"] == 300)

        let broken = session.directory + "/broken.lua"
        try "function mutate_replay(params) error('no way') end".write(toFile: broken, atomically: true, encoding: .utf8)
        let failed = try Self.argus(["replay", String(ids[0]), "--script", broken], session: session)
        #expect(failed.status == 2)
        #expect(failed.out.contains("no way"))
    }

    @Test func aSealedSecretReachesTheServerAndNeverTheDisk() throws {
        let token = "sk-live-" + "9f8e7d6c5b4a39281706"
        let (session, ids) = try Self.record([("echo", ["message": "deploy", "api_key": .string(token)])])
        let key = session.argusHome + "/secret.key"
        let attributes = try FileManager.default.attributesOfItem(atPath: key)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect((attributes[.size] as? Int) == 32)

        let log = session.directory + "/received.jsonl"
        let replay = try Self.argus(["replay", String(ids[0])], session: session, environment: ["ARGUS_TEST_RECEIVED_LOG": log])
        #expect(replay.status == 0, "\(replay.out) \(replay.err)")
        #expect(Self.calls(log, tool: "echo").last?["params"]?["arguments"]?["api_key"] == .string(token))

        // Nothing on disk holds the token: database, WAL, the exported suite.
        let suite = session.directory + "/suite.json"
        let export = try Self.argus(["export", "--run", "1", "--out", suite], session: session)
        #expect(export.status == 0, "\(export.err)")
        for path in [session.database, session.database + "-wal", suite] {
            if let data = FileManager.default.contents(atPath: path) {
                #expect(data.range(of: Data(token.utf8)) == nil, "the token is in \(path)")
            }
        }
        #expect(try String(contentsOfFile: suite, encoding: .utf8).contains("\"sealed\": {"))
        // And the suite replays it from the sealed copy.
        let fromSuite = try Self.argus(["test", "--suite", suite], session: session, environment: ["ARGUS_TEST_RECEIVED_LOG": log])
        #expect(fromSuite.status == 0, "\(fromSuite.out) \(fromSuite.err)")
        #expect(Self.calls(log, tool: "echo").last?["params"]?["arguments"]?["api_key"] == .string(token))

        // Without the key, replay says what is missing and how to supply it.
        let otherHome = temporaryDirectory("nokey")
        let noKey = try Self.argus(["replay", String(ids[0])], session: session, environment: ["ARGUS_HOME": otherHome])
        #expect(noKey.status == 2)
        #expect(noKey.out.contains("needs values that were redacted when it was recorded: /arguments/api_key"))
        #expect(noKey.out.contains("there is no key at \(otherHome)/secret.key"))
        #expect(noKey.out.contains("--params"))
        let supplied = try Self.argus(
            ["replay", String(ids[0]), "--params", #"{"api_key": "sk-other-value-123456"}"#],
            session: session, environment: ["ARGUS_HOME": otherHome, "ARGUS_TEST_RECEIVED_LOG": log])
        #expect(supplied.status == 0, "\(supplied.out) \(supplied.err)")  // the echoed key is redacted on both sides
        #expect(Self.calls(log, tool: "echo").last?["params"]?["arguments"]?["api_key"] == "sk-other-value-123456")
    }

    @Test func anExportedSuiteGatesOnChangesWithJUnitAndSkipsDestructiveTools() throws {
        let (session, _) = try Self.record([
            ("calculate", ["operation": "add", "a": 1, "b": 2]), ("always_fail", [:]),
            ("delete_file", ["path": "/tmp/x"]), ("echo", ["message": "hello"]),
        ])
        let suite = session.directory + "/suite.json"
        #expect(try Self.argus(["export", "--run", "1", "--out", suite], session: session).status == 0)
        let junit = session.directory + "/junit.xml"
        let pass = try Self.argus(["test", "--suite", suite, "--junit", junit], session: session)
        #expect(pass.status == 0, "\(pass.out) \(pass.err)")
        #expect(pass.out.contains("skipped  delete_file"))
        #expect(pass.out.contains("4 calls: 3 equal, 0 changed, 0 failed, 1 skipped"))
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains(#"tests="4" failures="0" errors="0" skipped="1""#))
        // Suites and reports hold recorded data: only their owner reads them.
        for file in [suite, junit] {
            let mode = (try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int) ?? 0
            #expect(mode == 0o600, "\(file) has mode \(String(mode, radix: 8))")
        }

        let all = try Self.argus(["test", "--suite", suite, "--allow-destructive"], session: session)
        #expect(all.out.contains("4 calls: 4 equal"))

        // The server changed its mind about echo: the suite fails, JUnit says where.
        var text = try String(contentsOfFile: suite, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"text\": \"hello\"", with: "\"text\": \"hello, world\"")
        try text.write(toFile: suite, atomically: true, encoding: .utf8)
        let fail = try Self.argus(["test", "--suite", suite, "--junit", junit], session: session)
        #expect(fail.status == 1)
        #expect(fail.out.contains(#"~ /result/content/0/text: "hello, world" → "hello""#))
        #expect(try String(contentsOfFile: junit, encoding: .utf8).contains(#"failures="1""#))

        let json = try Self.argus(["test", "--suite", suite, "--json"], session: session)
        let summary = try JSONParser.parse(json.out)["summary"]
        #expect(summary?["changed"] == 1 && summary?["equal"] == 2 && summary?["skipped"] == 1)
    }

    /// Most real servers annotate nothing. A suite of their calls used to skip every call as
    /// possibly destructive and pass: "3 calls: 0 equal, 0 changed, 0 failed, 3 skipped", exit 0.
    @Test func aSuiteThatComparedNothingFailsAndSaysHowToIncludeTheCalls() throws {
        let (session, _) = try Self.record(
            [("echo", ["message": "a"]), ("calculate", ["operation": "add", "a": 1, "b": 2])],
            environment: ["ARGUS_TEST_NO_ANNOTATIONS": "1"])
        let skipped = try Self.argus(["test", "--run", "1"], session: session)
        #expect(skipped.status == 1, "\(skipped.out) \(skipped.err)")
        #expect(skipped.out.contains("2 calls: 0 equal, 0 changed, 0 failed, 2 skipped"))
        #expect(
            skipped.out.contains("skipped  echo (call 3): may change something when replayed: its tools/list entry has no annotations"),
            "\(skipped.out)")
        #expect(skipped.err.contains("nothing was compared: all 2 calls were skipped"), "\(skipped.err)")
        #expect(skipped.err.contains("--allow calculate") && skipped.err.contains(#""replay": {"safe_tools": ["calculate"]}"#))

        // --allow names tools (globs) that only read.
        let allowed = try Self.argus(["test", "--run", "1", "--allow", "echo", "--allow", "calc*"], session: session)
        #expect(allowed.status == 0, "\(allowed.out) \(allowed.err)")
        #expect(allowed.out.contains("2 calls: 2 equal, 0 changed, 0 failed, 0 skipped"))

        // The durable way: the config's replay.safe_tools. Skipping some is fine once something was compared.
        let config = session.directory + "/argus.config.json"
        try #"{"replay": {"safe_tools": ["ec*"]}}"#.write(toFile: config, atomically: true, encoding: .utf8)
        let safe = try Self.argus(["test", "--run", "1", "--config", config], session: session)
        #expect(safe.status == 0, "\(safe.out) \(safe.err)")
        #expect(safe.out.contains("2 calls: 1 equal, 0 changed, 0 failed, 1 skipped"))

        // A suite with no call to replay proves nothing either.
        let empty = try WrapSessionHarness(testServer: [])
        empty.initialize()
        empty.request("tools/list")
        #expect(empty.finish() == 0)
        let nothing = try Self.argus(["test", "--run", "1"], session: empty)
        #expect(nothing.status == 1, "\(nothing.out) \(nothing.err)")
        #expect(nothing.err.contains("nothing was compared: there are no tool calls"))
    }

    /// "echo is the recording has no annotations for this tool (no tools/list), so…" was garbled,
    /// and said "no tools/list" when one was recorded. Each case now says what it is.
    @Test func replayRefusalsSayWhichAnnotationIsMissingAndExitTwo() throws {
        let bare = try WrapSessionHarness(testServer: [])
        bare.initialize()
        bare.callTool("echo", ["message": "no tools/list before me"])
        #expect(bare.finish() == 0)
        let echo = try #require(try bare.reader().calls(CallFilter()).first { $0.tool == "echo" }).id
        let noList = try Self.argus(["replay", String(echo)], session: bare)
        #expect(noList.status == 2, "\(noList.out) \(noList.err)")
        #expect(
            noList.err.contains("echo was not replayed: it may change something when replayed (no tools/list was recorded for its server"),
            "\(noList.err)")
        #expect(noList.err.contains("--allow echo") && !noList.err.contains("echo is the"))

        let (listed, ids) = try Self.record([("echo", ["message": "a"])], environment: ["ARGUS_TEST_NO_ANNOTATIONS": "1"])
        let unannotated = try Self.argus(["replay", String(ids[0])], session: listed)
        #expect(unannotated.status == 2)
        #expect(unannotated.err.contains("its tools/list entry has no annotations to say it only reads"), "\(unannotated.err)")
        #expect(!unannotated.err.contains("no tools/list was recorded"))
        let allowed = try Self.argus(["replay", String(ids[0]), "--allow", "echo"], session: listed)
        #expect(allowed.status == 0, "\(allowed.out) \(allowed.err)")
        #expect(allowed.out.contains("equal    echo"))

        let (annotated, destructive) = try Self.record([("delete_file", ["path": "/tmp/x"])])
        let refused = try Self.argus(["replay", String(destructive[0]), "--allow", "*"], session: annotated)
        #expect(refused.status == 2)  // a glob never vouches for a tool its server calls destructive
        #expect(refused.err.contains("it is annotated destructive (destructiveHint: true)") && refused.err.contains("--allow-destructive"))
    }

    /// On a terminal, a single replay asks instead of refusing.
    @Test func aReplayOnATerminalAsksFirst() throws {
        let (session, ids) = try Self.record([("echo", ["message": "a"])], environment: ["ARGUS_TEST_NO_ANNOTATIONS": "1"])
        for (answer, status) in [("y", Int32(0)), ("n", Int32(2))] {
            let terminal = try PseudoTerminal()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Binaries.argus)
            process.arguments = ["replay", String(ids[0]), "--db", session.database]
            var environment = ProcessInfo.processInfo.environment
            environment["ARGUS_HOME"] = session.argusHome
            environment["NO_COLOR"] = "1"
            process.environment = environment
            process.standardInput = terminal.follower
            process.standardError = terminal.follower
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let asked = terminal.read(until: "[y/N]", timeout: 60)
            #expect(asked.contains("echo may change something when replayed: its tools/list entry has no annotations"), "\(asked)")
            terminal.write(answer + "\n")
            let out = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == status, "answered \(answer): \(out) \(terminal.read(until: "\u{0}", timeout: 1))")
            if answer == "y" { #expect(out.contains("equal    echo")) }
        }
    }

    @Test func oneWarmServerServesASuiteAndACrashedOneIsRestarted() throws {
        let (session, _) = try Self.record([
            ("calculate", ["operation": "add", "a": 1, "b": 2]), ("echo", ["message": "x"]),
            ("calculate", ["operation": "add", "a": 3, "b": 4]), ("get_weather", ["city": "Oslo"]),
        ])
        let log = session.directory + "/received.jsonl"
        let warm = try Self.argus(
            ["test", "--run", "1", "--ignore", "observed_at"], session: session,
            environment: ["ARGUS_TEST_RECEIVED_LOG": log])
        #expect(warm.status == 0, "\(warm.out) \(warm.err)")
        #expect(Self.received(log).filter { $0["method"] == "initialize" }.count == 1)

        try? FileManager.default.removeItem(atPath: log)
        let crashing = try Self.argus(
            ["test", "--run", "1", "--ignore", "observed_at"], session: session,
            environment: ["ARGUS_TEST_RECEIVED_LOG": log, "ARGUS_TEST_CRASH_ON_TOOL": "echo"])
        #expect(crashing.status == 1)
        #expect(crashing.out.contains("failed   echo"))
        #expect(crashing.out.contains("crashing on echo"))  // the server's stderr, in the failure
        #expect(crashing.out.contains("4 calls: 3 equal, 0 changed, 1 failed"))
        #expect(crashing.err.contains("starting it again"))
        #expect(Self.received(log).filter { $0["method"] == "initialize" }.count == 2)
    }

    @Test func failuresAreExplained() throws {
        let (session, ids) = try Self.record([("slow_operation", ["ms": 1]), ("calculate", ["operation": "add", "a": 1, "b": 2])])
        // Exit 2, as the help says, for a replay that could not be made at all.
        let unknown = try Self.argus(["replay", "999"], session: session)
        #expect(unknown.status == 2)
        #expect(unknown.err.contains("no call 999 in the database"))
        let badJSON = try Self.argus(["replay", String(ids[1]), "--params", #"{"a": 1,}"#], session: session)
        #expect(badJSON.status == 2)
        #expect(badJSON.err.contains("--params is not valid JSON: line 1, column 9"), "\(badJSON.err)")

        let notStarting = try Self.argus(
            ["replay", String(ids[1])], session: session,
            environment: ["ARGUS_TEST_FAIL_AT_START": "license expired"])
        #expect(notStarting.status == 2)
        #expect(notStarting.out.contains("the server does not start any more"))
        #expect(notStarting.out.contains("Error: license expired"))

        let timeout = try Self.argus(["replay", String(ids[0]), "--params", #"{"ms": 5000}"#, "--timeout", "0.5"], session: session)
        #expect(timeout.status == 2)
        #expect(timeout.out.contains("no answer to tools/call within 0.5 s"))

        let suite = session.directory + "/suite.json"
        #expect(try Self.argus(["export", "--run", "1", "--out", suite], session: session).status == 0)
        var text = try String(contentsOfFile: suite, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"name\": \"calculate\"", with: "\"name\": \"calculator_v1\"")
            .replacingOccurrences(of: "\"tool\": \"calculate\"", with: "\"tool\": \"calculator_v1\"")
        try text.write(toFile: suite, atomically: true, encoding: .utf8)
        let gone = try Self.argus(["test", "--suite", suite], session: session)
        #expect(gone.status == 1)
        #expect(gone.out.contains("the server no longer has a tool named calculator_v1 (it has: calculate, get_weather"))

        let config = session.directory + "/argus.config.json"
        try #"{"servers": {"other": {"command": "/nonexistent/server"}}}"#.write(toFile: config, atomically: true, encoding: .utf8)
        let missing = try Self.argus(["replay", String(ids[1]), "--config", config, "--server", "other"], session: session)
        #expect(missing.status == 2)
        #expect(missing.out.contains("`/nonexistent/server`"))
        let unnamed = try Self.argus(["replay", String(ids[1]), "--config", config, "--server", "nope"], session: session)
        #expect(unnamed.err.contains("no server named nope") && unnamed.err.contains("it has: other"))
    }

    @Test func aStatelessSessionReplaysStatelessly() throws {
        let session = try WrapSessionHarness(testServer: [])
        let meta: JSONValue = [
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientInfo": ["name": "modern-client", "version": "2"],
            "io.modelcontextprotocol/clientCapabilities": [:],
        ]
        session.request("server/discover", ["_meta": meta])
        session.request("tools/list", ["_meta": meta])
        session.request("tools/call", ["name": "calculate", "arguments": ["operation": "subtract", "a": 10, "b": 4], "_meta": meta])
        #expect(session.finish() == 0)
        let log = session.directory + "/received.jsonl"
        let result = try Self.argus(["test", "--run", "1"], session: session, environment: ["ARGUS_TEST_RECEIVED_LOG": log])
        #expect(result.status == 0, "\(result.out) \(result.err)")
        let received = Self.received(log)
        #expect(!received.contains { $0["method"] == "initialize" })
        let call = try #require(received.first { $0["method"] == "tools/call" })
        #expect(call["params"]?["_meta"]?["io.modelcontextprotocol/clientInfo"]?["name"] == "modern-client")
    }
}

/// A pseudo-terminal: `follower` is what a program sees as its terminal; the test reads and
/// writes the other end.
final class PseudoTerminal {
    let leader: Int32
    let follower: FileHandle
    private var seen = ""

    init() throws {
        struct NoTerminal: Error {}
        // posix_openpt and friends are not in Swift's Glibc module (they need _XOPEN_SOURCE): look them up.
        typealias IntFunction = @convention(c) (Int32) -> Int32
        typealias NameFunction = @convention(c) (Int32) -> UnsafeMutablePointer<CChar>?
        func symbol<T>(_ name: String, as: T.Type) throws -> T {
            guard let pointer = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { throw NoTerminal() }
            return unsafeBitCast(pointer, to: T.self)
        }
        leader = try symbol("posix_openpt", as: IntFunction.self)(O_RDWR | O_NOCTTY)
        guard leader >= 0, try symbol("grantpt", as: IntFunction.self)(leader) == 0,
            try symbol("unlockpt", as: IntFunction.self)(leader) == 0,
            let name = try symbol("ptsname", as: NameFunction.self)(leader)
        else { throw NoTerminal() }
        let fd = open(name, O_RDWR | O_NOCTTY)
        guard fd >= 0 else { throw NoTerminal() }
        follower = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        _ = fcntl(leader, F_SETFL, fcntl(leader, F_GETFL) | O_NONBLOCK)
    }

    /// Everything the program wrote until `text` appears (or the timeout).
    func read(until text: String, timeout: Double) -> String {
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !seen.contains(text) && Date() < deadline {
            var poller = pollfd(fd: leader, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 50) > 0 else { continue }
            let n = Foundation.read(leader, &buffer, buffer.count)
            if n <= 0 { break }
            seen += String(decoding: buffer[0..<n], as: UTF8.self)
        }
        return seen
    }

    func write(_ text: String) {
        _ = text.withCString { Foundation.write(leader, $0, strlen($0)) }
    }

    deinit { close(leader) }
}
