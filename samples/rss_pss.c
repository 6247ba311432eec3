/* RSS and PSS as /proc/PID/smaps shows them for mappings the program
 * touches itself: anonymous pages, a shared file mapping, and the sharing
 * after fork (a child that only reads halves PSS). The numbers must be the
 * ones Linux prints. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGES 256

/* The value of field (e.g. "Rss:") in the smaps entry that starts at addr. */
static long smaps_field(void *addr, const char *field)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512], want[32];
	int in = 0;
	long v = -1;

	if (!f)
		return -2;
	snprintf(want, sizeof(want), "%lx-", (unsigned long)addr);
	while (fgets(line, sizeof(line), f)) {
		if (strchr(line, '-') && strchr(line, ' ') && strchr(line, '-') < strchr(line, ' ') &&
		    !strchr(line, ':')) {
			in = !strncmp(line, want, strlen(want));
			continue;
		}
		if (!strncmp(line, "00", 2) || (line[0] >= '0' && line[0] <= '9') ||
		    (line[0] >= 'a' && line[0] <= 'f')) {
			if (strstr(line, " ") && strchr(line, '-') && strchr(line, '-') < strchr(line, ' '))
				in = !strncmp(line, want, strlen(want));
			continue;
		}
		if (in && !strncmp(line, field, strlen(field))) {
			v = atol(line + strlen(field));
			break;
		}
	}
	fclose(f);
	return v;
}

static void show(const char *what, void *addr)
{
	printf("%s: Rss %ld kB, Pss %ld kB, Private_Dirty %ld kB, Shared_Dirty %ld kB, "
	       "Anonymous %ld kB\n", what, smaps_field(addr, "Rss:"), smaps_field(addr, "Pss:"),
	       smaps_field(addr, "Private_Dirty:"), smaps_field(addr, "Shared_Dirty:"),
	       smaps_field(addr, "Anonymous:"));
}

int main(void)
{
	size_t pg = 4096, len = PAGES * pg;
	char *anon = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char path[] = "/tmp/vmemu-rss-XXXXXX";
	int fd = mkstemp(path);
	char *file;
	pid_t pid;

	setvbuf(stdout, NULL, _IOLBF, 0);
	show("anon, untouched", anon);
	for (size_t i = 0; i < len / 2; i += pg)
		anon[i] = 1;
	show("anon, half written", anon);
	for (size_t i = 0; i < len; i += pg)
		(void)*(volatile char *)(anon + i);
	show("anon, all read after", anon);

	unlink(path);
	if (fd < 0 || ftruncate(fd, 64 * pg))
		return 1;
	file = mmap(NULL, 64 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	for (int i = 0; i < 16; i++)
		file[i * pg] = 'x';
	show("shared file, 16 pages written", file);

	pid = fork();
	if (pid == 0) {
		long sum = 0;

		for (size_t i = 0; i < len / 2; i += pg)
			sum += anon[i];
		show("child, anon read", anon);
		show("child, shared file", file);
		_exit(sum == PAGES / 2 ? 0 : 1);
	}
	waitpid(pid, NULL, 0);
	show("parent after the child left", anon);
	return 0;
}
