/* bench fileread: reads a 256 MiB file, $TMPDIR/vmemu-bench-fileread (made
 * by the first run, which bench/run.sh's median leaves out when there are
 * three or more): "read" reads it sequentially with 128 KiB read(2)s (what
 * cat does), "mmap" maps it and reads one byte of each page. Each process
 * starts with the host's page cache warm, and vmemu's own cache cold. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define LEN (256u << 20)
#define CHUNK (128u << 10)

static int make_file(const char *path)
{
	static unsigned char buf[1 << 20];
	char tmp[4200];
	int fd;

	snprintf(tmp, sizeof tmp, "%s.%d", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	for (unsigned i = 0; i < sizeof buf; i++)
		buf[i] = (unsigned char)(i * 7 + (i >> 12));
	for (unsigned off = 0; off < LEN; off += sizeof buf)
		if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf)
			return -1;
	close(fd);
	return rename(tmp, path);
}

int main(int argc, char **argv)
{
	const char *tmp = getenv("TMPDIR");
	static unsigned char chunk[CHUNK];
	unsigned long sum = 0;
	char path[4096];
	struct stat st;
	int fd;

	snprintf(path, sizeof path, "%s/vmemu-bench-fileread", tmp && *tmp ? tmp : "/tmp");
	if ((stat(path, &st) < 0 || st.st_size != LEN) && make_file(path) < 0) {
		perror(path);
		return 1;
	}
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	if (argc > 1 && !strcmp(argv[1], "mmap")) {
		unsigned char *m = mmap(NULL, LEN, PROT_READ, MAP_SHARED, fd, 0);

		if (m == MAP_FAILED) {
			perror("mmap");
			return 1;
		}
		for (size_t off = 0; off < LEN; off += 4096)
			sum += m[off];
	} else {
		ssize_t n;

		while ((n = read(fd, chunk, CHUNK)) > 0)
			for (ssize_t i = 0; i < n; i += 4096)
				sum += chunk[i];
		if (n < 0) {
			perror("read");
			return 1;
		}
	}
	printf("%lu\n", sum);
	return 0;
}
