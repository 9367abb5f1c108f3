/* Lua 5.4 pattern matching (string.find, match, gmatch, gsub), written for Argus with a
 * step budget and a deadline.
 *
 * Lua's own matcher runs inside C, where the instruction-count hook never fires, and a
 * pattern such as ("a"):rep(5000):find(".-.-.-.-b") backtracks for many seconds. This
 * implementation follows the documented semantics of Lua patterns (classes, sets,
 * quantifiers * + - ?, anchors, captures, position captures, %b, %f, back-references) but
 * counts every byte it examines, in the subject and in the pattern's character classes,
 * literal runs and plain searches included: a call may take at most `pattern_step_limit`
 * steps plus 20 per byte of subject. Every step is also charged to the hook call's work
 * (argus_charge), which looks at the deadline, so many cheap calls in a row are stopped
 * too. Either way the script gets an error instead of stalling the recorder. */

#include <ctype.h>
#include <string.h>

#include "internal.h"

#define MAX_CAPTURES 32
#define MAX_DEPTH 200
#define CAP_UNFINISHED (-1)
#define CAP_POSITION (-2)
#define ESCAPE '%'
#define SPECIALS "^$*+?.([%-"

typedef struct {
    const char *src_init;
    const char *src_end;
    const char *p_end;
    lua_State *L;
    argus_lua *a;
    int level;
    int depth;
    long long steps_left;
    struct {
        const char *init;
        ptrdiff_t len;
    } capture[MAX_CAPTURES];
} MatchState;

/* Work that is not matching (copying replacements): counts toward the deadline only. */
static void work(MatchState *ms, size_t bytes) {
    ms->a->work += bytes;
    if (ms->a->work >= ms->a->next_clock_check) argus_charge(ms->L, 0);
}

/* `n` bytes examined while matching: against the step budget and the deadline. */
static void charge_n(MatchState *ms, size_t n) {
    ms->steps_left -= (long long)n;
    if (ms->steps_left < 0)
        argus_limit_error(ms->L, LIMIT_PATTERN, "pattern too complex (step limit reached): simplify it or match a shorter string");
    work(ms, n);
}

static void charge(MatchState *ms) { charge_n(ms, 1); }

static void prepare(MatchState *ms, lua_State *L, const char *s, size_t ls, const char *p, size_t lp) {
    ms->L = L;
    ms->a = argus_of(L);
    ms->src_init = s;
    ms->src_end = s + ls;
    ms->p_end = p + lp;
    ms->steps_left = ms->a->limits.pattern_step_limit + 20 * (long long)ls;
}

static void reprepare(MatchState *ms) {
    ms->level = 0;
    ms->depth = MAX_DEPTH;
}

static const char *class_end(MatchState *ms, const char *p) {
    if (*p++ == ESCAPE) {
        if (p == ms->p_end) luaL_error(ms->L, "malformed pattern (ends with '%%')");
        return p + 1;
    }
    if (*(p - 1) == '[') {
        if (*p == '^') p++;
        do { /* look for a ']' (a ']' right after '[' or '[^' is literal) */
            if (p == ms->p_end) luaL_error(ms->L, "malformed pattern (missing ']')");
            if (*(p++) == ESCAPE && p < ms->p_end) p++;
        } while (*p != ']');
        return p + 1;
    }
    return p;
}

static int match_class(int c, int cl) {
    int res;
    switch (tolower(cl)) {
    case 'a': res = isalpha(c); break;
    case 'c': res = iscntrl(c); break;
    case 'd': res = isdigit(c); break;
    case 'g': res = isgraph(c); break;
    case 'l': res = islower(c); break;
    case 'p': res = ispunct(c); break;
    case 's': res = isspace(c); break;
    case 'u': res = isupper(c); break;
    case 'w': res = isalnum(c); break;
    case 'x': res = isxdigit(c); break;
    default: return cl == c;
    }
    if (isupper(cl)) res = !res;
    return res;
}

