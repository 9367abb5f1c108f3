/* libFuzzer target for the host API of Argus's Lua runtime (Sources/CArgusLua).
 *
 * Each input is read as a small program: a few calls of a host function (print,
 * argus.*, and the library functions Argus replaces or charges) with a random number
 * of arguments of random types and sizes, written as Lua and run in a fresh sandbox;
 * then one hook call with call/ctx records and message bodies taken from the input
 * as they are. Built with AddressSanitizer, UBSan and a Lua with LUA_USE_APICHECK by
 * Scripts/ci/lua-sanitizers.sh; any report or abort is a bug. */

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argus_lua.h"

typedef struct {
    const uint8_t *p;
    size_t n;
} Input;

static unsigned take(Input *in) {
    if (in->n == 0) return 0;
    in->n--;
    return *in->p++;
}

static uint64_t take64(Input *in) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = v << 8 | take(in);
    return v;
}

/* The chunk being written, and which prepared values it uses. */
typedef struct {
    char *text;
    size_t length, capacity;
    int uses_huge_border, uses_cycle, uses_deep;
} Chunk;

static void put(Chunk *c, const char *s, size_t n) {
    if (c->length + n + 1 > c->capacity) {
        size_t capacity = c->capacity ? c->capacity : 1024;
        while (capacity < c->length + n + 1) capacity *= 2;
        char *grown = realloc(c->text, capacity);
        if (!grown) abort();
        c->text = grown;
        c->capacity = capacity;
    }
    memcpy(c->text + c->length, s, n);
    c->length += n;
    c->text[c->length] = '\0';
}

static void puts_(Chunk *c, const char *s) { put(c, s, strlen(s)); }

static void putf(Chunk *c, const char *format, ...) __attribute__((format(printf, 2, 3)));
#include <stdarg.h>
static void putf(Chunk *c, const char *format, ...) {
    char buffer[128];
    va_list ap;
    va_start(ap, format);
    int n = vsnprintf(buffer, sizeof buffer, format, ap);
    va_end(ap);
    put(c, buffer, n < 0 ? 0 : (size_t)n < sizeof buffer ? (size_t)n : sizeof buffer - 1);
}

/* A Lua string literal of n input bytes, from the given alphabet or any byte. */
static void put_string(Chunk *c, Input *in, size_t n, const char *alphabet) {
    puts_(c, "\"");
    size_t k = alphabet ? strlen(alphabet) : 0;
    for (size_t i = 0; i < n; i++) {
        unsigned b = take(in);
        if (k) b = (unsigned char)alphabet[b % k];
        putf(c, "\\x%02x", b);
    }
    puts_(c, "\"");
}

static const char PATTERN_ALPHABET[] = "a%.()[]^$*+-?bdfsw1x";
static const char JSON_ALPHABET[] = "{}[]:,\"\\u0123456789.eE+-ntrufals \x01\xc3\xa9";

static void put_value(Chunk *c, Input *in, int depth);

static void put_values(Chunk *c, Input *in, int depth, unsigned count) {
    for (unsigned i = 0; i < count; i++) {
        if (i) puts_(c, ", ");
        put_value(c, in, depth + 1);
    }
}

