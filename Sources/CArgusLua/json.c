/* JSON <-> Lua for Argus scripts.
 *
 * Faithful in both directions where it matters to a hook: JSON null is the
 * `argus.null` sentinel (not nil, so keys survive), arrays carry a marker so an
 * empty array stays an array, and integers stay integers (floats keep a ".0").
 * Key order is not kept in Lua: when a script changes a message, Argus puts the
 * keys back in the original message's order on the Swift side. */

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAX_DEPTH 200

static const char ARRAY_KEY_STORAGE = 0;
static const char NULL_KEY_STORAGE = 0;
const char *const ARGUS_NULL_KEY = &NULL_KEY_STORAGE;

void argus_push_null(lua_State *L) { lua_pushlightuserdata(L, (void *)ARGUS_NULL_KEY); }

int argus_is_null(lua_State *L, int index) {
    return lua_type(L, index) == LUA_TLIGHTUSERDATA && lua_touserdata(L, index) == (void *)ARGUS_NULL_KEY;
}

/* The shared metatable of arrays: { __name = "argus.array" }, protected (__metatable)
 * so that a script cannot add a __gc to it for the arrays made after. */
static void push_array_metatable(lua_State *L) {
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &ARRAY_KEY_STORAGE) != LUA_TTABLE) {
        lua_pop(L, 1);
        lua_createtable(L, 0, 2);
        lua_pushliteral(L, "argus.array");
        lua_setfield(L, -2, "__name");
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "__metatable");
        lua_pushvalue(L, -1);
        lua_rawsetp(L, LUA_REGISTRYINDEX, &ARRAY_KEY_STORAGE);
    }
}

void argus_mark_array(lua_State *L, int index) {
    index = lua_absindex(L, index);
    push_array_metatable(L);
    lua_setmetatable(L, index);
}

int argus_is_array(lua_State *L, int index) {
    if (!lua_getmetatable(L, index)) return 0;
    push_array_metatable(L);
    int same = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    return same;
}

/* ---------------------------------------------------------------- decoding */

typedef struct {
    lua_State *L;
    const char *start;
    const char *p;
    const char *end;
    int depth;
} Decoder;

static int decode_error(Decoder *d, const char *what) {
    return luaL_error(d->L, "invalid JSON at byte %d: %s", (int)(d->p - d->start), what);
}

static void skip_space(Decoder *d) {
    while (d->p < d->end && (*d->p == ' ' || *d->p == '\t' || *d->p == '\n' || *d->p == '\r')) d->p++;
}

static void decode_value(Decoder *d);

static unsigned hex4(Decoder *d) {
    if (d->end - d->p < 4) decode_error(d, "truncated \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = d->p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else decode_error(d, "invalid \\u escape");
    }
    d->p += 4;
    return v;
}

static void add_utf8(luaL_Buffer *b, unsigned cp) {
    char out[4];
    int n;
    if (cp < 0x80) { out[0] = (char)cp; n = 1; }
    else if (cp < 0x800) { out[0] = (char)(0xC0 | (cp >> 6)); out[1] = (char)(0x80 | (cp & 0x3F)); n = 2; }
    else if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12)); out[1] = (char)(0x80 | ((cp >> 6) & 0x3F)); out[2] = (char)(0x80 | (cp & 0x3F)); n = 3;
    } else {
        out[0] = (char)(0xF0 | (cp >> 18)); out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); out[3] = (char)(0x80 | (cp & 0x3F)); n = 4;
    }
    luaL_addlstring(b, out, (size_t)n);
}

