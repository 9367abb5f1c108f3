import ArgusCore
import ArgusStore
import Foundation
import Testing

/// Every secret shape Argus knows, placed where servers and clients put them (params,
/// results, errors, notifications, stderr, the command line, the environment, frames
/// that are not JSON), run through the real `argus wrap` and `argus-test-server`; then
/// every place a recording goes is scanned byte by byte: the database and its WAL,
/// `argus calls --json`, `argus runs --json`, `argus export`, `argus test --junit`, and
/// the dashboard's API.
@Suite(.serialized) struct LeakCorpusTests {
    /// 40 characters of base64, as AWS secret access keys are.
    static let awsSecret = "Corpus0AwsSecret0Key0T15x/" + String(repeating: "k", count: 14)
    static let basic = Data("corpus:basic-pw-T1x".utf8).base64EncodedString()

    /// The command line: an option with `=`, an option and its value, `-p`, a URL, `NAME=value`.
    static let argv = [
        "--api-key=argv-apikey-A1x", "--token", "argv-token-A2x", "-p", "argv-pw-A3x",
        "https://svc:argv-urlpw-A4x@api.example.com", "DB_PASSWORD=argv-envpw-A5x",
    ]
    static let environment = ["DB_PASS": "env-dbpass-E1x", "GH_PAT": "env-ghpat-E2x", "ARGUS_TEST_SEED": "7"]

    /// Shapes found in text, all in one string.
    static let textShapes = [
        "Authorization: Basic \(basic)",
        "https://user:url-pw-T2x@example.com/",
        "/cb?access_token=access-tok-T3x&token=plain-tok-T4x&api_key=api-key-T5x",
        "password=pw-text-T6x",
        "postgres://app:pg-pw-T7x@db/app", "mysql://root:my-pw-T8x@db/x",
        "mongodb+srv://svc:mongo-pw-T9x@c.example.net/db", "redis://:redis-pw-T10x@cache:6379", "amqp://guest:amqp-pw-T11x@mq:5672/",
        "x-api-key: xapikey-T12x", "Cookie: sid=cookie-T13x; theme=dark", "Set-Cookie: id=setcookie-T14x; Path=/",
        "aws_secret_access_key=\(awsSecret)", "AKIACORPUS0T16XAMPLE id", "AIzaCorpusT17x0123456789abcdefghijklmno",
        "glpat-CorpusT18x0123456789ab", "hf_CorpusT19xabcdefghijklmnopqrstuvwxyz", "npm_CorpusT20xabcdefghijklmnopqrstuvwxyz0123",
    ].joined(separator: "\n")

    /// Secret-named keys; and a secret used as a key.
    static let keyed: JSONValue = [
        "password": "key-pw-K1x", "pass": "key-pass-K2x", "pwd": "key-pwd-K3x", "auth": "key-auth-K4x", "key": "key-key-K5x",
        "sk-live-CorpusK6xabcdefghijklmno": ["scopes": ["read"]],
    ]

    /// What must never be found, whatever its place.
    static let secrets: [String] = [
        "argv-apikey-A1x", "argv-token-A2x", "argv-pw-A3x", "argv-urlpw-A4x", "argv-envpw-A5x", "env-dbpass-E1x",
        "env-ghpat-E2x", basic, "url-pw-T2x", "access-tok-T3x", "plain-tok-T4x", "api-key-T5x",
        "pw-text-T6x", "pg-pw-T7x", "my-pw-T8x", "mongo-pw-T9x", "redis-pw-T10x", "amqp-pw-T11x", "xapikey-T12x",
        "cookie-T13x", "setcookie-T14x", awsSecret, "AKIACORPUS0T16XAMPLE", "AIzaCorpusT17x", "glpat-CorpusT18x",
        "hf_CorpusT19x", "npm_CorpusT20x", "key-pw-K1x", "key-pass-K2x", "key-pwd-K3x", "key-auth-K4x", "key-key-K5x",
        "CorpusK6x", "echo-pw-P1x", "notify-pw-N1x", "err-tok-R1x", "stderr-pw-S1x", "invalid-pw-I1x", "invalid-secret-I2x",
    ]

