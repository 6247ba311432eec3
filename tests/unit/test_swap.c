/* Unit tests for compressed swap (guestmm/swapfile.c, zsmalloc.c) and its
 * faults (memory.c do_swap_page): round trips bit-identical for random,
 * zero, same-filled and compressible pages; the crc32 catching a corrupted
 * slot; swap entries shared by fork with exact counts; smaps Swap/SwapPss,
 * mincore; and every frame and slot back when the processes go. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mm_test_util.h"
#include "guestmm/mm.h"
#include "guestmm/swap.h"
#include "guestmm/rmap.h"
#include "guestmm/task_mmu.h"

#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED)
#define BASE 0x10000000ULL
#define NPAGES 64
#define SWAP_PAGES 1024

static struct test_node t;
static unsigned long free_baseline;
static int log_errors;
static char last_log[256];

static void log_cb(void *host, int level, const char *msg)
{
	(void)host;
	if (level <= 3)
		log_errors++;
	snprintf(last_log, sizeof(last_log), "%s", msg);
}

static const struct mm_host_ops swap_test_ops = {
	.flush_tlb = test_flush_tlb,
	.invalidate_code = test_invalidate_code,
	.log = log_cb,
};

static void setup(void)
{
	struct mm_struct *mm;

	t.bytes = 32UL << 20;
	t.ram = mmap(NULL, t.bytes, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ck_assert_ptr_ne(t.ram, MAP_FAILED);
	t.node = pgdat_create(t.ram, t.bytes >> PAGE_SHIFT, &swap_test_ops, &t);
	ck_assert_ptr_nonnull(t.node);
	ck_assert_int_eq(swapon(t.node, SWAP_PAGES, SWAP_DEFAULT_LEVEL), 0);
	t.node->swappiness = 100;
	mm = mm_alloc(t.node);
	do_mmap(mm, BASE, PAGE_SIZE, RW, ANON, NULL, 0);
	mmput(mm);
	free_baseline = nr_free_pages(t.node);
	log_errors = 0;
}

static void teardown(void)
{
	test_node_fini(&t);
}

static void assert_no_leaks(void)
{
	struct swap_stats st;

	swap_get_stats(t.node, &st);
	ck_assert_uint_eq(st.free_pages, st.total_pages);
	ck_assert_uint_eq(st.stored_pages, 0);
	ck_assert_uint_eq(st.pool_bytes, 0);
	ck_assert_int_eq(t.node->stat.stat[NR_SWAPCACHE], 0);
	ck_assert_int_eq(t.node->stat.stat[NR_ANON_MAPPED], 0);
	ck_assert_int_eq(t.node->stat.stat[NR_FILE_PAGES], 0);
	for (int lru = 0; lru < NR_LRU_LISTS; lru++) {
		ck_assert_uint_eq(t.node->lruvec.nr_pages[lru], 0);
		ck_assert_int_eq(t.node->stat.stat[NR_INACTIVE_ANON + lru], 0);
	}
	ck_assert_uint_eq(t.node->bad_pages, 0);
	ck_assert_uint_eq(nr_free_pages(t.node), free_baseline);
}

static uint64_t rng = 88172645463325252ULL;

static uint64_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Page i's contents: random, zero, same-filled or text-like. */
static void fill_page(int i, uint8_t *buf)
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
	case 2:
		memset(buf, 0x5a + i, PAGE_SIZE);
		break;
	default:
		for (size_t j = 0; j < PAGE_SIZE; j++)
			buf[j] = "the quick brown fox jumps over the lazy dog "[(j + i) % 44];
		break;
	}
}

static struct mm_struct *mm_with_pages(uint8_t (*data)[PAGE_SIZE])
{
	struct mm_struct *mm = mm_alloc(t.node);

