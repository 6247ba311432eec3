/* A tiny Lua 5.4 host for the compatibility tests: runs the script named by
 * argv[1] with the standard libraries, the remaining arguments in `arg`.
 * Built with gcc -static against liblua5.4-dev's liblua5.4.a. */
#include <stdio.h>
#include <stdlib.h>

#include <lua5.4/lauxlib.h>
#include <lua5.4/lua.h>
#include <lua5.4/lualib.h>

static int traceback(lua_State *L)
{
	const char *msg = lua_tostring(L, 1);

	luaL_traceback(L, L, msg ? msg : "(error object is not a string)", 1);
	return 1;
}

int main(int argc, char **argv)
{
	lua_State *L;
	int rc;

	if (argc < 2) {
		fprintf(stderr, "usage: %s SCRIPT [ARG]...\n", argv[0]);
		return 2;
	}
	L = luaL_newstate();
	if (!L) {
		fprintf(stderr, "%s: cannot create a Lua state\n", argv[0]);
		return 1;
	}
	luaL_openlibs(L);
	lua_createtable(L, argc, 0);
	for (int i = 1; i < argc; i++) {
		lua_pushstring(L, argv[i]);
		lua_rawseti(L, -2, i - 1);
	}
	lua_setglobal(L, "arg");
	lua_pushcfunction(L, traceback);
	rc = luaL_loadfile(L, argv[1]);
	if (rc == LUA_OK) {
		for (int i = 2; i < argc; i++)
			lua_pushstring(L, argv[i]);
		rc = lua_pcall(L, argc - 2, 0, 1);
	}
	if (rc != LUA_OK) {
		fprintf(stderr, "%s: %s\n", argv[0], lua_tostring(L, -1));
		lua_close(L);
		return 1;
	}
	lua_close(L);
	return fflush(stdout) ? 1 : 0;
}
