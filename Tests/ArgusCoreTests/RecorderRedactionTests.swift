import Testing
@testable import ArgusCore

/// What the recorder stores never holds a secret that redaction saw once: not
/// in the launch spec, not echoed back, not in frames that are not JSON.
@Suite struct RecorderRedactionTests {
    /// Everything the recorder emitted that reaches the database, as one text.
    func stored(_ h: RecorderHarness) -> String {
        h.ops.map { op -> String in
            switch op {
            case .startRun(let start): return ([start.record.command, start.record.cwd ?? ""] + start.record.args).joined(separator: " ")
            case .message(_, let m): return m.body
            case .call(_, let c, _): return c.errorMessage ?? ""
            case .serverLog(_, let log): return log.line
            case .endRun(let end): return (end.stderrTail ?? "") + (end.detail ?? "")
            default: return ""
            }
        }.joined(separator: "\n")
    }

    @Test func theCommandLineIsStoredRedactedAndItsOriginalSealed() throws {
        let h = RecorderHarness()
        let sealer = RecordingSealer()
        h.config.sealer = sealer
        let original = ["--api-key=argv-key-123", "--token", "argv-token-456", "--port", "8080"]
        h.config.launch = LaunchSpec(command: "srv", args: original, cwd: "/", envNames: ["DB_PASS"])
        h.recorder.start(at: h.now)
        h.finish()
        let start = try #require(h.runStarts.first)
        #expect(start.record.args == ["--api-key=[REDACTED:key-value]", "--token", "[REDACTED]", "--port", "8080"])
        let sealed = try #require(start.record.sealedArgs)
        #expect(sealed.keyID == "k1")
        #expect(try JSONParser.parse(String(decoding: sealed.sealed.reversed(), as: UTF8.self)) == .array(original.map(JSONValue.string)))
        #expect(!stored(h).contains("argv-key-123") && !stored(h).contains("argv-token-456"))
    }

    @Test func aCommandLineWithoutSecretsIsStoredAsIsAndNothingSealed() throws {
        let h = RecorderHarness()
        h.config.sealer = RecordingSealer()
        h.config.launch = LaunchSpec(command: "npx", args: ["-y", "@modelcontextprotocol/server-everything"], cwd: "/", envNames: [])
        h.recorder.start(at: h.now)
        h.finish()
        #expect(h.runStarts.first?.record.args == ["-y", "@modelcontextprotocol/server-everything"])
        #expect(h.runStarts.first?.record.sealedArgs == nil)
    }

    @Test func aValueRedactedInARequestIsScrubbedWhereverItComesBack() {
        let h = RecorderHarness()
        h.config.launch = LaunchSpec(command: "srv", args: ["--token", "argv-token-789"], cwd: "/", envNames: [])
        h.recorder.start(at: h.now)
        func stderr(_ line: String) { Array((line + "\n").utf8).withUnsafeBytes { h.recorder.ingestStderr($0, at: h.now) } }
        stderr("started with token argv-token-789")
        h.client(
            #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"login","arguments":{"user":"ada","password":"echoed-pw-1"}}}"#
        )
        stderr("login attempt for ada with echoed-pw-1")
        h.server(#"{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"checking echoed-pw-1"}}"#)
        h.server(
            #"{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"welcome, your password echoed-pw-1 is weak"}],"isError":true}}"#
        )
        h.client(#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"again","arguments":{}}}"#)
        h.server(#"{"jsonrpc":"2.0","id":2,"error":{"code":-32000,"message":"invalid credentials echoed-pw-1"}}"#)
        h.finish()
        let text = stored(h)
        #expect(!text.contains("echoed-pw-1"), "\(text)")
        #expect(!text.contains("argv-token-789"), "\(text)")
        #expect(text.contains("login attempt for ada with [REDACTED:echo]"))
        #expect(h.calls.map(\.errorMessage) == ["welcome, your password [REDACTED:echo] is weak", "invalid credentials [REDACTED:echo]"])
    }

    @Test func framesThatAreNotJSONOrWereCutAreRedactedAsText() {
        let h = RecorderHarness()
        h.config.maxLineBytes = 200
        h.client(
            #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":{"password":"cut-pw-1","blob":"\#(String(repeating: "x", count: 400))"}}}"#
        )
        h.client(#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"client_secret":"broken-secret-2",}}"#)
        h.client("login password=plain-secret-3 token: tok_4f8a9b2c")
        h.finish()
        let bodies = h.messages.map(\.body)
        #expect(h.messages.map(\.kind) == [.invalid, .invalid, .invalid])
        for secret in ["cut-pw-1", "broken-secret-2", "plain-secret-3", "tok_4f8a9b2c"] {
            #expect(!bodies.contains { $0.contains(secret) }, "\(secret) stored in \(bodies)")
        }
        #expect(bodies[0].hasPrefix("[TRUNCATED: "))
        #expect(h.messages.allSatisfy { $0.redacted })
    }
}
