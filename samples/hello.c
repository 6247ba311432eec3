/* hello: the first guest to run. Writes a greeting with write(2), then its
 * arguments and the environment variable VMEMU_SAMPLE_GREETING; exits 0. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static const char msg[] = "hello, world\n";

	if (write(STDOUT_FILENO, msg, sizeof msg - 1) != (ssize_t)(sizeof msg - 1))
		return 1;

	/* argv[0] is a path that differs between builds; show only its name. */
	const char *base = strrchr(argv[0], '/');
	base = base ? base + 1 : argv[0];
	printf("argc: %d\n", argc);
	printf("argv[0] names the hello sample: %s\n", strncmp(base, "hello", 5) == 0 ? "yes" : "no");
	for (int i = 1; i < argc; i++)
		printf("argv[%d]: \"%s\"\n", i, argv[i]);
	printf("argv[argc] is NULL: %s\n", argv[argc] == NULL ? "yes" : "no");

	const char *greeting = getenv("VMEMU_SAMPLE_GREETING");
	printf("VMEMU_SAMPLE_GREETING: %s%s%s\n", greeting ? "\"" : "",
	       greeting ? greeting : "(unset)", greeting ? "\"" : "");
	return 0;
}