	ck_assert_int_eq(do_mmap(mm, BASE, NPAGES * PAGE_SIZE, RW, ANON, NULL, 0), (int64_t)BASE);
	for (int i = 0; i < NPAGES; i++) {
		fill_page(i, data[i]);
		ck_assert_int_eq(copy_to_user(mm, BASE + i * PAGE_SIZE, data[i], PAGE_SIZE), 0);
	}
	return mm;
}

static int clear_young(pte_t *pte, uint64_t addr, uint64_t end, void *arg)
{
	(void)arg;
	for (; addr < end; addr += PAGE_SIZE, pte++)
		if (pte_present(*pte))
			pte->pte &= ~_PAGE_ACCESSED;
	return 0;
}

/* Reclaim until no anon page of mm is resident. */
static void swap_out_all(struct mm_struct *mm)
{
	for (int round = 0; round < 20 && mm->rss_stat[MM_ANONPAGES]; round++) {
		walk_pte_range(mm, BASE, BASE + NPAGES * PAGE_SIZE, clear_young, NULL);
		shrink_node_pages(t.node, 4 * NPAGES);
	}
	ck_assert_int_eq(mm->rss_stat[MM_ANONPAGES], 0);
	ck_assert_int_eq(mm->rss_stat[MM_SWAPENTS], NPAGES);
}

static void check_pages(struct mm_struct *mm, uint8_t (*data)[PAGE_SIZE])
{
	uint8_t buf[PAGE_SIZE];

	for (int i = 0; i < NPAGES; i++) {
		ck_assert_int_eq(copy_from_user(mm, buf, BASE + i * PAGE_SIZE, PAGE_SIZE), 0);
		ck_assert_msg(!memcmp(buf, data[i], PAGE_SIZE), "page %d differs", i);
	}
}

START_TEST(round_trip_is_bit_identical)
{
	static uint8_t data[NPAGES][PAGE_SIZE];
	struct mm_struct *mm = mm_with_pages(data);
	struct swap_stats st;

	swap_out_all(mm);
	for (int i = 0; i < NPAGES; i++) {
		pte_t *pte = pte_offset(mm, BASE + i * PAGE_SIZE);

		ck_assert(is_swap_pte(*pte));
		ck_assert_uint_eq(swp_type(pte_to_swp_entry(*pte)), 0);
		ck_assert_int_eq(swp_swapcount(t.node, pte_to_swp_entry(*pte)), 1);
	}
	ck_assert_uint_ge(t.node->stat.events[PSWPOUT], NPAGES);
	swap_get_stats(t.node, &st);
	ck_assert_uint_eq(st.stored_pages, NPAGES);
	/* zero and same-filled pages (half of them) take no pool memory */
	ck_assert_uint_eq(st.same_filled_pages, NPAGES / 2);
	/* random pages do not compress: stored raw */
	ck_assert_uint_eq(st.raw_pages, NPAGES / 4);
	ck_assert_uint_lt(st.compressed_bytes, (NPAGES / 4) * PAGE_SIZE + (NPAGES / 4) * 1024);

	/* mincore: swapped out and not in the swap cache */
	{
		uint8_t vec[NPAGES];

		ck_assert_int_eq(do_mincore(mm, BASE, NPAGES * PAGE_SIZE, vec), 0);
		for (int i = 0; i < NPAGES; i++)
			ck_assert_uint_eq(vec[i], 0);
	}
	check_pages(mm, data);
	ck_assert_uint_ge(t.node->stat.events[PSWPIN], NPAGES);
	ck_assert_int_eq(mm->rss_stat[MM_SWAPENTS], 0);
	ck_assert_int_eq(mm->rss_stat[MM_ANONPAGES], NPAGES);
	ck_assert_int_eq(log_errors, 0);

	/* a second round: pages read but not written go back unwritten */
	swap_out_all(mm);
	check_pages(mm, data);
	mmput(mm);
	assert_no_leaks();
}
END_TEST

