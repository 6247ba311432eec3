/* An LD_PRELOAD library for tests/guest/dynamic-loader.test: its lib_name
 * comes before libdynlib.so's in the symbol search order. */
const char *lib_name(void)
{
	return "preloaded";
}
