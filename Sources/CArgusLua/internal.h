#ifndef ARGUS_LUA_INTERNAL_H
#define ARGUS_LUA_INTERNAL_H

#include <lua5.4/lua.h>
#include <lua5.4/lauxlib.h>
#include <stdint.h>

#include "argus_lua.h"

struct argus_lua {
    lua_State *L;
    argus_lua_limits limits;
    size_t memory_used;
    int memory_refused;          /* the allocator said no during this call */
    long long instructions;      /* counted during the current call */
    int hook_period;             /* instructions between two calls of the count hook */
    uint64_t deadline_ns;        /* monotonic; 0 = none */
    int time_up;                 /* the deadline passed inside C: refuse to grow memory until the call ends */
    uint64_t work;               /* units charged by C functions during the current call */
    uint64_t next_clock_check;   /* `work` at which the deadline is looked at again */
    size_t allocated;            /* bytes of growth during the current call */
    size_t next_allocation_check;
    size_t output_bytes;         /* text in this call's outputs */
    long long outputs_dropped;   /* records not kept this call */
    long long output_bytes_cut;  /* text cut from the records that were kept or dropped */
    int limit_hit;               /* which limit stopped the current call */
    int sealed;                  /* globals are frozen */
    unsigned long generation;    /* bumped after each hook call: stale `call` tables read nothing */
    const char *request_body;    /* the current hook call's bodies (caller's memory) */
    size_t request_length;
    const char *response_body;
    size_t response_length;
};

enum { LIMIT_NONE = 0, LIMIT_INSTRUCTIONS, LIMIT_TIME, LIMIT_MEMORY, LIMIT_PATTERN };

/* The state that owns L (kept in the extra space of every lua_State). */
static inline argus_lua *argus_of(lua_State *L) { return *(argus_lua **)lua_getextraspace(L); }

/* limits.c */
uint64_t argus_monotonic_ns(void);

/* The allocator of every state: refuses to grow past the memory limit, or once the deadline passed. */
void *argus_allocate(void *ud, void *ptr, size_t osize, size_t nsize);

/* Around each protected call: the budgets afresh, the count hook on; then off again. */
void argus_arm_limits(argus_lua *a);
void argus_disarm_limits(argus_lua *a);

/* Raises a Lua error marking a limit (the caller sees ARGUS_LUA_LIMIT). */
int argus_limit_error(lua_State *L, int which, const char *message);

/* Charges work done inside a C function (bytes examined, elements moved) and looks at
 * the deadline every so often: the count hook sees only VM instructions, and one
 * instruction can call C that runs for seconds. Raises the time limit error. */
void argus_charge(lua_State *L, uint64_t units);

/* host.c: print and the argus table in the globals at `globals`. */
void argus_install_host_api(lua_State *L, int globals);
int argus_is_drop(lua_State *L, int index);
/* Moves the records the hook call made (argus.log, …) into out->outputs as JSON, and clears them. */
void argus_take_outputs(argus_lua *a, argus_lua_result *out);
/* How many of the first `keep` bytes of s (which is longer) to keep so that no UTF-8 character is split. */
size_t argus_utf8_prefix(const char *s, size_t keep);

/* sandbox.c: freezes the globals (after init). */
int argus_seal_globals(lua_State *L);

/* pattern.c: string.find/match/gmatch/gsub with a step budget and the hook deadline. */
void argus_install_patterns(lua_State *L, int string_table);

/* charged.c: table.concat/unpack/move/insert/remove/sort and string.rep, charged. */
void argus_install_charged(lua_State *L);

/* json.c */
int argus_lua_json_encode(lua_State *L);   /* argus.json.encode */
int argus_lua_json_decode(lua_State *L);   /* argus.json.decode */
void argus_json_push(lua_State *L, const char *text, size_t length);   /* decodes or raises */
char *argus_json_encode_dup(lua_State *L, int index);   /* malloc'ed, keys in table order, or raises */
int argus_is_array(lua_State *L, int index);
void argus_mark_array(lua_State *L, int index);
extern const char *const ARGUS_NULL_KEY;   /* registry key of the argus.null sentinel */
void argus_push_null(lua_State *L);
int argus_is_null(lua_State *L, int index);

/* sha256.c */
void argus_sha256(const unsigned char *data, size_t length, unsigned char digest[32]);

#endif
