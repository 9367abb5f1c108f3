/* The bridge Swift calls (argus_lua.h): loading a script, init, hook calls and eval, each
 * running its Lua work inside lua_pcall under the limits (limits.c), so a Lua error (a
 * longjmp) never crosses a Swift frame. A call's metadata arrives as a typed record, its
 * bodies as JSON text decoded only when the script reads them; what a hook returns and
 * the records it made leave as JSON text. */

#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const HOOK_NAMES[] = {"init", "redact", "on_call", "alert", "metric", "mutate_replay", "normalize", "mock",
                                          "fault", "verdict", NULL};

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
    size_t keep = argus_utf8_prefix(s, cap);
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
    argus_arm_limits(a);
    int rc = lua_pcall(L, nargs, nresults, base);
    int time_up = a->time_up;
    argus_disarm_limits(a);
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

/* Encodes the value on top into out->value (or sets out->dropped), inside a pcall.
 * For redact, only the parts Argus uses are encoded: params, result and error. */
static int encode_result_protected(lua_State *L) {
    argus_lua_result *out = (argus_lua_result *)lua_touserdata(L, 2);
    int parts_only = lua_toboolean(L, 3);
    if (lua_isnil(L, 1)) return 0;
    if (argus_is_drop(L, 1)) {
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
        argus_take_outputs(a, out);
        return 1;
    }
    take_result(a, out, 0);
    argus_take_outputs(a, out);
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
    argus_take_outputs(a, out);
    if (!failed) {
        lua_pushcfunction(L, argus_seal_globals);
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
    const char *hook, *first, *request, *response;
    size_t request_length, response_length;
    argus_lua_record call, ctx;
} CallArguments;

/* Pushes a table with the fields of a record (see argus_lua_record); an empty one for none. */
static void push_record(lua_State *L, argus_lua_record record) {
    lua_createtable(L, 0, 16);
    if (record.bytes == NULL) return;
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
    push_record(L, args->call);
    push_call_metatable(L);
    lua_setmetatable(L, -2);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &CALL_GENERATIONS_KEY);
    lua_pushvalue(L, -2);
    lua_pushinteger(L, (lua_Integer)argus_of(L)->generation);
    lua_rawset(L, -3);
    lua_pop(L, 1);
    nargs++;
    push_record(L, args->ctx);
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
    argus_take_outputs(a, out);
    return failed;
}

int argus_lua_call(argus_lua *a, const char *hook, const char *first_json, argus_lua_record call,
                   const char *request_body, size_t request_length, const char *response_body, size_t response_length,
                   argus_lua_record ctx, argus_lua_result *out) {
    CallArguments args = {hook, first_json, request_body, response_body,
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
        argus_take_outputs(a, out);
        return 1;
    }
    take_result(a, out, 0);
    argus_take_outputs(a, out);
    return out->status != ARGUS_LUA_OK;
}

const char *argus_lua_release(void) { return LUA_RELEASE; }