/* p points at '[', ec at the closing ']'. */
static int match_bracket_class(int c, const char *p, const char *ec) {
    int sig = 1;
    if (*(p + 1) == '^') {
        sig = 0;
        p++;
    }
    while (++p < ec) {
        if (*p == ESCAPE) {
            p++;
            if (match_class(c, (unsigned char)*p)) return sig;
        } else if (*(p + 1) == '-' && p + 2 < ec) {
            p += 2;
            if ((unsigned char)*(p - 2) <= c && c <= (unsigned char)*p) return sig;
        } else if ((unsigned char)*p == c) {
            return sig;
        }
    }
    return !sig;
}

/* Scanning a set costs about a sixteenth of a matcher step per byte: ordinary sets
 * ([%w_.-]) cost nothing extra, a set of a megabyte cannot be scanned for every byte. */
static size_t class_cost(const char *p, const char *ep) { return (size_t)(ep - p) / 16; }

static int single_match(MatchState *ms, const char *s, const char *p, const char *ep) {
    if (s >= ms->src_end) return 0;
    int c = (unsigned char)*s;
    switch (*p) {
    case '.': return 1;
    case ESCAPE: return match_class(c, (unsigned char)*(p + 1));
    case '[':
        if (ep - p >= 16) charge_n(ms, class_cost(p, ep)); /* a set is scanned byte by byte, and may be long */
        return match_bracket_class(c, p, ep - 1);
    default: return (unsigned char)*p == c;
    }
}

static const char *do_match(MatchState *ms, const char *s, const char *p);

static const char *match_balance(MatchState *ms, const char *s, const char *p) {
    if (p >= ms->p_end - 1) luaL_error(ms->L, "malformed pattern (missing arguments to '%%b')");
    if (s >= ms->src_end || *s != *p) return NULL;
    int b = *p, e = *(p + 1), open = 1;
    while (++s < ms->src_end) {
        charge(ms);
        if (*s == e) {
            if (--open == 0) return s + 1;
        } else if (*s == b) {
            open++;
        }
    }
    return NULL;
}

static const char *max_expand(MatchState *ms, const char *s, const char *p, const char *ep) {
    ptrdiff_t i = 0;
    while (single_match(ms, s + i, p, ep)) {
        charge(ms);
        i++;
    }
    while (i >= 0) { /* try with the longest run first, then shorter ones */
        const char *res = do_match(ms, s + i, ep + 1);
        if (res) return res;
        i--;
    }
    return NULL;
}

static const char *min_expand(MatchState *ms, const char *s, const char *p, const char *ep) {
    for (;;) {
        charge(ms);
        const char *res = do_match(ms, s, ep + 1);
        if (res) return res;
        if (single_match(ms, s, p, ep)) s++;
        else return NULL;
    }
}

static const char *start_capture(MatchState *ms, const char *s, const char *p, int what) {
    if (ms->level >= MAX_CAPTURES) luaL_error(ms->L, "too many captures");
    ms->capture[ms->level].init = s;
    ms->capture[ms->level].len = what;
    ms->level++;
    const char *res = do_match(ms, s, p);
    if (res == NULL) ms->level--;
    return res;
}

static int capture_to_close(MatchState *ms) {
    int level = ms->level;
    for (level--; level >= 0; level--)
        if (ms->capture[level].len == CAP_UNFINISHED) return level;
    return luaL_error(ms->L, "invalid pattern capture");
}

static const char *end_capture(MatchState *ms, const char *s, const char *p) {
    int l = capture_to_close(ms);
    ms->capture[l].len = s - ms->capture[l].init;
    const char *res = do_match(ms, s, p);
    if (res == NULL) ms->capture[l].len = CAP_UNFINISHED;
    return res;
}

static int check_capture(MatchState *ms, int l) {
    l -= '1';
    if (l < 0 || l >= ms->level || ms->capture[l].len == CAP_UNFINISHED)
        return luaL_error(ms->L, "invalid capture index %%%d", l + 1);
    return l;
}

