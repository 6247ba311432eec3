/* readonly: every way of changing files, tried in DIR (usage: readonly
 * DIR), printing each result; on a read-only mount, and under vmemu
 * --read-only, each change fails with Linux's errno and reads still work.
 * DIR must hold a file "f" ("data\n"), a directory "d" and a symlink "l". */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

static char path[4096];

static const char *at(const char *dir, const char *name)
{
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static void show(const char *what, long r)
{
	printf("%-32s %s\n", what, r < 0 ? strerror(errno) : "ok");
}

int main(int argc, char **argv)
{
	const char *d = argc > 1 ? argv[1] : ".";
	char buf[16] = { 0 };
	int fd;

	fd = open(at(d, "f"), O_RDONLY);
	show("open f O_RDONLY", fd);
	if (fd >= 0) {
		printf("%-32s %zd\n", "read f", read(fd, buf, sizeof(buf) - 1));
		show("fchmod f", fchmod(fd, 0600));
		show("fchown f", fchown(fd, 0, 0));
		show("futimens f", futimens(fd, NULL));
		show("ftruncate f (O_RDONLY)", ftruncate(fd, 0));
		close(fd);
	}
	show("open f O_WRONLY", open(at(d, "f"), O_WRONLY));
	show("open f O_RDWR", open(at(d, "f"), O_RDWR));
	show("open f O_RDONLY|O_TRUNC", open(at(d, "f"), O_RDONLY | O_TRUNC));
	show("open f O_RDONLY|O_CREAT", fd = open(at(d, "f"), O_RDONLY | O_CREAT, 0644));
	if (fd >= 0)
		close(fd);
	show("open f O_CREAT|O_EXCL", open(at(d, "f"), O_WRONLY | O_CREAT | O_EXCL, 0644));
	show("open new O_CREAT", open(at(d, "new"), O_WRONLY | O_CREAT, 0644));
	show("open missing O_WRONLY", open(at(d, "missing"), O_WRONLY));
	show("open d O_RDWR", open(at(d, "d"), O_RDWR));
	show("open /dev/null O_WRONLY", open("/dev/null", O_WRONLY));
	show("mkdir new", mkdir(at(d, "newdir"), 0755));
	show("mkdir d (exists)", mkdir(at(d, "d"), 0755));
	show("unlink f", unlink(at(d, "f")));
	show("unlink missing", unlink(at(d, "missing")));
	show("rmdir d", rmdir(at(d, "d")));
	{
		char to[4096];

		snprintf(to, sizeof(to), "%s/g", d);
		show("rename f g", rename(at(d, "f"), to));
		show("link f g", link(at(d, "f"), to));
	}
	show("symlink x -> f", symlink("f", at(d, "x")));
	show("chmod f", chmod(at(d, "f"), 0600));
	show("chown f", chown(at(d, "f"), 0, 0));
	show("utimes f", utimes(at(d, "f"), NULL));
	show("truncate f", truncate(at(d, "f"), 0));
	show("mknod fifo", mknod(at(d, "fifo"), S_IFIFO | 0644, 0));
	show("stat l", lstat(at(d, "l"), &(struct stat){ 0 }));
	return 0;
}
