import ArgusCore
import Testing

/// `argus/transport` frames as the dashboard words them, a run's transport derived from its
/// launch and frames, and HTTP statuses paired with the calls they answered.
@Suite struct TransportEventTests {
    static func frame(_ seq: Int, _ params: String) -> MessageRecord {
        MessageRecord(
            seq: seq, direction: .serverToClient, timestamp: 1_767_279_600_000_000 + Int64(seq), kind: .notification,
            method: TransportEvent.method, jsonrpcID: nil, body: #"{"jsonrpc":"2.0","method":"argus/transport","params":\#(params)}"#,
            size: 0, redacted: false)
    }

    static func run(_ command: String, _ args: [String] = []) -> RunRecord {
        RunRecord(serverName: "s", command: command, args: args, cwd: nil, envNames: [], startedAt: 0)
    }

    @Test func framesReadAsOneLineWithALevel() throws {
        let unauthorized = try #require(
            TransportEvent(
                body:
                    #"{"jsonrpc":"2.0","method":"argus/transport","params":{"event":"http_status","method":"POST","status":401,"for":"tools/call","id":"7","challenge":{"scheme":"Bearer","resource_metadata":"https://x/.well-known"}}}"#
            ))
        #expect(unauthorized.text == "401 Unauthorized (Bearer)" && unauthorized.level == .error && unauthorized.isOfNote)
        #expect(unauthorized.httpMethod == "POST" && unauthorized.requestMethod == "tools/call" && unauthorized.requestID == "7")
        let cases: [(String, String, TransportEvent.Level, Bool)] = [
            (#"{"event":"session_expired","session":"abcdefgh…"}"#, "404 session expired", .warning, true),
            (#"{"event":"stream_broken","method":"GET","error":"reset"}"#, "stream broken", .error, true),
            (#"{"event":"stream_opened","method":"GET"}"#, "GET stream opened", .info, false),
            (#"{"event":"stream_closed","method":"GET","by":"client"}"#, "GET stream closed by the client", .info, false),
            (#"{"event":"stream_refused","method":"GET","status":405}"#, "GET stream refused: 405 Method Not Allowed", .info, false),
            (#"{"event":"session_ended","status":200}"#, "session ended", .info, false),
            (#"{"event":"session_ended","status":500}"#, "session not ended: DELETE 500 Internal Server Error", .error, true),
            (#"{"event":"session_renewed","session":"x"}"#, "session renewed", .info, true),
            (#"{"event":"http_status","method":"POST","status":202}"#, "202 Accepted, no answer", .error, true),
            (#"{"event":"http_status","method":"POST","status":418}"#, "HTTP 418", .error, true),
            (#"{"event":"header_mismatch","header":"Mcp-Method"}"#, "Mcp-Method header does not match the body", .warning, true),
        ]
        for (params, text, level, news) in cases {
            let event = try #require(TransportEvent(body: Self.frame(1, params).body), "\(params)")
            #expect(event.text == text && event.level == level && event.isOfNote == news, "\(params): \(event.text) \(event.level)")
        }
        #expect(TransportEvent(body: #"{"jsonrpc":"2.0","method":"notifications/message","params":{"event":"argus/transport"}}"#) == nil)
    }

    @Test func aRunsTransportComesFromItsLaunchAndItsFrames() {
        let stdio = RunTransport(run: Self.run("uvx", ["mcp-server-time"]), frames: [])
        #expect(stdio.kind == .stdio && stdio.text == "stdio" && stdio.session == nil && stdio.lastEvent == nil)

        let remote = RunTransport(
            run: Self.run("https://mcp.example.com:8443/mcp", ["--header", "Authorization: …"]),
            frames: [
                Self.frame(2, #"{"event":"session_started","session":"aaaaaaaa…"}"#),
                Self.frame(9, #"{"event":"http_status","method":"POST","status":503}"#),
                Self.frame(12, #"{"event":"session_renewed","session":"bbbbbbbb…"}"#),
                Self.frame(14, #"{"event":"stream_opened","method":"GET"}"#),
            ])
        #expect(remote.kind == .http && !remote.viaProxy && remote.host == "mcp.example.com:8443")
        #expect(remote.text == "Streamable HTTP · mcp.example.com:8443" && remote.label == "HTTP · mcp.example.com:8443")
        #expect(remote.session == "bbbbbbbb…", "the newest session a frame names")
        #expect(remote.lastEvent?.seq == 12, "the newest frame of note, not the stream that opened after it")

        let upstream = RunTransport(run: Self.run("http://user@10.0.0.5/mcp", ["--listen", "127.0.0.1:8931"]), frames: [])
        #expect(upstream.viaProxy && upstream.listen == "127.0.0.1:8931" && upstream.host == "10.0.0.5")

        let stdioBehindProxy = RunTransport(
            run: Self.run("uvx", ["mcp-server-time"]),
            frames: [Self.frame(1, #"{"event":"session_started","session":"cccccccc…","via":"proxy"}"#)])
        #expect(stdioBehindProxy.kind == .http && stdioBehindProxy.viaProxy && stdioBehindProxy.host == nil)
        #expect(stdioBehindProxy.text == "Streamable HTTP → stdio server (argus proxy)" && stdioBehindProxy.session == "cccccccc…")
    }

    @Test func aStatusBelongsToTheLatestRequestWithItsIDBeforeIt() {
        func call(_ id: Int64, seq: Int, jsonrpcID: String) -> CallRecord {
            CallRecord(
                id: id, server: "s", requestSeq: seq, direction: .clientToServer, method: "tools/call", jsonrpcID: jsonrpcID, startedAt: 0,
                status: .ok)
        }
        // Two sessions' clients reused id 1; a string id "1" is another id.
        let calls = [call(10, seq: 3, jsonrpcID: "1"), call(11, seq: 8, jsonrpcID: "1"), call(12, seq: 9, jsonrpcID: #""1""#)]
        let frames = [
            Self.frame(5, #"{"event":"http_status","method":"POST","status":401,"for":"tools/call","id":"1"}"#),
            Self.frame(10, #"{"event":"http_status","method":"POST","status":500,"for":"tools/call","id":"1"}"#),
            Self.frame(11, #"{"event":"session_expired","session":"x"}"#),
        ]
        let answers = RunTransport.answerStatuses(of: calls, frames: frames)
        #expect(answers[10]?.event.status == 401 && answers[11]?.event.status == 500 && answers[12] == nil, "\(answers)")
    }
}
