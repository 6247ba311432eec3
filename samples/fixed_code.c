/* Two builds of this program (WHICH=1, WHICH=2) put different code at the
 * same address (section .fixed, linked at 0x800000). Run one after the
 * other in one machine, or exec'd one from the other, each must run its
 * own code: a machine that kept the first one's translations would not. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef WHICH
#define WHICH 1
#endif

__attribute__((section(".fixed"), noinline)) int fixed_code(int x)
{
#if WHICH == 1
	return x * 3 + 1;
#else
	return x * 5 - 7;
#endif
}

int main(int argc, char **argv)
{
	printf("build %d: fixed_code(10) = %d\n", WHICH, fixed_code(10));
	fflush(stdout);
	/* With an argument: exec that program next (same text addresses). */
	if (argc > 1) {
		execv(argv[1], argv + 1);
		perror("execv");
		return 127;
	}
	return 0;
}
