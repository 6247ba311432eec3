/* pagecache_stats: the page cache seen through vmemu's /proc counters
 * (pgpgin, pgmajfault, Cached, Dirty). Runs only under vmemu, where those
 * counters belong to the guest alone; each check prints one line and a
 * failed one makes the exit status 1.
 *
 * usage: pagecache_stats read FILE      FILE read twice, then mapped:
 *                                       the second pass reads nothing from
 *                                       the host and takes no major fault
 *        pagecache_stats pressure FILE  FILE (bigger than the guest's RAM)
 *                                       read twice under reclaim
 *        pagecache_stats dirty DIR      Dirty follows write() and fsync
 *        pagecache_stats revalidate FILE  reads FILE, prints "cached", waits
 *                                       for a line on stdin (the host changes
 *                                       FILE meanwhile), and reads it again */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int failed;

static void check(int ok, const char *what)
{
	printf("%s: %s\n", ok ? "ok" : "FAILED", what);
	if (!ok)
		failed = 1;
}

/* A counter from /proc/vmstat ("name value") or /proc/meminfo ("Name: value kB"). */
static long counter(const char *file, const char *name)
{
	char line[256];
	size_t len = strlen(name);
	long value = -1;
	FILE *f = fopen(file, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && (line[len] == ' ' || line[len] == ':')) {
			value = strtol(line + len + 1, NULL, 10);
			break;
		}
	fclose(f);
	return value;
}

static long vmstat(const char *name)
{
	return counter("/proc/vmstat", name);
}

static long meminfo(const char *name)
{
	return counter("/proc/meminfo", name);
}

static unsigned long read_all(const char *path, size_t *total)
{
	static char buf[1 << 20];
	unsigned long h = 0;
	int fd = open(path, O_RDONLY);
	ssize_t n;

	*total = 0;
	if (fd < 0)
		return 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i += 4096)
			h = h * 31 + (unsigned char)buf[i];
		*total += (size_t)n;
	}
	close(fd);
	return h;
}

static int read_test(const char *path)
{
	long in0, in1, in2, maj0, maj1, maj2, cached;
	unsigned long h1, h2, h3 = 0;
	size_t size, size2;
	struct stat st;
	char *map;
	int fd;

	if (stat(path, &st) < 0) {
		perror(path);
		return 2;
	}
	in0 = vmstat("pgpgin");
	maj0 = vmstat("pgmajfault");
	h1 = read_all(path, &size);
	in1 = vmstat("pgpgin");
	maj1 = vmstat("pgmajfault");
	printf("first pass: %zu bytes, pgpgin +%ld kB, pgmajfault +%ld\n", size, in1 - in0,
	       maj1 - maj0);
	check(size == (size_t)st.st_size, "the first pass read the whole file");
	check(in1 - in0 >= (long)(size / 1024), "the first pass read it from the host");
	cached = meminfo("Cached");
	check(cached >= (long)(size / 1024), "Cached holds the whole file");

	h2 = read_all(path, &size2);
	in2 = vmstat("pgpgin");
	maj2 = vmstat("pgmajfault");
	printf("second pass: %zu bytes, pgpgin +%ld kB, pgmajfault +%ld\n", size2, in2 - in1,
	       maj2 - maj1);
	check(h1 == h2 && size2 == size, "the second pass read the same bytes");
	check(in2 == in1, "the second pass read nothing from the host");
	check(maj2 == maj1, "the second pass took no major fault");

	fd = open(path, O_RDONLY);
	map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		check(0, "mmap of the file");
		return 1;
	}
	for (size_t off = 0; off < size; off += 4096)
		h3 = h3 * 31 + (unsigned char)map[off];
	printf("mapped pass: pgpgin +%ld kB, pgmajfault +%ld\n", vmstat("pgpgin") - in2,
	       vmstat("pgmajfault") - maj2);
	check(h3 == h1, "the mapping holds the same bytes");
	check(vmstat("pgpgin") == in2, "touching the mapping read nothing from the host");
	check(vmstat("pgmajfault") == maj2, "touching the mapping took no major fault");
	munmap(map, size);

	/* Dropped from the cache, the file is read again, and faults on a
	 * new mapping are major (fewer than the pages: read-around). */
	check(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0, "fadvise DONTNEED");
	printf("Cached after DONTNEED: %ld kB (was %ld kB)\n", meminfo("Cached"), cached);
	check(meminfo("Cached") + (long)(size / 1024) <= cached + 1024,
	      "DONTNEED dropped the file's pages");
	in2 = vmstat("pgpgin");
	maj2 = vmstat("pgmajfault");
	map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	h3 = 0;
	for (size_t off = 0; off < size; off += 4096)
		h3 = h3 * 31 + (unsigned char)map[off];
	printf("mapped pass after DONTNEED: pgpgin +%ld kB, pgmajfault +%ld\n",
	       vmstat("pgpgin") - in2, vmstat("pgmajfault") - maj2);
	check(h3 == h1, "the mapping read the same bytes back");
	check(vmstat("pgmajfault") > maj2, "faults that read the host are major");
	check(vmstat("pgmajfault") - maj2 <= (long)(size / 4096 / 8),
	      "read-around brought in pages ahead of the faults");
	munmap(map, size);
	close(fd);
	return failed;
}

