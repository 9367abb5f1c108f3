/* The host API scripts call: argus.log, argus.warn and print (log lines), argus.alert and
 * argus.metric.* (records of the current hook call, cut per text and capped per call before
 * they leave Lua), argus.time and argus.clock, argus.array, argus.json, argus.redact.*,
 * argus.percentile, argus.null and argus.DROP. Each keeps the Lua API's rules (see the
 * sanitizer lane, Scripts/ci/lua-sanitizers.sh). */

#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

/* Registry key of the current hook call's records, and the value of argus.DROP. */
static const char OUTPUTS_KEY = 0;
static const char DROP_SENTINEL = 0;

static double wall_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* How many of the first `keep` bytes of s (which is longer) to keep so that no UTF-8
 * character is split: back off over continuation bytes, at most three. */
size_t argus_utf8_prefix(const char *s, size_t keep) {
    for (int i = 0; i < 3 && keep > 0 && ((unsigned char)s[keep] & 0xC0) == 0x80; i++) keep--;
    return keep;
}

/* Pushes s cut to the per-text limit, noting the cut in the text and in the call's count.
 * Returns the bytes pushed. */
static size_t push_capped(lua_State *L, const char *s, size_t n) {
    argus_lua *a = argus_of(L);
    size_t cap = a->limits.max_text_bytes;
    if (n <= cap) {
        lua_pushlstring(L, s, n);
        return n;
    }
    size_t keep = argus_utf8_prefix(s, cap);
    char note[64];
    int note_length = snprintf(note, sizeof note, " [... %zu bytes cut]", n - keep);
    a->output_bytes_cut += (long long)(n - keep);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addlstring(&b, s, keep);
    luaL_addlstring(&b, note, (size_t)note_length);
    luaL_pushresult(&b);
    return keep + (size_t)note_length;
}

/* The value at index as text (tostring), capped; pushes it and returns its length. */
static size_t push_text(lua_State *L, int index) {
    size_t n;
    const char *s = luaL_tolstring(L, index, &n);
    size_t pushed = push_capped(L, s, n);
    lua_remove(L, -2);
    return pushed;
}

/* Appends the table on top of the stack (holding `bytes` of text) to the current call's
 * outputs, or drops it when the call already has its records or bytes; pops it. */
static void record_output(lua_State *L, size_t bytes) {
    argus_lua *a = argus_of(L);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &OUTPUTS_KEY);
    lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
    if (n >= a->limits.max_outputs || bytes > a->limits.max_output_bytes - a->output_bytes) {
        lua_pop(L, 2);
        a->outputs_dropped++;
        a->output_bytes_cut += (long long)bytes;
        return;
    }
    a->output_bytes += bytes;
    lua_insert(L, -2);
    lua_rawseti(L, -2, n + 1);
    lua_pop(L, 1);
}

/* Where the running script is: "file.lua:12". */
static void push_location(lua_State *L) {
    lua_Debug ar;
    if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar) && ar.currentline > 0)
        lua_pushfstring(L, "%s:%d", ar.short_src, ar.currentline);
    else
        lua_pushnil(L);
}

static int log_at(lua_State *L, const char *level) {
    argus_lua *a = argus_of(L);
    int n = lua_gettop(L);
    /* Every argument becomes text first, in its own slot: while a luaL_Buffer is open,
     * only the buffer may push (a value pushed on top of it corrupts it). */
    for (int i = 1; i <= n; i++) {
        if (argus_is_null(L, i)) lua_pushliteral(L, "null");
        else luaL_tolstring(L, i, NULL);
        lua_replace(L, i);
    }
    size_t room = a->limits.max_text_bytes, cut = 0;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        size_t length;
        const char *text = lua_tolstring(L, i, &length);
        if (i > 1) {
            if (room > 0) {
                luaL_addchar(&b, '\t');
                room--;
            } else {
                cut++;
            }
        }
        size_t keep = length <= room ? length : argus_utf8_prefix(text, room);
        luaL_addlstring(&b, text, keep);
        room -= keep;
        if (keep < length) {
            cut += length - keep;
            room = 0;
        }
    }
    if (cut > 0) {
        char note[64];
        luaL_addlstring(&b, note, (size_t)snprintf(note, sizeof note, " [... %zu bytes cut]", cut));
        a->output_bytes_cut += (long long)cut;
    }
    luaL_pushresult(&b);
    size_t bytes = lua_rawlen(L, -1);
    lua_createtable(L, 0, 4);
    lua_pushliteral(L, "log");
    lua_setfield(L, -2, "type");
    lua_pushstring(L, level);
    lua_setfield(L, -2, "level");
    lua_insert(L, -2);
    lua_setfield(L, -2, "message");
    push_location(L);
    lua_setfield(L, -2, "where");
    record_output(L, bytes);
    return 0;
}