    /// Runs the corpus through `argus wrap`; returns the session (finished) and the generated password.
    static func record(extraOptions: [String] = []) throws -> (WrapSessionHarness, String) {
        let environment = ProcessInfo.processInfo.environment.merging(Self.environment) { $1 }
        // The server prints its environment and arguments at start, as servers sometimes do.
        let server = ["/bin/sh", "-c", #"echo "db $DB_PASS pat $GH_PAT args $*" >&2; exec "$0" "$@""#, Binaries.testServer] + argv
        let session = try WrapSessionHarness(server: server, options: extraOptions, environment: environment)
        session.initialize()
        session.request("tools/list")
        session.callTool("echo", ["message": .string(textShapes)])
        session.callTool("echo", ["message": keyed])
        // A password sent under its key, then said back in stderr, a notification and an error.
        session.callTool(
            "emit",
            [
                "password": "echo-pw-P1x", "stderr": "login with echo-pw-P1x; password=stderr-pw-S1x",
                "notify": "checking echo-pw-P1x, password=notify-pw-N1x",
                "error": "rejected echo-pw-P1x; token=err-tok-R1x",
            ])
        session.callTool(
            "emit",
            [
                "stderr": .string("stderr shapes: " + textShapes.replacingOccurrences(of: "\n", with: " ")),
                "notify": .string(textShapes), "result": "done",
            ])
        let generated = session.callTool("password_generate", ["length": 20])?["structuredContent"]?["password"]?.stringValue
        session.callTool("launch_info", ["env": ["DB_PASS", "GH_PAT"]])
        // Frames that are not JSON: key rules still apply, as text.
        session.proxy.send("not json at all password=invalid-pw-I1x")
        session.proxy.send(#"{"jsonrpc":"2.0","id":"broken","method":"tools/call","params":{"client_secret":"invalid-secret-I2x",}}"#)
        #expect(waitUntil(timeout: 20) { ((try? session.reader().runs().first?.callCount) ?? 0) >= 8 })
        return (session, try #require(generated))
    }

    static func files(_ paths: [String]) -> [(String, Data)] {
        paths.compactMap { path in (try? Data(contentsOf: URL(fileURLWithPath: path))).map { (path, $0) } }
    }

    /// Which secrets appear in which of the named byte sources.
    static func leaks(in sources: [(String, Data)], secrets: [String]) -> [String] {
        var found: [String] = []
        for (name, data) in sources {
            for secret in secrets where data.range(of: Data(secret.utf8)) != nil { found.append("\(secret) in \(name)") }
        }
        return found
    }

    static func databaseFiles(_ session: WrapSessionHarness) -> [(String, Data)] {
        files(["", "-wal", "-shm"].map { session.database + $0 })
    }

    @Test func noCorpusSecretSurvivesAnywhereARecordingGoes() throws {
        let (session, generated) = try Self.record()
        let secrets = Self.secrets + [generated]
        // While the session is live, the WAL holds the freshest pages.
        #expect(Self.leaks(in: Self.databaseFiles(session), secrets: secrets) == [])
        #expect(session.finish() == 0)
        #expect(Self.leaks(in: Self.databaseFiles(session), secrets: secrets) == [])

        var sources: [(String, Data)] = []
        func cli(_ arguments: [String]) throws -> (status: Int32?, out: String, err: String) {
            let result = try ReplayTests.argus(arguments, session: session, environment: Self.environment)
            sources.append(("argus \(arguments.joined(separator: " ")) stdout", Data(result.out.utf8)))
            sources.append(("argus \(arguments.joined(separator: " ")) stderr", Data(result.err.utf8)))
            return result
        }
        #expect(try cli(["calls", "--json", "--limit", "1000"]).status == 0)
        #expect(try cli(["runs", "--json"]).status == 0)
        let suite = session.directory + "/suite.json"
        #expect(try cli(["export", "--run", "1", "--out", suite]).status == 0)
        // The replay starts the server with its real arguments (sealed), so launch_info answers as recorded.
        let junit = session.directory + "/junit.xml"
        let test = try cli(["test", "--run", "1", "--junit", junit])
        #expect(test.status == 0, "argus test: \(test.out) \(test.err)")
        let fromSuite = try cli(["test", "--suite", suite, "--json"])
        #expect(fromSuite.status == 0, "argus test --suite: \(fromSuite.out) \(fromSuite.err)")
        sources += Self.files([suite, junit])
        #expect(try String(contentsOfFile: junit, encoding: .utf8).contains("launch_info"))

        let dashboard = try DashboardProcess(database: session.database, home: session.argusHome, environment: Self.environment)
        defer { dashboard.stop() }
        var paths = ["/api/runs", "/api/calls?limit=500", "/api/stats", "/api/alerts", "/api/scripts"]
        let reader = try session.reader()
        for run in try reader.runs() { paths += ["/api/runs/\(run.id)", "/api/runs/\(run.id)/schema"] }
        var filter = CallFilter()
        filter.limit = 1000
        for call in try reader.calls(filter) { paths.append("/api/calls/\(call.id)") }
        for path in paths {
            let reply = dashboard.get(path)
            #expect(reply.status == 200, "\(path): \(reply.status) \(reply.body)")
            sources.append(("GET \(path)", Data(reply.body.utf8)))
        }
        // The replay runs are recorded too.
        sources += Self.databaseFiles(session)
        #expect(Self.leaks(in: sources, secrets: secrets) == [])
    }

    @Test func theScanFindsTheCorpusWhenRedactionIsOff() throws {
        // The control for the test above: without redaction the same scan finds every secret that was sent.
        let (session, generated) = try Self.record(extraOptions: ["--no-redact"])
        #expect(session.finish() == 0)
        let found = Set(
            Self.leaks(
                in: [("db", Self.databaseFiles(session).reduce(Data()) { $0 + $1.1 })],
                secrets: Self.secrets + [generated]
            ).map { String($0.dropLast(" in db".count)) })
        let missing = (Self.secrets + [generated]).filter { !found.contains($0) }
        #expect(missing == [], "the corpus did not reach the database unredacted: \(missing)")
    }

    @Test func deletingARecordingThatHeldSecretsLeavesNoByteOfThem() throws {
        // Recorded in clear (--no-redact), then deleted from the dashboard: a delete must really remove a leaked secret.
        let (session, generated) = try Self.record(extraOptions: ["--no-redact"])
        #expect(session.finish() == 0)
        let secrets = Self.secrets + [generated]
        #expect(!Self.leaks(in: Self.databaseFiles(session), secrets: secrets).isEmpty)
        let dashboard = try DashboardProcess(database: session.database, home: session.argusHome)
        defer { dashboard.stop() }
        let reply = dashboard.send("DELETE", "/api/calls?run=1")
        #expect(reply.status == 200, "\(reply.status) \(reply.body)")
        #expect(Self.leaks(in: Self.databaseFiles(session), secrets: secrets) == [])
    }
}