static void put_value(Chunk *c, Input *in, int depth) {
    unsigned kind = take(in) % (depth > 3 ? 9 : 18);
    switch (kind) {
    case 0: puts_(c, "nil"); break;
    case 1: puts_(c, take(in) & 1 ? "true" : "false"); break;
    case 2: {
        static const char *const special[] = {"math.mininteger", "math.maxinteger", "0", "-1", "1", "(1 << 61) + 1",
                                              "(1 << 31)", "-(1 << 53)"};
        unsigned which = take(in);
        if (which < 16) puts_(c, special[which % 8]);
        else putf(c, "%lld", (long long)(take64(in) & 0x7fffffffffffffffull) - (long long)(which & 1));
        break;
    }
    case 3: {
        static const char *const special[] = {"(0/0)", "(1/0)", "(-1/0)", "-0.0", "1e308", "5e-324", "0.5", "1e15"};
        unsigned which = take(in);
        if (which < 128) {
            puts_(c, special[which % 8]);
        } else {
            uint64_t bits = take64(in);
            double d;
            memcpy(&d, &bits, sizeof d);
            if (isfinite(d)) putf(c, "%a", d);
            else puts_(c, "(0/0)");
        }
        break;
    }
    case 4: put_string(c, in, take(in) % 24, NULL); break;
    case 5: { /* a long string */
        puts_(c, "string.rep(");
        put_string(c, in, 1 + take(in) % 4, NULL);
        static const unsigned sizes[] = {255, 256, 1023, 1024, 1025, 3000, 4096, 4097, 65536, 70000, 300000};
        putf(c, ", %u)", sizes[take(in) % (sizeof sizes / sizeof *sizes)]);
        break;
    }
    case 6: put_string(c, in, take(in) % 16, PATTERN_ALPHABET); break;
    case 7: put_string(c, in, take(in) % 48, JSON_ALPHABET); break;
    case 8: puts_(c, take(in) & 1 ? "argus.null" : "argus.DROP"); break;
    case 9: case 10: puts_(c, "{"); put_values(c, in, depth, take(in) % 6); puts_(c, "}"); break;
    case 11: {
        puts_(c, "{");
        unsigned n = take(in) % 5;
        for (unsigned i = 0; i < n; i++) {
            puts_(c, "[");
            put_string(c, in, take(in) % 8, NULL);
            puts_(c, "] = ");
            put_value(c, in, depth + 1);
            puts_(c, ", ");
        }
        puts_(c, "}");
        break;
    }
    case 12: puts_(c, "argus.array({"); put_values(c, in, depth, take(in) % 4); puts_(c, "})"); break;
    case 13: puts_(c, "function(...) return "); put_value(c, in, depth + 1); puts_(c, " end"); break;
    case 14: /* metamethods that run Lua, return odd things, or lie about the length */
        puts_(c, "setmetatable({}, {__index = function(t, k) return ");
        put_value(c, in, depth + 1);
        puts_(c, " end, __len = function() return ");
        put_value(c, in, depth + 1);
        puts_(c, " end, __tostring = function() return ");
        put_value(c, in, depth + 1);
        puts_(c, " end})");
        break;
    case 15: puts_(c, "HUGE_BORDER"); c->uses_huge_border = 1; break;
    case 16: puts_(c, "CYCLE"); c->uses_cycle = 1; break;
    default: puts_(c, "DEEP"); c->uses_deep = 1; break;
    }
}

static const char *const FUNCTIONS[] = {
    "print", "argus.log", "argus.warn", "argus.alert", "argus.metric.counter", "argus.metric.gauge",
    "argus.metric.histogram", "argus.percentile", "argus.redact.mask", "argus.redact.hash", "argus.redact.path",
    "argus.json.encode", "argus.json.decode", "argus.array", "argus.time", "argus.clock", "string.find",
    "string.match", "string.gsub", "gmatch_all", "string.rep", "string.format", "table.concat", "table.insert",
    "table.remove", "table.move", "table.unpack", "table.sort", "utf8.len", "utf8.codepoint", "utf8.offset",
    "setmetatable", "getmetatable", "load", "collectgarbage", "rawset", "tostring", "select", "error",
};

/* Values the statements may use, each written only when used (they cost time). */
static const char HUGE_BORDER[] = /* a table whose #t is 2^61 + 1 */
    "local HUGE_BORDER = load('return {' .. (function() local p, j = {}, 1 for i = 0, 61 do p[#p + 1] = '[' .. j .. ']=1' j = j * 2 end "
    "p[#p + 1] = '[' .. ((1 << 61) + 1) .. ']=2' return table.concat(p, ',') end)() .. '}')()\n";
static const char CYCLE[] = "local CYCLE = {} CYCLE.self = CYCLE CYCLE[1] = CYCLE\n";
static const char DEEP[] = "local DEEP = {} do local t = DEEP for i = 1, 300 do t[1] = {} t = t[1] end end\n";
static const char PRELUDE[] =
    "local function gmatch_all(s, p) local n = 0 for a, b in string.gmatch(s, p) do n = n + 1 if n > 100 then break end end return n end\n"
    "local results = {}\n";

static const char HOOKS[] =
    "function on_call(call, ctx)\n"
    "  local keys = {} for k in pairs(call) do keys[#keys + 1] = tostring(k) end\n"
    "  local p, r, e = call.params, call.result, call.error\n"
    "  print(#keys, ctx.phase, ctx.hook, call.tool, call.is_error)\n"
    "  argus.state.kept = call\n"
    "  return { params = p, result = r, error = e, keys = keys }\n"
    "end\n"
    "function redact(call, ctx) if call.params then argus.redact.path(call.params, '/a/0/b') end return call end\n"
    "function mutate_replay(params, call, ctx) return params end\n"
    "function later() return argus.state.kept and argus.state.kept.params end\n";

