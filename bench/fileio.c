/* bench fileio: creates a 256 MiB file in a fresh directory under
 * $TMPDIR (or /tmp), reads it sequentially with 1 MiB read(2)s, then maps
 * it and reads one byte of each page; removes it. The run includes
 * writing the file. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define LEN (256u << 20)
#define CHUNK (1u << 20)

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	char dir[4096], path[4200];
	snprintf(dir, sizeof dir, "%s/vmemu-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof path, "%s/data", dir);
	int rc = 1;
	unsigned char *chunk = malloc(CHUNK);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (!chunk || fd < 0) {
		perror("open");
		goto out;
	}
	for (unsigned i = 0; i < CHUNK; i++)
		chunk[i] = (unsigned char)(i * 7 + (i >> 12));
	for (unsigned off = 0; off < LEN; off += CHUNK)
		if (write(fd, chunk, CHUNK) != (ssize_t)CHUNK) {
			perror("write");
			goto out;
		}
	unsigned long sum = 0;
	if (lseek(fd, 0, SEEK_SET) != 0)
		goto out;
	for (;;) {
		ssize_t n = read(fd, chunk, CHUNK);
		if (n < 0) {
			perror("read");
			goto out;
		}
		if (n == 0)
			break;
		for (ssize_t i = 0; i < n; i += 4096)
			sum += chunk[i];
	}
	unsigned char *m = mmap(NULL, LEN, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		perror("mmap");
		goto out;
	}
	for (size_t off = 0; off < LEN; off += 4096)
		sum += m[off];
	munmap(m, LEN);
	printf("%lu\n", sum);
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	unlink(path);
	rmdir(dir);
	return rc;
}
