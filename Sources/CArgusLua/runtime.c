/* The sandboxed Lua runtime behind Argus scripts.
 *
 * One lua_State per script, created with an allocator that enforces a memory cap,
 * a count hook that enforces an instruction budget and a deadline per hook call,
 * and only the base, string, table, math and utf8 libraries (minus everything that
 * reaches outside: dofile, loadfile, string.dump, bytecode; no io, os, package,
 * debug). Every entry point runs its Lua work inside lua_pcall. */

#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lua5.4/lualib.h>

#include "internal.h"

int argus_lua_json_encode(lua_State *L);
int argus_lua_json_decode(lua_State *L);

static const char OUTPUTS_KEY = 0;
static const char DROP_SENTINEL = 0;
static const char *const HOOK_NAMES[] = {"init", "redact", "on_call", "alert", "metric", "mutate_replay", "normalize", "mock", NULL};

uint64_t argus_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double wall_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void script_location(lua_State *L, char *out, size_t size);

/* The message gets the script's file and line (the innermost Lua function: a limit may
 * trip inside a C function, which has none). Once limit_hit is set, the allocator no
 * longer refuses for time, so the message itself can be made. */
int argus_limit_error(lua_State *L, int which, const char *message) {
    argus_lua *a = argus_of(L);
    a->limit_hit = which;
    char location[128];
    script_location(L, location, sizeof location);
    lua_pushfstring(L, "%s%s", location, message);
    return lua_error(L);
}

/* ------------------------------------------------------------------ limits */

static int hook_period_for(size_t memory_used);
static void count_hook(lua_State *L, lua_Debug *ar);

/* Memory growth is also where long work inside C shows (one `..`, string.rep or
 * table.concat can copy megabytes without an instruction the count hook sees): the
 * deadline is looked at every MiB of growth, and once it has passed the allocator
 * refuses to grow, so Lua raises an error and the call ends. */
#define ALLOCATION_CHECK_BYTES ((size_t)1 << 20)

static void *allocate(void *ud, void *ptr, size_t osize, size_t nsize) {
    argus_lua *a = (argus_lua *)ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        a->memory_used -= old;
        return NULL;
    }
    if (nsize > old) {
        size_t others = a->memory_used - old;
        if (nsize > a->limits.memory_limit || others > a->limits.memory_limit - nsize) {
            a->memory_refused = 1;
            return NULL;
        }
        if (a->time_up) return NULL;
        a->allocated += nsize - old;
        if (a->allocated >= a->next_allocation_check && a->limit_hit == LIMIT_NONE && a->deadline_ns) {
            a->next_allocation_check = a->allocated + ALLOCATION_CHECK_BYTES;
            if (argus_monotonic_ns() > a->deadline_ns) {
                a->time_up = 1;
                a->limit_hit = LIMIT_TIME;
                return NULL;
            }
            /* Bigger values make costlier instructions: let the count hook look sooner
             * (lua_sethook may be called anywhere, even from a signal handler). */
            int period = hook_period_for(a->memory_used - old + nsize);
            if (period < a->hook_period) {
                a->hook_period = period;
                lua_sethook(a->L, count_hook, LUA_MASKCOUNT, period);
            }
        }
    }
    void *grown = realloc(ptr, nsize);
    if (grown) a->memory_used = a->memory_used - old + nsize;
    return grown;
}

/* "file.lua:12: " for the innermost Lua function running (C functions have no line). */
static void script_location(lua_State *L, char *out, size_t size) {
    lua_Debug where;
    out[0] = '\0';
    for (int level = 0; lua_getstack(L, level, &where); level++) {
        if (lua_getinfo(L, "Sl", &where) && where.currentline > 0) {
            snprintf(out, size, "%s:%d: ", where.short_src, where.currentline);
            return;
        }
    }
}

static int time_limit_error(lua_State *L, const char *inside) {
    /* lua_pushfstring knows neither %lld nor precisions: format here. */
    char message[160];
    snprintf(message, sizeof message, "time limit exceeded (%.0f ms)%s", argus_of(L)->limits.time_limit_ms, inside);
    return argus_limit_error(L, LIMIT_TIME, message);
}

