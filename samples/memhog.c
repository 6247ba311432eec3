/* Memory pressure: allocates MIB mebibytes (default 192) of compressible
 * data in one anonymous mapping, writes every page, then verifies every
 * byte, and reports the swap counters of /proc/vmstat. With more data than
 * RAM this runs only through reclaim and swap (or dies of the OOM killer).
 * usage: memhog [MIB [expect-swap [v]]]   (v: print the counts) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static unsigned long vmstat(const char *name)
{
	char line[128];
	size_t n = strlen(name);
	unsigned long v = 0;
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, n) && line[n] == ' ')
			v = strtoul(line + n + 1, NULL, 10);
	fclose(f);
	return v;
}

/* Compressible but not same-filled: each 64-byte line holds its number. */
static uint64_t word_at(size_t i)
{
	return (i / 64) * 0x0101010101ULL;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 192;
	int expect_swap = argc > 2 ? atoi(argv[2]) : 1;
	size_t len = mib << 20;
	uint64_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned long out, in;

	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (size_t i = 0; i < len / 8; i++)
		p[i] = word_at(i * 8);
	for (size_t i = 0; i < len / 8; i++) {
		if (p[i] != word_at(i * 8)) {
			printf("mismatch at byte %zu: %#llx != %#llx\n", i * 8,
			       (unsigned long long)p[i], (unsigned long long)word_at(i * 8));
			return 1;
		}
	}
	out = vmstat("pswpout");
	in = vmstat("pswpin");
	printf("verified %zu MiB; pswpout %s, pswpin %s\n", mib, out ? ">0" : "0", in ? ">0" : "0");
	if (argc > 3)
		printf("pswpout %lu pswpin %lu pgsteal_kswapd %lu pgsteal_direct %lu allocstall %lu\n",
		       out, in, vmstat("pgsteal_kswapd"), vmstat("pgsteal_direct"),
		       vmstat("allocstall_normal"));
	if (expect_swap && (!out || !in)) {
		printf("expected swapping: pswpout %lu pswpin %lu\n", out, in);
		return 2;
	}
	return 0;
}
