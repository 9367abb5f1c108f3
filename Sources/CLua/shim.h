/* Debian's liblua5.4-dev (/usr/include/lua5.4). Swift never calls Lua directly:
   CArgusLua wraps every call in lua_pcall, so no Lua error unwinds through Swift. */
#include <lua5.4/lua.h>
#include <lua5.4/lualib.h>
#include <lua5.4/lauxlib.h>