static void decode_string(Decoder *d) {
    d->p++; /* opening quote */
    const char *run = d->p;
    while (d->p < d->end && *d->p != '"' && *d->p != '\\') {
        if ((unsigned char)*d->p < 0x20) decode_error(d, "control character in string");
        d->p++;
    }
    if (d->p < d->end && *d->p == '"') { /* fast path: no escapes */
        lua_pushlstring(d->L, run, (size_t)(d->p - run));
        d->p++;
        return;
    }
    luaL_Buffer b;
    luaL_buffinit(d->L, &b);
    luaL_addlstring(&b, run, (size_t)(d->p - run));
    while (d->p < d->end) {
        char c = *d->p++;
        if (c == '"') {
            luaL_pushresult(&b);
            return;
        }
        if ((unsigned char)c < 0x20) decode_error(d, "control character in string");
        if (c != '\\') {
            luaL_addchar(&b, c);
            continue;
        }
        if (d->p >= d->end) break;
        c = *d->p++;
        switch (c) {
        case '"': luaL_addchar(&b, '"'); break;
        case '\\': luaL_addchar(&b, '\\'); break;
        case '/': luaL_addchar(&b, '/'); break;
        case 'b': luaL_addchar(&b, '\b'); break;
        case 'f': luaL_addchar(&b, '\f'); break;
        case 'n': luaL_addchar(&b, '\n'); break;
        case 'r': luaL_addchar(&b, '\r'); break;
        case 't': luaL_addchar(&b, '\t'); break;
        case 'u': {
            unsigned cp = hex4(d);
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (d->end - d->p >= 6 && d->p[0] == '\\' && d->p[1] == 'u') {
                    const char *save = d->p;
                    d->p += 2;
                    unsigned low = hex4(d);
                    if (low >= 0xDC00 && low <= 0xDFFF) cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                    else { d->p = save; cp = 0xFFFD; }
                } else {
                    cp = 0xFFFD;
                }
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                cp = 0xFFFD;
            }
            add_utf8(&b, cp);
            break;
        }
        default: decode_error(d, "invalid escape");
        }
    }
    decode_error(d, "unterminated string");
}

static void decode_number(Decoder *d) {
    const char *start = d->p;
    int is_float = 0;
    if (*d->p == '-') d->p++;
    if (d->p >= d->end || *d->p < '0' || *d->p > '9') decode_error(d, "invalid number");
    if (*d->p == '0') d->p++;
    else while (d->p < d->end && *d->p >= '0' && *d->p <= '9') d->p++;
    if (d->p < d->end && *d->p == '.') {
        is_float = 1;
        d->p++;
        if (d->p >= d->end || *d->p < '0' || *d->p > '9') decode_error(d, "digits expected after '.'");
        while (d->p < d->end && *d->p >= '0' && *d->p <= '9') d->p++;
    }
    if (d->p < d->end && (*d->p == 'e' || *d->p == 'E')) {
        is_float = 1;
        d->p++;
        if (d->p < d->end && (*d->p == '+' || *d->p == '-')) d->p++;
        if (d->p >= d->end || *d->p < '0' || *d->p > '9') decode_error(d, "digits expected in exponent");
        while (d->p < d->end && *d->p >= '0' && *d->p <= '9') d->p++;
    }
    char text[64];
    size_t len = (size_t)(d->p - start);
    if (len >= sizeof text) { /* very long literal: a float is all Lua can hold */
        char *copy = (char *)lua_newuserdatauv(d->L, len + 1, 0);
        memcpy(copy, start, len);
        copy[len] = '\0';
        double v = strtod(copy, NULL);
        lua_pop(d->L, 1);
        lua_pushnumber(d->L, v);
        return;
    }
    memcpy(text, start, len);
    text[len] = '\0';
    if (!is_float) {
        errno = 0;
        long long v = strtoll(text, NULL, 10);
        if (errno != ERANGE) {
            lua_pushinteger(d->L, (lua_Integer)v);
            return;
        }
    }
    lua_pushnumber(d->L, strtod(text, NULL));
}

static void expect_literal(Decoder *d, const char *word, size_t len) {
    if ((size_t)(d->end - d->p) < len || memcmp(d->p, word, len) != 0) decode_error(d, "invalid literal");
    d->p += len;
}

