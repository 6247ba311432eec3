/* A dynamically linked program for tests/guest/dynamic-loader.test: calls
 * into libdynlib.so (found through LD_LIBRARY_PATH, or interposed by
 * LD_PRELOAD), dlopens libm and the plugin named by argv[1], and uses the
 * plugin's thread-local counter from two threads; calls libm's log through
 * the PLT. Prints what it saw. */
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>

const char *lib_name(void);
int lib_next(void);

static int (*plug_next)(void);

static void *thread_main(void *arg)
{
	int a = plug_next(), b = plug_next();

	printf("thread %ld: plugin counter %d %d\n", (long)arg, a, b);
	return NULL;
}

int main(int argc, char **argv)
{
	double (*cosine)(double);
	const char *(*plug_name)(void);
	void *libm, *plug;
	pthread_t th;

	printf("linked: %s, counter %d %d\n", lib_name(), lib_next(), lib_next());
	/* the first call goes through the lazy-binding resolver, which must
	 * keep the argument registers (xmm0 here) */
	printf("log(%d) = %.12f\n", argc + 3, log(argc + 3.0));
	libm = dlopen("libm.so.6", RTLD_NOW);
	if (!libm) {
		printf("dlopen libm: %s\n", dlerror());
		return 1;
	}
	cosine = (double (*)(double))dlsym(libm, "cos");
	printf("libm cos(1) = %.12f\n", cosine(1.0));
	if (argc < 2)
		return 0;
	plug = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (!plug) {
		printf("dlopen plugin: %s\n", dlerror());
		return 1;
	}
	plug_name = (const char *(*)(void))dlsym(plug, "lib_name");
	plug_next = (int (*)(void))dlsym(plug, "lib_next");
	printf("plugin: %s\n", plug_name());
	thread_main((void *)0);
	/* a new thread gets the module's TLS initialised afresh */
	if (pthread_create(&th, NULL, thread_main, (void *)1) || pthread_join(th, NULL))
		return 1;
	thread_main((void *)0);
	dlclose(plug);
	return 0;
}