/* A file several times the guest's memory, read twice: reclaim drops the
 * cache as it goes (kswapd or direct), nothing is killed, the bytes agree. */
static int pressure_test(const char *path)
{
	long steal0 = vmstat("pgsteal_kswapd") + vmstat("pgsteal_direct"), steal1;
	long total_kb = meminfo("MemTotal");
	unsigned long h1, h2;
	size_t size1, size2;

	h1 = read_all(path, &size1);
	h2 = read_all(path, &size2);
	steal1 = vmstat("pgsteal_kswapd") + vmstat("pgsteal_direct");
	printf("read %zu bytes twice with %ld kB of RAM: pgsteal +%ld, pgpgin %ld kB, Cached %ld kB\n",
	       size1, total_kb, steal1 - steal0, vmstat("pgpgin"), meminfo("Cached"));
	check(size1 == size2 && h1 == h2 && size1 > 0, "both passes read the same bytes");
	check((long)(size1 / 1024) > total_kb, "the file is bigger than the guest's memory");
	check(steal1 - steal0 >= (long)(size1 / 4096), "reclaim took the cache's pages as it went");
	check(vmstat("pgpgin") >= (long)(2 * size1 / 1024) - total_kb,
	      "the second pass read the file from the host again");
	check(vmstat("oom_kill") == 0, "nothing was killed");
	return failed;
}

static int dirty_test(const char *dir)
{
	static char buf[1 << 20];
	char path[4096];
	long d0, d1, d2, out0;
	int fd;

	snprintf(path, sizeof(path), "%s/pagecache_stats.dirty", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror(path);
		return 2;
	}
	memset(buf, 'd', sizeof(buf));
	d0 = meminfo("Dirty");
	write(fd, buf, sizeof(buf));
	d1 = meminfo("Dirty");
	printf("Dirty: %ld kB before, %ld kB after writing 1 MiB\n", d0, d1);
	check(d1 - d0 >= 1024, "write() leaves the pages dirty");
	check(meminfo("Cached") >= 1024, "and cached");
	fsync(fd);
	d2 = meminfo("Dirty");
	printf("Dirty after fsync: %ld kB\n", d2);
	check(d2 <= d1 - 1024, "fsync cleans them");

	/* Stores through a shared mapping: written back by msync. */
	out0 = vmstat("pgpgout");
	{
		char *map = mmap(NULL, sizeof(buf), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

		for (size_t off = 0; off < sizeof(buf); off += 4096)
			map[off] = 'm';
		check(meminfo("Dirty") - d2 >= 1024, "stores through a mapping dirty the pages");
		check(msync(map, sizeof(buf), MS_SYNC) == 0, "msync");
		printf("pgpgout after msync: +%ld kB\n", vmstat("pgpgout") - out0);
		check(vmstat("pgpgout") - out0 >= 1024, "msync wrote the stored pages");
		check(meminfo("Dirty") <= d2, "msync cleaned them");
		map[4096] = 'M';
		check(meminfo("Dirty") == d2 + 4, "a store after msync dirties its page again");
		munmap(map, sizeof(buf));
	}
	close(fd);
	unlink(path);
	return failed;
}

static int revalidate_test(const char *path)
{
	char buf[16] = { 0 }, line[16];
	int keep = open(path, O_RDONLY), fd;

	read(keep, buf, 8);
	printf("before: %.8s\n", buf);
	printf("cached\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 2;
	fd = open(path, O_RDONLY);
	memset(buf, 0, sizeof(buf));
	pread(fd, buf, 8, 0);
	printf("after: %.8s\n", buf);
	close(fd);
	close(keep);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "read"))
		return read_test(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "pressure"))
		return pressure_test(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "dirty"))
		return dirty_test(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "revalidate"))
		return revalidate_test(argv[2]);
	fprintf(stderr, "usage: pagecache_stats read FILE | pressure FILE | dirty DIR | "
		"revalidate FILE\n");
	return 2;
}
