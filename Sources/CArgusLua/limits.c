/* The limits every hook call runs under: a memory cap (the allocator), an instruction
 * budget and a deadline (the count hook, whose period follows the state's size), and the
 * work C functions charge where the count hook cannot see (argus_charge). bridge.c arms
 * them around every protected call. */

#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "internal.h"

uint64_t argus_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
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

static int hook_period_for(size_t memory_used);
static void count_hook(lua_State *L, lua_Debug *ar);

/* Memory growth is also where long work inside C shows (one `..`, string.rep or
 * table.concat can copy megabytes without an instruction the count hook sees): the
 * deadline is looked at every MiB of growth, and once it has passed the allocator
 * refuses to grow, so Lua raises an error and the call ends. */
#define ALLOCATION_CHECK_BYTES ((size_t)1 << 20)

void *argus_allocate(void *ud, void *ptr, size_t osize, size_t nsize) {
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

void argus_arm_limits(argus_lua *a) {
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

void argus_disarm_limits(argus_lua *a) {
    lua_sethook(a->L, NULL, 0, 0);
    a->deadline_ns = 0;
    a->time_up = 0;
}
