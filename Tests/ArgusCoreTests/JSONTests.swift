import Testing
@testable import ArgusCore

@Suite struct JSONTests {
    @Test func roundTripKeepsKeyOrderAndNumberText() throws {
        let text = #"{"z":1,"a":1.0,"big":123456789012345678901234567890,"neg":-0,"exp":1E+400,"m":[true,false,null],"s":"\u00e9\u2028x"}"#
        let value = try JSONParser.parse(text)
        #expect(value.objectValue?.keys == ["z", "a", "big", "neg", "exp", "m", "s"])
        #expect(value["a"] == .number("1.0"))
        #expect(value["big"] == .number("123456789012345678901234567890"))
        #expect(value["exp"] == .number("1E+400"))
        #expect(value["s"]?.stringValue == "é\u{2028}x")
        // Writing it back changes only escapes, never numbers or order.
        #expect(
            JSONWriter.string(value)
                == #"{"z":1,"a":1.0,"big":123456789012345678901234567890,"neg":-0,"exp":1E+400,"m":[true,false,null],"s":"é\#u{2028}x"}"#)
    }

    @Test func surrogatePairsAndLoneSurrogates() throws {
        #expect(try JSONParser.parse(#""\ud83d\ude00""#).stringValue == "😀")
        #expect(try JSONParser.parse(#""\ud83d""#).stringValue == "\u{FFFD}")
        #expect(try JSONParser.parse(#""\ude00x""#).stringValue == "\u{FFFD}x")
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\" 1}", "01", "1.", "-", "\"\\x\"", "nul", "{\"a\":1} x", "\"a\u{01}b\"", "[1 2]", "+1",
    ])
    func rejectsInvalidJSON(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }

    @Test func rejectsInvalidUTF8() {
        let bytes: [UInt8] = Array("{\"a\":\"".utf8) + [0xC3, 0x28] + Array("\"}".utf8)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(bytes) }
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
        let ok = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect((try? JSONParser.parse(ok)) != nil)
    }

    @Test func writerEscapesControlCharacters() {
        #expect(JSONWriter.string(.string("a\"b\\c\n\u{01}")) == #""a\"b\\c\n\u0001""#)
        #expect(JSONWriter.string(["a": [], "b": [:]]) == #"{"a":[],"b":{}}"#)
    }

    @Test func prettyOutputParsesBack() throws {
        let value: JSONValue = ["list": [1, 2, ["x": "y"]], "empty": [:], "n": nil]
        #expect(try JSONParser.parse(JSONWriter.string(value, pretty: true)) == value)
    }
}

@Suite struct LineFramerTests {
    func frames(_ chunks: [[UInt8]], max: Int = 1 << 20) -> ([String], [Int]) {
        var framer = LineFramer(maxLineBytes: max)
        var lines: [String] = []
        var sizes: [Int] = []
        for chunk in chunks {
            framer.push(chunk) {
                lines.append(String(decoding: $0.bytes, as: UTF8.self)); sizes.append($0.size)
            }
        }
        framer.finish {
            lines.append(String(decoding: $0.bytes, as: UTF8.self)); sizes.append($0.size)
        }
        return (lines, sizes)
    }

    @Test func splitsOnlyOnNewline() {
        let text = "a\u{2028}b\u{2029}c\u{85}d\re\nsecond\n"
        #expect(frames([Array(text.utf8)]).0 == ["a\u{2028}b\u{2029}c\u{85}d\re", "second"])
    }

    @Test func joinsLinesAcrossChunksAndKeepsLastLineWithoutNewline() {
        let (lines, _) = frames([Array("{\"a\":".utf8), Array("1}\n{\"b\"".utf8), Array(":2}\ntail".utf8)])
        #expect(lines == ["{\"a\":1}", "{\"b\":2}", "tail"])
    }

    @Test func truncatesHugeLinesForRecordingButCountsEveryByte() {
        let (lines, sizes) = frames([Array(repeating: UInt8(ascii: "x"), count: 5000), [0x0A], Array("ok\n".utf8)], max: 1000)
        #expect(lines.map(\.count) == [1000, 2])
        #expect(sizes == [5000, 2])
    }
}

@Suite struct TimeFormatTests {
    @Test func formatsAndParsesISO8601() {
        #expect(TimeFormat.iso8601(micros: 0) == "1970-01-01T00:00:00.000000Z")
        #expect(TimeFormat.iso8601(micros: 1_795_290_863_164_413) == "2026-11-21T19:54:23.164413Z")
        #expect(TimeFormat.iso8601(micros: -1) == "1969-12-31T23:59:59.999999Z")
        #expect(TimeFormat.parseISO8601("2026-11-21T19:54:23.164413Z") == 1_795_290_863_164_413)
        #expect(TimeFormat.parseISO8601("2026-11-22T16:14:23+01:00") == 1_795_360_463_000_000)
        #expect(TimeFormat.parseISO8601("2024-02-29") == 1_709_164_800_000_000)
        #expect(TimeFormat.parseISO8601("yesterday") == nil)
    }
}

@Suite struct ServerNamingTests {
    @Test(arguments: [
        ("npx", ["-y", "@modelcontextprotocol/server-github"], "server-github"),
        ("uvx", ["mcp-server-time==2026.10.19"], "mcp-server-time"),
        ("/usr/bin/docker", ["run", "-i", "--rm", "-e", "GITHUB_TOKEN", "ghcr.io/github/github-mcp-server:latest"], "github-mcp-server"),
        ("python3", ["-m", "mcp_server_git", "--repository", "."], "mcp_server_git"),
        ("node", ["/srv/build/index.js"], "index"),
        ("uv", ["--directory", "/x", "run", "weather.py"], "weather"),
        ("/opt/bin/my-server", ["--port", "1"], "my-server"),
    ])
    func derivesReadableNames(_ command: String, _ args: [String], _ expected: String) {
        #expect(ServerNaming.defaultName(command: command, arguments: args) == expected)
    }
}

@Suite struct ReorderTests {
    @Test func keysFollowTheOriginalAndNewOnesComeSorted() throws {
        let original = try JSONParser.parse(#"{"z":1,"a":{"y":1,"b":2},"list":[{"k":1,"c":2}]}"#)
        let changed = try JSONParser.parse(#"{"a":{"b":3,"y":1,"new":0},"list":[{"c":2,"k":9},{"x":1}],"z":1,"added":true,"aa":1}"#)
        #expect(
            JSONWriter.string(changed.reordered(like: original))
                == #"{"z":1,"a":{"y":1,"b":3,"new":0},"list":[{"k":9,"c":2},{"x":1}],"aa":1,"added":true}"#)
    }
}
