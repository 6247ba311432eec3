/* A shared library for tests/guest/dynamic-loader.test, built twice: as
 * libdynlib.so, which dyn_main links against (its TLS is in the static TLS
 * block), and as libdynplug.so, which dyn_main dlopens (its TLS is
 * allocated by __tls_get_addr, per thread, on first use). */
__thread int counter = 100;

const char *lib_name(void)
{
	return LIB_NAME;
}

int lib_next(void)
{
	return ++counter;
}