static const char *match_capture(MatchState *ms, const char *s, int l) {
    l = check_capture(ms, l);
    size_t len = (size_t)ms->capture[l].len;
    charge_n(ms, len);
    if ((size_t)(ms->src_end - s) >= len && memcmp(ms->capture[l].init, s, len) == 0) return s + len;
    return NULL;
}

static const char *do_match(MatchState *ms, const char *s, const char *p) {
    if (ms->depth-- == 0) luaL_error(ms->L, "pattern too complex (nesting too deep)");
    charge(ms);
    while (p != ms->p_end) {
        switch (*p) {
        case '(':
            if (p + 1 < ms->p_end && *(p + 1) == ')') s = start_capture(ms, s, p + 2, CAP_POSITION);
            else s = start_capture(ms, s, p + 1, CAP_UNFINISHED);
            goto done;
        case ')':
            s = end_capture(ms, s, p + 1);
            goto done;
        case '$':
            if (p + 1 != ms->p_end) goto single;
            s = (s == ms->src_end) ? s : NULL;
            goto done;
        case ESCAPE:
            switch (*(p + 1)) {
            case 'b':
                s = match_balance(ms, s, p + 2);
                if (s != NULL) {
                    p += 4;
                    continue;
                }
                goto done;
            case 'f': {
                p += 2;
                if (*p != '[') luaL_error(ms->L, "missing '[' after '%%f' in pattern");
                const char *ep = class_end(ms, p);
                charge_n(ms, 2 * class_cost(p, ep));
                int previous = (s == ms->src_init) ? '\0' : (unsigned char)*(s - 1);
                int current = (s < ms->src_end) ? (unsigned char)*s : '\0';
                if (!match_bracket_class(previous, p, ep - 1) && match_bracket_class(current, p, ep - 1)) {
                    p = ep;
                    continue;
                }
                s = NULL;
                goto done;
            }
            case '0': case '1': case '2': case '3': case '4':
            case '5': case '6': case '7': case '8': case '9':
                s = match_capture(ms, s, (unsigned char)*(p + 1));
                if (s != NULL) {
                    p += 2;
                    continue;
                }
                goto done;
            default:
                goto single;
            }
        default:
        single: {
            const char *ep = class_end(ms, p);
            if (!single_match(ms, s, p, ep)) {
                if (*ep == '*' || *ep == '?' || *ep == '-') { /* accepts zero occurrences */
                    p = ep + 1;
                    continue;
                }
                s = NULL;
            } else {
                switch (*ep) {
                case '?': {
                    const char *res = do_match(ms, s + 1, ep + 1);
                    if (res != NULL) {
                        s = res;
                    } else {
                        p = ep + 1;
                        continue;
                    }
                    break;
                }
                case '+': s = max_expand(ms, s + 1, p, ep); break;
                case '*': s = max_expand(ms, s, p, ep); break;
                case '-': s = min_expand(ms, s, p, ep); break;
                default: /* one byte of a literal run: each costs a step */
                    charge(ms);
                    s++;
                    p = ep;
                    continue;
                }
            }
            goto done;
        }
        }
    }
done:
    ms->depth++;
    return s;
}

static void push_one_capture(MatchState *ms, int i, const char *s, const char *e) {
    if (i >= ms->level) {
        if (i != 0) luaL_error(ms->L, "invalid capture index %%%d", i + 1);
        lua_pushlstring(ms->L, s, (size_t)(e - s)); /* the whole match */
        return;
    }
    ptrdiff_t l = ms->capture[i].len;
    if (l == CAP_UNFINISHED) luaL_error(ms->L, "unfinished capture");
    if (l == CAP_POSITION) lua_pushinteger(ms->L, (ms->capture[i].init - ms->src_init) + 1);
    else lua_pushlstring(ms->L, ms->capture[i].init, (size_t)l);
}

static int push_captures(MatchState *ms, const char *s, const char *e) {
    int n = (ms->level == 0 && s) ? 1 : ms->level;
    luaL_checkstack(ms->L, n, "too many captures");
    for (int i = 0; i < n; i++) push_one_capture(ms, i, s, e);
    return n;
}

