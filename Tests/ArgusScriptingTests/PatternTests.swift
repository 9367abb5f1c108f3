import ArgusCore
import CLua
import Testing
@testable import ArgusScripting

/// Debian's own Lua, unsandboxed, as the reference for the pattern functions Argus replaces.
final class ReferenceLua {
    let L: OpaquePointer

    init() {
        L = luaL_newstate()
        luaL_openlibs(L)
    }

    deinit { lua_close(L) }

    /// Runs a chunk that returns one string (loadstring + pcall: no Lua error escapes).
    func run(_ code: String) -> String {
        guard luaL_loadstring(L, code) == LUA_OK, lua_pcallk(L, 0, 1, 0, 0, nil) == LUA_OK else {
            let message = lua_tolstring(L, -1, nil).map { String(cString: $0) } ?? "?"
            lua_settop(L, 0)
            return "chunk error: " + message
        }
        let text = lua_tolstring(L, -1, nil).map { String(cString: $0) } ?? "nil"
        lua_settop(L, 0)
        return text
    }
}

/// Wraps an expression so it returns its results as one comparable string, or "error".
func probe(_ expression: String) -> String {
    """
    local function show(...)
      local t = {}
      for i = 1, select('#', ...) do
        local v = select(i, ...)
        t[#t + 1] = type(v) == 'string' and string.format('%q', v) or tostring(v)
      end
      return table.concat(t, ',')
    end
    local ok, result = pcall(function() return show(\(expression)) end)
    if ok then return result else return 'error' end
    """
}

func gmatchAll(_ subject: String, _ pattern: String) -> String {
    "(function() local out = {} for a, b in string.gmatch(\(subject), \(pattern)) do out[#out + 1] = tostring(a) .. '|' .. tostring(b) if #out > 50 then break end end return table.concat(out, ';') end)()"
}

func quoted(_ s: String) -> String {
    "\"" + s.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
}

@Suite struct PatternTests {
    static let cases: [String] = [
        #"("hello world"):find("o w")"#, #"("hello"):find("l+")"#, #"("hello"):find("l", 1, true)"#,
        #"("a.b.c"):find(".", 1, true)"#, #"("a.b.c"):find("%.")"#, #"("hello"):find("xyz")"#,
        #"("hello"):find("")"#, #"("hello"):find("", 10)"#, #"("hello"):find("l", -2)"#, #"("hello"):find("h", -100)"#,
        #"("key=val"):match("(%w+)=(%w+)")"#, #"("  trim  "):match("^%s*(.-)%s*$")"#, #"("2026-11-21"):match("(%d+)-(%d+)-(%d+)")"#,
        #"("hello"):match("()ll()")"#, #"("abcabc"):find("(abc)%1")"#, #"("f(a(b)c)d"):match("%b()")"#,
        #"("THE (quick) fox"):find("%f[%a]%a+")"#, #"("hello world from lua"):gsub("(%w+)", "<%1>")"#,
        #"("abc"):gsub("%w", "%0%0")"#, #"("abc"):gsub("", "-")"#, #"("a,b,,c"):gsub(",", ";", 2)"#,
        #"("hello world"):gsub("o", {o = "0"})"#, #"("hello"):gsub("l", function(c) return nil end)"#,
        #"("hello"):gsub("(l)(l)", function(a, b) return b .. a .. "!" end)"#, #"("x = 1, y = 2"):gsub("(%w+) = (%w+)", "%2 = %1")"#,
        #"("abc"):gsub(".", {a = 1, b = true})"#, #"("hello"):gsub("^h", "H")"#, #"("hello"):gsub("o$", "O")"#,
        #"("[test]"):match("%[(.*)%]")"#, #"("a-b-c"):gsub("%-", "+")"#, #"("ñandú"):gsub("[\128-\255]+", "?")"#,
        #"("aaa"):match("a-")"#, #"("aaa"):match("a-$")"#, #"("aaab"):match("a*b")"#, #"("b"):match("a?b")"#,
        #"("x"):find("[%a_][%w_]*")"#, #"("]"):find("[]]")"#, #"("^"):find("[^^]")"#, #"("a^b"):find("^", 1, true)"#,
        #"("hello"):find("[")"#, #"("hello"):find("%")"#, #"("hello"):gsub("l", "%2")"#, #"("hello"):find("(()")"#,
        #"("hello"):gsub("l", "%")"#, #"("hello"):match("%g+")"#, #"("tab\there"):match("%c")"#,
        gmatchAll(#""one two  three""#, #""%a+""#), gmatchAll(#""abc""#, #""x*""#), gmatchAll(#""k1=v1, k2=v2""#, #""(%w+)=(%w+)""#),
        gmatchAll(#""hello""#, #""()(l)""#), gmatchAll(#""a^b""#, #""^b""#),
    ]

    @Test func matchesLuaOnKnownCases() throws {
        let reference = ReferenceLua()
        let lua = try #require(LuaScript())
        for expression in Self.cases {
            let expected = reference.run(probe(expression))
            let actual = lua.eval(probe(expression)).value?.stringValue ?? "nil"
            #expect(actual == expected, "\(expression)")
        }
    }

    @Test func matchesLuaOnRandomPatterns() throws {
        let reference = ReferenceLua()
        let lua = try #require(LuaScript())
        var rng = SplitMix64(seed: 20261121)
        let subjectAlphabet = Array("ab(). %-[]x1^$")
        let tokens = [
            ".", "a", "b", "x", "%a", "%d", "%s", "%w", "%W", "%p", "%.", "%%", "[ab]", "[^a]", "[a-c]", "[%d.]",
            "*", "+", "-", "?", "(", ")", "()", "%b()", "%f[%a]", "%f[%W]", "^", "$", "%1", "%2", "[", "]", "%",
            "[?&]", "%f[%w]x",
        ]
        var disagreements: [String] = []
        for round in 0..<2000 {
            // Short subjects, and long ones (the matcher skips ahead on subjects of 64 bytes and more).
            let length = round % 4 == 3 ? 64 + Int(rng.next() % 300) : Int(rng.next() % 12)
            let subject = String((0..<length).map { _ in subjectAlphabet[Int(rng.next() % UInt64(subjectAlphabet.count))] })
            let pattern = (0..<Int(1 + rng.next() % 6)).map { _ in tokens[Int(rng.next() % UInt64(tokens.count))] }.joined()
            let s = quoted(subject), p = quoted(pattern)
            for expression in [
                "string.find(\(s), \(p))", "string.match(\(s), \(p))", "string.gsub(\(s), \(p), '<%0>')",
                gmatchAll(s, p),
            ] {
                let expected = reference.run(probe(expression))
                let actual = lua.eval(probe(expression)).value?.stringValue ?? "nil"
                if actual != expected { disagreements.append("\(expression): lua \(expected), argus \(actual)") }
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(10).joined(separator: "\n"))")
    }
}