/* How often the count hook runs. One instruction can cost in proportion to the values
 * it works on (comparing two strings, reading a number from one: 8 MB take about 20 ms),
 * so the more memory the state holds, the more often the hook looks at the clock:
 * every 1000 instructions under 64 KiB, down to every 4 at 16 MiB. What an instruction
 * can overshoot the deadline by then stays near a tenth of a second whatever the size. */
static int hook_period_for(size_t memory_used) {
    size_t period = ((size_t)64 << 20) / (memory_used + 1);
    return period >= 1000 ? 1000 : period < 4 ? 4 : (int)period;
}

static void count_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    argus_lua *a = argus_of(L);
    a->instructions += a->hook_period;
    int period = hook_period_for(a->memory_used);
    if (period != a->hook_period) {
        a->hook_period = period;
        lua_sethook(L, count_hook, LUA_MASKCOUNT, period);
    }
    if (a->instructions > a->limits.instruction_limit) {
        char message[160];
        snprintf(message, sizeof message, "instruction limit exceeded (%lld instructions)", a->limits.instruction_limit);
        argus_limit_error(L, LIMIT_INSTRUCTIONS, message);
    } else if (a->deadline_ns && argus_monotonic_ns() > a->deadline_ns) {
        time_limit_error(L, "");
    }
}

/* Looked at every CLOCK_CHECK_UNITS of work: a few hundred microseconds at most. */
#define CLOCK_CHECK_UNITS 65536

void argus_charge(lua_State *L, uint64_t units) {
    argus_lua *a = argus_of(L);
    a->work += units;
    if (a->work < a->next_clock_check) return;
    a->next_clock_check = a->work + CLOCK_CHECK_UNITS;
    if (a->deadline_ns && argus_monotonic_ns() > a->deadline_ns) time_limit_error(L, " inside a library function");
}

static void arm_limits(argus_lua *a) {
    a->instructions = 0;
    a->limit_hit = LIMIT_NONE;
    a->memory_refused = 0;
    a->time_up = 0;
    a->work = 0;
    a->next_clock_check = CLOCK_CHECK_UNITS;
    a->allocated = 0;
    a->next_allocation_check = ALLOCATION_CHECK_BYTES;
    a->deadline_ns = a->limits.time_limit_ms > 0
        ? argus_monotonic_ns() + (uint64_t)(a->limits.time_limit_ms * 1e6) : 0;
    a->hook_period = hook_period_for(a->memory_used);
    lua_sethook(a->L, count_hook, LUA_MASKCOUNT, a->hook_period);
}

static void disarm_limits(argus_lua *a) {
    lua_sethook(a->L, NULL, 0, 0);
    a->deadline_ns = 0;
    a->time_up = 0;
}

/* --------------------------------------------------------------- host API */

/* How many of the first `keep` bytes of s (which is longer) to keep so that no UTF-8
 * character is split: back off over continuation bytes, at most three. */