static int l_log(lua_State *L) { return log_at(L, "info"); }
static int l_warn(lua_State *L) { return log_at(L, "warning"); }

/* Copies the labels table into the record at `into`; returns the bytes of text, or
 * stops early (returning more than a call may hold) for a table too big to keep. */
static size_t copy_labels(lua_State *L, int labels, int into) {
    if (lua_isnoneornil(L, labels)) return 0;
    luaL_checktype(L, labels, LUA_TTABLE);
    argus_lua *a = argus_of(L);
    size_t bytes = 0;
    lua_newtable(L);
    lua_pushnil(L);
    while (lua_next(L, labels)) {
        if (lua_type(L, -2) != LUA_TSTRING) luaL_error(L, "metric label names must be strings");
        size_t name_length;
        const char *name = lua_tolstring(L, -2, &name_length);
        bytes += push_capped(L, name, name_length);
        bytes += push_text(L, -2);
        lua_rawset(L, -5);
        lua_pop(L, 1);
        if (bytes > a->limits.max_output_bytes) {
            lua_pop(L, 1); /* the key: the traversal ends here */
            break;
        }
    }
    lua_setfield(L, into, "labels");
    return bytes;
}

static int metric(lua_State *L, const char *kind, int value_required) {
    lua_settop(L, 3);  /* labels left out stay nil at 3, not the record table pushed next */
    size_t name_length;
    const char *name = luaL_checklstring(L, 1, &name_length);
    lua_Number value = value_required ? luaL_checknumber(L, 2) : luaL_optnumber(L, 2, 1);
    lua_createtable(L, 0, 5);
    int t = lua_gettop(L);
    lua_pushliteral(L, "metric");
    lua_setfield(L, t, "type");
    lua_pushstring(L, kind);
    lua_setfield(L, t, "kind");
    size_t bytes = push_capped(L, name, name_length);
    lua_setfield(L, t, "name");
    lua_pushnumber(L, value);
    lua_setfield(L, t, "value");
    bytes += copy_labels(L, 3, t);
    record_output(L, bytes);
    return 0;
}

static int l_counter(lua_State *L) { return metric(L, "counter", 0); }
static int l_gauge(lua_State *L) { return metric(L, "gauge", 1); }
static int l_histogram(lua_State *L) { return metric(L, "histogram", 1); }

static int l_alert(lua_State *L) {
    size_t level_length, message_length;
    const char *level = luaL_checklstring(L, 1, &level_length);
    const char *message = luaL_checklstring(L, 2, &message_length);
    if (!lua_isnoneornil(L, 3)) luaL_checktype(L, 3, LUA_TTABLE);
    lua_createtable(L, 0, 6);
    int t = lua_gettop(L);
    lua_pushliteral(L, "alert");
    lua_setfield(L, t, "type");
    size_t bytes = push_capped(L, level, level_length);
    lua_setfield(L, t, "level");
    bytes += push_capped(L, message, message_length);
    lua_setfield(L, t, "message");
    if (lua_istable(L, 3)) {
        if (lua_getfield(L, 3, "key") != LUA_TNIL) {
            bytes += push_text(L, -1);
            lua_setfield(L, t, "key");
        }
        lua_pop(L, 1);
        if (lua_getfield(L, 3, "for_s") == LUA_TNUMBER) lua_setfield(L, t, "for_s");
        else lua_pop(L, 1);
    }
    push_location(L);
    lua_setfield(L, t, "where");
    record_output(L, bytes);
    return 0;
}

static int l_time(lua_State *L) {
    lua_pushnumber(L, wall_seconds());
    return 1;
}

static int l_clock(lua_State *L) {
    lua_pushnumber(L, (double)argus_monotonic_ns() / 1e9);
    return 1;
}

static int l_array(lua_State *L) {
    if (lua_isnoneornil(L, 1)) {
        lua_settop(L, 0);
        lua_newtable(L);
    } else {
        luaL_checktype(L, 1, LUA_TTABLE);
        lua_settop(L, 1);
    }
    argus_mark_array(L, 1);
    return 1;
}

static int l_mask(lua_State *L) {
    lua_Integer keep = luaL_optinteger(L, 2, 4);
    size_t n;
    const char *s = luaL_tolstring(L, 1, &n);
    if (keep < 0) keep = 0;
    if ((size_t)keep * 2 >= n) keep = 0; /* too short to show anything */
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (size_t i = 0; i < n - (size_t)keep; i++) luaL_addchar(&b, '*');
    luaL_addlstring(&b, s + n - (size_t)keep, (size_t)keep);
    luaL_pushresult(&b);
    return 1;
}

