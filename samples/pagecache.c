/* pagecache: file I/O through the page cache as a program sees it — read()
 * and write() against shared and private mappings of the same file, between
 * a parent and its child, truncation, O_APPEND and O_TRUNC, fadvise, msync —
 * printing one deterministic line per check for comparison with Linux.
 *
 * usage: pagecache DIR          the checks; leaves DIR/pagecache.out behind
 *        pagecache kill DIR     writes DIR/pagecache.kill by write(), fsync,
 *                               a shared mapping and msync, then more without
 *                               syncing, and SIGKILLs itself
 * The files left behind are compared byte for byte with a native run's. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096

static char path[4096];
static sigjmp_buf jb;

static void on_sigbus(int sig)
{
	siglongjmp(jb, sig);
}

/* The byte at offset i of the pattern the checks write. */
static unsigned char pat(size_t i, unsigned char seed)
{
	return (unsigned char)(i * 31 + seed);
}

static void fill(unsigned char *buf, size_t len, size_t off, unsigned char seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = pat(off + i, seed);
}

static int open_file(int flags)
{
	int fd = open(path, flags, 0644);

	if (fd < 0) {
		printf("open %s: %s\n", path, strerror(errno));
		exit(1);
	}
	return fd;
}

static unsigned long sum(const unsigned char *p, size_t n)
{
	unsigned long h = 5381;

	for (size_t i = 0; i < n; i++)
		h = h * 33 + p[i];
	return h;
}

static unsigned long file_sum(int fd, size_t *len)
{
	unsigned char buf[8192];
	unsigned long h = 5381;
	ssize_t n;
	off_t off = 0;

	*len = 0;
	while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			h = h * 33 + buf[i];
		off += n;
		*len += (size_t)n;
	}
	return h;
}

static void write_read_mmap(void)
{
	unsigned char buf[3 * PG], back[3 * PG];
	int fd = open_file(O_RDWR | O_CREAT | O_TRUNC);
	unsigned char *map;
	ssize_t n;
	int rc;

	fill(buf, sizeof(buf), 0, 1);
	n = write(fd, buf, sizeof(buf));
	printf("write 3 pages: %zd, offset now %ld\n", n, (long)lseek(fd, 0, SEEK_CUR));
	n = pread(fd, back, sizeof(back), 0);
	printf("pread back: %zd, same: %s\n", n, memcmp(buf, back, sizeof(buf)) ? "no" : "yes");
	map = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	printf("shared mapping sees write(): %s\n", memcmp(map, buf, sizeof(buf)) ? "no" : "yes");
	/* A store through the mapping is what read() returns next. */
	memcpy(map + PG + 100, "through the mapping", 19);
	n = pread(fd, back, 19, PG + 100);
	printf("read() sees the store: %s\n", n == 19 && !memcmp(back, "through the mapping", 19) ? "yes" : "no");
	/* And a write() in the middle of a mapped page is seen by the mapping. */
	n = pwrite(fd, "WRITTEN", 7, 2 * PG + 5);
	printf("mapping sees pwrite(): %s\n", n == 7 && !memcmp(map + 2 * PG + 5, "WRITTEN", 7) ? "yes" : "no");
	/* Reading across page boundaries with readv. */
	{
		unsigned char a[PG - 10], b[30];
		struct iovec iov[2] = { { a, sizeof(a) }, { b, sizeof(b) } };

		n = preadv(fd, iov, 2, 10);
		printf("preadv across a page boundary: %zd, same: %s\n", n,
		       !memcmp(a, map + 10, sizeof(a)) && !memcmp(b, map + PG, sizeof(b)) ? "yes" : "no");
	}
	printf("msync MS_SYNC: %d\n", msync(map, 3 * PG, MS_SYNC));
	printf("msync MS_ASYNC: %d\n", msync(map, PG, MS_ASYNC));
	rc = msync(map + 1, PG, MS_SYNC);
	printf("msync unaligned: %d %s\n", rc, rc ? strerror(errno) : "");
	rc = msync(map, PG, MS_SYNC | MS_ASYNC);
	printf("msync MS_SYNC|MS_ASYNC: %d %s\n", rc, rc ? strerror(errno) : "");
	munmap(map, 3 * PG);
	rc = msync(map, PG, MS_SYNC);
	printf("msync unmapped: %d %s\n", rc, rc ? strerror(errno) : "");
	rc = msync(map, PG, MS_ASYNC);
	printf("msync MS_ASYNC unmapped: %d %s\n", rc, rc ? strerror(errno) : "");
	close(fd);
}