static size_t utf8_prefix(const char *s, size_t keep) {
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
    size_t keep = utf8_prefix(s, cap);
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
        size_t keep = length <= room ? length : utf8_prefix(text, room);
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
    if (lua_isnoneornil(L, 3)) lua_pushliteral(L, "[REDACTED]");
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

/* ---------------------------------------------------------------- sandbox */

static int l_print(lua_State *L) { return l_log(L); }

/* load() for text chunks only: a precompiled chunk could break the VM's invariants. */
static int l_load(lua_State *L) {
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    if (n >= 2) lua_pushvalue(L, 2);
    else lua_pushnil(L);
    lua_pushliteral(L, "t");
    if (n >= 4) lua_pushvalue(L, 4);
    lua_call(L, n >= 4 ? 4 : 3, LUA_MULTRET);
    return lua_gettop(L) - n;
}

static int l_collectgarbage(lua_State *L) {
    const char *option = luaL_optstring(L, 1, "count");
    if (strcmp(option, "count") != 0) return luaL_error(L, "collectgarbage is limited to \"count\" in Argus scripts");
    int kb = lua_gc(L, LUA_GCCOUNT, 0);
    int rest = lua_gc(L, LUA_GCCOUNTB, 0);
    lua_pushnumber(L, (lua_Number)kb + (lua_Number)rest / 1024.0);
    return 1;
}

static int forbid_new_global(lua_State *L) {
    const char *name = lua_tostring(L, 2);
    return luaL_error(L, "cannot create global '%s' after init: use a local, or argus.state.%s",
                      name ? name : "?", name ? name : "name");
}

/* rawset that refuses to bypass the frozen global table. */
static int l_rawset(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_pushglobaltable(L);
    int is_globals = lua_rawequal(L, 1, -1);
    lua_pop(L, 1);
    if (is_globals && argus_of(L)->sealed) return luaL_error(L, "cannot create globals after init (rawset on _G)");
    luaL_checkany(L, 2);
    luaL_checkany(L, 3);
    lua_settop(L, 3);
    lua_rawset(L, 1);
    return 1;
}

/* setmetatable that refuses a metatable with __gc. Lua runs finalizers with hooks off,
 * outside every limit, whenever the collector gets to them (and lua_close runs the
 * pending ones), so `__gc = function() while true do end end` would hang the recorder.
 * Scripts get no finalizers, as in Redis's sandbox (its Lua 5.1 has none for tables);
 * the metatables Argus itself attaches are protected, so none can gain a __gc later. */
static int l_setmetatable(lua_State *L) {
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        int finalizer = lua_rawget(L, 2) != LUA_TNIL;
        lua_pop(L, 1);
        if (finalizer)
            return luaL_error(L, "setmetatable: __gc is not allowed in Argus scripts "
                                 "(a finalizer would run outside the script's limits)");
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

static int seal_globals(lua_State *L) {
    lua_pushglobaltable(L);
    lua_createtable(L, 0, 2);
    lua_pushcfunction(L, forbid_new_global);
    lua_setfield(L, -2, "__newindex");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_pop(L, 1);
    argus_of(L)->sealed = 1;
    return 0;
}

static void open_library(lua_State *L, const char *name, lua_CFunction open) {
    luaL_requiref(L, name, open, 1);
    lua_pop(L, 1);
}

static int setup_sandbox(lua_State *L) {
    open_library(L, LUA_GNAME, luaopen_base);
    open_library(L, LUA_STRLIBNAME, luaopen_string);
    open_library(L, LUA_TABLIBNAME, luaopen_table);
    open_library(L, LUA_MATHLIBNAME, luaopen_math);
    open_library(L, LUA_UTF8LIBNAME, luaopen_utf8);

    /* package.loaded would still list them; the libraries stay reachable only as globals */
    lua_pushnil(L);
    lua_setfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);

    lua_pushglobaltable(L);
    int g = lua_gettop(L);
    static const char *const removed[] = {"dofile", "loadfile", "require", "module", NULL};
    for (const char *const *name = removed; *name; name++) {
        lua_pushnil(L);
        lua_setfield(L, g, *name);
    }
    lua_getfield(L, g, "load");
    lua_pushcclosure(L, l_load, 1);
    lua_setfield(L, g, "load");
    lua_pushcfunction(L, l_collectgarbage);
    lua_setfield(L, g, "collectgarbage");
    lua_pushcfunction(L, l_print);
    lua_setfield(L, g, "print");
    lua_pushcfunction(L, l_rawset);
    lua_setfield(L, g, "rawset");
    lua_getfield(L, g, "setmetatable");
    lua_pushcclosure(L, l_setmetatable, 1);
    lua_setfield(L, g, "setmetatable");
    argus_install_charged(L);

    lua_getfield(L, g, "string");
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    argus_install_patterns(L, -1);
    lua_pop(L, 1);

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

    lua_setfield(L, g, "argus");
    lua_pop(L, 1);

    lua_newtable(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &OUTPUTS_KEY);

    /* Almost everything a hook allocates (decoded calls, strings) dies young. */
    lua_gc(L, LUA_GCGEN, 0, 0);
    return 0;
}

static int panic(lua_State *L) {
    fprintf(stderr, "argus: unprotected Lua error: %s\n", lua_tostring(L, -1));
    abort();
}

argus_lua *argus_lua_open(const argus_lua_limits *limits) {
    argus_lua *a = (argus_lua *)calloc(1, sizeof *a);
    if (!a) return NULL;
    a->limits = *limits;
    if (a->limits.max_outputs <= 0) a->limits.max_outputs = 100;
    if (a->limits.max_output_bytes == 0) a->limits.max_output_bytes = 64 << 10;
    if (a->limits.max_text_bytes == 0) a->limits.max_text_bytes = 4 << 10;
    lua_State *L = lua_newstate(allocate, a);
    if (!L) {
        free(a);
        return NULL;
    }
    a->L = L;
    *(argus_lua **)lua_getextraspace(L) = a;
    lua_atpanic(L, panic);
    lua_pushcfunction(L, setup_sandbox);
    if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
        lua_close(L);
        free(a);
        return NULL;
    }
    return a;
}

