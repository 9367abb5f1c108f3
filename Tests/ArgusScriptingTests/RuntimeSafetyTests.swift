import ArgusCore
import Foundation
import Testing
@testable import ArgusScripting

/// The Lua runtime's host API and library under hostile arguments: memory safety,
/// liveness (every call ends within its limits) and caps on what a call can output.
@Suite struct RuntimeSafetyTests {
    /// Limits with the time limit out of reach, so that only the limit under test can stop a call.
    static func only(_ change: (inout ScriptLimits) -> Void) -> ScriptLimits {
        var limits = ScriptLimits()
        limits.timeMillis = 60_000
        change(&limits)
        return limits
    }

    // MARK: luaL_Buffer

    @Test func printAndLogKeepLongArgumentsIntact() throws {
        let lua = try sandbox()
        // Each of these corrupted the buffer (a segfault, a double free) before.
        let outcome = lua.eval(
            """
            print("a", ("x"):rep(3000), "b")
            argus.log(("a"):rep(1024), "b", ("c"):rep(3000), "d")
            argus.warn(("w"):rep(2000), {}, nil, argus.null, ("z"):rep(1500))
            """)
        #expect(outcome.status == .ok, "\(outcome.error ?? "")")
        let messages = outcome.outputs.compactMap { $0["message"]?.stringValue }
        #expect(messages.count == 3)
        #expect(messages.first == "a\t" + String(repeating: "x", count: 3000) + "\tb")
        #expect(messages.dropFirst().first == String(repeating: "a", count: 1024) + "\tb\t" + String(repeating: "c", count: 3000) + "\td")
        let warned = messages.last ?? ""
        #expect(
            warned.hasPrefix(String(repeating: "w", count: 2000) + "\ttable: ")
                && warned.hasSuffix("\tnil\tnull\t" + String(repeating: "z", count: 1500)))
        #expect(outcome.outputs.last?["level"] == "warning")
    }

    // MARK: sizes from script-controlled numbers

    @Test func percentileRefusesLengthsItCannotHold() throws {
        let lua = try sandbox()
        // A table whose border (#t) is 2^61 + 1: n * sizeof(double) wrapped around to 8 bytes.
        let sparse = lua.eval(
            """
            local parts, j = {}, 1
            for i = 0, 61 do parts[#parts + 1] = "[" .. j .. "] = 1.0"; j = j * 2 end
            parts[#parts + 1] = "[" .. ((1 << 61) + 1) .. "] = 2.0"
            local t = load("return {" .. table.concat(parts, ",") .. "}")()
            assert(#t == (1 << 61) + 1, "the border is " .. #t)
            return argus.percentile(t, 50)
            """)
        #expect(sparse.status == .error)
        #expect(sparse.error?.contains("argus.percentile: too many values") == true, "\(sparse.error ?? "")")
        #expect(lua.eval("return argus.percentile({1, 0/0, 3}, 50)").error?.contains("value 2 is NaN") == true)
        #expect(lua.eval("return argus.percentile({1, 'x'}, 50)").error?.contains("value 2 is a string") == true)
        #expect(lua.eval("return argus.percentile({3, 1, 2}, 0/0)").value == .number("1.0"))
        #expect(lua.eval("return argus.percentile({3, 1, 2}, 1e300)").value == .number("3.0"))
    }

    @Test func redactPathIndexesDoNotOverflow() throws {
        let lua = try sandbox()
        let outcome = lua.eval("return argus.redact.path(argus.json.decode('[1]'), '/9223372036854775807')")
        #expect(outcome.status == .ok, "\(outcome.error ?? "")")
        #expect(outcome.value == false)
    }

    // MARK: finalizers

    @Test func scriptsCannotDefineFinalizers() throws {
        let lua = try sandbox()
        // A finalizer runs with hooks off, outside every limit: this one hung the recorder for good.
        let loop = lua.eval("setmetatable({}, {__gc = function() while true do end end}) local t = {} for i = 1, 1e5 do t[i] = {} end")
        #expect(loop.status == .error)
        #expect(loop.error?.contains("__gc is not allowed") == true, "\(loop.error ?? "")")
        // Not even one to fill in later, nor one added to a metatable Argus attaches itself.
        #expect(lua.eval("setmetatable({}, {__gc = false})").status == .error)
        #expect(lua.eval("return getmetatable(argus.array())").value == false)
        #expect(lua.eval("return getmetatable(argus.json.decode('[]'))").value == false)
        #expect(lua.eval("setmetatable(argus.array(), {})").status == .error)
        // Everything else about metatables still works.
        #expect(lua.eval("local t = setmetatable({}, {__index = function(_, k) return k .. '!' end}) return t.x").value == "x!")
        #expect(lua.eval("return getmetatable(setmetatable({}, {__close = function() end})) ~= nil").value == true)
        _ = lua.load(source: "function on_call(call) return getmetatable(call) end", name: "mt.lua")
        #expect(lua.call("on_call", call: [:], requestBody: nil, responseBody: nil, context: [:]).value == false)
    }

    // MARK: time spent inside C

    @Test func plainSearchesAndLiteralRunsAreCharged() throws {
        let lua = try sandbox(Self.only { _ in })
        // One call each: memchr + compare at every position of a subject that almost matches everywhere.
        for expression in [
            #"("a"):rep(1e6):find(("a"):rep(1000) .. "b", 1, true)"#,  // plain = true
            #"("a"):rep(1e6):find(("a"):rep(1000) .. "b")"#,  // no specials: searched plainly too
            #"("a"):rep(1e5):match(("a"):rep(5e4) .. "b")"#,  // a literal run inside the matcher
            #"("a"):rep(1e5):find("(" .. ("a"):rep(5e4) .. ")b")"#,
            #"("x"):rep(1e5):find("[" .. ("a"):rep(1e6) .. "]")"#,  // a set scanned for every byte
        ] {
            let outcome = lua.eval("return \(expression)")
            #expect(outcome.status == .limit, "\(expression): \(outcome.status)")
            #expect(outcome.error?.contains("pattern too complex") == true, "\(expression): \(outcome.error ?? "")")
        }
        // What real scripts do still fits the budget.
        #expect(
            lua.eval(#"local s = ("log line with a token=abc123 in it\n"):rep(20000) return select(2, s:gsub("token=%w+", "token=***"))"#)
                .value == 20000)
        #expect(lua.eval(#"return (("x"):rep(1e6) .. "needle"):find("needle", 1, true)"#).value == 1_000_001)
        #expect(lua.eval(#"return #(("word, "):rep(1e5):gsub("[abcdefghijklmnopqrstuvwxyz0123456789_]+", "w"))"#).value == 300_000)
    }

    @Test func libraryLoopsEndAtTheDeadline() throws {
        var limits = ScriptLimits()
        limits.instructions = .max
        limits.timeMillis = 200
        let lua = try sandbox(limits)
        // Each of these loops inside one C call that no instruction count sees (the first
        // two for hours); they are charged and stop at the deadline.
        for chunk in [
            "table.move({}, 1, 1e15, 1)",
            "local t = setmetatable({}, {__len = function() return 1 << 50 end}) table.insert(t, 1, 'x')",
            "local t = setmetatable({}, {__len = function() return 1 << 50 end}) table.remove(t, 1)",
            "local s = ('a'):rep(1e6) for i = 1, 1e9 do s:find(('a'):rep(10) .. 'b', 1, true) end",
        ] {
            let outcome = lua.eval(chunk)
            #expect(outcome.status == .limit, "\(chunk): \(outcome.status) \(outcome.error ?? "")")
            #expect(outcome.error?.contains("time limit exceeded") == true, "\(chunk): \(outcome.error ?? "")")
        }
        // string.rep of nothing copied nothing n times: now it is simply "".
        #expect(lua.eval("return (''):rep(1 << 53)").value == "")
        #expect(lua.eval("return (''):rep(1 << 53, '')").value == "")
    }

    @Test func instructionsOnHugeValuesAreWatchedMoreOften() throws {
        var limits = ScriptLimits()
        limits.instructions = .max
        let lua = try sandbox(limits)
        // Reading a number from a 6 MB string costs milliseconds per instruction; the count hook,
        // every 1000 instructions, let this run for seconds. With that much memory it looks every
        // few instructions, so the time limit trips before 1000 have run.
        let outcome = lua.eval("local s = ('1'):rep(6e6) while true do local x = s + 0 end")
        #expect(outcome.status == .limit)
        #expect(outcome.error?.contains("time limit exceeded") == true, "\(outcome.error ?? "")")
        #expect(outcome.instructions < 1000, "the hook first looked after \(outcome.instructions) instructions")
    }

    /// The charged table and string functions behave as Lua's own (results and errors).
    @Test func chargedLibraryFunctionsMatchLua() throws {
        let reference = ReferenceLua()
        let lua = try sandbox()
        let cases = [
            "local t = {1, 2, 3} table.insert(t, 'x') return table.concat(t, ',')",
            "local t = {1, 2, 3} table.insert(t, 1, 'x') return table.concat(t, ',')",
            "local t = {1, 2, 3} table.insert(t, 4, 'x') return table.concat(t, ',')",
            "local t = {1, 2, 3} table.insert(t, 5, 'x')", "table.insert({}, 1, 2, 3)", "table.insert(nil, 1)",
            "local t = {1, 2, 3} return table.remove(t), table.concat(t, ',')",
            "local t = {1, 2, 3} return table.remove(t, 1), table.concat(t, ',')",
            "local t = {} return table.remove(t), #t", "local t = {1} return table.remove(t, 2), #t",
            "local t = {1, 2, 3} return table.remove(t, 4), #t",
            "return table.concat({1, 2, 3}, ', ', 2, 3)", "return table.concat({}, 'x')", "return table.concat({1, {}, 3})",
            "return table.concat({'a', 'b'}, '-', 1, 1)", "return table.concat({1, 2}, nil, 3, 2)",
            "return table.unpack({1, 2, 3})", "return table.unpack({1, 2, 3}, 2)", "return table.unpack({1, 2}, 1, 4)",
            "return select('#', table.unpack({}, 1, 0))", "return table.unpack({}, 1, 1e8)",
            "return table.concat(table.move({1, 2, 3}, 1, 3, 2), ',')", "return table.concat(table.move({1, 2, 3}, 2, 3, 1), ',')",
            "return table.concat(table.move({1, 2, 3}, 1, 3, 1, {}), ',')", "return table.move({}, 1, math.maxinteger, 2)",
            "local t = {5, 2, 8, 1} table.sort(t) return table.concat(t, ',')",
            "local t = {5, 2, 8, 1} table.sort(t, function(a, b) return a > b end) return table.concat(t, ',')",
            "local t = {3, 'a'} table.sort(t)", "table.sort({1, 2}, 3)",
            "local p = setmetatable({}, {__index = function(_, i) return i <= 3 and i * 10 or nil end, __len = function() return 3 end}) "
                + "return table.concat(p, '+'), table.unpack(p)",
            "local t = {} for i = 1, 200 do t[i] = (i * 7919) % 211 end table.sort(t) return t[1], t[100], t[200]",
            "local t = setmetatable({}, {__index = {3, 1, 2}, __newindex = rawset, __len = function() return 3 end}) table.sort(t) return rawget(t, 1), rawget(t, 3)",
            "return ('ab'):rep(3, ','), (''):rep(3), ('x'):rep(0), ('x'):rep(-1)",
            "return utf8.len('héllo'), utf8.codepoint('héllo', 1, -1)", "return utf8.offset('héllo', 3), utf8.len('\\xff')",
        ]
        #expect(lua.eval("table.remove({1}, 5)").error?.contains("position out of bounds") == true)
        for chunk in cases {
            let code = """
                local ok, a, b, c, d, e = pcall(function() \(chunk) end)
                if not ok then return 'error: ' .. tostring(a):gsub('^[^:]*:%d+: ', '') end
                return table.concat({tostring(a), tostring(b), tostring(c), tostring(d), tostring(e)}, '|')
                """
            let expected = reference.run(code)
            #expect(lua.eval(code).value?.stringValue == expected, "\(chunk)")
        }
    }

    // MARK: what one call can output

    @Test func outputTextIsCappedPerTextAndPerCall() throws {
        let lua = try sandbox(Self.only { _ in })
        let long = lua.eval("argus.log(('x'):rep(5e6))")
        let message = long.outputs.first?["message"]?.stringValue ?? ""
        #expect(message.utf8.count <= 4096 + 40, "\(message.utf8.count) bytes")
        #expect(String(message.suffix(23)) == "[... 4995904 bytes cut]")
        // 100 records of 4000 bytes would be 400 kB: 64 KiB are kept, and the rest is counted.
        let many = lua.eval("for i = 1, 100 do argus.log(('y'):rep(4000)) end")
        let kept = many.outputs.filter { $0["message"]?.stringValue?.hasPrefix("y") == true }
        #expect(kept.count == 16)
        let warning = many.outputs.last
        #expect(
            warning?["message"]?.stringValue?.contains("84 log/metric/alert records dropped and 336000 bytes of their text cut") == true,
            "\(warning?["message"]?.stringValue ?? "")")
        #expect(warning?["dropped"] == 84)
        // Names, labels, alert messages and keys are cut too; cuts never split a character.
        let others = lua.eval(
            """
            argus.metric.counter(('n'):rep(5000), 1, { [('k'):rep(5000)] = ('é'):rep(3000) })
            argus.alert('warning', ('é'):rep(3000), { key = ('k'):rep(9000) })
            """)
        let metric = try #require(others.outputs.first { $0["type"] == "metric" })
        #expect(metric["name"]?.stringValue?.hasSuffix("[... 904 bytes cut]") == true)
        let label = try #require(metric["labels"]?.objectValue?.members.first)
        #expect(
            label.key.hasSuffix("[... 904 bytes cut]") && label.value.stringValue?.hasSuffix("[... 1904 bytes cut]") == true,
            "\(label.key.suffix(30)) \(label.value.stringValue?.suffix(30) ?? "")")
        let alert = try #require(others.outputs.first { $0["type"] == "alert" })
        #expect(alert["message"]?.stringValue?.hasPrefix(String(repeating: "é", count: 2048)) == true)
        #expect(alert["message"]?.stringValue?.contains("\u{FFFD}") == false)
        #expect(alert["key"]?.stringValue?.utf8.count ?? 0 <= 4096 + 40)
        // An error's text as well (it is stored and printed).
        let error = lua.eval("error(('e'):rep(3e6))")
        #expect((error.error?.utf8.count ?? 0) <= 4096 + 40)
        #expect(error.error?.hasSuffix("bytes cut]") == true)
    }
}