static void shared_between_processes(void)
{
	int fd = open_file(O_RDWR);
	int to_child[2], to_parent[2];
	unsigned char *map = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	char c;
	pid_t pid;
	int status;

	if (pipe(to_child) || pipe(to_parent) || map == MAP_FAILED) {
		printf("setup failed\n");
		exit(1);
	}
	pid = fork();
	if (pid == 0) {
		unsigned char *cmap = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		char buf[16] = { 0 };

		/* The child's own mapping and the inherited one both see it. */
		memcpy(cmap + 10, "child", 5);
		write(to_parent[1], "x", 1);
		read(to_child[0], &c, 1);
		pread(fd, buf, 6, 2 * PG);
		printf("child: parent's store via read(): %s, via mapping: %s, inherited: %s\n",
		       !strcmp(buf, "parent") ? "yes" : "no",
		       !memcmp(cmap + 2 * PG, "parent", 6) ? "yes" : "no",
		       !memcmp(map + 2 * PG, "parent", 6) ? "yes" : "no");
		fflush(stdout);
		_exit(0);
	}
	read(to_parent[0], &c, 1);
	printf("parent: child's store via mapping: %s\n", !memcmp(map + 10, "child", 5) ? "yes" : "no");
	fflush(stdout);
	memcpy(map + 2 * PG, "parent", 6);
	write(to_child[1], "x", 1);
	waitpid(pid, &status, 0);
	printf("child exit: %d\n", WEXITSTATUS(status));
	munmap(map, 3 * PG);
	close(fd);
}

static void private_mapping(void)
{
	int fd = open_file(O_RDWR);
	unsigned char *map = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	unsigned char before[PG], after[PG];

	pread(fd, before, PG, 0);
	map[0] ^= 0xff;
	memcpy(map + 50, "private", 7);
	pread(fd, after, PG, 0);
	printf("MAP_PRIVATE store reaches the file: %s\n", memcmp(before, after, PG) ? "yes" : "no");
	/* A write() to the file after the private copy is not seen by it. */
	pwrite(fd, "late", 4, 200);
	printf("private copy sees a later write(): %s\n", !memcmp(map + 200, "late", 4) ? "yes" : "no");
	printf("private copy kept its store: %s\n", !memcmp(map + 50, "private", 7) ? "yes" : "no");
	munmap(map, PG);
	close(fd);
}

static void truncation(void)
{
	int fd = open_file(O_RDWR);
	unsigned char *map = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	unsigned char buf[64];
	struct sigaction sa = { .sa_handler = on_sigbus };
	volatile int sig;
	ssize_t n;

	sigaction(SIGBUS, &sa, NULL);
	printf("ftruncate to 1.5 pages: %d\n", ftruncate(fd, PG + PG / 2));
	sig = sigsetjmp(jb, 1);
	if (!sig)
		printf("read past EOF through the mapping: %d\n", map[2 * PG + 1]);
	else
		printf("read past EOF through the mapping: signal %d\n", sig);
	printf("tail of the last page reads 0: %s\n", map[PG + PG / 2 + 1] == 0 ? "yes" : "no");
	/* Grow it again: the bytes that were cut off come back as zeroes. */
	printf("ftruncate to 3 pages: %d\n", ftruncate(fd, 3 * PG));
	n = pread(fd, buf, sizeof(buf), PG + PG / 2 + 8);
	printf("regrown range reads as zeroes: %zd %s\n", n,
	       sum(buf, sizeof(buf)) == sum((const unsigned char[sizeof(buf)]){ 0 }, sizeof(buf))
		       ? "yes" : "no");
	printf("mapping sees zeroes too: %s\n", map[2 * PG + 100] == 0 ? "yes" : "no");
	/* A write past EOF extends the file with a hole before it. */
	n = pwrite(fd, "end", 3, 4 * PG + 10);
	printf("pwrite past EOF: %zd, size %ld\n", n, (long)lseek(fd, 0, SEEK_END));
	n = pread(fd, buf, 8, 3 * PG + 10);
	printf("the hole reads as zeroes: %zd %s\n", n, !memcmp(buf, "\0\0\0\0\0\0\0\0", 8) ? "yes" : "no");
	munmap(map, 3 * PG);
	signal(SIGBUS, SIG_DFL);
	close(fd);
}