void argus_lua_close(argus_lua *a) {
    if (!a) return;
    lua_close(a->L);
    free(a);
}

size_t argus_lua_memory_used(argus_lua *a) { return a->memory_used; }

void argus_lua_result_free(argus_lua_result *r) {
    free(r->value);
    free(r->outputs);
    free(r->error);
    memset(r, 0, sizeof *r);
}

/* ------------------------------------------------------------ protected calls */

static char *dup_string(const char *s, size_t n) {
    char *copy = (char *)malloc(n + 1);
    if (copy) {
        memcpy(copy, s, n);
        copy[n] = '\0';
    }
    return copy;
}

/* An error message for Argus: stored and printed, so cut to the per-text limit
 * (`error(("x"):rep(1e7))` must not put 10 MB in the database and on stderr). */
static char *dup_error(argus_lua *a, const char *s, size_t n) {
    size_t cap = a->limits.max_text_bytes;
    if (n <= cap) return dup_string(s, n);
    size_t keep = utf8_prefix(s, cap);
    char note[64];
    int note_length = snprintf(note, sizeof note, " [... %zu bytes cut]", n - keep);
    char *copy = (char *)malloc(keep + (size_t)note_length + 1);
    if (copy) {
        memcpy(copy, s, keep);
        memcpy(copy + keep, note, (size_t)note_length + 1);
    }
    return copy;
}

/* Message handler: keep the message, add where it happened in the script. */
static int message_handler(lua_State *L) {
    const char *message = lua_tostring(L, 1);
    if (message == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
        message = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, message, 1);
    return 1;
}

/* Runs fn (with nargs already pushed) under the limits, filling status and error. */
static int run_protected(argus_lua *a, int nargs, int nresults, argus_lua_result *out) {
    lua_State *L = a->L;
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, message_handler);
    lua_insert(L, base);
    uint64_t start = argus_monotonic_ns();
    arm_limits(a);
    int rc = lua_pcall(L, nargs, nresults, base);
    int time_up = a->time_up;
    disarm_limits(a);
    out->elapsed_ms = (double)(argus_monotonic_ns() - start) / 1e6;
    out->instructions = a->instructions;
    lua_remove(L, base);
    if (rc == LUA_OK) {
        out->status = ARGUS_LUA_OK;
        return 0;
    }
    /* time_up: the allocator refused after the deadline, which Lua reports as out of memory */
    int memory = !time_up && ((rc == LUA_ERRMEM) || a->memory_refused);
    out->status = (memory || a->limit_hit != LIMIT_NONE) ? ARGUS_LUA_LIMIT : ARGUS_LUA_ERROR;
    if (memory || time_up) {
        char text[160];
        if (memory) snprintf(text, sizeof text, "memory limit exceeded (%zu bytes)", a->limits.memory_limit);
        else snprintf(text, sizeof text, "time limit exceeded (%.0f ms)", a->limits.time_limit_ms);
        out->error = dup_string(text, strlen(text));
    } else {
        size_t n = 0;
        const char *message = lua_tolstring(L, -1, &n);
        out->error = message ? dup_error(a, message, n) : dup_string("unknown error", 13);
    }
    lua_settop(L, base - 1);
    lua_gc(L, LUA_GCCOLLECT, 0);
    return 1;
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

