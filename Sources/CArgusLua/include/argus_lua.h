#ifndef ARGUS_LUA_H
#define ARGUS_LUA_H

#include <stddef.h>

/* A sandboxed Lua 5.4 state for one user script.
 *
 * Swift talks to Lua only through these functions: a call's metadata goes in as a typed
 * record, message bodies and configuration as JSON text, and what a hook returns and the
 * records it made come back as JSON text. Every Lua API call happens here, inside
 * lua_pcall, so a Lua error (a longjmp) never crosses a Swift frame. */

typedef struct argus_lua argus_lua;

typedef struct {
    size_t memory_limit;            /* bytes the state may hold */
    long long instruction_limit;    /* VM instructions per hook call */
    double time_limit_ms;           /* wall time per hook call */
    long long pattern_step_limit;   /* matcher steps per string.find/match/gmatch/gsub call */
    int max_outputs;                /* argus.log/metric/alert records kept per hook call */
    size_t max_output_bytes;        /* bytes of text in those records per hook call (0 = 64 KiB) */
    size_t max_text_bytes;          /* bytes of one message, name, label or error (0 = 4 KiB) */
} argus_lua_limits;

enum {
    ARGUS_LUA_OK = 0,
    ARGUS_LUA_ERROR = 1,    /* the script raised an error */
    ARGUS_LUA_LIMIT = 2,    /* instruction, time, memory or pattern limit */
    ARGUS_LUA_MISSING = 3,  /* the hook is not defined */
};

typedef struct {
    int status;
    int dropped;            /* the hook returned argus.DROP */
    char *value;            /* JSON of the returned value, NULL for nil */
    char *outputs;          /* JSON array of records from argus.log/metric/alert, NULL if none */
    char *error;            /* message, with script:line when known */
    double elapsed_ms;
    long long instructions;
} argus_lua_result;

argus_lua *argus_lua_open(const argus_lua_limits *limits);
void argus_lua_close(argus_lua *state);

/* Runs the script's top-level code. On success `value` holds
 * {"script": <the SCRIPT table>, "hooks": [names of defined hooks]}. */
int argus_lua_load(argus_lua *state, const char *source, size_t length, const char *chunkname,
                   argus_lua_result *out);

/* Calls init(config) when defined, then forbids new globals. */
int argus_lua_init(argus_lua *state, const char *config_json, argus_lua_result *out);

/* A flat record of typed fields, cheaper than JSON for per-call metadata:
 *   field := type(1) key_length(1) key value_length(4, little endian) value
 *   type 's' string, 'i' int64 (8 bytes LE), 'n' double (8 bytes), 'b' boolean (1 byte),
 *        'j' JSON text
 * A record with no bytes (NULL) is an empty table. */
typedef struct {
    const unsigned char *bytes;
    size_t length;
} argus_lua_record;

/* Calls hook(call, ctx), or hook(first, call, ctx) when first_json is given
 * (mutate_replay, normalize). `call` holds the call's metadata; `params`, `result`
 * and `error` are decoded lazily from the message bodies on first access. The
 * bodies are not copied: they must stay valid during the call, and a `call`
 * kept by the script past its hook reads nothing from them. */
int argus_lua_call(argus_lua *state, const char *hook, const char *first_json, argus_lua_record call,
                   const char *request_body, size_t request_length, const char *response_body, size_t response_length,
                   argus_lua_record ctx, argus_lua_result *out);

/* Evaluates a chunk in the sandbox and returns its value as JSON (tests, `argus script run`). */
int argus_lua_eval(argus_lua *state, const char *source, argus_lua_result *out);

size_t argus_lua_memory_used(argus_lua *state);
void argus_lua_result_free(argus_lua_result *result);

/// The Lua release linked in, e.g. "Lua 5.4.4" (argus diagnose prints it).
const char *argus_lua_release(void);

#endif