static void append_and_trunc(void)
{
	int fd = open_file(O_RDWR | O_APPEND);
	off_t size = lseek(fd, 0, SEEK_END);
	char buf[16] = { 0 };
	ssize_t n;

	lseek(fd, 0, SEEK_SET);
	n = write(fd, "appended", 8);
	printf("O_APPEND write: %zd, at the end: %s\n", n, lseek(fd, 0, SEEK_CUR) == size + 8 ? "yes" : "no");
	/* Linux appends even with pwrite's offset (a documented bug). */
	n = pwrite(fd, "again", 5, 0);
	printf("O_APPEND pwrite: %zd, size grew by 5: %s\n", n, lseek(fd, 0, SEEK_END) == size + 13 ? "yes" : "no");
	pread(fd, buf, 13, size);
	printf("appended bytes: %s\n", buf);
	close(fd);

	fd = open_file(O_RDWR | O_TRUNC);
	printf("after O_TRUNC: size %ld, read %zd\n", (long)lseek(fd, 0, SEEK_END),
	       read(fd, buf, sizeof(buf)));
	close(fd);
}

static void advice(void)
{
	unsigned char buf[8 * PG], back[8 * PG];
	int fd = open_file(O_RDWR);
	unsigned char vec[8];
	void *map;

	fill(buf, sizeof(buf), 0, 7);
	pwrite(fd, buf, sizeof(buf), 0);
	printf("fdatasync: %d\n", fdatasync(fd));
	printf("fadvise DONTNEED: %d\n", posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED));
	printf("fadvise WILLNEED: %d\n", posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED));
	printf("fadvise SEQUENTIAL: %d, RANDOM: %d, NORMAL: %d\n",
	       posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL), posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM),
	       posix_fadvise(fd, 0, 0, POSIX_FADV_NORMAL));
	printf("fadvise bad advice: %d\n", posix_fadvise(fd, 0, 0, 99));
	pread(fd, back, sizeof(back), 0);
	printf("contents after the advice: %s\n", memcmp(buf, back, sizeof(buf)) ? "changed" : "same");
	/* Just read: every page is in the cache, mapped or not. */
	map = mmap(NULL, sizeof(buf), PROT_READ, MAP_SHARED, fd, 0);
	mincore(map, sizeof(buf), vec);
	printf("mincore after read():");
	for (int i = 0; i < 8; i++)
		printf(" %d", vec[i] & 1);
	printf("\n");
	munmap(map, sizeof(buf));
	printf("fsync: %d\n", fsync(fd));
	close(fd);
}

static int kill_run(const char *dir)
{
	unsigned char buf[2 * PG];
	unsigned char *map;
	int fd;

	snprintf(path, sizeof(path), "%s/pagecache.kill", dir);
	fd = open_file(O_RDWR | O_CREAT | O_TRUNC);
	fill(buf, sizeof(buf), 0, 3);
	write(fd, buf, sizeof(buf));                    /* pages 0-1 by write() */
	fsync(fd);
	ftruncate(fd, 4 * PG);
	map = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	fill(map + 2 * PG, PG, 2 * PG, 4);              /* page 2 by a store */
	msync(map, 4 * PG, MS_SYNC);
	pwrite(fd, "no fsync for this", 17, 100);       /* never synced */
	memcpy(map + 3 * PG, "nor this", 8);            /* never synced */
	kill(getpid(), SIGKILL);
	return 1;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[argc - 1] : ".";
	size_t len;
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 2 && !strcmp(argv[1], "kill"))
		return kill_run(dir);
	snprintf(path, sizeof(path), "%s/pagecache.out", dir);
	write_read_mmap();
	shared_between_processes();
	private_mapping();
	truncation();
	append_and_trunc();
	advice();
	/* What stays in the file: one last pattern over the emptied file. */
	fd = open_file(O_RDWR);
	{
		unsigned char *map;

		ftruncate(fd, 5 * PG + 123);
		map = mmap(NULL, 6 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		fill(map, 2 * PG, 0, 9);
		pwrite(fd, "tail", 4, 5 * PG + 100);
		munmap(map, 6 * PG);
	}
	{
		unsigned long h = file_sum(fd, &len);

		printf("final file: checksum %lu, %zu bytes\n", h, len);
	}
	close(fd);
	return 0;
}
