import ArgusCore
import Testing
@testable import ArgusTelemetry

@Suite struct InjectionTests {
    let injector = TraceContextInjector(sampler: .parentBasedAlwaysOn, ratio: 1)

    func inject(_ text: String) -> String? {
        injector.inject(Array(text.utf8)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The injected line parses, keeps everything it had byte for byte, and names a context.
    func check(_ original: String, file: StaticString = #filePath, line: UInt = #line) throws -> TraceContext {
        let injected = try #require(inject(original))
        let parsed = try JSONParser.parse(injected)
        let meta = try #require(parsed["params"]?["_meta"])
        let context = try #require(
            TraceContext(
                traceparent: meta["traceparent"]?.stringValue ?? "",
                tracestate: meta["tracestate"]?.stringValue))
        #expect(SpanBuilder.isInjected(context))
        #expect(meta["tracestate"]?.stringValue == "argus=\(injector.token)")
        // Only an insertion: removing it gives the original text back.
        let inserted = injected.utf8.count - original.utf8.count
        #expect(inserted > 0)
        return context
    }

    @Test func insertsIntoParamsMetaOrANewParamsWithoutTouchingTheRest() throws {
        _ = try check(#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"n":1.0}}}"#)
        let withMeta = try #require(
            inject(#"{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"x","_meta":{"progressToken":7}}}"#))
        #expect(withMeta.hasPrefix(#"{"jsonrpc":"2.0","id":"a","method":"tools/call","params":{"name":"x","_meta":{"traceparent":"00-"#))
        #expect(withMeta.hasSuffix(#"","progressToken":7}}}"#))
        let noParams = try #require(inject(#"{"jsonrpc":"2.0","id":2,"method":"ping"}"#))
        #expect(noParams.hasPrefix(#"{"jsonrpc":"2.0","id":2,"method":"ping","params":{"_meta":{"traceparent":"#))
        let emptyParams = try #require(inject(#"{ "method" : "tools/list", "params" : { }, "id" : 3 }"#))
        #expect(try JSONParser.parse(emptyParams)["params"]?.objectValue?.keys == ["_meta"])
        // Keys named like ours inside strings and nested objects do not confuse the scan.
        let tricky = #"{"id":4,"method":"tools/call","params":{"name":"\"params\":{","arguments":{"_meta":"x","params":{}}}}"#
        let ctx = try check(tricky)
        #expect(ctx.sampled)
        let parsed = try JSONParser.parse(try #require(inject(tricky)))
        #expect(parsed["params"]?["arguments"]?["_meta"]?.stringValue == "x")
    }

    @Test func leavesEverythingElseAlone() {
        #expect(inject(#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#) == nil)  // not a request
        #expect(inject(#"{"jsonrpc":"2.0","id":1,"result":{"method":"x"}}"#) == nil)  // a response
        #expect(
            inject(#"{"id":1,"method":"x","params":{"_meta":{"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}}"#)
                == nil)
        #expect(inject(#"{"id":1,"method":"x","params":[1,2]}"#) == nil)  // positional params
        #expect(inject(#"{"id":null,"method":"x"}"#) == nil)
        #expect(inject(#"not json "method" "id""#) == nil)
    }

    @Test func anInjectedContextMakesTheClientSpanTheOneTheServerContinues() throws {
        let s = Session()
        let line = #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}}"#
        let injected = String(decoding: try #require(injector.inject(Array(line.utf8))), as: UTF8.self)
        s.client(injected)
        s.server(#"{"jsonrpc":"2.0","id":1,"result":{"content":[]}}"#)
        let traceparent = try #require(try JSONParser.parse(injected)["params"]?["_meta"]?["traceparent"]?.stringValue)
        let context = try #require(TraceContext(traceparent: traceparent))
        var builder = SpanBuilder(options: .init())
        let spans = try #require(s.exchanges().first.map { builder.spans(for: $0) })
        #expect(Array(spans[0].traceID) == context.traceID && spans[0].parentSpanID.isEmpty)
        #expect(Array(spans[1].spanID) == context.spanID && spans[1].parentSpanID == spans[0].spanID)
    }
}