/* call = {tool = "t", id = 1} and ctx = {phase = "request"}, as the Swift host encodes them. */
static const unsigned char TOOL_BYTES[] = {'s', 4, 't', 'o', 'o', 'l', 1, 0, 0, 0, 't',
                                           'i', 2, 'i', 'd', 8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0};
static const unsigned char PHASE_BYTES[] = {'s', 5, 'p', 'h', 'a', 's', 'e', 7, 0, 0, 0, 'r', 'e', 'q', 'u', 'e', 's', 't'};
#define TOOL_RECORD ((argus_lua_record){TOOL_BYTES, sizeof TOOL_BYTES})
#define PHASE_RECORD ((argus_lua_record){PHASE_BYTES, sizeof PHASE_BYTES})

static argus_lua_record take_record(Input *in) {
    size_t n = take(in) % 64;
    if (n > in->n) n = in->n;
    argus_lua_record record = {in->p, n};
    in->p += n;
    in->n -= n;
    return record;
}

static void run_hook(argus_lua *lua, Input *in) {
    static const char *const hooks[] = {"on_call", "redact", "mutate_replay", "later", "missing"};
    const char *hook = hooks[take(in) % 5];
    argus_lua_record call = take_record(in);
    argus_lua_record ctx = take_record(in);
    /* Bodies: raw input bytes, which are usually not JSON at all. */
    size_t request_length = take(in) % 96, response_length = take(in) % 96;
    if (request_length > in->n) request_length = in->n;
    char *request = malloc(request_length + 1);
    memcpy(request, in->p, request_length);
    in->p += request_length;
    in->n -= request_length;
    if (response_length > in->n) response_length = in->n;
    char *response = malloc(response_length + 1);
    memcpy(response, in->p, response_length);
    in->p += response_length;
    in->n -= response_length;
    const char *first = strcmp(hook, "mutate_replay") == 0 ? "{\"a\":[{\"b\":1}]}" : NULL;
    argus_lua_result result;
    argus_lua_call(lua, hook, first, call, take(in) & 1 ? request : NULL, request_length,
                   take(in) & 1 ? response : NULL, response_length, ctx, &result);
    argus_lua_result_free(&result);
    /* The same with well-formed metadata, and with none. */
    argus_lua_call(lua, hook, first, TOOL_RECORD, request, request_length, response, response_length, PHASE_RECORD, &result);
    argus_lua_result_free(&result);
    argus_lua_record none = {NULL, 0};
    argus_lua_call(lua, "later", NULL, none, NULL, 0, NULL, 0, none, &result);
    argus_lua_result_free(&result);
    free(request);
    free(response);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    Input in = {data, size};
    argus_lua_limits limits = {8u << 20, 300000, 50, 200000, 20, 8192, 1024};
    argus_lua *lua = argus_lua_open(&limits);
    if (!lua) return 0;
    argus_lua_result result;
    argus_lua_load(lua, HOOKS, sizeof HOOKS - 1, "hooks.lua", &result);
    argus_lua_result_free(&result);
    if (take(&in) & 1) {
        argus_lua_init(lua, "{\"x\":[1,2,{\"y\":null}]}", &result);
        argus_lua_result_free(&result);
    }

    Chunk body = {0};
    unsigned statements = 1 + take(&in) % 4;
    for (unsigned s = 0; s < statements && in.n > 0; s++) {
        const char *function = FUNCTIONS[take(&in) % (sizeof FUNCTIONS / sizeof *FUNCTIONS)];
        putf(&body, "results[%u] = table.pack(pcall(%s", s + 1, function);
        unsigned count = take(&in) % 9;
        for (unsigned i = 0; i < count; i++) {
            puts_(&body, ", ");
            put_value(&body, &in, 0);
        }
        puts_(&body, "))\n");
    }
    /* The results go back through the JSON encoder (cycles and functions make it fail). */
    puts_(&body, "return results[1] and results[1][2]\n");
    Chunk chunk = {0};
    if (body.uses_huge_border) puts_(&chunk, HUGE_BORDER);
    if (body.uses_cycle) puts_(&chunk, CYCLE);
    if (body.uses_deep) puts_(&chunk, DEEP);
    puts_(&chunk, PRELUDE);
    if (body.text) puts_(&chunk, body.text);
    free(body.text);
    argus_lua_eval(lua, chunk.text, &result);
    argus_lua_result_free(&result);
    free(chunk.text);

    run_hook(lua, &in);
    argus_lua_close(lua);
    return 0;
}