START_TEST(crc_catches_a_corrupt_slot)
{
	static uint8_t data[NPAGES][PAGE_SIZE];
	struct mm_struct *mm = mm_with_pages(data);
	struct swap_stats st;
	uint8_t buf[PAGE_SIZE];
	pte_t *pte;

	swap_out_all(mm);
	/* page 3 is text-like (compressed), page 2 same-filled, 0 raw */
	for (int i = 0; i < 4; i++) {
		pte = pte_offset(mm, BASE + (16 + i) * PAGE_SIZE);
		ck_assert_int_eq(swap_corrupt_entry(t.node, pte_to_swp_entry(*pte)), 0);
	}
	for (int i = 0; i < 4; i++) {
		int code = 0;

		if (i == 1)
			continue;     /* zero page: its fill word was flipped too */
		ck_assert_int_eq(handle_mm_fault(mm, BASE + (16 + i) * PAGE_SIZE, FAULT_FLAG_USER,
						 &code), VM_FAULT_SIGBUS);
	}
	ck_assert_int_eq(handle_mm_fault(mm, BASE + 17 * PAGE_SIZE, FAULT_FLAG_USER, NULL),
			 VM_FAULT_SIGBUS);
	ck_assert_int_gt(log_errors, 0);
	ck_assert_ptr_nonnull(strstr(last_log, "swap: "));
	swap_get_stats(t.node, &st);
	ck_assert_uint_ge(st.crc_errors, 4);
	/* the corrupt pages stay unreadable; the others are intact */
	ck_assert_int_eq(copy_from_user(mm, buf, BASE + 16 * PAGE_SIZE, PAGE_SIZE), -EFAULT);
	for (int i = 0; i < NPAGES; i++) {
		if (i >= 16 && i < 20)
			continue;
		ck_assert_int_eq(copy_from_user(mm, buf, BASE + i * PAGE_SIZE, PAGE_SIZE), 0);
		ck_assert(!memcmp(buf, data[i], PAGE_SIZE));
	}
	mmput(mm);
	assert_no_leaks();
}
END_TEST

START_TEST(swap_entries_survive_fork)
{
	static uint8_t data[NPAGES][PAGE_SIZE];
	struct mm_struct *parent = mm_with_pages(data), *child;
	struct mem_size_stats mss;
	uint8_t buf[PAGE_SIZE];
	pte_t *pte;

	swap_out_all(parent);
	child = dup_mm(parent);
	ck_assert_ptr_nonnull(child);
	ck_assert_ptr_eq(child->anon_vma, parent->anon_vma);
	ck_assert_int_eq(child->rss_stat[MM_SWAPENTS], NPAGES);
	for (int i = 0; i < NPAGES; i++) {
		pte = pte_offset(child, BASE + i * PAGE_SIZE);
		ck_assert(is_swap_pte(*pte));
		ck_assert_int_eq(swp_swapcount(t.node, pte_to_swp_entry(*pte)), 2);
	}
	smaps_rollup(parent, &mss);
	ck_assert_uint_eq(mss.swap, NPAGES * PAGE_SIZE);
	ck_assert_uint_eq(mss.swap_pss, (uint64_t)NPAGES * PAGE_SIZE << PSS_SHIFT >> 1);

	/* the child reads everything back */
	check_pages(child, data);
	pte = pte_offset(parent, BASE + 5 * PAGE_SIZE);
	ck_assert(is_swap_pte(*pte));
	ck_assert_int_eq(swp_swapcount(t.node, pte_to_swp_entry(*pte)), 1);
	/* the parent finds the same frames in the swap cache */
	check_pages(parent, data);
	ck_assert_uint_eq(pte_pfn(*pte_offset(parent, BASE)), pte_pfn(*pte_offset(child, BASE)));
	ck_assert_int_eq(page_mapcount(pfn_to_page(t.node, pte_pfn(*pte_offset(parent, BASE)))), 2);

	/* a write in the child copies; the parent keeps its data */
	memset(buf, 0xee, sizeof(buf));
	ck_assert_int_eq(copy_to_user(child, BASE, buf, PAGE_SIZE), 0);
	ck_assert_uint_ne(pte_pfn(*pte_offset(parent, BASE)), pte_pfn(*pte_offset(child, BASE)));
	check_pages(parent, data);

	/* swapped out again while shared: rmap finds both mappings (reclaim
	 * is global: the child's own copy of page 0 may go too) */
	swap_out_all(parent);
	ck_assert_int_eq(child->rss_stat[MM_ANONPAGES] + child->rss_stat[MM_SWAPENTS], NPAGES);
	pte = pte_offset(child, BASE + 7 * PAGE_SIZE);
	ck_assert_int_eq(swp_swapcount(t.node, pte_to_swp_entry(*pte)), 2);
	ck_assert_int_eq(copy_from_user(child, buf, BASE, PAGE_SIZE), 0);
	ck_assert_uint_eq(buf[100], 0xee);
	mmput(child);
	check_pages(parent, data);
	mmput(parent);
	assert_no_leaks();
}
END_TEST

