/* bench thp: faults in a working set of anonymous memory (MIB MiB,
 * default 256) page by page, then makes ACCESSES random 8-byte
 * read-modify-writes over it (default 10^7), and prints the time of each
 * phase with the page faults, THP faults and page-table size the kernel
 * reports. make bench runs it under vmemu --thp=never and --thp=always
 * and compares the two. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long proc_field(const char *path, const char *name, char sep)
{
	char line[256];
	size_t n = strlen(name);
	long v = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, n) && line[n] == sep)
			v = atol(line + n + 1);
	fclose(f);
	return v;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? (size_t)atol(argv[1]) : 256;
	long accesses = argc > 2 ? atol(argv[2]) : 10000000L;
	size_t len = mib << 20, words = len / sizeof(uint64_t);
	long faults0 = proc_field("/proc/vmstat", "pgfault", ' ');
	long thp0 = proc_field("/proc/vmstat", "thp_fault_alloc", ' ');
	uint64_t x = 88172645463325252ull, sum = 0, *a;
	double t0, t1, t2;
	uintptr_t p;

	/* 2 MiB aligned, as a THP-aware allocator would place it. */
	p = (uintptr_t)mmap(NULL, len + (2u << 20), PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if ((void *)p == MAP_FAILED)
		return 1;
	a = (uint64_t *)((p + (2u << 20) - 1) & ~(uintptr_t)((2u << 20) - 1));
	t0 = now_ms();
	for (size_t i = 0; i < words; i += 4096 / sizeof(uint64_t))
		a[i] = i;
	t1 = now_ms();
	for (long n = 0; n < accesses; n++) {
		size_t k;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		k = x % words;
		sum += a[k];
		a[k] = sum;
	}
	t2 = now_ms();
	printf("fault_in_ms %.1f random_ms %.1f faults %ld thp_faults %ld vmpte_kb %ld sum %llx\n",
	       t1 - t0, t2 - t1, proc_field("/proc/vmstat", "pgfault", ' ') - faults0,
	       proc_field("/proc/vmstat", "thp_fault_alloc", ' ') - thp0,
	       proc_field("/proc/self/status", "VmPTE", ':'), (unsigned long long)sum);
	return 0;
}