static void decode_object(Decoder *d) {
    lua_State *L = d->L;
    d->p++;
    lua_createtable(L, 0, 4);
    skip_space(d);
    if (d->p < d->end && *d->p == '}') {
        d->p++;
        return;
    }
    for (;;) {
        skip_space(d);
        if (d->p >= d->end || *d->p != '"') decode_error(d, "expected a string key");
        decode_string(d);
        skip_space(d);
        if (d->p >= d->end || *d->p != ':') decode_error(d, "expected ':'");
        d->p++;
        skip_space(d);
        decode_value(d);
        lua_rawset(L, -3);
        skip_space(d);
        if (d->p < d->end && *d->p == ',') { d->p++; continue; }
        if (d->p < d->end && *d->p == '}') { d->p++; return; }
        decode_error(d, "expected ',' or '}'");
    }
}

static void decode_array(Decoder *d) {
    lua_State *L = d->L;
    d->p++;
    lua_createtable(L, 4, 0);
    argus_mark_array(L, -1);
    lua_Integer n = 0;
    skip_space(d);
    if (d->p < d->end && *d->p == ']') {
        d->p++;
        return;
    }
    for (;;) {
        skip_space(d);
        decode_value(d);
        lua_rawseti(L, -2, ++n);
        skip_space(d);
        if (d->p < d->end && *d->p == ',') { d->p++; continue; }
        if (d->p < d->end && *d->p == ']') { d->p++; return; }
        decode_error(d, "expected ',' or ']'");
    }
}

static void decode_value(Decoder *d) {
    if (++d->depth > MAX_DEPTH) decode_error(d, "nested too deeply");
    luaL_checkstack(d->L, 6, "JSON nested too deeply");
    skip_space(d);
    if (d->p >= d->end) decode_error(d, "unexpected end");
    switch (*d->p) {
    case '{': decode_object(d); break;
    case '[': decode_array(d); break;
    case '"': decode_string(d); break;
    case 't': expect_literal(d, "true", 4); lua_pushboolean(d->L, 1); break;
    case 'f': expect_literal(d, "false", 5); lua_pushboolean(d->L, 0); break;
    case 'n': expect_literal(d, "null", 4); argus_push_null(d->L); break;
    default: decode_number(d);
    }
    d->depth--;
}

void argus_json_push(lua_State *L, const char *text, size_t length) {
    Decoder d = {L, text, text, text + length, 0};
    decode_value(&d);
    skip_space(&d);
    if (d.p != d.end) decode_error(&d, "unexpected data after the value");
}

/* ---------------------------------------------------------------- encoding */

/* A growable buffer owned by a userdata, so a Lua error mid-encoding leaks nothing. */
typedef struct {
    char *data;
    size_t length;
    size_t capacity;
    size_t limit;
    int sorted;   /* object keys sorted (for people) or in table order (for Argus, which reorders) */
} JsonBuffer;

static int buffer_gc(lua_State *L) {
    JsonBuffer *b = (JsonBuffer *)lua_touserdata(L, 1);
    free(b->data);
    b->data = NULL;
    return 0;
}

