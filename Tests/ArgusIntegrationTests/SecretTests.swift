import ArgusCore
import ArgusStore
import Foundation
import Testing

/// No secret reaches the database file (or its WAL), checked byte by byte.
@Suite struct SecretTests {
    static let envToken = "ghp_" + "Q7xR2mK9vL4nP8sT1wY6zB3cD5fH0jA2eG7i"
    static let envAPIKey = "live-key-4f9a8b7c6d5e"
    static let secrets: [String] = [
        envToken, envAPIKey,
        "hunter2-correct-horse",  // under a "password" key
        "abc123def456ghi789jkl",  // Bearer token
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "AKIAIOSFODNN7EXAMPLE",
        "xoxb-123456789012-abcdefghijklmnop",
        "sk-proj-abcdefghijklmnopqrstuvwxyz012345",
        "MIIEowIBAAKCAQEAsecretPEMbody",
        "db-pass-9876",  // in a URL
        "SSN-000-12-3456",  // under a custom --redact key
    ]

    func runSession(options: [String]) throws -> WrapSessionHarness {
        var env = ProcessInfo.processInfo.environment
        env["GITHUB_TOKEN"] = Self.envToken
        env["MY_SERVICE_API_KEY"] = Self.envAPIKey
        // The server also prints the token on stderr, as servers sometimes do.
        let session = try WrapSessionHarness(
            server: ["/bin/sh", "-c", #"echo "using token $GITHUB_TOKEN" >&2; exec "$0""#, Binaries.testServer],
            options: options, environment: env)
        session.initialize()
        session.callTool("echo", ["message": .string("token \(Self.envToken) and key \(Self.envAPIKey)")])
        session.callTool(
            "echo",
            [
                "message": "login", "password": "hunter2-correct-horse", "ssn": "SSN-000-12-3456",
                "headers": ["Authorization": "Bearer abc123def456ghi789jkl"],
            ])
        session.callTool(
            "echo",
            [
                "message": """
                jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U \
                aws AKIAIOSFODNN7EXAMPLE slack xoxb-123456789012-abcdefghijklmnop openai sk-proj-abcdefghijklmnopqrstuvwxyz012345 \
                url postgres://app:db-pass-9876@db.internal/app
                -----BEGIN RSA PRIVATE KEY-----
                MIIEowIBAAKCAQEAsecretPEMbody
                -----END RSA PRIVATE KEY-----
                """
            ])
        return session
    }

    func databaseBytes(_ session: WrapSessionHarness) -> [(String, Data)] {
        ["", "-wal", "-shm"].compactMap { suffix in
            (try? Data(contentsOf: URL(fileURLWithPath: session.database + suffix))).map { (suffix, $0) }
        }
    }

    func leaked(_ session: WrapSessionHarness) -> [String] {
        var found: [String] = []
        for (suffix, data) in databaseBytes(session) {
            for secret in Self.secrets where data.range(of: Data(secret.utf8)) != nil { found.append("\(secret) in db\(suffix)") }
        }
        return found
    }

    @Test func noSecretReachesTheDatabaseFileOrItsWAL() throws {
        let session = try runSession(options: ["--redact", "ssn"])
        // While the session is live, the WAL holds the freshest pages.
        #expect(waitUntil { ((try? session.reader().runs().first?.callCount) ?? 0) >= 4 })
        #expect(leaked(session) == [])
        #expect(session.finish() == 0)
        #expect(leaked(session) == [])

        // And the recording says what was replaced.
        let reader = try session.reader()
        let run = try #require(try reader.runs().first)
        let logs = try reader.serverLogs(run: run.id)
        #expect(logs.contains { $0.line == "using token [REDACTED:env:GITHUB_TOKEN]" })
        var filter = CallFilter()
        filter.tool = "echo"
        let calls = try reader.details(try reader.calls(filter))
        let login = try #require(calls.first { $0.params?["arguments"]?["message"] == "login" })
        #expect(login.params?["arguments"]?["password"] == "[REDACTED]")
        #expect(login.params?["arguments"]?["ssn"] == "[REDACTED]")
        #expect(login.params?["arguments"]?["headers"]?["Authorization"] == "[REDACTED]")
    }

    @Test func noRedactRecordsEverything() throws {
        // The control for the test above: the scan does find secrets when they are there.
        let session = try runSession(options: ["--no-redact"])
        #expect(session.finish() == 0)
        let found = leaked(session)
        #expect(found.contains { $0.hasPrefix(Self.envToken) })
        #expect(found.contains { $0.hasPrefix("hunter2-correct-horse") })
    }
}
