import ArgusCore
import Foundation
import Testing
@testable import ArgusScripting

/// A redaction script that does not load (syntax error, failing init) fails closed:
/// what it would have redacted is stored as the marker until it loads.
@Suite struct FailClosedLoadTests {
    let email: JSONValue = [
        "tool": "lookup", "params": ["arguments": ["email": "ada@example.com"]],
        "result": ["content": [["type": "text", "text": "found ada@example.com"]]],
    ]

    static let masker = """
        function redact(call, ctx)
          local part = ctx.phase == "response" and call.result or call.params
          if part then
            local text = argus.json.encode(part):gsub("[%w.]+@[%w.]+", "[email]")
            if ctx.phase == "response" then call.result = argus.json.decode(text) else call.params = argus.json.decode(text) end
            return call
          end
        end
        """

    @Test(arguments: [
        ("a syntax error", masker + "\nend"),
        ("an error at load", "local x = nil + 1\n" + masker),
        ("a failing init", "function init(config) error('no dictionary') end\n" + masker),
        ("a bad SCRIPT table", "SCRIPT = { name = 42 }\n" + masker),
    ])
    func aRedactorThatDoesNotLoadStoresTheMarker(_ problem: String, _ source: String) {
        let files = ScriptFiles()
        let result = FixtureRunner(specs: [files.spec("mask.lua", source)]).run([email])
        let call = result.calls[0]
        #expect(
            call.storedRequest?["params"] == "[REDACTION FAILED]", "\(problem): \(call.storedRequest.map { JSONWriter.string($0) } ?? "")")
        #expect(call.storedResponse?["result"] == "[REDACTION FAILED]", "\(problem)")
        #expect(call.call?.tool == "lookup")  // the metadata is still there
        // Visible: on stderr, in the script's status and as an error record.
        #expect(
            result.lines.contains { $0.contains("not loaded") && $0.contains("stored as [REDACTION FAILED]") },
            "\(problem): \(result.lines)")
        #expect(result.statuses.last?.state == "error")
        #expect(result.statuses.last?.lastError?.contains("stored as [REDACTION FAILED]") == true)
        #expect(result.errors.first?.name == "load")
    }

    @Test func theSameScriptLoadedRedacts() {
        let files = ScriptFiles()
        let result = FixtureRunner(specs: [files.spec("mask.lua", Self.masker)]).run([email])
        #expect(result.calls[0].storedRequest?["params"]?["arguments"]?["email"] == "[email]")
        #expect(result.calls[0].storedResponse?["result"]?["content"]?[0]?["text"] == "found [email]")
    }

    @Test func anObserverThatDoesNotLoadFailsOpen() {
        let files = ScriptFiles()
        let broken = files.spec("count.lua", "function on_call(call) argus.metric.counter('calls') end end")
        let usesTheLibrary = files.spec("hash.lua", "function on_call(call) argus.log(argus.redact.hash(call.tool)) end end")
        let result = FixtureRunner(specs: [broken, usesTheLibrary]).run([email])
        #expect(result.calls[0].storedRequest?["params"]?["arguments"]?["email"] == "ada@example.com")
        #expect(result.lines.allSatisfy { !$0.contains("REDACTION FAILED") }, "\(result.lines)")
        #expect(result.statuses.allSatisfy { $0.state == "error" })
    }

    @Test func aMatchFromTheConfigStillLimitsAnUnloadedRedactor() {
        let files = ScriptFiles()
        var spec = files.spec("mask.lua", Self.masker + "\nend")
        spec.match = ScriptMatch(tools: ["other"])
        let result = FixtureRunner(specs: [spec]).run([email])
        #expect(result.calls[0].storedRequest?["params"]?["arguments"]?["email"] == "ada@example.com")
    }

    @Test func aRedactorThatLoadsLaterRedacts() throws {
        let files = ScriptFiles()
        let path = files.write("mask.lua", Self.masker + "\nend")
        var lines: [String] = []
        let host = ScriptHost(
            specs: [ScriptSpec(path: path)], options: .init(server: "s", argusPID: 1),
            report: { lines.append($0) })
        let body = #"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"email":"ada@example.com"}}"#
        let request = HookCall(
            phase: .request, run: 1, server: "s", direction: .clientToServer, method: "tools/call",
            tool: "lookup", startedAt: 0, requestBody: body)
        let message = RedactableMessage(try #require(JSONParser.parse(body).objectValue), text: body)
        #expect(host.hasRedactors)
        #expect(host.redact(request, message: message) { _ in } == .failed(script: "mask"))
        Thread.sleep(forTimeInterval: 0.01)  // a new modification time
        files.write("mask.lua", Self.masker)
        host.reloadChangedScripts()
        #expect(lines.last?.contains("script mask loaded") == true, "\(lines)")
        guard case .replace(let redacted) = host.redact(request, message: message, emit: { _ in }) else {
            Issue.record("the fixed script did not redact")
            return
        }
        #expect(redacted.object["params"]?["email"] == "[email]")
    }

    @Test func whatCountsAsMentioningRedact() {
        #expect(LoadedScript.mayRedact("function redact(call) end"))
        #expect(LoadedScript.mayRedact("redact = function(call) end"))
        #expect(LoadedScript.mayRedact("_G['redact'] = f"))
        #expect(LoadedScript.mayRedact("-- redact e-mails\nfunction on_call() end end"))
        #expect(!LoadedScript.mayRedact("function on_call(call) argus.log(argus.redact.hash(call.tool)) end"))
        #expect(!LoadedScript.mayRedact("local redacted = 1; local unredact = 2; M:redact()"))
    }
}