static JsonBuffer *push_buffer(lua_State *L) {
    JsonBuffer *b = (JsonBuffer *)lua_newuserdatauv(L, sizeof(JsonBuffer), 0);
    memset(b, 0, sizeof *b);
    argus_lua *a = argus_of(L);
    b->limit = a ? a->limits.memory_limit : (64u << 20);
    if (luaL_newmetatable(L, "argus.jsonbuffer")) {
        lua_pushcfunction(L, buffer_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    return b;
}

static void put(lua_State *L, JsonBuffer *b, const char *s, size_t n) {
    if (b->length + n > b->capacity) {
        size_t capacity = b->capacity ? b->capacity : 256;
        while (capacity < b->length + n) capacity *= 2;
        if (capacity > b->limit) luaL_error(L, "value too large to encode as JSON");
        char *grown = (char *)realloc(b->data, capacity);
        if (!grown) luaL_error(L, "not enough memory");
        b->data = grown;
        b->capacity = capacity;
    }
    memcpy(b->data + b->length, s, n);
    b->length += n;
}

static void put_string(lua_State *L, JsonBuffer *b, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    put(L, b, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        put(L, b, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': put(L, b, "\\\"", 2); break;
        case '\\': put(L, b, "\\\\", 2); break;
        case '\n': put(L, b, "\\n", 2); break;
        case '\r': put(L, b, "\\r", 2); break;
        case '\t': put(L, b, "\\t", 2); break;
        case '\b': put(L, b, "\\b", 2); break;
        case '\f': put(L, b, "\\f", 2); break;
        default: {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            put(L, b, esc, 6);
        }
        }
    }
    put(L, b, s + run, n - run);
    put(L, b, "\"", 1);
}

static void put_number(lua_State *L, JsonBuffer *b, int index) {
    char text[64];
    if (lua_isinteger(L, index)) {
        int n = snprintf(text, sizeof text, "%lld", (long long)lua_tointeger(L, index));
        put(L, b, text, (size_t)n);
        return;
    }
    double v = lua_tonumber(L, index);
    if (!isfinite(v)) {
        put(L, b, "null", 4);
        return;
    }
    /* The shortest text that reads back as the same double; floats keep a ".0". */
    int n = 0;
    for (int precision = 15; precision <= 17; precision++) {
        n = snprintf(text, sizeof text, "%.*g", precision, v);
        if (strtod(text, NULL) == v) break;
    }
    if (!strpbrk(text, ".eEn")) {
        text[n++] = '.';
        text[n++] = '0';
        text[n] = '\0';
    }
    put(L, b, text, (size_t)n);
}

static int compare_keys(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A table is a JSON array when marked, or when its keys are exactly 1..n (n > 0). */
static int is_sequence(lua_State *L, int index, lua_Integer *length) {
    if (argus_is_array(L, index)) {
        *length = (lua_Integer)lua_rawlen(L, index);
        return 1;
    }
    lua_Integer count = 0, max = 0;
    lua_pushnil(L);
    while (lua_next(L, index)) {
        lua_pop(L, 1);
        if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1) {
            lua_pop(L, 1);
            return 0;
        }
        lua_Integer k = lua_tointeger(L, -1);
        if (k > max) max = k;
        count++;
    }
    *length = max;
    return count > 0 && count == max;
}

static void encode(lua_State *L, int index, JsonBuffer *b, int depth);
static void put_member(lua_State *L, JsonBuffer *b, int *first, const char *key, size_t key_length, int value,
                       int depth) {
    if (!*first) put(L, b, ",", 1);
    *first = 0;
    put_string(L, b, key, key_length);
    put(L, b, ":", 1);
    encode(L, value, b, depth + 1);
}

static void encode_object(lua_State *L, int index, JsonBuffer *b, int depth) {
    int first = 1;
    if (!b->sorted) {
        lua_pushnil(L);
        while (lua_next(L, index)) {
            lua_pushvalue(L, -2);
            size_t kl;
            const char *k = luaL_tolstring(L, -1, &kl); /* number keys become strings */
            if (lua_type(L, -4) != LUA_TSTRING && lua_type(L, -4) != LUA_TNUMBER)
                luaL_error(L, "cannot encode a table key of type %s as JSON", luaL_typename(L, -4));
            put_member(L, b, &first, k, kl, lua_gettop(L) - 2, depth);
            lua_pop(L, 3);
        }
        return;
    }
    size_t count = 0;
    lua_pushnil(L);
    while (lua_next(L, index)) {
        lua_pop(L, 1);
        int type = lua_type(L, -1);
        if (type != LUA_TSTRING && type != LUA_TNUMBER)
            luaL_error(L, "cannot encode a table key of type %s as JSON", lua_typename(L, type));
        count++;
    }
    if (count == 0) return;
    const char **keys = (const char **)lua_newuserdatauv(L, count * sizeof(char *), 0);
    lua_createtable(L, (int)count, 0); /* keeps the key strings alive */
    int anchor = lua_gettop(L);
    size_t i = 0;
    lua_pushnil(L);
    while (lua_next(L, index)) {
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        keys[i++] = luaL_tolstring(L, -1, NULL);
        lua_rawseti(L, anchor, (lua_Integer)i);
        lua_pop(L, 1);
    }
    qsort(keys, count, sizeof(char *), compare_keys);
    for (i = 0; i < count; i++) {
        lua_pushstring(L, keys[i]);
        if (lua_rawget(L, index) == LUA_TNIL) { /* a number key stored as a number */
            lua_pop(L, 1);
            lua_Integer k = 0;
            if (lua_stringtonumber(L, keys[i])) {
                k = lua_tointeger(L, -1);
                lua_pop(L, 1);
            }
            lua_rawgeti(L, index, k);
        }
        put_member(L, b, &first, keys[i], strlen(keys[i]), lua_gettop(L), depth);
        lua_pop(L, 1);
    }
    lua_pop(L, 2);
}

static void encode(lua_State *L, int index, JsonBuffer *b, int depth) {
    if (depth > MAX_DEPTH) luaL_error(L, "cannot encode as JSON: nested too deeply (a cycle?)");
    luaL_checkstack(L, 8, "JSON nested too deeply");
    switch (lua_type(L, index)) {
    case LUA_TNIL: put(L, b, "null", 4); break;
    case LUA_TBOOLEAN: lua_toboolean(L, index) ? put(L, b, "true", 4) : put(L, b, "false", 5); break;
    case LUA_TNUMBER: put_number(L, b, index); break;
    case LUA_TSTRING: {
        size_t n;
        const char *s = lua_tolstring(L, index, &n);
        put_string(L, b, s, n);
        break;
    }
    case LUA_TLIGHTUSERDATA:
        if (argus_is_null(L, index)) {
            put(L, b, "null", 4);
            break;
        }
        luaL_error(L, "cannot encode a userdata as JSON");
        break;
    case LUA_TTABLE: {
        lua_Integer n;
        if (is_sequence(L, index, &n)) {
            put(L, b, "[", 1);
            for (lua_Integer i = 1; i <= n; i++) {
                if (i > 1) put(L, b, ",", 1);
                lua_rawgeti(L, index, i);
                encode(L, lua_gettop(L), b, depth + 1);
                lua_pop(L, 1);
            }
            put(L, b, "]", 1);
        } else {
            put(L, b, "{", 1);
            encode_object(L, index, b, depth);
            put(L, b, "}", 1);
        }
        break;
    }
    default:
        luaL_error(L, "cannot encode a %s as JSON", luaL_typename(L, index));
    }
}

/* Leaves the encoded text as a Lua string on the stack. */
static void encode_to_string(lua_State *L, int index, int sorted) {
    index = lua_absindex(L, index);
    JsonBuffer *b = push_buffer(L);
    b->sorted = sorted;
    encode(L, index, b, 0);
    lua_pushlstring(L, b->data ? b->data : "", b->length);
    lua_remove(L, -2);
}

char *argus_json_encode_dup(lua_State *L, int index) {
    encode_to_string(L, index, 0);
    size_t n;
    const char *s = lua_tolstring(L, -1, &n);
    char *copy = (char *)malloc(n + 1);
    if (copy) {
        memcpy(copy, s, n);
        copy[n] = '\0';
    }
    lua_pop(L, 1);
    return copy;
}

/* Lua-facing: argus.json.encode(value) and argus.json.decode(text). */
int argus_lua_json_encode(lua_State *L) {
    luaL_checkany(L, 1);
    encode_to_string(L, 1, 1);
    return 1;
}

int argus_lua_json_decode(lua_State *L) {
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    argus_json_push(L, s, n);
    return 1;
}
