/* Transparent huge pages as a guest sees them (vmemu's THP, khugepaged and
 * compaction): each step checks the data it wrote and what /proc/self/smaps,
 * /proc/vmstat, /proc/buddyinfo and /proc/self/status say. Prints one line
 * per step and exits 0 when all hold.
 *
 *   thp            64 MiB with MADV_HUGEPAGE, munmap of one page, fork+COW,
 *                  khugepaged collapsing a region populated page by page
 *   thp compact    fragments memory on purpose (run with --mem=64M --swap=0),
 *                  then a THP fault needs compaction
 *   thp swap       more huge pages than RAM (--mem=64M --swap=256M): split,
 *                  swapped and read back
 *   thp set MODE   writes MODE into .../transparent_hugepage/enabled
 *   thp show       prints the THP mode, buddyinfo, pagetypeinfo and
 *                  extfrag_index */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096UL
#define HPAGE (2UL << 20)

static int failures;

static void check(int ok, const char *what)
{
	printf("%s: %s\n", ok ? "ok" : "FAIL", what);
	fflush(stdout);
	if (!ok)
		failures++;
}

/* A counter from /proc/vmstat (-1 when missing). */
static long vmstat(const char *name)
{
	char line[256];
	size_t n = strlen(name);
	long v = -1;
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, n) && line[n] == ' ')
			v = atol(line + n + 1);
	fclose(f);
	return v;
}

/* The sum of a smaps field (kB) over the VMAs overlapping [lo, hi). */
static long smaps_kb(uintptr_t lo, uintptr_t hi, const char *field)
{
	char line[512];
	size_t n = strlen(field);
	int in = 0;
	long kb = 0;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e;

		if (sscanf(line, "%lx-%lx ", &s, &e) == 2 && strchr(line, '-') < strchr(line, ' '))
			in = s < hi && e > lo;
		else if (in && !strncmp(line, field, n) && line[n] == ':')
			kb += atol(line + n + 1);
	}
	fclose(f);
	return kb;
}

static long status_kb(const char *field)
{
	char line[256];
	size_t n = strlen(field);
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n) && line[n] == ':')
			kb = atol(line + n + 1);
	fclose(f);
	return kb;
}

/* Free blocks of order >= 9 in /proc/buddyinfo. */
static long buddy_high_blocks(void)
{
	char line[512];
	long n = 0;
	FILE *f = fopen("/proc/buddyinfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, "zone");
		long c[11];

		if (!p)
			continue;
		p += 4;
		while (*p == ' ')
			p++;
		while (*p && *p != ' ')
			p++;
		if (sscanf(p, "%ld %ld %ld %ld %ld %ld %ld %ld %ld %ld %ld", &c[0], &c[1], &c[2],
			   &c[3], &c[4], &c[5], &c[6], &c[7], &c[8], &c[9], &c[10]) == 11)
			n += c[9] + c[10];
	}
	fclose(f);
	return n;
}