/* Which bytes a match can start with. The first item that consumes input must be a
 * single-character class that cannot match zero times (a literal, %a, [set], ...);
 * captures, position captures and %f frontiers before it consume nothing and are
 * skipped. Filling the table costs 256 evaluations, so the search loops use it only
 * on subjects long enough to gain from skipping (see SKIP_MIN_LENGTH). Returns 0
 * when no useful set exists. */
#define SKIP_MIN_LENGTH 64

static int first_bytes(MatchState *ms, const char *p, unsigned char set[256]) {
    for (;;) {
        if (p < ms->p_end && *p == '(') {
            p += (p + 1 < ms->p_end && p[1] == ')') ? 2 : 1;
        } else if (p + 1 < ms->p_end && *p == ESCAPE && p[1] == 'f' && p + 2 < ms->p_end && p[2] == '[') {
            p = class_end(ms, p + 2);
        } else {
            break;
        }
    }
    if (p >= ms->p_end) return 0;
    if (*p == ')' || *p == '.' || *p == '$') return 0;
    if (*p == ESCAPE && p + 1 < ms->p_end && (p[1] == 'b' || p[1] == 'f' || isdigit((unsigned char)p[1]))) return 0;
    const char *ep = class_end(ms, p);
    if (*ep == '*' || *ep == '?' || *ep == '-') return 0;
    charge_n(ms, 256 * (1 + class_cost(p, ep)));
    int count = 0;
    for (int c = 0; c < 256; c++) {
        int hit;
        switch (*p) {
        case ESCAPE: hit = match_class(c, (unsigned char)*(p + 1)); break;
        case '[': hit = match_bracket_class(c, p, ep - 1); break;
        default: hit = (unsigned char)*p == c;
        }
        set[c] = (unsigned char)(hit != 0);
        count += set[c];
    }
    return count < 200; /* a class matching nearly everything saves nothing */
}

static const char *skip_to(const unsigned char set[256], const char *s, const char *end) {
    while (s < end && !set[(unsigned char)*s]) s++;
    return s;
}

static int no_specials(const char *p, size_t l) {
    for (size_t i = 0; i < l; i++)
        if (p[i] != '\0' && strchr(SPECIALS, p[i])) return 0;
    return 1;
}

/* A plain search (string.find with plain = true, or a pattern without specials):
 * memchr to each candidate, then a byte-by-byte comparison, every byte examined
 * charged, so a needle that almost matches everywhere cannot run unbounded. */
static const char *find_plain(MatchState *ms, const char *s, size_t ls, const char *p, size_t lp) {
    if (lp == 0) return s;
    if (lp > ls) return NULL;
    const char *last = s + (ls - lp);
    for (const char *c = s; c <= last;) {
        const char *hit = memchr(c, *p, (size_t)(last - c) + 1);
        charge_n(ms, (size_t)((hit ? hit : last) - c) + 1);
        if (hit == NULL) return NULL;
        size_t same = 1;
        while (same < lp && hit[same] == p[same]) same++;
        charge_n(ms, same);
        if (same == lp) return hit;
        c = hit + 1;
    }
    return NULL;
}

/* Lua 5.4's handling of a start position: negative counts from the end. */
static size_t start_position(lua_Integer pos, size_t len) {
    if (pos > 0) return (size_t)pos;
    if (pos == 0) return 1;
    if (pos < -(lua_Integer)len) return 1;
    return len + (size_t)pos + 1;
}

