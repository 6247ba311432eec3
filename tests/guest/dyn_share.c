/* Two processes of one dynamically linked program, alive at once: the
 * parent runs itself again (fork + exec of /proc/self/exe), waits until the
 * child has run its libc code, and prints libc's text mapping (Rss, Pss,
 * and Shared: Shared_Clean + Shared_Dirty, in kB) from both processes'
 * /proc/PID/smaps. Built by tests/guest/dynamic-sharing.test with the
 * host's cc, dynamically, against a private copy of libc.so.6. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct text_usage {
	unsigned long rss, pss, shared;
};

/* The executable mapping of libc.so.6 in /proc/PID/smaps. */
static int libc_text(pid_t pid, struct text_usage *u)
{
	char path[64], line[512];
	int in_text = 0, found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	memset(u, 0, sizeof(*u));
	while (fgets(line, sizeof(line), f)) {
		char perms[8];
		unsigned long v;

		if (sscanf(line, "%*x-%*x %7s", perms) == 1 && strchr(line, '/')) {
			in_text = strstr(line, "/libc.so.6") && !strcmp(perms, "r-xp");
			found |= in_text;
		} else if (sscanf(line, "%*x-%*x %7s", perms) == 1) {
			in_text = 0;
		} else if (in_text && sscanf(line, "Rss: %lu", &v) == 1) {
			u->rss += v;
		} else if (in_text && sscanf(line, "Pss: %lu", &v) == 1) {
			u->pss += v;
		} else if (in_text && (sscanf(line, "Shared_Clean: %lu", &v) == 1 ||
					 sscanf(line, "Shared_Dirty: %lu", &v) == 1)) {
			u->shared += v;
		}
	}
	fclose(f);
	return found ? 0 : -1;
}

/* The same libc work in both processes, so they touch the same pages. */
static void work(char *buf, size_t len)
{
	snprintf(buf, len, "%s %d %.3f", "work", (int)getpid() * 0, 2.5);
	qsort(buf, strlen(buf), 1, (int (*)(const void *, const void *))strcmp);
}

int main(int argc, char **argv)
{
	int ready[2], go[2];
	struct text_usage p, c;
	char buf[64], byte;
	pid_t pid;
	int status;

	work(buf, sizeof(buf));
	if (argc == 4 && !strcmp(argv[1], "child")) {
		int rfd = atoi(argv[2]), wfd = atoi(argv[3]);

		if (write(wfd, "r", 1) != 1)
			return 2;
		/* until the parent has measured both of us */
		return read(rfd, &byte, 1) < 0 ? 3 : 0;
	}
	if (pipe(ready) < 0 || pipe(go) < 0)
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		char rs[16], ws[16];

		snprintf(rs, sizeof(rs), "%d", go[0]);
		snprintf(ws, sizeof(ws), "%d", ready[1]);
		close(go[1]);
		close(ready[0]);
		execl("/proc/self/exe", argv[0], "child", rs, ws, (char *)NULL);
		_exit(127);
	}
	close(go[0]);
	close(ready[1]);
	if (read(ready[0], &byte, 1) != 1) {
		fprintf(stderr, "dyn_share: the child did not start\n");
		return 1;
	}
	if (libc_text(getpid(), &p) < 0 || libc_text(pid, &c) < 0) {
		fprintf(stderr, "dyn_share: no libc.so.6 text mapping in smaps\n");
		return 1;
	}
	printf("parent libc text: Rss %lu Pss %lu Shared %lu\n", p.rss, p.pss, p.shared);
	printf("child libc text: Rss %lu Pss %lu Shared %lu\n", c.rss, c.pss, c.shared);
	fflush(stdout);
	close(go[1]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "dyn_share: the child failed\n");
		return 1;
	}
	return 0;
}