static void take_outputs(argus_lua *a, argus_lua_result *out) {
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

/* Encodes the value on top into out->value (or sets out->dropped), inside a pcall.
 * For redact, only the parts Argus uses are encoded: params, result and error. */
static int encode_result_protected(lua_State *L) {
    argus_lua_result *out = (argus_lua_result *)lua_touserdata(L, 2);
    int parts_only = lua_toboolean(L, 3);
    if (lua_isnil(L, 1)) return 0;
    if (lua_type(L, 1) == LUA_TLIGHTUSERDATA && lua_touserdata(L, 1) == (void *)&DROP_SENTINEL) {
        out->dropped = 1;
        return 0;
    }
    if (parts_only && lua_type(L, 1) == LUA_TTABLE) {
        static const char *const parts[] = {"params", "result", "error", NULL};
        lua_createtable(L, 0, 2);
        for (const char *const *part = parts; *part; part++) {
            lua_pushstring(L, *part);
            if (lua_rawget(L, 1) != LUA_TNIL) lua_setfield(L, -2, *part);
            else lua_pop(L, 1);
        }
        lua_replace(L, 1);
    }
    out->value = argus_json_encode_dup(L, 1);
    return 0;
}

static void take_result(argus_lua *a, argus_lua_result *out, int parts_only) {
    lua_State *L = a->L;
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return;
    }
    lua_pushcfunction(L, encode_result_protected);
    lua_insert(L, -2);
    lua_pushlightuserdata(L, out);
    lua_pushboolean(L, parts_only);
    if (lua_pcall(L, 3, 0, 0) != LUA_OK) {
        size_t n;
        const char *message = lua_tolstring(L, -1, &n);
        out->status = ARGUS_LUA_ERROR;
        out->error = dup_string(message ? message : "cannot encode the returned value", message ? n : 32);
        lua_pop(L, 1);
    }
}

/* ------------------------------------------------------------ entry points */

static int load_chunk(lua_State *L) {
    size_t n;
    const char *source = lua_tolstring(L, 1, &n);
    const char *name = lua_tostring(L, 2);
    if (luaL_loadbufferx(L, source, n, name, "t") != LUA_OK) return lua_error(L);
    lua_call(L, 0, 0);
    /* {script = SCRIPT, hooks = {...}} */
    lua_createtable(L, 0, 2);
    if (lua_getglobal(L, "SCRIPT") == LUA_TTABLE) lua_setfield(L, -2, "script");
    else lua_pop(L, 1);
    lua_newtable(L);
    argus_mark_array(L, -1);
    int k = 0;
    for (const char *const *hook = HOOK_NAMES; *hook; hook++) {
        if (lua_getglobal(L, *hook) == LUA_TFUNCTION) {
            lua_pushstring(L, *hook);
            lua_rawseti(L, -3, ++k);
        }
        lua_pop(L, 1);
    }
    lua_setfield(L, -2, "hooks");
    return 1;
}

int argus_lua_load(argus_lua *a, const char *source, size_t length, const char *chunkname, argus_lua_result *out) {
    memset(out, 0, sizeof *out);
    lua_State *L = a->L;
    lua_pushcfunction(L, load_chunk);
    lua_pushlstring(L, source, length);
    lua_pushfstring(L, "@%s", chunkname);
    if (run_protected(a, 2, 1, out)) {
        take_outputs(a, out);
        return 1;
    }
    take_result(a, out, 0);
    take_outputs(a, out);
    return out->status != ARGUS_LUA_OK;
}

static int init_protected(lua_State *L) {
    size_t n;
    const char *config = lua_tolstring(L, 1, &n);
    lua_getglobal(L, "argus");
    if (config && n > 0) argus_json_push(L, config, n);
    else lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, -3, "config");
    if (lua_getglobal(L, "init") == LUA_TFUNCTION) {
        lua_insert(L, -2);
        lua_call(L, 1, 0);
    } else {
        lua_pop(L, 2);
    }
    return 0;
}

