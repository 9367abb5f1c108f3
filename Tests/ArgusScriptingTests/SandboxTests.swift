import ArgusCore
import Foundation
import Testing
@testable import ArgusScripting

func sandbox(_ limits: ScriptLimits = ScriptLimits()) throws -> LuaScript {
    try #require(LuaScript(limits: limits))
}

extension LuaScript {
    /// A hook call whose `call` and `ctx` hold strings, through the record path the host uses.
    func call(
        _ hook: String, call: KeyValuePairs<StaticString, String>, requestBody: String?, responseBody: String?,
        context: KeyValuePairs<StaticString, String>
    ) -> HookOutcome {
        self.call(hook, record: LuaRecord(call), requestBody: requestBody, responseBody: responseBody, context: LuaRecord(context))
    }
}

extension LuaRecord {
    init(_ fields: KeyValuePairs<StaticString, String>) {
        self.init()
        for (key, value) in fields { add(key, value) }
    }
}

@Suite struct SandboxTests {
    @Test(arguments: ["os", "io", "require", "debug", "package", "dofile", "loadfile", "string.dump", "module"])
    func dangerousThingsAreAbsent(_ name: String) throws {
        let lua = try sandbox()
        #expect(lua.eval("return \(name) == nil").value == true, "\(name) should not exist")
    }

