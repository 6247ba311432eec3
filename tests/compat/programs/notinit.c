/* Runs PROGRAM [ARG]... as a child and exits as it did (128+N for a signal),
 * so that the program is not the first process of the machine: under vmemu
 * the first guest process is pid 1, and test suites (LTP) read
 * getppid() == 1 as "my parent died". Static, glibc or musl. */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	pid_t pid, w;
	int status;

	if (argc < 2) {
		fprintf(stderr, "usage: %s PROGRAM [ARG]...\n", argv[0]);
		return 2;
	}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 126;
	}
	if (pid == 0) {
		execvp(argv[1], argv + 1);
		perror(argv[1]);
		_exit(127);
	}
	/* Reap everything (orphans are ours when we are pid 1), return the child's status. */
	for (;;) {
		w = wait(&status);
		if (w == pid)
			break;
		if (w < 0)
			return 126;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