int argus_lua_init(argus_lua *a, const char *config_json, argus_lua_result *out) {
    memset(out, 0, sizeof *out);
    lua_State *L = a->L;
    lua_pushcfunction(L, init_protected);
    lua_pushstring(L, config_json ? config_json : "");
    int failed = run_protected(a, 1, 0, out);
    take_outputs(a, out);
    if (!failed) {
        lua_pushcfunction(L, seal_globals);
        lua_pcall(L, 0, 0, 0);
    }
    return failed;
}

static const char CALL_METATABLE_KEY = 0;
static const char CALL_GENERATIONS_KEY = 0;

/* __index of a call: params, result and error are decoded on first use, straight from
 * the caller's memory. A weak table remembers which hook call each call table belongs
 * to; once that call has returned, the memory is no longer ours to read. */
static int call_index(lua_State *L) {
    const char *key = lua_tostring(L, 2);
    if (key == NULL) return 0;
    int response;
    if (strcmp(key, "params") == 0) response = 0;
    else if (strcmp(key, "result") == 0 || strcmp(key, "error") == 0) response = 1;
    else return 0;
    argus_lua *a = argus_of(L);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &CALL_GENERATIONS_KEY);
    lua_pushvalue(L, 1);
    lua_rawget(L, -2);
    int current = lua_isinteger(L, -1) && (unsigned long)lua_tointeger(L, -1) == a->generation;
    lua_pop(L, 2);
    if (!current) return luaL_error(L, "call.%s read after its hook returned (keep the values you need, not the call)", key);
    const char *text = response ? a->response_body : a->request_body;
    size_t n = response ? a->response_length : a->request_length;
    if (text == NULL || n == 0) return 0;
    argus_json_push(L, text, n);
    if (lua_type(L, -1) == LUA_TTABLE) lua_getfield(L, -1, key);
    else lua_pushnil(L);
    lua_pushvalue(L, 2);
    lua_pushvalue(L, -2);
    lua_rawset(L, 1);
    return 1;
}

/* The shared metatable of call tables, and the weak table of their generations. */
static void push_call_metatable(lua_State *L) {
    if (lua_rawgetp(L, LUA_REGISTRYINDEX, &CALL_METATABLE_KEY) == LUA_TTABLE) return;
    lua_pop(L, 1);
    lua_createtable(L, 0, 2);
    lua_pushcfunction(L, call_index);
    lua_setfield(L, -2, "__index");
    lua_pushboolean(L, 0); /* scripts can neither read nor change it (see l_setmetatable) */
    lua_setfield(L, -2, "__metatable");
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &CALL_METATABLE_KEY);
    lua_newtable(L);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &CALL_GENERATIONS_KEY);
}

typedef struct {
    const char *hook, *first, *call, *request, *response, *ctx;
    size_t request_length, response_length;
    argus_lua_record call_record, ctx_record;
} CallArguments;

/* Pushes a table with the fields of a record (see argus_lua_record). */
static void push_record(lua_State *L, argus_lua_record record) {
    lua_createtable(L, 0, 16);
    const unsigned char *p = record.bytes, *end = record.bytes + record.length;
    while (end - p >= 6) {
        unsigned char type = p[0];
        size_t key_length = p[1];
        if ((size_t)(end - p) < 2 + key_length + 4) break;
        const char *key = (const char *)p + 2;
        const unsigned char *v = p + 2 + key_length;
        size_t value_length = (size_t)v[0] | (size_t)v[1] << 8 | (size_t)v[2] << 16 | (size_t)v[3] << 24;
        v += 4;
        if ((size_t)(end - v) < value_length) break;
        lua_pushlstring(L, key, key_length);
        switch (type) {
        case 's': lua_pushlstring(L, (const char *)v, value_length); break;
        case 'i': { /* fixed-size values are read only when the field has their size */
            long long x = 0;
            if (value_length == sizeof x) memcpy(&x, v, sizeof x);
            lua_pushinteger(L, (lua_Integer)x);
            break;
        }
        case 'n': {
            double x = 0;
            if (value_length == sizeof x) memcpy(&x, v, sizeof x);
            lua_pushnumber(L, x);
            break;
        }
        case 'b': lua_pushboolean(L, value_length > 0 && v[0] != 0); break;
        case 'j': argus_json_push(L, (const char *)v, value_length); break;
        default: lua_pushnil(L);
        }
        lua_rawset(L, -3);
        p = v + value_length;
    }
}