/* len bytes of anonymous memory at a 2 MiB boundary. */
static char *map_aligned(size_t len)
{
	char *p = mmap(NULL, len + HPAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	uintptr_t a;

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	a = ((uintptr_t)p + HPAGE - 1) & ~(HPAGE - 1);
	if (a > (uintptr_t)p)
		munmap(p, a - (uintptr_t)p);
	munmap((char *)a + len, (uintptr_t)p + len + HPAGE - a - len);
	return (char *)a;
}

static void fill(char *p, size_t len, uint64_t tag)
{
	for (size_t off = 0; off < len; off += PAGE)
		*(uint64_t *)(p + off) = ((uintptr_t)p + off) ^ tag;
}

static int intact(char *p, size_t len, uint64_t tag, char *skip_lo, char *skip_hi)
{
	for (size_t off = 0; off < len; off += PAGE) {
		if (p + off >= skip_lo && p + off < skip_hi)
			continue;
		if (*(uint64_t *)(p + off) != (((uintptr_t)p + off) ^ tag))
			return 0;
	}
	return 1;
}

static void huge_region(void)
{
	const size_t len = 64UL << 20;
	long alloc0 = vmstat("thp_fault_alloc"), split0 = vmstat("thp_split_page");
	char *p = map_aligned(len), *hole;
	char line[160];
	pid_t pid;
	int status;

	check(madvise(p, len, MADV_HUGEPAGE) == 0 &&
	      smaps_kb((uintptr_t)p, (uintptr_t)p + len, "THPeligible") == 1,
	      "madvise(MADV_HUGEPAGE) on 64 MiB (THPeligible 1)");
	fill(p, len, 0x55);
	snprintf(line, sizeof(line), "64 MiB mapped by 32 huge pages (AnonHugePages %ld kB, "
		 "thp_fault_alloc +%ld)", smaps_kb((uintptr_t)p, (uintptr_t)p + len, "AnonHugePages"),
		 vmstat("thp_fault_alloc") - alloc0);
	check(smaps_kb((uintptr_t)p, (uintptr_t)p + len, "AnonHugePages") == 65536 &&
	      vmstat("thp_fault_alloc") - alloc0 == 32 &&
	      vmstat("nr_anon_transparent_hugepages") >= 32, line);
	/* 32 leaves need no PTE table: the tables are a handful of pages. */
	snprintf(line, sizeof(line), "page tables stay small (VmPTE %ld kB)", status_kb("VmPTE"));
	check(status_kb("VmPTE") < 64, line);

	hole = p + 20 * HPAGE + 123 * PAGE;
	check(munmap(hole, PAGE) == 0, "munmap of one 4 KiB page in the middle");
	snprintf(line, sizeof(line), "exactly one huge page split (thp_split_page +%ld, "
		 "AnonHugePages %ld kB)", vmstat("thp_split_page") - split0,
		 smaps_kb((uintptr_t)p, (uintptr_t)p + len, "AnonHugePages"));
	check(vmstat("thp_split_page") - split0 == 1 &&
	      smaps_kb((uintptr_t)p, (uintptr_t)p + len, "AnonHugePages") == 65536 - 2048, line);
	check(intact(p, len, 0x55, hole, hole + PAGE), "the rest of the data is intact");

	/* fork: the child writes into four huge pages and sees its own
	 * data; the parent's stays as it was. */
	alloc0 = vmstat("thp_fault_alloc");
	pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 4; i++)
			*(uint64_t *)(p + i * HPAGE + 8) = 0xc0ffee + i;
		for (int i = 0; i < 4; i++)
			if (*(uint64_t *)(p + i * HPAGE + 8) != 0xc0ffee + (uint64_t)i)
				_exit(1);
		_exit(intact(p, len, 0x55, hole, hole + PAGE) ? 0 : 1);
	}
	check(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0, "fork: the child writes its copies of 4 huge pages");
	for (int i = 0; i < 4; i++)
		if (*(uint64_t *)(p + i * HPAGE + 8) != 0)
			failures++;
	snprintf(line, sizeof(line), "the parent's data is untouched (COW copied whole: "
		 "thp_fault_alloc +%ld)", vmstat("thp_fault_alloc") - alloc0);
	check(intact(p, len, 0x55, hole, hole + PAGE) && vmstat("thp_fault_alloc") - alloc0 == 4,
	      line);
	p[0] = 1;
	check(smaps_kb((uintptr_t)p, (uintptr_t)p + len, "AnonHugePages") == 65536 - 2048,
	      "the parent's huge pages are still huge after writing");
	munmap(p, len);
}