START_TEST(zap_and_munmap_free_slots)
{
	static uint8_t data[NPAGES][PAGE_SIZE];
	struct mm_struct *mm = mm_with_pages(data);
	struct swap_stats st;

	swap_out_all(mm);
	/* read some back (readahead fills the swap cache), then unmap */
	ck_assert_int_eq(copy_from_user(mm, data[0], BASE + 9 * PAGE_SIZE, 16), 0);
	ck_assert_int_gt(t.node->stat.stat[NR_SWAPCACHE], 1);
	ck_assert_int_eq(do_madvise(mm, BASE, 32 * PAGE_SIZE, MADV_DONTNEED), 0);
	ck_assert_int_eq(mm->rss_stat[MM_SWAPENTS], NPAGES - 32);
	swap_get_stats(t.node, &st);
	ck_assert_uint_eq(st.total_pages - st.free_pages, NPAGES - 32);
	ck_assert_int_eq(do_munmap(mm, BASE, NPAGES * PAGE_SIZE), 0);
	ck_assert_int_eq(mm->rss_stat[MM_SWAPENTS], 0);
	mmput(mm);
	assert_no_leaks();
}
END_TEST

START_TEST(swap_full_and_swapoff)
{
	struct swap_stats st;

	/* a device of 16 pages fills: the rest stays resident */
	static uint8_t data[NPAGES][PAGE_SIZE];
	struct mm_struct *mm;

	swap_destroy(t.node);
	ck_assert_int_eq(swapon(t.node, 16, 6), 0);
	mm = mm_with_pages(data);
	for (int round = 0; round < 5; round++) {
		walk_pte_range(mm, BASE, BASE + NPAGES * PAGE_SIZE, clear_young, NULL);
		shrink_node_pages(t.node, 4 * NPAGES);
	}
	swap_get_stats(t.node, &st);
	ck_assert_uint_eq(st.free_pages, 0);
	ck_assert_int_eq(mm->rss_stat[MM_SWAPENTS], 16);
	ck_assert_int_eq(swapoff(t.node), -EBUSY);
	check_pages(mm, data);
	mmput(mm);
	assert_no_leaks();
	ck_assert_int_eq(swapoff(t.node), 0);
	ck_assert_ptr_null(t.node->swap);
}
END_TEST

