/* Two processes under memory pressure without swap: the child makes
 * itself the preferred OOM victim (oom_score_adj 1000) and holds less
 * memory than its parent, which then allocates past the end of RAM. The
 * OOM killer must choose the child; the parent completes.
 * usage: oom_pair [CHILD_MIB PARENT_MIB] */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static char *touch(size_t mib)
{
	size_t len = mib << 20;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		exit(1);
	for (size_t i = 0; i < len; i += 4096)
		p[i] = (char)i;
	return p;
}

static long read_long(const char *path)
{
	char buf[32] = "";
	FILE *f = fopen(path, "r");

	if (!f || !fgets(buf, sizeof(buf), f))
		return -99999;
	fclose(f);
	return strtol(buf, NULL, 10);
}

int main(int argc, char **argv)
{
	size_t child_mib = argc > 2 ? strtoul(argv[1], NULL, 10) : 16;
	size_t parent_mib = argc > 2 ? strtoul(argv[2], NULL, 10) : 56;
	char path[64], c;
	int pfd[2], st;
	pid_t pid;

	if (pipe(pfd))
		return 1;
	pid = fork();
	if (pid == 0) {
		FILE *f = fopen("/proc/self/oom_score_adj", "w");

		if (!f || fprintf(f, "1000\n") < 0 || fclose(f))
			_exit(3);
		if (read_long("/proc/self/oom_score_adj") != 1000)
			_exit(4);
		touch(child_mib);
		if (write(pfd[1], "r", 1) != 1)
			_exit(5);
		for (;;)
			pause();
	}
	if (read(pfd[0], &c, 1) != 1)
		return 1;
	snprintf(path, sizeof(path), "/proc/%d/oom_score", (int)pid);
	printf("child oom_score_adj 1000, oom_score above parent's: %s\n",
	       read_long(path) > read_long("/proc/self/oom_score") ? "yes" : "no");
	touch(parent_mib);
	if (waitpid(pid, &st, 0) != pid)
		return 1;
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL) {
		printf("parent done; child killed by SIGKILL\n");
		return 0;
	}
	printf("child status %#x\n", st);
	return 1;
}
