/* Checks of Argus's Lua runtime (Sources/CArgusLua) through its C entry points, for
 * Scripts/ci/lua-sanitizers.sh: built with AddressSanitizer, UBSan and a Lua with
 * LUA_USE_APICHECK and internal assertions, so that a misuse of the Lua API or of
 * memory aborts here even where the outcome looks right. The Swift tests
 * (Tests/ArgusScriptingTests) check the behaviour in detail; these cover every
 * entry point and host function, the hostile cases among them. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argus_lua.h"

typedef struct {
    const char *name;
    const char *source;
    int status;          /* ARGUS_LUA_* */
    const char *expect;  /* in the error, the value or the outputs; NULL for no check */
    double time_ms;      /* the time limit; 0 for 10 s (sanitizers are slow: only the limit under test may trip) */
} Case;

static const Case CASES[] = {
    {"print with a long argument", "print('a', ('x'):rep(3000), 'b')", ARGUS_LUA_OK, "\\tb\""},
    {"argus.log with long arguments", "argus.log(('a'):rep(1024), 'b', ('c'):rep(3000), 'd')", ARGUS_LUA_OK, "\\td\""},
    {"argus.warn with every type", "argus.warn(nil, true, 1, 2.5, {}, print, argus.null, argus.DROP, ('z'):rep(5000))",
     ARGUS_LUA_OK, "bytes cut"},
    {"print with __tostring", "print(setmetatable({}, {__tostring = function() return ('t'):rep(2000) end}), 'end')",
     ARGUS_LUA_OK, "\\tend\""},
    {"a huge log is cut", "argus.log(('x'):rep(1e6))", ARGUS_LUA_OK, "[... 995904 bytes cut]"},
    {"records over the bytes per call", "for i = 1, 100 do argus.log(('y'):rep(4000)) end", ARGUS_LUA_OK,
     "records dropped"},
    {"metrics and alerts", "argus.metric.counter('c', 1, {a = 'b', c = 1}) argus.metric.gauge('g', 2.5) "
     "argus.metric.histogram(('h'):rep(5000), 3) argus.alert('warning', ('m'):rep(9000), {key = {}, for_s = 3})",
     ARGUS_LUA_OK, "bytes cut"},
    {"metric labels must be named by strings", "argus.metric.counter('c', 1, {[1] = 'x'})", ARGUS_LUA_ERROR,
     "label names must be strings"},
    {"percentile of a huge border", "local p, j = {}, 1 for i = 0, 61 do p[#p + 1] = '[' .. j .. ']=1' j = j * 2 end "
     "p[#p + 1] = '[' .. ((1 << 61) + 1) .. ']=2' return argus.percentile(load('return {' .. table.concat(p, ',') .. '}')(), 50)",
     ARGUS_LUA_ERROR, "too many values"},
    {"percentile with NaN", "return argus.percentile({1, 0/0}, 50)", ARGUS_LUA_ERROR, "NaN"},
    {"percentile of NaN", "return argus.percentile({3, 1, 2}, 0/0)", ARGUS_LUA_OK, "1.0"},
    {"redact.path at the largest index", "return argus.redact.path(argus.json.decode('[1]'), '/9223372036854775807')",
     ARGUS_LUA_OK, "false"},
    {"redact.path", "local v = argus.json.decode('{\"a\":[{\"t\":1}]}') argus.redact.path(v, '/a/0/t') return v",
     ARGUS_LUA_OK, "[REDACTED]"},
    {"mask and hash", "return argus.redact.mask(('4'):rep(16), math.maxinteger) .. argus.redact.hash(('s'):rep(1e5))",
     ARGUS_LUA_OK, "sha256:"},
    {"a finalizer is refused", "setmetatable({}, {__gc = function() while true do end end})", ARGUS_LUA_ERROR,
     "__gc is not allowed"},
    {"array metatables are protected", "getmetatable(argus.array()).__gc = print", ARGUS_LUA_ERROR, "index a boolean"},
    {"__close runs within the limits", "local x <close> = setmetatable({}, {__close = function() while true do end end}) "
     "while true do end", ARGUS_LUA_LIMIT, "instruction limit"},
    {"an infinite loop", "while true do end", ARGUS_LUA_LIMIT, "instruction limit"},
    {"a memory bomb", "local t = {} while true do t[#t + 1] = ('x'):rep(4096) end", ARGUS_LUA_LIMIT, NULL},
    {"a pattern bomb", "return ('a'):rep(5000):find('.-.-.-.-b')", ARGUS_LUA_LIMIT, "pattern too complex"},
    {"a plain search bomb", "return ('a'):rep(1e6):find(('a'):rep(1000) .. 'b', 1, true)", ARGUS_LUA_LIMIT,
     "pattern too complex"},
    {"a literal run", "return ('a'):rep(1e5):match(('a'):rep(5e4) .. 'b')", ARGUS_LUA_LIMIT, "pattern too complex"},
    {"a long set", "return ('x'):rep(1e5):find('[' .. ('a'):rep(1e6) .. ']')", ARGUS_LUA_LIMIT, "pattern too complex"},
    {"gsub with every replacement kind", "local s = ('k=v; '):rep(1000) return s:gsub('(%w)=(%w)', '%2=%1'):gsub('%w', "
     "{k = 'K'}):gsub('V', function(c) return c:lower() end):len()", ARGUS_LUA_OK, "5000"},
    {"table.move over nothing", "table.move({}, 1, 1e15, 1)", ARGUS_LUA_LIMIT, "time limit", 200},
    {"table.insert with a lying __len",
     "table.insert(setmetatable({}, {__len = function() return 1 << 50 end}), 1, 'x')", ARGUS_LUA_LIMIT, "time limit", 200},
    {"string.rep of nothing", "return (''):rep(1 << 53)", ARGUS_LUA_OK, "\"\""},
    {"table functions", "local t = {5, 3, 1} table.sort(t) table.insert(t, 2, 9) table.remove(t, 1) "
     "return table.concat(table.move(t, 1, 3, 2, {}), ',', 2, 4), table.unpack(t)", ARGUS_LUA_OK, "9,3,5"},
    {"a sort", "local t = {} for i = 1, 1e5 do t[i] = (i * 7919) % 100003 end table.sort(t) return t[1]",
     ARGUS_LUA_OK, NULL},
    {"a charged sort", "local t = setmetatable({}, {}) for i = 1, 1e4 do t[i] = -i end "
     "table.sort(t) return t[1]", ARGUS_LUA_OK, "-10000"},
    {"a big value makes the hook look often", "local s = ('1'):rep(6e6) while true do local x = s + 0 end",
     ARGUS_LUA_LIMIT, "time limit", 500},
    {"json round trip", "return argus.json.decode(argus.json.encode({1, 'x', {a = argus.null}, argus.array()}))",
     ARGUS_LUA_OK, "[1,\"x\",{\"a\":null},[]]"},
    {"json of a cycle", "local t = {} t[1] = t return argus.json.encode(t)", ARGUS_LUA_ERROR, "nested too deeply"},
    {"json nested too deeply", "return argus.json.decode(('['):rep(1000))", ARGUS_LUA_ERROR, "nested too deeply"},
    {"json escapes", "return argus.json.decode('\"\\\\ud800\\\\u00e9\\\\n\"')", ARGUS_LUA_OK, NULL},
    {"an error is cut", "error(('e'):rep(1e6))", ARGUS_LUA_ERROR, "bytes cut]"},
    {"an error object", "error(setmetatable({}, {__tostring = function() return 'custom' end}))", ARGUS_LUA_ERROR,
     "custom"},
    {"bytecode is refused", "return select(2, load('\\27Lua'))", ARGUS_LUA_OK, "binary chunk"},
    {"collectgarbage is limited", "collectgarbage('collect')", ARGUS_LUA_ERROR, "limited"},
    {NULL, NULL, 0, NULL, 0},
};

