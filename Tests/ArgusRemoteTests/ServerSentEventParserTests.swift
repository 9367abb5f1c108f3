import ArgusRemote
import Testing

@Suite struct ServerSentEventParserTests {
    func events(_ chunks: [String]) -> [ServerSentEvent] {
        var parser = ServerSentEventParser()
        var out: [ServerSentEvent] = []
        for chunk in chunks { parser.push(Array(chunk.utf8)) { out.append($0) } }
        return out
    }

    @Test func splitsEventsOnBlankLinesWhateverTheLineEnding() {
        let got = events(["event: message\r\nid: 7\r\ndata: {\"a\":1}\r\n\r\n", "data: {\"b\":2}\n\n", "data: x\r\rdata: y\r\n\n"])
        #expect(got.map { String(decoding: $0.data, as: UTF8.self) } == ["{\"a\":1}", "{\"b\":2}", "x", "y"])
        #expect(got[0].id == "7")
        #expect(got[0].event == "message")
        #expect(got[1].id == "7")  // the last event id carries over, as in the specification
    }

    @Test func aCRLFSplitAcrossChunksCountsOnce() {
        let got = events(["data: one\r", "\n\r", "\ndata: two\n\n"])
        #expect(got.map { String(decoding: $0.data, as: UTF8.self) } == ["one", "two"])
    }

    @Test func joinsDataLinesAndSkipsComments() {
        let got = events([": keep-alive\n\ndata: a\ndata:b\nretry: 1500\n\n"])
        #expect(got.count == 1)
        #expect(String(decoding: got[0].data, as: UTF8.self) == "a\nb")
        #expect(got[0].retryMillis == 1500)
    }

    @Test func knowsWhenAStreamIsCutMidEvent() {
        var parser = ServerSentEventParser()
        parser.push(Array("data: {\"partial\"".utf8)) { _ in Issue.record("no event yet") }
        #expect(parser.hasPartialEvent)
    }

    @Test func anEndlessLineIsCutNotKept() {
        var parser = ServerSentEventParser(maxLineBytes: 16)
        var got: [ServerSentEvent] = []
        parser.push(Array(("data: " + String(repeating: "x", count: 100) + "\n\ndata: ok\n\n").utf8)) { got.append($0) }
        #expect(got.map { String(decoding: $0.data, as: UTF8.self) } == ["ok"])
        #expect(parser.truncatedLines == 1)
    }
}
