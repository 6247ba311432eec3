/* Tries to leave vmemu's --root and to make the kernel touch bad memory.
 *
 *   escape root HOST_FILE   under `vmemu --root=DIR`: every way out of the
 *                           root (.., absolute and relative symlinks, chdir
 *                           loops, /proc/self/root, symlinkat to "/", linkat
 *                           and rename towards a host file, openat with a
 *                           directory fd) must end inside DIR: it sees DIR's
 *                           fake /etc/passwd or fails. HOST_FILE is a host
 *                           path outside DIR. tests/guest/escape.test holds
 *                           the expected lines.
 *   escape efault           bad pointers get EFAULT, and a read or write
 *                           whose buffer runs into an unmapped page moves
 *                           the bytes before it and returns that count; the
 *                           output is the same natively and under vmemu.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

static const char *errno_name(int e)
{
	switch (e) {
	case ENOENT: return "ENOENT";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case EEXIST: return "EEXIST";
	case EXDEV: return "EXDEV";
	case EFAULT: return "EFAULT";
	case EINVAL: return "EINVAL";
	case ENOTDIR: return "ENOTDIR";
	case EISDIR: return "EISDIR";
	case ELOOP: return "ELOOP";
	case EBUSY: return "EBUSY";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case EBADF: return "EBADF";
	case ENOTEMPTY: return "ENOTEMPTY";
	}
	return "E?";
}

/* Prints "what: errno NAME" or "what: OK". */
static void result(const char *what, long ret)
{
	if (ret < 0)
		printf("%s: errno %s\n", what, errno_name(errno));
	else
		printf("%s: ok\n", what);
}

/* Prints the first line of an open file, or the error of the open. */
static void show(const char *what, int fd)
{
	char buf[128];
	ssize_t n;

	if (fd < 0) {
		printf("%s: errno %s\n", what, errno_name(errno));
		return;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		printf("%s: read errno %s\n", what, errno_name(errno));
		return;
	}
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	printf("%s: reads \"%s\"\n", what, buf);
}

static void same_inode(const char *what, int fd, const char *path)
{
	struct stat a, b;

	if (fd < 0 || fstat(fd, &a) < 0 || stat(path, &b) < 0) {
		printf("%s: errno %s\n", what, errno_name(errno));
		return;
	}
	printf("%s: %s %s\n", what, a.st_dev == b.st_dev && a.st_ino == b.st_ino ? "is" : "is not",
	       path);
	close(fd);
}

static int try_root(const char *host_file)
{
	char path[4096], cwd[4096];
	int dfd;

	/* Dot-dot above the root is the root itself. */
	result("chdir /sub", chdir("/sub"));
	show("open ../../../etc/passwd", open("../../../etc/passwd", O_RDONLY));
	show("open /../../../../etc/passwd", open("/../../../../etc/passwd", O_RDONLY));
	show("open host file by its host path", open(host_file, O_RDONLY));

	/* Absolute and relative symlinks made inside the root. */
	result("symlink /abs-link -> /etc/passwd", symlink("/etc/passwd", "/abs-link"));
	show("open /abs-link", open("/abs-link", O_RDONLY));
	result("symlink /sub/rel-link -> ../../../../../etc/passwd",
	       symlink("../../../../../etc/passwd", "/sub/rel-link"));
	show("open /sub/rel-link", open("/sub/rel-link", O_RDONLY));
	result("symlink /host-link -> HOST_FILE", symlink(host_file, "/host-link"));
	show("open /host-link", open("/host-link", O_RDONLY));
	snprintf(path, sizeof(path), "/../../../../../..%s", host_file);
	result("symlink /dotdot-host-link -> /../..HOST_FILE", symlink(path, "/dotdot-host-link"));
	show("open /dotdot-host-link", open("/dotdot-host-link", O_RDONLY));

	/* chdir("..") far more often than the root is deep. */
	result("chdir /sub/deeper", chdir("/sub/deeper"));
	for (int i = 0; i < 64; i++)
		if (chdir("..") < 0) {
			printf("chdir ..: errno %s\n", errno_name(errno));
			break;
		}
	printf("getcwd after 64 chdir ..: %s\n", getcwd(cwd, sizeof(cwd)) ? cwd : errno_name(errno));
	show("open etc/passwd from there", open("etc/passwd", O_RDONLY));
	result("chdir /proc/self/root/../..", chdir("/proc/self/root/../.."));
	printf("getcwd: %s\n", getcwd(cwd, sizeof(cwd)) ? cwd : errno_name(errno));
	chdir("/");

	/* /proc/self/root is the root, whatever follows it. */
	show("open /proc/self/root/../../etc/passwd",
	     open("/proc/self/root/../../etc/passwd", O_RDONLY));
	show("open /proc/self/cwd/../../etc/passwd",
	     open("/proc/self/cwd/../../etc/passwd", O_RDONLY));

	/* A symlink to "/" is a link to the root. */
	result("symlinkat /rootlink -> /", symlinkat("/", AT_FDCWD, "/rootlink"));
	show("open /rootlink/../../etc/passwd", open("/rootlink/../../etc/passwd", O_RDONLY));
	show("open /rootlink/rootlink/etc/passwd", open("/rootlink/rootlink/etc/passwd", O_RDONLY));
	result("mkdir /rootlink/made-through-link", mkdir("/rootlink/made-through-link", 0755));
	result("rmdir /made-through-link", rmdir("/made-through-link"));

	/* Hard links and renames towards the host file. */
	result("linkat HOST_FILE -> /stolen", linkat(AT_FDCWD, host_file, AT_FDCWD, "/stolen", 0));
	result("linkat /host-link (followed) -> /stolen",
	       linkat(AT_FDCWD, "/host-link", AT_FDCWD, "/stolen", AT_SYMLINK_FOLLOW));
	result("linkat /../../..HOST_FILE -> /stolen",
	       linkat(AT_FDCWD, path, AT_FDCWD, "/stolen", 0));
	result("link /etc/passwd -> ../../../linked-out", link("/etc/passwd", "../../../linked-out"));
	result("unlink /linked-out", unlink("/linked-out"));
	result("rename /etc/passwd -> ../../../renamed-out",
	       rename("/etc/passwd", "../../../renamed-out"));
	show("open /renamed-out", open("/renamed-out", O_RDONLY));
	result("rename it back", rename("/renamed-out", "/etc/passwd"));
	snprintf(path, sizeof(path), "%s.renamed", host_file);
	result("rename /etc/passwd -> HOST_FILE.renamed", rename("/etc/passwd", path));
	result("rename HOST_FILE -> /got-it", rename(host_file, "/got-it"));
	result("renameat2 /rootlink/.. -> /x", syscall(SYS_renameat2, AT_FDCWD, "/rootlink/..",
						       AT_FDCWD, "/x", 0));

	/* A directory fd and "..". */
	dfd = open("/sub", O_RDONLY | O_DIRECTORY);
	show("openat(/sub, ../../../etc/passwd)", openat(dfd, "../../../etc/passwd", O_RDONLY));
	same_inode("openat(/sub, ../..)", openat(dfd, "../..", O_RDONLY | O_DIRECTORY), "/");
	result("fchdir(/sub) then chdir ../../..", fchdir(dfd) == 0 ? chdir("../../..") : -1);
	printf("getcwd: %s\n", getcwd(cwd, sizeof(cwd)) ? cwd : errno_name(errno));
	close(dfd);
	dfd = open("/", O_RDONLY | O_DIRECTORY);
	show("openat(/, ../etc/passwd)", openat(dfd, "../etc/passwd", O_RDONLY));
	same_inode("openat(/, ..)", openat(dfd, "..", O_RDONLY | O_DIRECTORY), "/");
	close(dfd);
	return 0;
}

