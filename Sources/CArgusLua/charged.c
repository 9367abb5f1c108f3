/* Library functions that loop inside one C call, charged to the hook call's work.
 *
 * The count hook sees VM instructions only, and one call to table.move, table.concat,
 * table.insert/remove, table.unpack or table.sort can loop over a range the script
 * chooses (table.move({}, 1, 1e15, 1) moves nils for days; a __len or a chain of
 * __index tables makes each step cost what the script likes) without allocating, so
 * neither the instruction limit nor the memory limit ends it. These versions keep
 * Lua 5.4's semantics and error messages (they follow ltablib.c) but charge every
 * element they touch, which looks at the deadline (argus_charge). string.rep with an
 * empty string and separator would loop `n` times copying nothing; the utf8 functions
 * scan their subject without allocating: they are charged before they run. */

#include <limits.h>

#include "internal.h"

/* What touching one element may cost: a metamethod chain up to Lua's 2000 steps. */
#define ELEMENT_COST 64

enum { TAB_R = 1, TAB_W = 2, TAB_L = 4, TAB_RW = TAB_R | TAB_W };

static int has_field(lua_State *L, const char *key, int n) {
    lua_pushstring(L, key);
    return lua_rawget(L, -n) != LUA_TNIL;
}

/* A table, or a value whose metatable gives what the operation needs (as ltablib). */
static void check_table(lua_State *L, int arg, int what) {
    if (lua_type(L, arg) == LUA_TTABLE) return;
    int n = 1;
    if (lua_getmetatable(L, arg) && (!(what & TAB_R) || has_field(L, "__index", ++n)) &&
        (!(what & TAB_W) || has_field(L, "__newindex", ++n)) && (!(what & TAB_L) || has_field(L, "__len", ++n))) {
        lua_pop(L, n);
    } else {
        luaL_checktype(L, arg, LUA_TTABLE);
    }
}

static lua_Integer length_of(lua_State *L, int arg, int what) {
    check_table(L, arg, what | TAB_L);
    return luaL_len(L, arg);
}

static void move_element(lua_State *L, int from_table, lua_Integer from, int to_table, lua_Integer to) {
    argus_charge(L, ELEMENT_COST);
    lua_geti(L, from_table, from);
    lua_seti(L, to_table, to);
}

static int t_insert(lua_State *L) {
    lua_Integer e = length_of(L, 1, TAB_RW);
    e = luaL_intop(+, e, 1); /* first empty element */
    lua_Integer pos;
    switch (lua_gettop(L)) {
    case 2:
        pos = e;
        break;
    case 3:
        pos = luaL_checkinteger(L, 2);
        luaL_argcheck(L, (lua_Unsigned)pos - 1u < (lua_Unsigned)e, 2, "position out of bounds");
        for (lua_Integer i = e; i > pos; i--) move_element(L, 1, i - 1, 1, i);
        break;
    default:
        return luaL_error(L, "wrong number of arguments to 'insert'");
    }
    lua_seti(L, 1, pos);
    return 0;
}

static int t_remove(lua_State *L) {
    lua_Integer size = length_of(L, 1, TAB_RW);
    lua_Integer pos = luaL_optinteger(L, 2, size);
    if (pos != size) luaL_argcheck(L, (lua_Unsigned)pos - 1u <= (lua_Unsigned)size, 2, "position out of bounds");
    lua_geti(L, 1, pos);
    for (; pos < size; pos++) move_element(L, 1, pos + 1, 1, pos);
    lua_pushnil(L);
    lua_seti(L, 1, pos);
    return 1;
}

static int t_move(lua_State *L) {
    lua_Integer f = luaL_checkinteger(L, 2);
    lua_Integer e = luaL_checkinteger(L, 3);
    lua_Integer t = luaL_checkinteger(L, 4);
    int tt = !lua_isnoneornil(L, 5) ? 5 : 1; /* destination table */
    check_table(L, 1, TAB_R);
    check_table(L, tt, TAB_W);
    if (e >= f) {
        luaL_argcheck(L, f > 0 || e < LUA_MAXINTEGER + f, 3, "too many elements to move");
        lua_Integer n = e - f + 1;
        luaL_argcheck(L, t <= LUA_MAXINTEGER - n + 1, 4, "destination wrap around");
        if (t > e || t <= f || (tt != 1 && !lua_compare(L, 1, tt, LUA_OPEQ))) {
            for (lua_Integer i = 0; i < n; i++) move_element(L, 1, f + i, tt, t + i);
        } else {
            for (lua_Integer i = n - 1; i >= 0; i--) move_element(L, 1, f + i, tt, t + i);
        }
    }
    lua_pushvalue(L, tt);
    return 1;
}

/* t[i] into the buffer: pushed on top of it, then added at once (the only way a value
 * may sit above an open luaL_Buffer). argus_charge pushes nothing. */
static void add_field(lua_State *L, luaL_Buffer *b, lua_Integer i) {
    argus_charge(L, ELEMENT_COST);
    lua_geti(L, 1, i);
    if (!lua_isstring(L, -1))
        luaL_error(L, "invalid value (%s) at index %I in table for 'concat'", luaL_typename(L, -1), (LUAI_UACINT)i);
    luaL_addvalue(b);
}