static int l_hash(lua_State *L) {
    size_t n;
    const char *s = luaL_tolstring(L, 1, &n);
    unsigned char digest[32];
    argus_sha256((const unsigned char *)s, n, digest);
    char text[7 + 16 + 1] = "sha256:";
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 8; i++) {
        text[7 + 2 * i] = hex[digest[i] >> 4];
        text[8 + 2 * i] = hex[digest[i] & 15];
    }
    lua_pushlstring(L, text, sizeof text - 1);
    return 1;
}

/* argus.redact.path(value, "/a/b/0", replacement?) -> true when something was replaced. */
static int l_redact_path(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    size_t n;
    const char *pointer = luaL_checklstring(L, 2, &n);
    if (lua_isnoneornil(L, 3)) lua_pushliteral(L, "[REDACTED]"); /* RedactionMarker.redacted(label: nil) in Swift */
    else lua_pushvalue(L, 3);
    int replacement = lua_gettop(L);
    if (n == 0 || pointer[0] != '/') return luaL_argerror(L, 2, "a JSON Pointer such as /arguments/token");
    lua_pushvalue(L, 1);
    const char *p = pointer + 1, *end = pointer + n;
    for (;;) {
        luaL_Buffer b;
        luaL_buffinit(L, &b);
        while (p < end && *p != '/') {
            if (*p == '~' && p + 1 < end && (p[1] == '0' || p[1] == '1')) {
                luaL_addchar(&b, p[1] == '0' ? '~' : '/');
                p += 2;
            } else {
                luaL_addchar(&b, *p++);
            }
        }
        luaL_pushresult(&b);
        /* arrays are indexed from 0 in pointers, from 1 in Lua */
        if (argus_is_array(L, -2) || lua_rawlen(L, -2) > 0) {
            if (lua_stringtonumber(L, lua_tostring(L, -1))) {
                lua_Integer index = lua_tointeger(L, -1);
                lua_pop(L, 2);
                lua_pushinteger(L, (lua_Integer)((lua_Unsigned)index + 1)); /* wraps like Lua's own + */
            }
        }
        if (p >= end) break;
        p++;
        if (lua_gettable(L, -2) != LUA_TTABLE) {
            lua_pushboolean(L, 0);
            return 1;
        }
        lua_remove(L, -2);
    }
    /* stack: ..., container, key */
    lua_pushvalue(L, -1);
    if (lua_gettable(L, -3) == LUA_TNIL || argus_is_null(L, -1)) {
        lua_pushboolean(L, 0);
        return 1;
    }
    lua_pop(L, 1);
    lua_pushvalue(L, replacement);
    lua_settable(L, -3);
    lua_pushboolean(L, 1);
    return 1;
}