/* A buffer whose second page is unmapped: 100 usable bytes at its end. */
static char *straddle(void)
{
	char *p = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || munmap(p + 4096, 4096) < 0) {
		perror("mmap");
		exit(1);
	}
	memset(p, 'x', 4096);
	return p + 4096 - 100;
}

static void count(const char *what, long ret)
{
	if (ret < 0)
		printf("%s: errno %s\n", what, errno_name(errno));
	else
		printf("%s: %ld\n", what, ret);
}

/* Volatile, so that the compiler cannot see (and warn) that it is bad. */
static char *volatile bad_pointer = (char *)16;

static int try_efault(void)
{
	char data[300], back[300], *tail = straddle(), *bad = bad_pointer;
	char tmpl[] = "/tmp/vmemu-escape.XXXXXX";
	struct iovec iov[2];
	struct stat st;
	int fd = mkstemp(tmpl);

	if (fd < 0) {
		perror("mkstemp");
		return 1;
	}
	unlink(tmpl);
	for (int i = 0; i < (int)sizeof(data); i++)
		data[i] = (char)('a' + i % 26);
	if (write(fd, data, sizeof(data)) != (ssize_t)sizeof(data))
		return 1;

	count("read into NULL", syscall(SYS_pread64, fd, NULL, 10, 0));
	count("read into 16", pread(fd, bad, 10, 0));
	count("read into a kernel address", pread(fd, (void *)0xffffffff81000000UL, 10, 0));
	count("write from 16", write(fd, bad, 10));
	count("read of 200 into the last 100 mapped bytes", pread(fd, tail, 200, 0));
	printf("  bytes read: %.100s\n", tail);
	count("read of 100 into the last 100 mapped bytes", pread(fd, tail, 100, 100));
	count("read of 101 at an unmapped page", pread(fd, tail + 100, 101, 0));
	memcpy(tail, data + 200, 100);
	count("write of 200 from the last 100 mapped bytes", pwrite(fd, tail, 200, 300));
	count("file size after it", fstat(fd, &st) < 0 ? -1 : st.st_size);
	iov[0] = (struct iovec){ back, 50 };
	iov[1] = (struct iovec){ bad, 50 };
	count("readv with a bad second iovec", preadv(fd, iov, 2, 0));
	count("readv with a bad iovec array", preadv(fd, (struct iovec *)bad, 2, 0));
	iov[1] = (struct iovec){ tail, 200 };
	count("readv whose second iovec straddles", preadv(fd, iov, 2, 0));
	memcpy(tail, "/tm", 3);
	memset(tail + 3, 'p', 97);
	count("open of a path running into an unmapped page", open(tail, O_RDONLY));
	count("open of NULL", syscall(SYS_open, NULL, O_RDONLY));
	count("stat into 16", stat("/", (struct stat *)bad));
	count("stat into a straddling buffer", stat("/", (struct stat *)tail));
	count("getcwd into a straddling buffer", syscall(SYS_getcwd, tail, 200));
	count("getcwd into 16", syscall(SYS_getcwd, bad, 200));
	count("clock_gettime into 16", syscall(SYS_clock_gettime, 0, bad));
	count("uname into 16", syscall(SYS_uname, bad));
	count("pipe into 16", syscall(SYS_pipe, bad));
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "root"))
		return try_root(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "efault"))
		return try_efault();
	fprintf(stderr, "usage: %s root HOST_FILE | efault\n", argv[0]);
	return 2;
}
