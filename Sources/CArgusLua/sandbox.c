/* The sandbox a script runs in: a state created with the capped allocator, only the base,
 * string, table, math and utf8 libraries, minus everything that reaches outside (dofile,
 * loadfile, require, string.dump, bytecode; no io, os, package, debug), no finalizers,
 * and globals frozen after init. The host API (host.c), the charged library functions
 * (charged.c) and the pattern matcher (pattern.c) are installed here. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lua5.4/lualib.h>

#include "internal.h"

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

int argus_seal_globals(lua_State *L) {
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

    argus_install_host_api(L, g);
    lua_pop(L, 1);

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
    lua_State *L = lua_newstate(argus_allocate, a);
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
