import ArgusCore
import ArgusStore
import Foundation
import Testing

/// Every byte crosses the proxy unchanged, in order, both ways.
@Suite struct TransparencyTests {
    static func clientBytes() -> [UInt8] {
        var b: [UInt8] = []
        func line(_ s: String) { b += Array((s + "\n").utf8) }
        line(
            #"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{"roots":{}},"clientInfo":{"name":"t","version":"1"}}}"#
        )
        line(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
        line(
            #"{"jsonrpc":"2.0","id":9007199254740993,"method":"tools/call","params":{"name":"x","arguments":{"f":1.0,"e":1e400,"big":123456789012345678901234567890}}}"#
        )
        line(#"{ "id" : "ключ-🔑" , "method":"resources/read","jsonrpc":"2.0","params":{"uri":"file:///a b"} }"#)
        line(#"{"jsonrpc":"2.0","id":"srv-1","result":{"roots":[{"uri":"file:///tmp","name":"tmp"}]}}"#)
        line(#"{"jsonrpc":"2.0","id":"srv-2","result":{"role":"assistant","content":{"type":"text","text":"ok"},"model":"m"}}"#)
        line(#"{"jsonrpc":"2.0","id":"srv-3","result":{"action":"accept","content":{"name":"n"}}}"#)
        line(#"{"jsonrpc":"2.0","id":1,"method":"vendor/unknown-method","params":{"x":[]}}"#)
        line(#"[{"jsonrpc":"2.0","id":2,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/roots/list_changed"}]"#)
        line(
            #"{"jsonrpc":"2.0","id":3,"method":"prompts/get","params":{"name":"p","arguments":{"text":"line\u2028sep \u2029 and raw  and \r inside"}}}"#
        )
        b += Array(#"{"jsonrpc":"2.0","id":4,"method":"ping"}"#.utf8) + [0x0D, 0x0A]  // CRLF framing
        line("not json at all")
        b += [0x7B, 0xC3, 0x28, 0xFF, 0xFE, 0x7D, 0x0A]  // invalid UTF-8
        line("   ")
        line(
            #"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"big","arguments":{"blob":""#
                + String(repeating: "a", count: 8 << 20) + #""}}}"#)
        line(#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":5}}"#)
        b += Array(#"{"jsonrpc":"2.0","id":6,"method":"ping"}"#.utf8)  // last line, no newline
        return b
    }

    static func serverBytes() -> [UInt8] {
        var b: [UInt8] = []
        func line(_ s: String) { b += Array((s + "\n").utf8) }
        line(
            #"{"jsonrpc":"2.0","id":0,"result":{"protocolVersion":"2025-11-25","capabilities":{},"serverInfo":{"name":"tap","version":"0"}}}"#
        )
        line(#"{"jsonrpc":"2.0","id":"srv-1","method":"roots/list"}"#)
        line(#"{"jsonrpc":"2.0","id":"srv-2","method":"sampling/createMessage","params":{"messages":[],"maxTokens":10}}"#)
        line(
            #"{"jsonrpc":"2.0","id":"srv-3","method":"elicitation/create","params":{"message":"Name?","requestedSchema":{"type":"object","properties":{"name":{"type":"string"}}}}}"#
        )
        line(#"{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"hello"}}"#)
        line(#"{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}"#)
        line(#"{"jsonrpc":"2.0","id":9007199254740993,"result":{"content":[],"isError":true}}"#)
        line(#"{"jsonrpc":"2.0","id":"ключ-🔑","error":{"code":-32002,"message":"Resource not found"}}"#)
        line(#"{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"Method not found"}}"#)
        line("server says: not json")
        b += [0xC0, 0x80, 0x0A]
        line(#"{"jsonrpc":"2.0","id":5,"result":{"content":[{"type":"text","text":""# + String(repeating: "z", count: 8 << 20) + #""}]}}"#)
        b += Array(#"{"jsonrpc":"2.0","id":6,"result":{}}"#.utf8)
        return b
    }

    @Test func bytesArriveUnchangedBothWaysAndEveryFrameIsRecorded() throws {
        let dir = temporaryDirectory("tap")
        let toClient = Self.serverBytes()
        let fromClient = Self.clientBytes()
        try Data(toClient).write(to: URL(fileURLWithPath: dir + "/server-out"))
        // A "server" that captures its whole stdin, then plays back prepared bytes
        // (answers after questions, so the recording can pair them deterministically).
        let session = try WrapSessionHarness(server: [
            "/bin/sh", "-c", #"cat > "$0"; cat "$1""#,
            dir + "/server-in", dir + "/server-out",
        ])
        session.proxy.write(fromClient)
        session.proxy.closeInput()
        let received = session.proxy.readToEnd()
        #expect(session.proxy.waitForExit() == 0)
        let captured = try [UInt8](Data(contentsOf: URL(fileURLWithPath: dir + "/server-in")))
        #expect(captured.count == fromClient.count)
        #expect(captured == fromClient, "client → server bytes differ")
        #expect(received.count == toClient.count)
        #expect(received == toClient, "server → client bytes differ")

        let reader = try session.reader()
        let run = try #require(try reader.runs().first)
        let messages = try reader.messages(run: run.id)
        let c2s = messages.filter { $0.direction == .clientToServer }
        let s2c = messages.filter { $0.direction == .serverToClient }
        #expect(c2s.count == 16)  // every non-blank line, the unterminated last one included
        #expect(s2c.count == 13)
        #expect(c2s.map(\.kind).filter { $0 == .invalid }.count == 2)
        #expect(c2s.contains { $0.kind == .batch })
        #expect(c2s.first { $0.size > 8_000_000 }?.body.count ?? 0 > 8_000_000)
        let calls = try reader.calls(
            {
                var f = CallFilter(); f.limit = 100; return f
            }())
        let byMethod = Dictionary(grouping: calls, by: \.method)
        #expect(byMethod["roots/list"]?.first?.direction == .serverToClient)
        #expect(byMethod["elicitation/create"]?.first?.direction == .serverToClient)
        #expect(byMethod["resources/read"]?.first?.errorCode == -32002)
        #expect(byMethod["tools/call"]?.first { $0.jsonrpcID == "9007199254740993" }?.isError == true)
        #expect(byMethod["tools/call"]?.first { $0.jsonrpcID == "5" }?.status == .cancelled)
        #expect(byMethod["ping"]?.count == 3)  // the batched one, CRLF-framed one and the unterminated last one
        #expect(run.serverInfoName == "tap")
    }

    @Test func pipelinedRequestsWithEveryIdTypeMatchADirectSession() throws {
        var ids: [String] = (1...60).map(String.init)
        ids += ["0", "-5", "9007199254740993", "123456789012345678901234567890", "1.5", "1e3"]
        ids += (1...30).map { #""req-\#($0)""# } + [#""ключ-🔑""#, #""\"quoted\"""#, #""""#, #""a\u2028b""#]
        let requests = ids.enumerated().map { i, id in
            #"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"echo","arguments":{"message":"m\#(i)"}}}"#
        }
        func responses(through argus: Bool) throws -> [String] {
            let command = argus ? Binaries.argus : Binaries.testServer
            let args = argus ? ["wrap", "--db", temporaryDirectory("pipe") + "/a.db", "--", Binaries.testServer] : []
            let peer = try Spawned(command, args)
            peer.write(Array(requests.map { $0 + "\n" }.joined().utf8))  // all at once, no waiting
            var lines: [String] = []
            for _ in requests {
                guard let line = peer.readLine() else { break }
                lines.append(line)
            }
            peer.closeInput()
            _ = peer.waitForExit()
            return lines
        }
        let direct = try responses(through: false)
        let proxied = try responses(through: true)
        #expect(direct.count == requests.count)
        #expect(proxied.sorted() == direct.sorted())
        // Each response carries its request's id literally.
        let answered = Set(proxied.compactMap { line in (try? JSONParser.parse(line))?["id"].map { JSONWriter.string($0) } })
        let expected = Set(ids.compactMap { (try? JSONParser.parse($0)).map { JSONWriter.string($0) } })
        #expect(answered == expected)
    }

    @Test func aFiftyMegabyteMessageIsForwardedAndRecorded() throws {
        let session = try WrapSessionHarness(testServer: [])
        let payload = String(repeating: "0123456789abcdef", count: 50 << 16)  // 50 MiB
        // Slow in debug builds: the test server parses and writes 150 MB of JSON.
        session.proxy.send([
            "jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": ["name": "echo", "arguments": ["message": .string(payload)]],
        ])
        let line = session.proxy.readLine(timeout: 600)  // bounded, for a machine busy with other work
        let expected =
            #"{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":""# + payload
            + #""}],"structuredContent":{"echo":""# + payload + #""}}}"#
        let echoed = line.map { Array($0.utf8) == Array(expected.utf8) } ?? false  // not in #expect: 100 MB in a failure message
        #expect(echoed)
        // Recording 100 MB (parsed, redacted, written) takes a debug build seconds, and minutes on a busy
        // machine (the recorder runs at nice +10); exit waits for it.
        #expect(session.finish(timeout: 600) == 0)
        let reader = try session.reader()
        let run = try #require(try reader.runs().first)
        let big = try reader.db.query("SELECT max(size), count(*) FROM messages WHERE run_id = ? AND size > 50000000", [.int(run.id)])
        #expect(big.first?.int(1) == 2)  // the request and its response
        #expect(run.callCount == 1)
    }
}