static int compare_numbers(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* argus.percentile(values, p): nearest rank, p in 0..100. */
static int l_percentile(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Number p = luaL_checknumber(L, 2);
    lua_Unsigned n = lua_rawlen(L, 1);
    if (n == 0) {
        lua_pushnil(L);
        return 1;
    }
    /* The length is the table's border, which a sparse table can put near 2^63: refuse
     * what cannot fit the state's memory before computing a size that could overflow. */
    if (n > argus_of(L)->limits.memory_limit / sizeof(double))
        return luaL_error(L, "argus.percentile: too many values (%I)", (lua_Integer)n);
    double *values = (double *)lua_newuserdatauv(L, (size_t)n * sizeof(double), 0);
    for (lua_Unsigned i = 0; i < n; i++) {
        argus_charge(L, 1);
        if (lua_rawgeti(L, 1, (lua_Integer)i + 1) != LUA_TNUMBER)
            return luaL_error(L, "argus.percentile: value %I is a %s, not a number", (lua_Integer)i + 1,
                              luaL_typename(L, -1));
        values[i] = lua_tonumber(L, -1);
        lua_pop(L, 1);
        /* qsort needs a consistent order, which NaN breaks */
        if (isnan(values[i])) return luaL_error(L, "argus.percentile: value %I is NaN", (lua_Integer)i + 1);
    }
    argus_charge(L, n * 8);
    qsort(values, (size_t)n, sizeof(double), compare_numbers);
    double wanted = ceil(p / 100.0 * (double)n);
    size_t rank = 1; /* also for p = NaN */
    if (wanted >= (double)n) rank = (size_t)n;
    else if (wanted > 1) rank = (size_t)wanted;
    lua_pushnumber(L, values[rank - 1]);
    return 1;
}

static int l_print(lua_State *L) { return l_log(L); }

int argus_is_drop(lua_State *L, int index) {
    return lua_type(L, index) == LUA_TLIGHTUSERDATA && lua_touserdata(L, index) == (void *)&DROP_SENTINEL;
}

/* Sets `print` and the `argus` table in the globals at `globals`, and the registry table
 * that collects each hook call's records. */
void argus_install_host_api(lua_State *L, int globals) {
    lua_pushcfunction(L, l_print);
    lua_setfield(L, globals, "print");

    /* the argus table */
    lua_newtable(L);
    int argus = lua_gettop(L);
    static const luaL_Reg functions[] = {
        {"log", l_log}, {"warn", l_warn}, {"alert", l_alert}, {"time", l_time}, {"clock", l_clock},
        {"array", l_array}, {"percentile", l_percentile}, {NULL, NULL},
    };
    luaL_setfuncs(L, functions, 0);
    argus_push_null(L);
    lua_setfield(L, argus, "null");
    lua_pushlightuserdata(L, (void *)&DROP_SENTINEL);
    lua_setfield(L, argus, "DROP");
    lua_pushliteral(L, "0.1.0");
    lua_setfield(L, argus, "version");
    lua_newtable(L);
    lua_setfield(L, argus, "state");
    lua_newtable(L);
    lua_setfield(L, argus, "config");

    static const luaL_Reg metric_functions[] = {
        {"counter", l_counter}, {"gauge", l_gauge}, {"histogram", l_histogram}, {NULL, NULL},
    };
    luaL_newlib(L, metric_functions);
    lua_setfield(L, argus, "metric");
    static const luaL_Reg json_functions[] = {
        {"encode", argus_lua_json_encode}, {"decode", argus_lua_json_decode}, {NULL, NULL},
    };
    luaL_newlib(L, json_functions);
    lua_setfield(L, argus, "json");
    static const luaL_Reg redact_functions[] = {
        {"mask", l_mask}, {"hash", l_hash}, {"path", l_redact_path}, {NULL, NULL},
    };
    luaL_newlib(L, redact_functions);
    lua_setfield(L, argus, "redact");
    lua_setfield(L, globals, "argus");

    lua_newtable(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &OUTPUTS_KEY);
}

static int collect_outputs_protected(lua_State *L) {
    char **target = (char **)lua_touserdata(L, 1);
    argus_lua *a = argus_of(L);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &OUTPUTS_KEY);
    lua_Integer n = (lua_Integer)lua_rawlen(L, -1);
    if (a->outputs_dropped > 0 || a->output_bytes_cut > 0) {
        char text[256];
        snprintf(text, sizeof text,
                 "%lld log/metric/alert records dropped and %lld bytes of their text cut (limits per hook call: "
                 "%d records, %zu bytes, %zu bytes per text)",
                 a->outputs_dropped, a->output_bytes_cut, a->limits.max_outputs, a->limits.max_output_bytes,
                 a->limits.max_text_bytes);
        lua_createtable(L, 0, 5);
        lua_pushliteral(L, "log");
        lua_setfield(L, -2, "type");
        lua_pushliteral(L, "warning");
        lua_setfield(L, -2, "level");
        lua_pushstring(L, text);
        lua_setfield(L, -2, "message");
        lua_pushinteger(L, (lua_Integer)a->outputs_dropped);
        lua_setfield(L, -2, "dropped");
        lua_pushinteger(L, (lua_Integer)a->output_bytes_cut);
        lua_setfield(L, -2, "cut_bytes");
        lua_rawseti(L, -2, ++n);
    }
    if (n > 0) *target = argus_json_encode_dup(L, -1);
    return 0;
}

void argus_take_outputs(argus_lua *a, argus_lua_result *out) {
    lua_State *L = a->L;
    /* Nothing recorded (the usual case): no protected call, no new table. */
    lua_rawgetp(L, LUA_REGISTRYINDEX, &OUTPUTS_KEY);
    size_t recorded = lua_rawlen(L, -1);
    lua_pop(L, 1);
    if (recorded == 0 && a->outputs_dropped == 0 && a->output_bytes_cut == 0) return;
    lua_pushcfunction(L, collect_outputs_protected);
    lua_pushlightuserdata(L, &out->outputs);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK) lua_pop(L, 1);
    lua_newtable(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &OUTPUTS_KEY);
    a->outputs_dropped = 0;
    a->output_bytes_cut = 0;
    a->output_bytes = 0;
}