START_TEST(moved_vma_still_found_by_rmap)
{
	static uint8_t data[NPAGES][PAGE_SIZE];
	struct mm_struct *mm = mm_with_pages(data), *child;
	const uint64_t to = 0x30000000ULL;
	uint8_t buf[PAGE_SIZE];

	/* Half of it swapped, then the mapping moves: its pages keep their
	 * index, and the VMA its pgoff, so rmap still finds them. */
	child = dup_mm(mm);
	ck_assert_int_eq(do_mremap(mm, BASE, NPAGES * PAGE_SIZE, NPAGES * PAGE_SIZE,
				   MREMAP_MAYMOVE | MREMAP_FIXED, to), (int64_t)to);
	for (int round = 0; round < 20 && (mm->rss_stat[MM_ANONPAGES] ||
					   child->rss_stat[MM_ANONPAGES]); round++) {
		walk_pte_range(mm, to, to + NPAGES * PAGE_SIZE, clear_young, NULL);
		walk_pte_range(child, BASE, BASE + NPAGES * PAGE_SIZE, clear_young, NULL);
		shrink_node_pages(t.node, 4 * NPAGES);
	}
	ck_assert_int_eq(mm->rss_stat[MM_ANONPAGES], 0);
	ck_assert_int_eq(mm->rss_stat[MM_SWAPENTS], NPAGES);
	ck_assert_int_eq(child->rss_stat[MM_SWAPENTS], NPAGES);
	for (int i = 0; i < NPAGES; i++) {
		ck_assert_int_eq(copy_from_user(mm, buf, to + i * PAGE_SIZE, PAGE_SIZE), 0);
		ck_assert(!memcmp(buf, data[i], PAGE_SIZE));
	}
	check_pages(child, data);
	mmput(child);
	mmput(mm);
	assert_no_leaks();
}
END_TEST

START_TEST(madvise_pageout_and_cold)
{
	static uint8_t data[NPAGES][PAGE_SIZE];
	struct mm_struct *mm = mm_with_pages(data);
	unsigned long out0 = t.node->stat.events[PSWPOUT];

	/* MADV_COLD: to the inactive list, nothing freed */
	shrink_lru_list_all(t.node, LRU_INACTIVE_ANON);   /* referenced: active */
	ck_assert_int_eq(t.node->stat.stat[NR_ACTIVE_ANON], NPAGES);
	ck_assert_int_eq(do_madvise(mm, BASE, NPAGES * PAGE_SIZE, MADV_COLD), 0);
	ck_assert_int_eq(t.node->stat.stat[NR_ACTIVE_ANON], 0);
	ck_assert_int_eq(t.node->stat.stat[NR_INACTIVE_ANON], NPAGES);
	ck_assert_int_eq(mm->rss_stat[MM_ANONPAGES], NPAGES);
	/* MADV_PAGEOUT: swapped out now, referenced or not */
	ck_assert_int_eq(do_madvise(mm, BASE, NPAGES / 2 * PAGE_SIZE, MADV_PAGEOUT), 0);
	ck_assert_int_eq(mm->rss_stat[MM_SWAPENTS], NPAGES / 2);
	ck_assert_uint_eq(t.node->stat.events[PSWPOUT] - out0, NPAGES / 2);
	check_pages(mm, data);
	mmput(mm);
	assert_no_leaks();
}
END_TEST

START_TEST(swap_pte_format)
{
	swp_entry_t e = swp_entry(0, 12345);
	pte_t pte = swp_entry_to_pte(e);

	ck_assert(!pte_present(pte));
	ck_assert(!pte_none(pte));
	ck_assert_uint_eq(pte.pte & (1ULL << 8), 0);      /* not PROTNONE */
	ck_assert_uint_eq(swp_offset(pte_to_swp_entry(pte)), 12345);
	ck_assert_uint_eq(swp_type(pte_to_swp_entry(pte)), 0);
	ck_assert_uint_eq(swp_type(swp_entry(3, 7)), 3);
	ck_assert_uint_eq(swp_offset(swp_entry(3, 7)), 7);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("swap");
	TCase *tc = tcase_create("swap");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, swap_pte_format);
	tcase_add_test(tc, round_trip_is_bit_identical);
	tcase_add_test(tc, crc_catches_a_corrupt_slot);
	tcase_add_test(tc, swap_entries_survive_fork);
	tcase_add_test(tc, zap_and_munmap_free_slots);
	tcase_add_test(tc, swap_full_and_swapoff);
	tcase_add_test(tc, moved_vma_still_found_by_rmap);
	tcase_add_test(tc, madvise_pageout_and_cold);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
