/* bench forkexec: fork + exec + wait of COUNT (default 1000) small
 * children; the child is this program again with the argument "-child",
 * which exits at once. argv[0] must be a path to this program. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "-child") == 0)
		return 0;
	int count = argc > 1 ? atoi(argv[1]) : 1000;
	for (int i = 0; i < count; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			char *args[] = { argv[0], "-child", NULL };
			execv(argv[0], args);
			_exit(127);
		}
		int st;
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "child %d failed\n", i);
			return 1;
		}
	}
	return 0;
}
