/* Swap throughput and compression ratio of guestmm's compressed swap on a
 * mixed data set, measured in-process (no CPU emulation): one address space
 * of N pages — a quarter each random, zero, text-like and integer tables —
 * is swapped out by reclaim and faulted back in.
 * Times are CPU time of this process (the machine may be shared).
 * usage: bench_swap [MIB [LEVEL]]   (defaults: 256, 1) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "guestmm/mm.h"
#include "guestmm/swap.h"

#define BASE 0x10000000ULL

static void nop_flush(void *host) { (void)host; }
static const struct mm_host_ops ops = { .flush_tlb = nop_flush };

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint64_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static const char *words[] = { "the", "memory", "page", "kernel", "reclaim", "swap", "of",
			       "and", "a", "to", "compressed", "frame", "list", "is", "in" };

static void fill(uint8_t *buf, unsigned long i)
{
	switch (i % 4) {
	case 0:
		for (size_t j = 0; j < PAGE_SIZE; j += 8) {
			uint64_t v = xorshift();
			memcpy(buf + j, &v, 8);
		}
		break;
	case 1:
		memset(buf, 0, PAGE_SIZE);
		break;
	case 2: {
		size_t j = 0;

		while (j < PAGE_SIZE) {
			const char *w = words[xorshift() % 15];
			size_t l = strlen(w);

			for (size_t k = 0; k < l && j < PAGE_SIZE; k++)
				buf[j++] = (uint8_t)w[k];
			if (j < PAGE_SIZE)
				buf[j++] = ' ';
		}
		break;
	}
	default:
		for (size_t j = 0; j < PAGE_SIZE; j += 8) {
			uint64_t v = (xorshift() % 1000) | ((uint64_t)(i + j) << 32);
			memcpy(buf + j, &v, 8);
		}
		break;
	}
}

static int clear_young(pte_t *pte, uint64_t addr, uint64_t end, void *arg)
{
	(void)arg;
	for (; addr < end; addr += PAGE_SIZE, pte++)
		if (pte_present(*pte))
			pte->pte &= ~_PAGE_ACCESSED;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 256;
	int level = argc > 2 ? atoi(argv[2]) : 1;
	unsigned long npages = mib << 8, ram_pages = npages + 8192;
	uint8_t *ram = mmap(NULL, ram_pages << PAGE_SHIFT, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	struct pglist_data *node = pgdat_create(ram, ram_pages, &ops, NULL);
	struct mm_struct *mm;
	uint8_t buf[PAGE_SIZE], check[PAGE_SIZE];
	struct swap_stats st;
	double t0, t_out, t_in;
	unsigned long bad = 0;

	if (!node || swapon(node, npages + 1024, level))
		return 1;
	node->swappiness = 100;
	mm = mm_alloc(node);
	if (do_mmap(mm, BASE, npages << PAGE_SHIFT, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0) != (int64_t)BASE)
		return 1;
	for (unsigned long i = 0; i < npages; i++) {
		fill(buf, i);
		copy_to_user(mm, BASE + (i << PAGE_SHIFT), buf, PAGE_SIZE);
	}
	walk_pte_range(mm, BASE, BASE + (npages << PAGE_SHIFT), clear_young, NULL);

	t0 = now();
	for (int round = 0; round < 10 && mm->rss_stat[MM_ANONPAGES]; round++)
		shrink_node_pages(node, npages);
	t_out = now() - t0;
	swap_get_stats(node, &st);
	printf("level %d: %lu MiB mixed (random/zero/text/tables), %lu pages swapped out\n",
	       level, mib, st.stored_pages);
	printf("  swap-out: %.3f s, %.0f MB/s\n", t_out, st.stored_pages * 4096.0 / t_out / 1e6);
	printf("  stored: %lu same-filled, %lu raw, %lu compressed; payload %.1f MiB, "
	       "pool %.1f MiB\n", st.same_filled_pages, st.raw_pages,
	       st.stored_pages - st.same_filled_pages - st.raw_pages,
	       st.compressed_bytes / 1048576.0, st.pool_bytes / 1048576.0);
	printf("  compression ratio: %.2f (data / payload), %.2f (data / host pool memory)\n",
	       st.stored_pages * 4096.0 / (double)st.compressed_bytes,
	       st.stored_pages * 4096.0 / (double)st.pool_bytes);

	rng = 0x9E3779B97F4A7C15ULL;
	t0 = now();
	for (unsigned long i = 0; i < npages; i++)
		copy_from_user(mm, check + 0, BASE + (i << PAGE_SHIFT), 1);
	t_in = now() - t0;
	printf("  swap-in (faults with readahead): %.3f s, %.0f MB/s\n", t_in,
	       st.stored_pages * 4096.0 / t_in / 1e6);
	for (unsigned long i = 0; i < npages; i++) {
		fill(buf, i);
		copy_from_user(mm, check, BASE + (i << PAGE_SHIFT), PAGE_SIZE);
		bad += memcmp(buf, check, PAGE_SIZE) != 0;
	}
	printf("  verified: %lu pages differ\n", bad);
	mmput(mm);
	pgdat_destroy(node);
	return bad != 0;
}