static int find_aux(lua_State *L, int find) {
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    size_t init = start_position(luaL_optinteger(L, 3, 1), ls);
    if (init > ls + 1) {
        luaL_pushfail(L);
        return 1;
    }
    if (find && (lua_toboolean(L, 4) || no_specials(p, lp))) {
        MatchState ms;
        prepare(&ms, L, s, ls, p, lp);
        const char *found = find_plain(&ms, s + init - 1, ls - init + 1, p, lp);
        if (found) {
            lua_pushinteger(L, (found - s) + 1);
            lua_pushinteger(L, (found - s) + (lua_Integer)lp);
            return 2;
        }
    } else {
        MatchState ms;
        const char *s1 = s + init - 1;
        int anchor = (*p == '^');
        if (anchor) {
            p++;
            lp--;
        }
        prepare(&ms, L, s, ls, p, lp);
        unsigned char set[256];
        int skip = !anchor && ls - (size_t)(s1 - s) >= SKIP_MIN_LENGTH && first_bytes(&ms, p, set);
        do {
            if (skip) {
                const char *from = s1;
                s1 = skip_to(set, s1, ms.src_end);
                work(&ms, (size_t)(s1 - from));
                if (s1 == ms.src_end) break;
            }
            reprepare(&ms);
            const char *e = do_match(&ms, s1, p);
            if (e != NULL) {
                if (find) {
                    lua_pushinteger(L, (s1 - s) + 1);
                    lua_pushinteger(L, e - s);
                    return push_captures(&ms, NULL, 0) + 2;
                }
                return push_captures(&ms, s1, e);
            }
        } while (s1++ < ms.src_end && !anchor);
    }
    luaL_pushfail(L);
    return 1;
}

static int str_find(lua_State *L) { return find_aux(L, 1); }
static int str_match(lua_State *L) { return find_aux(L, 0); }

typedef struct {
    const char *src;
    const char *p;
    const char *lastmatch;
    int skip;                   /* set holds the bytes a match can start with */
    unsigned char set[256];
    MatchState ms;
} GMatchState;

static int gmatch_next(lua_State *L) {
    GMatchState *gm = (GMatchState *)lua_touserdata(L, lua_upvalueindex(3));
    size_t ls, lp;
    const char *s = lua_tolstring(L, lua_upvalueindex(1), &ls);
    const char *p = lua_tolstring(L, lua_upvalueindex(2), &lp);
    prepare(&gm->ms, L, s, ls, p, lp); /* fresh budget for each step of the iteration */
    int skip = gm->skip && gm->ms.src_end - gm->src >= SKIP_MIN_LENGTH;
    for (const char *src = gm->src; src <= gm->ms.src_end; src++) {
        if (skip) {
            const char *from = src;
            src = skip_to(gm->set, src, gm->ms.src_end);
            work(&gm->ms, (size_t)(src - from));
            if (src == gm->ms.src_end) break;
        }
        reprepare(&gm->ms);
        const char *e = do_match(&gm->ms, src, gm->p);
        if (e != NULL && e != gm->lastmatch) {
            gm->src = gm->lastmatch = e;
            return push_captures(&gm->ms, src, e);
        }
    }
    return 0;
}

static int str_gmatch(lua_State *L) {
    size_t ls, lp;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    size_t init = start_position(luaL_optinteger(L, 3, 1), ls);
    lua_settop(L, 2);
    GMatchState *gm = (GMatchState *)lua_newuserdatauv(L, sizeof(GMatchState), 0);
    if (init > ls + 1) init = ls + 1; /* start after the end: no matches */
    prepare(&gm->ms, L, s, ls, p, lp);
    gm->src = s + init - 1;
    gm->p = p;
    gm->lastmatch = NULL;
    gm->skip = ls >= SKIP_MIN_LENGTH && first_bytes(&gm->ms, p, gm->set);
    lua_pushcclosure(L, gmatch_next, 3);
    return 1;
}

