/* exit_status: ends the way argv[1] says, for checking that a guest's end
 * passes through the emulator: a number N exits with status N (so 256 gives
 * 0 and -1 gives 255), "kill" dies of SIGSEGV from a NULL write, "abort"
 * calls abort() and dies of SIGABRT. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* volatile, so that the compiler cannot see the NULL and emit a trap. */
static int *volatile null_pointer;

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: exit_status N|kill|abort\n");
		return 2;
	}
	printf("exit_status: %s\n", argv[1]);
	/* What is printed must survive the death below. */
	fflush(stdout);

	if (strcmp(argv[1], "kill") == 0) {
		*null_pointer = 1;
		return 3; /* not reached */
	}
	if (strcmp(argv[1], "abort") == 0)
		abort();

	char *end;
	long n = strtol(argv[1], &end, 0);
	if (end == argv[1] || *end != '\0') {
		fprintf(stderr, "exit_status: not a number: %s\n", argv[1]);
		return 2;
	}
	exit((int)n);
}