    @Test func onlyTextChunksLoad() throws {
        let lua = try sandbox()
        #expect(lua.eval("return load('return 1 + 1')()").value == 2)
        let bytecode = lua.eval(#"local f, err = load("\27Lua\84\0\25\147\r\n\26\n"); return err"#)
        #expect(bytecode.value?.stringValue?.contains("attempt to load a binary chunk") == true)
        #expect(lua.eval("return collectgarbage('count') > 0").value == true)
        #expect(lua.eval("collectgarbage('stop')").status == .error)
    }

    @Test func globalsAreFrozenAfterInit() throws {
        let lua = try sandbox()
        #expect(lua.load(source: "counter = 0\nfunction bump() counter = counter + 1 end", name: "g.lua").status == .ok)
        #expect(lua.initialize(config: [:]).status == .ok)
        #expect(lua.eval("bump(); return counter").value == 1)  // existing globals may change
        let created = lua.eval("leaked = 1")
        #expect(created.status == .error)
        #expect(created.error?.contains("cannot create global 'leaked'") == true)
        #expect(lua.eval("rawset(_G, 'x', 1)").status == .error)
        #expect(lua.eval("setmetatable(_G, nil)").status == .error)
        #expect(lua.eval("argus.state.ok = true; return argus.state.ok").value == true)
    }

    /// Limits other than the one under test are set out of reach, so that a loaded
    /// machine cannot make another one trip first; that the call ends at all is the point.
    static func only(_ change: (inout ScriptLimits) -> Void) -> ScriptLimits {
        var limits = ScriptLimits()
        limits.timeMillis = 60_000
        change(&limits)
        return limits
    }

    @Test func anInfiniteLoopHitsTheInstructionLimit() throws {
        let lua = try sandbox(Self.only { _ in })
        let outcome = lua.eval("while true do end")
        #expect(outcome.status == .limit)
        #expect(outcome.error?.contains("instruction limit exceeded") == true, "\(outcome.error ?? "")")
        #expect(lua.eval("return 1").value == 1)  // the state is still usable
    }

    @Test func aSlowLoopHitsTheTimeLimit() throws {
        var limits = ScriptLimits()
        limits.instructions = .max
        limits.timeMillis = 50
        let lua = try sandbox(limits)
        let outcome = lua.eval("local x = 0 while true do x = x + 1 end")
        #expect(outcome.status == .limit)
        #expect(outcome.error?.contains("time limit exceeded") == true, "\(outcome.error ?? "")")
    }

    @Test func aMemoryBombHitsTheMemoryLimit() throws {
        let lua = try sandbox(Self.only { $0.memoryBytes = 4 << 20 })
        let outcome = lua.eval("local t = {} for i = 1, 1e8 do t[i] = ('x'):rep(100) .. i end")
        #expect(outcome.status == .limit)
        #expect(outcome.error?.contains("memory limit exceeded") == true, "\(outcome.error ?? "")")
        #expect(lua.memoryUsed < 4 << 20)
        #expect(lua.eval("return ('ok'):upper()").value == "OK")
        #expect(lua.eval("return ('x'):rep(1e9)").status == .limit)
    }

    @Test func aPatternBombIsStoppedQuickly() throws {
        let lua = try sandbox(Self.only { _ in })
        let outcome = lua.eval(#"return ("a"):rep(5000):find(".-.-.-.-b")"#)
        #expect(outcome.status == .limit)
        #expect(outcome.error?.contains("pattern too complex") == true, "\(outcome.error ?? "")")
        let gsub = lua.eval(#"return (("a"):rep(3000)):gsub("(.-)(.-)(.-)(.-)x", "")"#)
        #expect(gsub.status == .limit)
    }

    @Test func legitimatePatternsOnLargeStringsStillWork() throws {
        let lua = try sandbox(Self.only { _ in })  // the step budget is under test, not the machine's speed
        let outcome = lua.eval(#"local s = ("word "):rep(200000); local n = select(2, s:gsub("%w+", "")); return n"#)
        #expect(outcome.value == 200_000, "\(outcome.error ?? "")")
    }

    @Test func errorsNameTheScriptAndLine() throws {
        let lua = try sandbox()
        #expect(
            lua.load(source: "local x = 1\nfunction on_call(call)\n  return call.params.missing.field\nend", name: "broken.lua").status
                == .ok)
        _ = lua.initialize(config: [:])
        let outcome = lua.call("on_call", call: ["method": "tools/call"], requestBody: #"{"params":{}}"#, responseBody: nil, context: [:])
        #expect(outcome.status == .error)
        #expect(outcome.errorLocation == "broken.lua:3")
        let syntax = try sandbox().load(source: "function (", name: "syntax.lua")
        #expect(syntax.status == .error)
        #expect(syntax.errorLocation == "syntax.lua:1")
    }
}

@Suite struct JSONBridgeTests {
    @Test func valuesRoundTripFaithfully() throws {
        let lua = try sandbox()
        let cases = [
            #"{"a":1,"b":1.5,"c":1.0,"d":-0.25,"e":null,"f":[],"g":{},"h":[1,[2,{}]],"i":"é\n\u0001","z":true}"#,
            #"[null,null]"#, #"{"zeta":1,"alpha":2,"mid":3}"#, "9007199254740993", #""\u2028""#,
        ]
        for text in cases {
            let original = try JSONParser.parse(text)
            let outcome = lua.eval("return argus.json.decode([==[\(text)]==])")
            // Lua does not keep key order; Argus restores it from the original, and then the text is identical.
            #expect(outcome.value.map { JSONWriter.string($0.reordered(like: original)) } == JSONWriter.string(original), "\(text)")
        }
    }

    @Test func luaValuesEncodeSensibly() throws {
        let lua = try sandbox()
        #expect(lua.eval("return argus.json.encode({1, 2, 3})").value == "[1,2,3]")
        #expect(lua.eval("return argus.json.encode({b = 1, a = 2})").value == #"{"a":2,"b":1}"#)
        #expect(lua.eval("return argus.json.encode(argus.array())").value == "[]")
        #expect(lua.eval("return argus.json.encode({})").value == "{}")
        #expect(lua.eval("return argus.json.encode(0.1)").value == "0.1")
        #expect(lua.eval("return argus.json.encode(3.0)").value == "3.0")
        #expect(lua.eval("return argus.json.encode(1/0)").value == "null")
        #expect(lua.eval("local t = {}; t.self = t; return argus.json.encode(t)").status == .error)
        #expect(lua.eval("return argus.json.encode(print)").status == .error)
    }

    @Test func lazyCallFieldsDecodeOnceAndExpireWithTheHook() throws {
        let lua = try sandbox()
        _ = lua.load(
            source: """
                function on_call(call, ctx)
                  argus.state.kept = call
                  return { tool = call.tool, q = call.params.arguments.q, n = call.result.count, phase = ctx.phase }
                end
                function later(call) return argus.state.kept.params end
                function peek(call) argus.state.c = call end
                function again() return argus.state.c.result end
                """, name: "lazy.lua")
        _ = lua.initialize(config: [:])
        let outcome = lua.call(
            "on_call", call: ["tool": "search"],
            requestBody: #"{"id":1,"params":{"arguments":{"q":"x"}}}"#,
            responseBody: #"{"id":1,"result":{"count":3}}"#, context: ["phase": "response"])
        #expect(outcome.value?.sameValue(as: ["n": 3, "phase": "response", "q": "x", "tool": "search"]) == true)
        let stale = lua.call("later", call: [:], requestBody: nil, responseBody: nil, context: [:])
        // The kept call already decoded params (cached), so it is still there; an undecoded field is refused.
        #expect(stale.status == .ok)
        _ = lua.call("peek", call: [:], requestBody: nil, responseBody: #"{"result":1}"#, context: [:])
        let expired = lua.call("again", call: [:], requestBody: nil, responseBody: nil, context: [:])
        #expect(expired.status == .error)
        #expect(expired.error?.contains("read after its hook returned") == true)
    }

    @Test func hostAPIRecordsOutputs() throws {
        let lua = try sandbox()
        let outcome = lua.eval(
            """
            argus.log('hello', 42, argus.null)
            argus.metric.counter('calls', 1, { tool = 'x' })
            argus.metric.histogram('latency_ms', 12.5)
            argus.alert('warning', 'slow', { key = 'k', for_s = 30 })
            print('via print')
            return argus.redact.mask('4111111111111111') .. ' ' .. argus.redact.hash('secret')
            """)
        #expect(outcome.value == "************1111 sha256:2bb80d537b1da3e3")
        let kinds = outcome.outputs.compactMap { $0["type"]?.stringValue }
        #expect(kinds == ["log", "metric", "metric", "alert", "log"])
        #expect(outcome.outputs[0]["message"] == "hello\t42\tnull")
        #expect(outcome.outputs[1]["labels"] == ["tool": "x"])
        #expect(outcome.outputs[3]["key"] == "k" && outcome.outputs[3]["for_s"] == 30)
    }

    @Test func redactPathUsesJSONPointers() throws {
        let lua = try sandbox()
        let outcome = lua.eval(
            """
            local v = argus.json.decode('{"a":{"list":[{"token":"t1"},{"token":"t2"}]},"x/y":"s"}')
            local r1 = argus.redact.path(v, '/a/list/1/token')
            local r2 = argus.redact.path(v, '/x~1y', '***')
            local r3 = argus.redact.path(v, '/a/missing')
            return { v, r1, r2, r3 }
            """)
        #expect(
            outcome.value?.sameValue(as: [["a": ["list": [["token": "t1"], ["token": "[REDACTED]"]]], "x/y": "***"], true, true, false])
                == true)
    }

    @Test func percentileIsNearestRank() throws {
        let lua = try sandbox()
        #expect(lua.eval("return argus.percentile({5, 1, 4, 2, 3}, 50)").value == .number("3.0"))
        #expect(lua.eval("return argus.percentile({}, 95)").value == nil)
    }
}