static void add_string_replacement(MatchState *ms, luaL_Buffer *b, const char *s, const char *e) {
    size_t l;
    lua_State *L = ms->L;
    const char *news = lua_tolstring(L, 3, &l);
    const char *p;
    work(ms, l);
    while ((p = memchr(news, ESCAPE, l)) != NULL) {
        luaL_addlstring(b, news, (size_t)(p - news));
        p++;
        if (*p == ESCAPE) {
            luaL_addchar(b, *p);
        } else if (*p == '0') {
            luaL_addlstring(b, s, (size_t)(e - s));
        } else if (isdigit((unsigned char)*p)) {
            push_one_capture(ms, *p - '1', s, e);
            luaL_tolstring(L, -1, NULL);
            lua_remove(L, -2);
            luaL_addvalue(b);
        } else {
            luaL_error(L, "invalid use of '%c' in replacement string", ESCAPE);
        }
        l -= (size_t)(p + 1 - news);
        news = p + 1;
    }
    luaL_addlstring(b, news, l);
}

/* Returns 1 when the match was replaced, 0 when the original text was kept. */
static int add_value(MatchState *ms, luaL_Buffer *b, const char *s, const char *e, int tr) {
    lua_State *L = ms->L;
    switch (tr) {
    case LUA_TFUNCTION: {
        lua_pushvalue(L, 3);
        int n = push_captures(ms, s, e);
        lua_call(L, n, 1);
        break;
    }
    case LUA_TTABLE:
        push_one_capture(ms, 0, s, e);
        lua_gettable(L, 3);
        break;
    default:
        add_string_replacement(ms, b, s, e);
        return 1;
    }
    if (!lua_toboolean(L, -1)) { /* nil or false: keep the original text */
        lua_pop(L, 1);
        luaL_addlstring(b, s, (size_t)(e - s));
        return 0;
    }
    if (!lua_isstring(L, -1)) return luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    luaL_addvalue(b);
    return 1;
}

static int str_gsub(lua_State *L) {
    size_t srcl, lp;
    const char *src = luaL_checklstring(L, 1, &srcl);
    const char *p = luaL_checklstring(L, 2, &lp);
    const char *lastmatch = NULL;
    int tr = lua_type(L, 3);
    lua_Integer max_s = luaL_optinteger(L, 4, (lua_Integer)srcl + 1);
    int anchor = (*p == '^');
    lua_Integer n = 0;
    int changed = 0;
    luaL_argexpected(L, tr == LUA_TNUMBER || tr == LUA_TSTRING || tr == LUA_TFUNCTION || tr == LUA_TTABLE, 3,
                     "string/function/table");
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    if (anchor) {
        p++;
        lp--;
    }
    MatchState ms;
    prepare(&ms, L, src, srcl, p, lp);
    unsigned char set[256];
    int skip = !anchor && srcl >= SKIP_MIN_LENGTH && first_bytes(&ms, p, set);
    while (n < max_s) {
        if (skip && src < ms.src_end && !set[(unsigned char)*src]) {
            /* no match can start before the next byte in the set: copy up to it */
            const char *stop = skip_to(set, src, ms.src_end);
            work(&ms, (size_t)(stop - src));
            luaL_addlstring(&b, src, (size_t)(stop - src));
            src = stop;
            if (stop == ms.src_end) break;
        }
        reprepare(&ms);
        const char *e = do_match(&ms, src, p);
        if (e != NULL && e != lastmatch) {
            n++;
            changed = add_value(&ms, &b, src, e, tr) | changed;
            src = lastmatch = e;
        } else if (src < ms.src_end) {
            luaL_addchar(&b, *src++);
        } else {
            break;
        }
        if (anchor) break;
    }
    if (!changed) {
        lua_pushvalue(L, 1);
    } else {
        luaL_addlstring(&b, src, (size_t)(ms.src_end - src));
        luaL_pushresult(&b);
    }
    lua_pushinteger(L, n);
    return 2;
}

void argus_install_patterns(lua_State *L, int string_table) {
    string_table = lua_absindex(L, string_table);
    static const luaL_Reg functions[] = {
        {"find", str_find}, {"match", str_match}, {"gmatch", str_gmatch}, {"gsub", str_gsub}, {NULL, NULL},
    };
    for (const luaL_Reg *f = functions; f->name; f++) {
        lua_pushcfunction(L, f->func);
        lua_setfield(L, string_table, f->name);
    }
}