static int call_protected(lua_State *L) {
    const CallArguments *args = (const CallArguments *)lua_touserdata(L, 1);
    lua_settop(L, 0);
    if (lua_getglobal(L, args->hook) != LUA_TFUNCTION) {
        lua_pushliteral(L, "__argus_missing__");
        return 1;
    }
    int nargs = 0;
    if (args->first) {
        argus_json_push(L, args->first, strlen(args->first));
        nargs++;
    }
    if (args->call_record.bytes) push_record(L, args->call_record);
    else argus_json_push(L, args->call, strlen(args->call));
    push_call_metatable(L);
    lua_setmetatable(L, -2);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &CALL_GENERATIONS_KEY);
    lua_pushvalue(L, -2);
    lua_pushinteger(L, (lua_Integer)argus_of(L)->generation);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    nargs++;
    if (args->ctx_record.bytes) push_record(L, args->ctx_record);
    else if (args->ctx && args->ctx[0]) argus_json_push(L, args->ctx, strlen(args->ctx));
    else lua_newtable(L);
    lua_getglobal(L, "argus");
    lua_getfield(L, -1, "state");
    lua_setfield(L, -3, "state");
    lua_getfield(L, -1, "config");
    lua_setfield(L, -3, "config");
    lua_pop(L, 1);
    nargs++;
    lua_call(L, nargs, 1);
    return 1;
}

static int call_with(argus_lua *a, CallArguments *args, argus_lua_result *out) {
    memset(out, 0, sizeof *out);
    lua_State *L = a->L;
    a->request_body = args->request;
    a->request_length = args->request_length;
    a->response_body = args->response;
    a->response_length = args->response_length;
    lua_pushcfunction(L, call_protected);
    lua_pushlightuserdata(L, args);
    int failed = run_protected(a, 1, 1, out);
    if (!failed && lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), "__argus_missing__") == 0) {
        lua_pop(L, 1);
        out->status = ARGUS_LUA_MISSING;
        failed = 1;
    } else if (!failed) {
        take_result(a, out, strcmp(args->hook, "redact") == 0);
        failed = out->status != ARGUS_LUA_OK;
    }
    a->generation++;
    a->request_body = a->response_body = NULL;
    a->request_length = a->response_length = 0;
    take_outputs(a, out);
    return failed;
}

int argus_lua_call(argus_lua *a, const char *hook, const char *first_json, const char *call_json,
                   const char *request_body, size_t request_length,
                   const char *response_body, size_t response_length,
                   const char *ctx_json, argus_lua_result *out) {
    CallArguments args = {hook, first_json, call_json ? call_json : "{}", request_body, response_body, ctx_json,
                          request_body ? request_length : 0, response_body ? response_length : 0,
                          {NULL, 0}, {NULL, 0}};
    return call_with(a, &args, out);
}

int argus_lua_call_records(argus_lua *a, const char *hook, const char *first_json,
                           argus_lua_record call, const char *request_body, size_t request_length,
                           const char *response_body, size_t response_length,
                           argus_lua_record ctx, argus_lua_result *out) {
    CallArguments args = {hook, first_json, "{}", request_body, response_body, NULL,
                          request_body ? request_length : 0, response_body ? response_length : 0, call, ctx};
    return call_with(a, &args, out);
}

static int eval_protected(lua_State *L) {
    size_t n;
    const char *source = lua_tolstring(L, 1, &n);
    if (luaL_loadbufferx(L, source, n, "=eval", "t") != LUA_OK) return lua_error(L);
    lua_call(L, 0, 1);
    return 1;
}

int argus_lua_eval(argus_lua *a, const char *source, argus_lua_result *out) {
    memset(out, 0, sizeof *out);
    lua_State *L = a->L;
    lua_pushcfunction(L, eval_protected);
    lua_pushstring(L, source);
    if (run_protected(a, 1, 1, out)) {
        take_outputs(a, out);
        return 1;
    }
    take_result(a, out, 0);
    take_outputs(a, out);
    return out->status != ARGUS_LUA_OK;
}

const char *argus_lua_release(void) { return LUA_RELEASE; }
