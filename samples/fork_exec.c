/* fork + exec + wait of N short-lived children (N from argv[1]): each
 * child execs this program again, which exits with a status of its own;
 * the parent checks every status. Used to prove that a long run of
 * processes leaks no frame. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int n, bad = 0;

	if (argc > 2 && !strcmp(argv[1], "child"))
		return atoi(argv[2]) & 0xff;
	n = argc > 1 ? atoi(argv[1]) : 100;
	for (int i = 0; i < n; i++) {
		char num[16];
		pid_t pid;
		int st;

		snprintf(num, sizeof(num), "%d", i);
		pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			execl(argv[0], argv[0], "child", num, (char *)NULL);
			_exit(127);
		}
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != (i & 0xff))
			bad++;
	}
	printf("%d children, %d bad\n", n, bad);
	return bad != 0;
}