static int t_concat(lua_State *L) {
    lua_Integer last = length_of(L, 1, TAB_R);
    size_t separator_length;
    const char *separator = luaL_optlstring(L, 2, "", &separator_length);
    lua_Integer i = luaL_optinteger(L, 3, 1);
    last = luaL_optinteger(L, 4, last);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (; i < last; i++) {
        add_field(L, &b, i);
        luaL_addlstring(&b, separator, separator_length);
    }
    if (i == last) add_field(L, &b, i);
    luaL_pushresult(&b);
    return 1;
}

static int t_unpack(lua_State *L) {
    lua_Integer i = luaL_optinteger(L, 2, 1);
    lua_Integer e = luaL_opt(L, luaL_checkinteger, 3, luaL_len(L, 1));
    if (i > e) return 0;
    lua_Unsigned n = (lua_Unsigned)e - (lua_Unsigned)i;
    if (n >= (unsigned int)INT_MAX || !lua_checkstack(L, (int)(++n))) return luaL_error(L, "too many results to unpack");
    for (; i < e; i++) {
        argus_charge(L, ELEMENT_COST);
        lua_geti(L, 1, i);
    }
    lua_geti(L, 1, e);
    return (int)n;
}

/* The comparison table.sort calls: the script's function, or `<`, each time charged. */
static int sort_compare(lua_State *L) {
    argus_charge(L, ELEMENT_COST);
    if (lua_isnil(L, lua_upvalueindex(1))) {
        lua_pushboolean(L, lua_compare(L, 1, 2, LUA_OPLT));
        return 1;
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, 2, 1);
    return 1;
}

/* Up to this many elements, `<` on a plain table sorts in tens of milliseconds. */
#define SORT_UNCHARGED_LIMIT 100000

/* Lua's own sort (upvalue 1). It runs as it is when it cannot run long unseen: a
 * plain table (no metamethods behind its elements) and either a Lua comparison
 * (the count hook runs inside it) or `<` on a modest number of elements. Otherwise
 * every comparison goes through sort_compare, which charges it (about 2.5 times
 * slower, and interruptible). */
static int t_sort(lua_State *L) {
    lua_Integer n = length_of(L, 1, TAB_RW);
    if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_settop(L, 2);
    int plain = lua_type(L, 1) == LUA_TTABLE && !lua_getmetatable(L, 1);
    if (!plain) lua_pop(L, 1);
    int lua_comparison = !lua_isnil(L, 2) && !lua_iscfunction(L, 2);
    if (!(plain && (lua_comparison || (lua_isnil(L, 2) && n <= SORT_UNCHARGED_LIMIT)))) {
        lua_pushvalue(L, 2);
        lua_pushcclosure(L, sort_compare, 1);
        lua_replace(L, 2);
    } else if (n > 1) {
        argus_charge(L, (uint64_t)n * 17); /* about n log2 n comparisons */
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, 2, 0);
    return 0;
}

/* string.rep (upvalue 1) without its empty loop. */
static int s_rep(lua_State *L) {
    size_t length, separator_length;
    luaL_checklstring(L, 1, &length);
    lua_Integer n = luaL_checkinteger(L, 2);
    luaL_optlstring(L, 3, "", &separator_length);
    if (n > 0 && length == 0 && separator_length == 0) {
        lua_pushliteral(L, "");
        return 1;
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

/* A function scanning its string argument (upvalue 1), charged by the string's length. */
static int charged_by_subject(lua_State *L) {
    size_t length = 0;
    if (lua_type(L, 1) == LUA_TSTRING) lua_tolstring(L, 1, &length);
    argus_charge(L, length);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

/* Replaces library.name with f, given the original as its upvalue when `wraps`. */
static void replace(lua_State *L, int library, const char *name, lua_CFunction f, int wraps) {
    if (wraps) {
        lua_getfield(L, library, name);
        lua_pushcclosure(L, f, 1);
    } else {
        lua_pushcfunction(L, f);
    }
    lua_setfield(L, library, name);
}

void argus_install_charged(lua_State *L) {
    lua_pushglobaltable(L);
    int g = lua_gettop(L);
    lua_getfield(L, g, "table");
    int table = lua_gettop(L);
    replace(L, table, "insert", t_insert, 0);
    replace(L, table, "remove", t_remove, 0);
    replace(L, table, "move", t_move, 0);
    replace(L, table, "concat", t_concat, 0);
    replace(L, table, "unpack", t_unpack, 0);
    replace(L, table, "sort", t_sort, 1);
    lua_getfield(L, g, "string");
    replace(L, lua_gettop(L), "rep", s_rep, 1);
    lua_getfield(L, g, "utf8");
    int utf8 = lua_gettop(L);
    replace(L, utf8, "len", charged_by_subject, 1);
    replace(L, utf8, "codepoint", charged_by_subject, 1);
    replace(L, utf8, "offset", charged_by_subject, 1);
    lua_settop(L, g - 1);
}
