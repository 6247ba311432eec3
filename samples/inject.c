/* inject: what a program sees when vmemu --inject fails host operations.
 *   inject write DIR    writes DIR/inject.out: 8 KiB, fsync, 4 KiB more
 *   inject msync DIR    stores through a shared mapping, then msync
 *   inject fsync DIR    writes, then fsync
 *   inject read FILE    reads FILE, then touches it through a mapping
 *   inject noread FILE  the same up to the first read of FILE (to count
 *                       the host reads that come before it)
 *   inject open FILE    opens FILE
 * printing each call's result (errno names as strerror gives them). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf jb;

static void on_sigbus(int sig)
{
	siglongjmp(jb, sig);
}

static void show(const char *what, long r)
{
	if (r < 0)
		printf("%s: -1 %s\n", what, strerror(errno));
	else
		printf("%s: %ld\n", what, r);
}

int main(int argc, char **argv)
{
	static char buf[8192];
	char path[4096];
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 3)
		return 2;
	snprintf(path, sizeof(path), "%s/inject.out", argv[2]);
	memset(buf, 'a', sizeof(buf));
	if (!strcmp(argv[1], "write")) {
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
		show("write 8192", write(fd, buf, sizeof(buf)));
		show("fsync", fsync(fd));
		memset(buf, 'b', 4096);
		show("write 4096", write(fd, buf, 4096));
		show("close", close(fd));
	} else if (!strcmp(argv[1], "msync")) {
		char *map;

		fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
		show("ftruncate", ftruncate(fd, 4096));
		map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		memset(map, 'm', 4096);
		show("msync", msync(map, 4096, MS_SYNC));
		show("fsync", fsync(fd));
	} else if (!strcmp(argv[1], "fsync")) {
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
		show("write 8192", write(fd, buf, sizeof(buf)));
		show("fsync", fsync(fd));
		show("fdatasync", fdatasync(fd));
	} else if (!strcmp(argv[1], "read") || !strcmp(argv[1], "noread")) {
		struct sigaction sa = { .sa_handler = on_sigbus };
		volatile char *map;
		int sig;

		fd = open(argv[2], O_RDONLY);
		if (!strcmp(argv[1], "noread"))
			return 0;
		show("read", read(fd, buf, sizeof(buf)));
		sigaction(SIGBUS, &sa, NULL);
		map = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 4096 * 4);
		sig = sigsetjmp(jb, 1);
		if (!sig)
			printf("mapped read: %d\n", map[0]);
		else
			printf("mapped read: signal %d (%s)\n", sig, strsignal(sig));
	} else if (!strcmp(argv[1], "open")) {
		show("open", open(argv[2], O_RDONLY));
	} else {
		return 2;
	}
	return 0;
}