/* A number from a one-line file (-1 when missing). */
static long read_long(const char *path)
{
	long v = -1;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

#define PAGES_COLLAPSED "/sys/kernel/mm/transparent_hugepage/khugepaged/pages_collapsed"

static void collapse(void)
{
	const size_t len = 8UL << 20;
	long collapse0 = vmstat("thp_collapse_alloc"), collapsed0 = read_long(PAGES_COLLAPSED);
	char *p = map_aligned(len);
	char line[160];
	volatile uint64_t spin = 0;
	long kb = 0;

	/* Debian's default mode is madvise: these are 4 KiB pages. */
	fill(p, len, 0xaa);
	check(smaps_kb((uintptr_t)p, (uintptr_t)p + len, "AnonHugePages") == 0 &&
	      smaps_kb((uintptr_t)p, (uintptr_t)p + len, "THPeligible") == 0,
	      "8 MiB populated page by page: no huge page (THPeligible 0)");
	check(madvise(p, len, MADV_HUGEPAGE) == 0, "madvise(MADV_HUGEPAGE) afterwards");
	/* khugepaged runs between time slices: keep the CPU busy. */
	for (int round = 0; round < 2000 && kb < 8192; round++) {
		for (int i = 0; i < 100000; i++)
			spin += i;
		kb = smaps_kb((uintptr_t)p, (uintptr_t)p + len, "AnonHugePages");
	}
	snprintf(line, sizeof(line), "khugepaged collapsed it (AnonHugePages %ld kB, "
		 "thp_collapse_alloc +%ld)", kb, vmstat("thp_collapse_alloc") - collapse0);
	check(kb == 8192 && vmstat("thp_collapse_alloc") - collapse0 == 4 &&
	      read_long(PAGES_COLLAPSED) - collapsed0 == 4, line);
	check(intact(p, len, 0xaa, NULL, NULL), "the collapsed data is intact");
	munmap(p, len);
}

static void compact(void)
{
	const size_t len = 96UL << 20;
	long stall0 = vmstat("compact_stall"), success0 = vmstat("compact_success");
	char *p = map_aligned(len), *h = map_aligned(HPAGE);
	size_t filled = 0;
	char line[200];

	if (madvise(p, len, MADV_NOHUGEPAGE) || madvise(h, HPAGE, MADV_HUGEPAGE)) {
		check(0, "madvise");
		return;
	}
	/* Page tables first, together; then fill until no free block of
	 * order 9 or more is left. */
	for (size_t off = 0; off < len; off += HPAGE)
		p[off] = 1;
	for (size_t off = 0; off < len; off += PAGE) {
		if (off % (64 * PAGE) == 0 && buddy_high_blocks() == 0)
			break;
		*(uint64_t *)(p + off) = ((uintptr_t)p + off) ^ 0x33;
		filled = off + PAGE;
	}
	for (size_t off = PAGE; off < filled; off += 2 * PAGE)
		madvise(p + off, PAGE, MADV_DONTNEED);
	snprintf(line, sizeof(line), "memory fragmented: %zu MiB filled, every other page freed, "
		 "no free order-9 block (%ld)", filled >> 20, buddy_high_blocks());
	check(buddy_high_blocks() == 0 && filled >= (16UL << 20), line);
	h[8] = 7;
	snprintf(line, sizeof(line), "a THP fault compacted memory (AnonHugePages %ld kB, "
		 "compact_stall +%ld, compact_success +%ld)",
		 smaps_kb((uintptr_t)h, (uintptr_t)h + HPAGE, "AnonHugePages"),
		 vmstat("compact_stall") - stall0, vmstat("compact_success") - success0);
	check(smaps_kb((uintptr_t)h, (uintptr_t)h + HPAGE, "AnonHugePages") == 2048 &&
	      vmstat("compact_stall") > stall0 && vmstat("compact_success") > success0, line);
	for (size_t off = 0; off < filled; off += 2 * PAGE)
		if (*(uint64_t *)(p + off) != (((uintptr_t)p + off) ^ 0x33))
			failures++;
	check(failures == 0, "the moved data is intact");
}

/* More huge pages than RAM (run with --mem=64M --swap=256M): reclaim
 * splits them to swap their 4 KiB pages out, and every byte comes back. */
static void swap(void)
{
	const size_t len = 96UL << 20;
	long alloc0 = vmstat("thp_fault_alloc"), split0 = vmstat("thp_split_page");
	long out0 = vmstat("pswpout");
	char *p = map_aligned(len);
	char line[200];
	int bad = 0;

	check(madvise(p, len, MADV_HUGEPAGE) == 0, "madvise(MADV_HUGEPAGE) on 96 MiB");
	for (size_t off = 0; off < len; off += sizeof(uint64_t))
		*(uint64_t *)(p + off) = ((uintptr_t)p + off) * 0x9e3779b97f4a7c15ULL;
	for (int pass = 0; pass < 2; pass++)
		for (size_t off = 0; off < len; off += sizeof(uint64_t))
			bad += *(uint64_t *)(p + off) != ((uintptr_t)p + off) * 0x9e3779b97f4a7c15ULL;
	snprintf(line, sizeof(line), "huge pages split and swapped, data intact (thp_fault_alloc "
		 "+%ld, thp_split_page +%ld, pswpout +%ld)", vmstat("thp_fault_alloc") - alloc0,
		 vmstat("thp_split_page") - split0, vmstat("pswpout") - out0);
	check(!bad && vmstat("thp_fault_alloc") > alloc0 && vmstat("thp_split_page") > split0 &&
	      vmstat("pswpout") > out0, line);
	munmap(p, len);
}

/* The files that show THP and fragmentation state, as they are. */
static void show(void)
{
	static const char *const files[] = {
		"/sys/kernel/mm/transparent_hugepage/enabled", "/proc/buddyinfo",
		"/proc/pagetypeinfo", "/sys/kernel/debug/extfrag/extfrag_index",
		"/sys/kernel/mm/transparent_hugepage/khugepaged/max_ptes_none",
	};
	char buf[4096];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		FILE *f = fopen(files[i], "r");
		size_t n;

		if (!f) {
			check(0, files[i]);
			continue;
		}
		printf("== %s\n", files[i]);
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			fwrite(buf, 1, n, stdout);
		fclose(f);
	}
}

/* Writes mode into .../transparent_hugepage/enabled (as root would) and
 * prints the file again, or the error. */
static void set_mode(const char *mode)
{
	const char *path = "/sys/kernel/mm/transparent_hugepage/enabled";
	char line[128] = "";
	FILE *f = fopen(path, "w");
	int ok = f && fputs(mode, f) >= 0;

	if (f && fclose(f) != 0)
		ok = 0;
	f = fopen(path, "r");
	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = 0;
		fclose(f);
	}
	printf("write %s: %s; enabled: %s", mode, ok ? "ok" : "refused", line);
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "set")) {
		set_mode(argv[2]);
		return 0;
	} else if (argc > 1 && !strcmp(argv[1], "show")) {
		show();
	} else if (argc > 1 && !strcmp(argv[1], "swap")) {
		swap();
	} else if (argc > 1 && !strcmp(argv[1], "compact")) {
		compact();
	} else {
		huge_region();
		collapse();
	}
	printf("%s\n", failures ? "FAILED" : "all ok");
	return failures ? 1 : 0;
}