static int failures = 0;

static int contains(const char *text, const char *part) { return text && strstr(text, part) != NULL; }

static void check(const char *name, const argus_lua_result *r, int want, const char *expect) {
    int ok = r->status == want && (!expect || contains(r->error, expect) || contains(r->value, expect) ||
                                   contains(r->outputs, expect));
    if (!ok) {
        failures++;
        fprintf(stderr, "FAIL %s: status %d (want %d), error %.300s, value %.300s, outputs %.300s\n", name, r->status,
                want, r->error ? r->error : "-", r->value ? r->value : "-", r->outputs ? r->outputs : "-");
    } else {
        printf("ok   %s\n", name);
    }
}

/* A record field: type, key, value (see argus_lua_record). */
static size_t field(unsigned char *out, char type, const char *key, const void *value, size_t length) {
    size_t k = strlen(key);
    out[0] = (unsigned char)type;
    out[1] = (unsigned char)k;
    memcpy(out + 2, key, k);
    for (int i = 0; i < 4; i++) out[2 + k + i] = (unsigned char)(length >> (8 * i));
    memcpy(out + 6 + k, value, length);
    return 6 + k + length;
}

static void hooks(void) {
    argus_lua_limits limits = {16u << 20, 2000000, 10000, 1000000, 100, 0, 0};
    argus_lua *lua = argus_lua_open(&limits);
    argus_lua_result r;
    const char *source =
        "SCRIPT = { name = 'checks', match = { tool = 'x*' } }\n"
        "function init(config) argus.state.n = config.n end\n"
        "function on_call(call, ctx) argus.state.kept = call return { call.tool, call.params, call.result, ctx.phase, call.error } end\n"
        "function redact(call, ctx) call.params.secret = '[x]' return call end\n"
        "function mutate_replay(params, call, ctx) params.n = argus.state.n return params end\n"
        "function later() return argus.state.kept.error end\n";
    argus_lua_load(lua, source, strlen(source), "checks.lua", &r);
    check("load", &r, ARGUS_LUA_OK, "\"hooks\"");
    argus_lua_result_free(&r);
    argus_lua_init(lua, "{\"n\":7}", &r);
    check("init", &r, ARGUS_LUA_OK, NULL);
    argus_lua_result_free(&r);

    unsigned char call[256], ctx[64];
    size_t n = 0;
    n += field(call + n, 's', "tool", "xray", 4);
    long long id = 42;
    n += field(call + n, 'i', "id", &id, sizeof id);
    double latency = 1.5;
    n += field(call + n, 'n', "latency_ms", &latency, sizeof latency);
    n += field(call + n, 'b', "is_error", "\1", 1);
    n += field(call + n, 'j', "request_id", "\"r1\"", 4);
    n += field(call + n, 'j', "broken", "{", 1); /* invalid JSON in a record: an error, not a crash */
    size_t m = field(ctx, 's', "phase", "response", 8);
    const char *request = "{\"jsonrpc\":\"2.0\",\"id\":1,\"params\":{\"secret\":\"s\"}}";
    const char *response = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"ok\":true}}";
    argus_lua_call(lua, "on_call", NULL, (argus_lua_record){call, n}, request, strlen(request), response,
                   strlen(response), (argus_lua_record){ctx, m}, &r);
    check("a record with invalid JSON", &r, ARGUS_LUA_ERROR, "invalid JSON");
    argus_lua_result_free(&r);
    n -= 6 + 6 + 1; /* without the broken field */
    argus_lua_call(lua, "on_call", NULL, (argus_lua_record){call, n}, request, strlen(request), response,
                   strlen(response), (argus_lua_record){ctx, m}, &r);
    check("on_call with records", &r, ARGUS_LUA_OK, "[\"xray\",{\"secret\":\"s\"},{\"ok\":true},\"response\"]");
    argus_lua_result_free(&r);
    /* Fixed-size values shorter than their type, at the very end of a record. */
    unsigned char *shortened = malloc(32);
    size_t k = field(shortened, 'b', "b", "", 0);
    k += field(shortened + k, 'n', "n", "\1\2", 2);
    k += field(shortened + k, 'i', "i", "", 0);
    unsigned char *exact = malloc(k);
    memcpy(exact, shortened, k);
    argus_lua_call(lua, "on_call", NULL, (argus_lua_record){exact, k}, NULL, 0, NULL, 0,
                   (argus_lua_record){exact, k}, &r);
    check("short fixed-size fields", &r, ARGUS_LUA_OK, NULL);
    argus_lua_result_free(&r);
    free(exact);
    free(shortened);
    argus_lua_record none = {NULL, 0};
    argus_lua_call(lua, "later", NULL, none, NULL, 0, NULL, 0, none, &r);
    check("a call read after its hook", &r, ARGUS_LUA_ERROR, "read after its hook returned");
    argus_lua_result_free(&r);
    size_t tool = field(call, 's', "tool", "xray", 4), phase = field(ctx, 's', "phase", "request", 7);
    argus_lua_call(lua, "redact", NULL, (argus_lua_record){call, tool}, request, strlen(request), NULL, 0,
                   (argus_lua_record){ctx, phase}, &r);
    check("redact", &r, ARGUS_LUA_OK, "[x]");
    argus_lua_result_free(&r);
    argus_lua_call(lua, "mutate_replay", "{\"a\":1}", none, NULL, 0, NULL, 0, none, &r);
    check("mutate_replay", &r, ARGUS_LUA_OK, "\"n\":7");
    argus_lua_result_free(&r);
    argus_lua_call(lua, "missing", NULL, none, NULL, 0, NULL, 0, none, &r);
    check("a missing hook", &r, ARGUS_LUA_MISSING, NULL);
    argus_lua_result_free(&r);
    argus_lua_eval(lua, "leaked = 1", &r);
    check("globals are sealed", &r, ARGUS_LUA_ERROR, "cannot create global");
    argus_lua_result_free(&r);
    argus_lua_close(lua);

    lua = argus_lua_open(&limits);
    argus_lua_load(lua, "function (", 10, "syntax.lua", &r);
    check("a syntax error", &r, ARGUS_LUA_ERROR, "syntax.lua:1");
    argus_lua_result_free(&r);
    argus_lua_close(lua);
}

int main(void) {
    for (const Case *c = CASES; c->name; c++) {
        argus_lua_limits limits = {16u << 20, 2000000, c->time_ms > 0 ? c->time_ms : 10000, 1000000, 100, 0, 0};
        argus_lua *lua = argus_lua_open(&limits);
        if (!lua) {
            fprintf(stderr, "cannot open a Lua state\n");
            return 1;
        }
        argus_lua_result r;
        argus_lua_eval(lua, c->source, &r);
        check(c->name, &r, c->status, c->expect);
        argus_lua_result_free(&r);
        argus_lua_close(lua);
    }
    hooks();
    printf("%d failed\n", failures);
    return failures ? 1 : 0;
}
