/* Unit tests for transparent huge pages (guestmm/huge_memory.c), khugepaged
 * (khugepaged.c) and compaction (compaction.c, migrate.c): THP faults map
 * PMD leaves, partial unmaps split exactly the leaves they cut, fork COWs
 * huge pages whole or splits them, reclaim splits before swapping,
 * khugepaged collapses 4 KiB pages, compaction mends fragmentation — each
 * with the data checked and the node's whole state checked by the fuzz
 * targets' invariant checker after it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mm_test_util.h"
#include "guestmm/mm.h"
#include "guestmm/huge_memory.h"
#include "guestmm/swap.h"
#include "guestmm/task_mmu.h"
#include "guestmm/filemap.h"
#include "tests/fuzz/mm_check.h"

#define RW (PROT_READ | PROT_WRITE)
#define BASE 0x40000000ULL          /* 1 GiB: 2 MiB aligned */
#define REGION (64ULL << 20)
#define NLEAVES (REGION / PMD_SIZE)

static struct test_node t;

static void setup(void)
{
	test_node_init(&t, 256);
}

static void teardown(void)
{
	test_node_fini(&t);
}

static void check_node(struct mm_struct **mms, int nr)
{
	ck_assert_int_eq(mm_check_node(t.node, mms, nr, stderr), 0);
}

static unsigned long event(enum vm_event_item item)
{
	return t.node->stat.events[item];
}

static int count_leaves(struct mm_struct *mm, uint64_t start, uint64_t len)
{
	int n = 0;

	for (uint64_t a = start; a < start + len; a += PMD_SIZE) {
		pmd_t *pmd = mm_find_pmd(mm, a);

		n += pmd && pmd_trans_huge(*pmd);
	}
	return n;
}

static struct mm_struct *mm_with_region(uint64_t len, int advice)
{
	struct mm_struct *mm = mm_alloc(t.node);

	ck_assert_ptr_nonnull(mm);
	ck_assert_int_eq(do_mmap(mm, BASE, len, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
				 NULL, 0), (int64_t)BASE);
	if (advice >= 0)
		ck_assert_int_eq(do_madvise(mm, BASE, len, advice), 0);
	return mm;
}

/* Every page of [BASE, BASE + len) gets a word naming it (and tag). */
static void fill(struct mm_struct *mm, uint64_t len, uint64_t tag)
{
	for (uint64_t off = 0; off < len; off += PAGE_SIZE) {
		uint64_t v = (BASE + off) ^ tag;

		ck_assert_int_eq(copy_to_user(mm, BASE + off, &v, sizeof(v)), 0);
	}
}

static void check_fill(struct mm_struct *mm, uint64_t len, uint64_t tag, uint64_t hole)
{
	for (uint64_t off = 0; off < len; off += PAGE_SIZE) {
		uint64_t v = 0;

		if (BASE + off == hole)
			continue;
		ck_assert_int_eq(copy_from_user(mm, &v, BASE + off, sizeof(v)), 0);
		ck_assert_uint_eq(v, (BASE + off) ^ tag);
	}
}

START_TEST(madvised_region_is_mapped_by_pmd_leaves)
{
	struct mm_struct *mm = mm_with_region(REGION, MADV_HUGEPAGE);
	struct mem_size_stats mss;
	long tables_before;

	tables_before = t.node->stat.stat[NR_PAGETABLE];
	fill(mm, REGION, 0);
	ck_assert_int_eq(count_leaves(mm, BASE, REGION), NLEAVES);
	ck_assert_uint_eq(event(THP_FAULT_ALLOC), NLEAVES);
	ck_assert_uint_eq(event(THP_FAULT_FALLBACK), 0);
	ck_assert_int_eq(t.node->stat.stat[NR_ANON_THPS], NLEAVES);
	ck_assert_int_eq(t.node->stat.stat[NR_ANON_MAPPED], REGION / PAGE_SIZE);
	/* One PUD and one PMD table: no PTE table at all. */
	ck_assert_int_eq(t.node->stat.stat[NR_PAGETABLE] - tables_before, 2);
	/* The leaves are one fault each. */
	ck_assert_uint_eq(mm->min_flt, NLEAVES);
	smaps_rollup(mm, &mss);
	ck_assert_uint_eq(mss.anonymous_thp, REGION);
	ck_assert_uint_eq(mss.anonymous, REGION);
	ck_assert_uint_eq(mss.resident, REGION);
	check_fill(mm, REGION, 0, 0);
	check_node(&mm, 1);
	mmput(mm);
	ck_assert_int_eq(t.node->stat.stat[NR_ANON_THPS], 0);
	check_node(NULL, 0);
}
END_TEST

START_TEST(munmap_of_one_page_splits_exactly_one_leaf)
{
	struct mm_struct *mm = mm_with_region(REGION, MADV_HUGEPAGE);
	uint64_t hole = BASE + 5 * PMD_SIZE + 77 * PAGE_SIZE;
	struct mem_size_stats mss;
	uint64_t v;

	fill(mm, REGION, 1);
	ck_assert_int_eq(do_munmap(mm, hole, PAGE_SIZE), 0);
	ck_assert_uint_eq(event(THP_SPLIT_PAGE), 1);
	ck_assert_uint_eq(event(THP_SPLIT_PMD), 1);
	ck_assert_int_eq(count_leaves(mm, BASE, REGION), NLEAVES - 1);
	ck_assert_int_eq(t.node->stat.stat[NR_ANON_THPS], NLEAVES - 1);
	ck_assert_int_eq(t.node->stat.stat[NR_ANON_MAPPED], REGION / PAGE_SIZE - 1);
	smaps_rollup(mm, &mss);
	ck_assert_uint_eq(mss.anonymous_thp, REGION - PMD_SIZE);
	ck_assert_uint_eq(mss.anonymous, REGION - PAGE_SIZE);
	check_fill(mm, REGION, 1, hole);
	ck_assert_int_eq(copy_from_user(mm, &v, hole, sizeof(v)), -EFAULT);
	check_node(&mm, 1);
	/* A whole leaf goes without a split. */
	ck_assert_int_eq(do_munmap(mm, BASE + 9 * PMD_SIZE, PMD_SIZE), 0);
	ck_assert_uint_eq(event(THP_SPLIT_PAGE), 1);
	ck_assert_int_eq(count_leaves(mm, BASE, REGION), NLEAVES - 2);
	check_node(&mm, 1);
	mmput(mm);
	check_node(NULL, 0);
}
END_TEST

START_TEST(modes_decide_where_thps_go)
{
	struct mm_struct *mm;

	/* madvise mode without the advice: 4 KiB pages. */
	mm = mm_with_region(4 * PMD_SIZE, -1);
	fill(mm, 4 * PMD_SIZE, 0);
	ck_assert_int_eq(count_leaves(mm, BASE, 4 * PMD_SIZE), 0);
	mmput(mm);
	/* always: every aligned range of an anonymous mapping. */
	t.node->thp_enabled = TRANSPARENT_HUGEPAGE_ALWAYS;
	mm = mm_with_region(4 * PMD_SIZE, -1);
	fill(mm, 4 * PMD_SIZE, 0);
	ck_assert_int_eq(count_leaves(mm, BASE, 4 * PMD_SIZE), 4);
	mmput(mm);
	/* ... but not where MADV_NOHUGEPAGE says no. */
	mm = mm_with_region(4 * PMD_SIZE, MADV_NOHUGEPAGE);
	fill(mm, 4 * PMD_SIZE, 0);
	ck_assert_int_eq(count_leaves(mm, BASE, 4 * PMD_SIZE), 0);
	mmput(mm);
	/* never: not even with the advice. */
	t.node->thp_enabled = TRANSPARENT_HUGEPAGE_NEVER;
	mm = mm_with_region(4 * PMD_SIZE, MADV_HUGEPAGE);
	fill(mm, 4 * PMD_SIZE, 0);
	ck_assert_int_eq(count_leaves(mm, BASE, 4 * PMD_SIZE), 0);
	mmput(mm);
	ck_assert_uint_eq(event(THP_FAULT_ALLOC), 4);
	check_node(NULL, 0);
}
END_TEST

START_TEST(read_fault_maps_the_huge_zero_page)
{
	struct mm_struct *mm = mm_with_region(2 * PMD_SIZE, MADV_HUGEPAGE);
	uint64_t v = 1, w = 42;
	pmd_t *pmd;

	ck_assert_int_eq(copy_from_user(mm, &v, BASE + 12345 * 8, sizeof(v)), 0);
	ck_assert_uint_eq(v, 0);
	pmd = mm_find_pmd(mm, BASE);
	ck_assert(pmd_trans_huge(*pmd));
	ck_assert(is_huge_zero_pmd(t.node, *pmd));
	ck_assert(!(pmd->pmd & _PAGE_RW));
	ck_assert_uint_eq(event(THP_ZERO_PAGE_ALLOC), 1);
	ck_assert_int_eq(t.node->stat.stat[NR_ANON_THPS], 0);
	ck_assert_int_eq(mm->rss_stat[MM_ANONPAGES], 0);
	check_node(&mm, 1);
	/* The first write replaces it with a THP of its own. */
	ck_assert_int_eq(copy_to_user(mm, BASE + 8, &w, sizeof(w)), 0);
	ck_assert(!is_huge_zero_pmd(t.node, *pmd) && pmd_trans_huge(*pmd));
	ck_assert_uint_eq(event(THP_FAULT_ALLOC), 1);
	ck_assert_int_eq(copy_from_user(mm, &v, BASE + 12345 * 8, sizeof(v)), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(copy_from_user(mm, &v, BASE + 8, sizeof(v)), 0);
	ck_assert_uint_eq(v, 42);
	/* Partial unmap of a huge zero mapping: 4 KiB zero pages remain. */
	ck_assert_int_eq(copy_from_user(mm, &v, BASE + PMD_SIZE, sizeof(v)), 0);
	ck_assert_int_eq(do_munmap(mm, BASE + PMD_SIZE + PAGE_SIZE, PAGE_SIZE), 0);
	ck_assert_int_eq(count_leaves(mm, BASE, 2 * PMD_SIZE), 1);
	ck_assert_int_eq(copy_from_user(mm, &v, BASE + PMD_SIZE + 2 * PAGE_SIZE, sizeof(v)), 0);
	ck_assert_uint_eq(v, 0);
	check_node(&mm, 1);
	/* Reclaim keeps the huge zero page while a leaf maps it... */
	ck_assert_uint_eq(t.node->huge_zero_mappings, 0);
	ck_assert_int_eq(do_mmap(mm, BASE + 2 * PMD_SIZE, PMD_SIZE, RW,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0),
			 (int64_t)(BASE + 2 * PMD_SIZE));
	ck_assert_int_eq(do_madvise(mm, BASE + 2 * PMD_SIZE, PMD_SIZE, MADV_HUGEPAGE), 0);
	ck_assert_int_eq(copy_from_user(mm, &v, BASE + 2 * PMD_SIZE, sizeof(v)), 0);
	ck_assert_uint_eq(t.node->huge_zero_mappings, 1);
	shrink_node_pages(t.node, 32);
	ck_assert_uint_ne(t.node->huge_zero_pfn, 0);
	check_node(&mm, 1);
	mmput(mm);
	/* ... and frees it when none does. */
	{
		unsigned long free_before = nr_free_pages(t.node);

		shrink_node_pages(t.node, 32);
		ck_assert_uint_eq(t.node->huge_zero_pfn, 0);
		ck_assert_uint_ge(nr_free_pages(t.node), free_before + HPAGE_PMD_NR);
	}
	check_node(NULL, 0);
}
END_TEST

START_TEST(fork_copies_a_huge_page_on_write)
{
	struct mm_struct *parent = mm_with_region(4 * PMD_SIZE, MADV_HUGEPAGE), *child, *mms[2];
	uint64_t v = 0xdead;
	struct page *head;
	pmd_t *pmd;

	fill(parent, 4 * PMD_SIZE, 7);
	child = dup_mm(parent);
	ck_assert_ptr_nonnull(child);
	mms[0] = parent;
	mms[1] = child;
	ck_assert_int_eq(count_leaves(child, BASE, 4 * PMD_SIZE), 4);
	pmd = mm_find_pmd(parent, BASE);
	head = pfn_to_page(t.node, pmd_pfn(*pmd));
	ck_assert_int_eq(page_mapcount(head), 2);
	ck_assert(!(pmd->pmd & _PAGE_RW));
	check_node(mms, 2);

	/* The child writes: it gets a copy of the whole 2 MiB. */
	ck_assert_int_eq(copy_to_user(child, BASE + 100 * PAGE_SIZE, &v, sizeof(v)), 0);
	ck_assert_uint_eq(event(THP_FAULT_ALLOC), 5);
	ck_assert_uint_eq(event(THP_SPLIT_PAGE), 0);
	ck_assert_uint_ne(pmd_pfn(*mm_find_pmd(child, BASE)), pmd_pfn(*pmd));
	ck_assert_int_eq(page_mapcount(head), 1);
	check_fill(parent, 4 * PMD_SIZE, 7, 0);
	ck_assert_int_eq(copy_from_user(child, &v, BASE + 100 * PAGE_SIZE, sizeof(v)), 0);
	ck_assert_uint_eq(v, 0xdead);
	ck_assert_int_eq(copy_from_user(child, &v, BASE + 101 * PAGE_SIZE, sizeof(v)), 0);
	ck_assert_uint_eq(v, (BASE + 101 * PAGE_SIZE) ^ 7);
	/* The parent, alone now, reuses its page in place. */
	ck_assert_int_eq(copy_to_user(parent, BASE + 8, &v, sizeof(v)), 0);
	ck_assert_uint_eq(pmd_pfn(*pmd), page_to_pfn(t.node, head));
	check_node(mms, 2);

	/* No order-9 block to be had (the memory cgroup's limit leaves room
	 * for 4 KiB pages only): the shared THP is split, one page copied. */
	t.node->memcg_limit = memcg_usage(t.node) + 64;
	v = 0xbeef;
	ck_assert_int_eq(copy_to_user(child, BASE + PMD_SIZE + 8, &v, sizeof(v)), 0);
	ck_assert_uint_eq(event(THP_SPLIT_PAGE), 1);
	/* Both mms' leaves became PTE tables. */
	ck_assert_uint_eq(event(THP_SPLIT_PMD), 2);
	ck_assert_uint_eq(event(THP_FAULT_FALLBACK), 1);
	ck_assert_int_eq(count_leaves(parent, BASE, 4 * PMD_SIZE), 3);
	ck_assert_int_eq(count_leaves(child, BASE, 4 * PMD_SIZE), 3);
	ck_assert_int_eq(copy_from_user(parent, &v, BASE + PMD_SIZE + 8, sizeof(v)), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(copy_from_user(child, &v, BASE + PMD_SIZE + 8, sizeof(v)), 0);
	ck_assert_uint_eq(v, 0xbeef);
	t.node->memcg_limit = 0;
	check_node(mms, 2);
	mmput(child);
	check_fill(parent, PMD_SIZE, 7, BASE);
	check_fill(parent, 4 * PMD_SIZE, 7, BASE);
	check_node(&parent, 1);
	mmput(parent);
	check_node(NULL, 0);
}
END_TEST

START_TEST(mprotect_and_mremap_split_what_they_cut)
{
	struct mm_struct *mm = mm_with_region(4 * PMD_SIZE, MADV_HUGEPAGE);
	pmd_t *pmd;
	int64_t to;

	fill(mm, 4 * PMD_SIZE, 3);
	/* A whole leaf changes in place. */
	ck_assert_int_eq(do_mprotect(mm, BASE, PMD_SIZE, PROT_READ), 0);
	pmd = mm_find_pmd(mm, BASE);
	ck_assert(pmd_trans_huge(*pmd) && !(pmd->pmd & _PAGE_RW));
	ck_assert_uint_eq(event(THP_SPLIT_PAGE), 0);
	/* Part of one is split first. */
	ck_assert_int_eq(do_mprotect(mm, BASE + PMD_SIZE, PAGE_SIZE, PROT_READ), 0);
	ck_assert_uint_eq(event(THP_SPLIT_PAGE), 1);
	ck_assert_int_eq(count_leaves(mm, BASE, 4 * PMD_SIZE), 3);
	check_node(&mm, 1);
	/* Moving a range moves the data. */
	to = do_mremap(mm, BASE + 2 * PMD_SIZE, PMD_SIZE, PMD_SIZE, MREMAP_MAYMOVE | MREMAP_FIXED,
		       BASE + 16 * PMD_SIZE);
	ck_assert_int_eq(to, (int64_t)(BASE + 16 * PMD_SIZE));
	for (uint64_t off = 0; off < PMD_SIZE; off += PAGE_SIZE) {
		uint64_t v;

		ck_assert_int_eq(copy_from_user(mm, &v, BASE + 16 * PMD_SIZE + off, sizeof(v)), 0);
		ck_assert_uint_eq(v, (BASE + 2 * PMD_SIZE + off) ^ 3);
	}
	/* Aligned at both ends: the leaf moved whole. */
	ck_assert_int_eq(count_leaves(mm, BASE + 16 * PMD_SIZE, PMD_SIZE), 1);
	ck_assert_uint_eq(event(THP_SPLIT_PAGE), 1);
	check_node(&mm, 1);
	/* Not aligned at the destination: split, then moved as PTEs. */
	to = do_mremap(mm, BASE + 16 * PMD_SIZE, PMD_SIZE, PMD_SIZE, MREMAP_MAYMOVE | MREMAP_FIXED,
		       BASE + 20 * PMD_SIZE + PAGE_SIZE);
	ck_assert_int_eq(to, (int64_t)(BASE + 20 * PMD_SIZE + PAGE_SIZE));
	ck_assert_uint_eq(event(THP_SPLIT_PAGE), 2);
	for (uint64_t off = 0; off < PMD_SIZE; off += PAGE_SIZE) {
		uint64_t v;

		ck_assert_int_eq(copy_from_user(mm, &v, (uint64_t)to + off, sizeof(v)), 0);
		ck_assert_uint_eq(v, (BASE + 2 * PMD_SIZE + off) ^ 3);
	}
	check_node(&mm, 1);
	/* MADV_DONTNEED of a part: zero there, the rest intact. */
	ck_assert_int_eq(do_madvise(mm, BASE + 3 * PMD_SIZE + PAGE_SIZE, PAGE_SIZE, MADV_DONTNEED), 0);
	ck_assert_int_eq(count_leaves(mm, BASE + 3 * PMD_SIZE, PMD_SIZE), 0);
	check_fill(mm, PMD_SIZE, 3, 0);
	check_node(&mm, 1);
	mmput(mm);
	check_node(NULL, 0);
}
END_TEST

START_TEST(reclaim_splits_before_swapping)
{
	struct mm_struct *mm;

	ck_assert_int_eq(swapon(t.node, 8192, SWAP_DEFAULT_LEVEL), 0);
	mm = mm_with_region(4 * PMD_SIZE, MADV_HUGEPAGE);
	fill(mm, 4 * PMD_SIZE, 5);
	ck_assert_int_eq(count_leaves(mm, BASE, 4 * PMD_SIZE), 4);
	for (int i = 0; i < 8; i++)
		shrink_node_pages(t.node, 4 * HPAGE_PMD_NR);
	ck_assert_uint_ge(event(THP_SPLIT_PAGE), 1);
	ck_assert_uint_ge(event(PSWPOUT), 1);
	ck_assert_int_lt(count_leaves(mm, BASE, 4 * PMD_SIZE), 4);
	check_node(&mm, 1);
	check_fill(mm, 4 * PMD_SIZE, 5, 0);
	check_node(&mm, 1);
	mmput(mm);
	check_node(NULL, 0);
}
END_TEST

START_TEST(khugepaged_collapses_pages_populated_one_by_one)
{
	struct mm_struct *mm = mm_with_region(8 * PMD_SIZE, -1);
	unsigned int collapsed = 0;
	uint64_t v;

	fill(mm, 4 * PMD_SIZE, 9);
	/* Three pages of the fifth range only: too sparse for max_ptes_none
	 * of 64, enough for the default 511. */
	for (int i = 0; i < 3; i++) {
		v = (BASE + 4 * PMD_SIZE + i * PAGE_SIZE) ^ 9;
		ck_assert_int_eq(copy_to_user(mm, BASE + 4 * PMD_SIZE + i * PAGE_SIZE, &v, sizeof(v)), 0);
	}
	ck_assert_int_eq(count_leaves(mm, BASE, 8 * PMD_SIZE), 0);
	ck_assert(!khugepaged_has_work(t.node));
	ck_assert_int_eq(do_madvise(mm, BASE, 8 * PMD_SIZE, MADV_HUGEPAGE), 0);
	ck_assert(khugepaged_has_work(t.node));
	t.node->khugepaged_max_ptes_none = 64;
	for (int pass = 0; pass < 8; pass++)
		collapsed += khugepaged_scan(t.node);
	ck_assert_uint_eq(collapsed, 4);
	ck_assert_uint_eq(event(THP_COLLAPSE_ALLOC), 4);
	ck_assert_int_eq(count_leaves(mm, BASE, 8 * PMD_SIZE), 4);
	ck_assert_uint_ge(t.node->khugepaged_full_scans, 1);
	check_fill(mm, 4 * PMD_SIZE, 9, 0);
	check_node(&mm, 1);
	t.node->khugepaged_max_ptes_none = KHUGEPAGED_MAX_PTES_NONE_DEFAULT;
	for (int pass = 0; pass < 8; pass++)
		collapsed += khugepaged_scan(t.node);
	ck_assert_uint_eq(collapsed, 5);
	ck_assert_int_eq(count_leaves(mm, BASE, 8 * PMD_SIZE), 5);
	for (int i = 0; i < 512; i++) {
		ck_assert_int_eq(copy_from_user(mm, &v, BASE + 4 * PMD_SIZE + i * PAGE_SIZE,
						sizeof(v)), 0);
		ck_assert_uint_eq(v, i < 3 ? (BASE + 4 * PMD_SIZE + i * PAGE_SIZE) ^ 9 : 0);
	}
	check_node(&mm, 1);
	/* Nothing left to collapse: the passes come ever less often, and
	 * come often again when new work is registered. */
	for (int pass = 0; pass < 64; pass++)
		ck_assert_uint_eq(khugepaged_scan(t.node), 0);
	ck_assert_uint_gt(t.node->khugepaged_sleep, 4 * KHUGEPAGED_SLICES);
	ck_assert_uint_le(t.node->khugepaged_sleep, KHUGEPAGED_SLICES_MAX);
	for (int i = 0; i < 2 * KHUGEPAGED_SLICES_MAX && !t.node->khugepaged_wake; i++)
		khugepaged_tick(t.node);
	ck_assert(t.node->khugepaged_wake);
	ck_assert_int_eq(do_madvise(mm, BASE, 8 * PMD_SIZE, MADV_HUGEPAGE), 0);
	ck_assert_uint_eq(t.node->khugepaged_sleep, KHUGEPAGED_SLICES);
	mmput(mm);
	ck_assert(!khugepaged_has_work(t.node));
	check_node(NULL, 0);
}
END_TEST

static bool free_block_of_order(unsigned int order)
{
	for (int z = 0; z < t.node->nr_zones; z++)
		for (unsigned int o = order; o <= MAX_ORDER; o++)
			if (t.node->node_zones[z].free_area[o].nr_free)
				return true;
	return false;
}

START_TEST(compaction_makes_an_order_9_block)
{
	const uint64_t len = 64ULL << 20;     /* more than is free */
	struct mm_struct *mm;
	uint64_t filled = 0, v;
	pmd_t *pmd;

	test_node_fini(&t);
	test_node_init(&t, 64);
	mm = mm_with_region(len, MADV_NOHUGEPAGE);
	ck_assert_int_eq(do_mmap(mm, BASE + len, PMD_SIZE, RW,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0),
			 (int64_t)(BASE + len));
	ck_assert_int_eq(do_madvise(mm, BASE + len, PMD_SIZE, MADV_HUGEPAGE), 0);
	/* Page tables first, so that they sit together. */
	for (uint64_t off = 0; off < len; off += PMD_SIZE)
		ck_assert_int_eq(copy_to_user(mm, BASE + off, &off, sizeof(off)), 0);
	/* Fill until no free block of order 9 is left. */
	for (uint64_t off = 0; off < len && free_block_of_order(HPAGE_PMD_ORDER); off += PAGE_SIZE) {
		v = (BASE + off) ^ 11;
		ck_assert_int_eq(copy_to_user(mm, BASE + off, &v, sizeof(v)), 0);
		filled = off + PAGE_SIZE;
	}
	ck_assert(!free_block_of_order(HPAGE_PMD_ORDER));
	/* Free every other page: plenty free, nothing contiguous. */
	for (uint64_t off = PAGE_SIZE; off < filled; off += 2 * PAGE_SIZE)
		ck_assert_int_eq(do_madvise(mm, BASE + off, PAGE_SIZE, MADV_DONTNEED), 0);
	ck_assert(!free_block_of_order(HPAGE_PMD_ORDER));
	ck_assert_uint_gt(nr_free_pages(t.node), 4 * HPAGE_PMD_NR);
	ck_assert_int_gt(fragmentation_index(t.node, &t.node->node_zones[ZONE_DMA32],
					     HPAGE_PMD_ORDER), 500);

	v = 0x7777;
	ck_assert_int_eq(copy_to_user(mm, BASE + len + 8, &v, sizeof(v)), 0);
	pmd = mm_find_pmd(mm, BASE + len);
	ck_assert(pmd && pmd_trans_huge(*pmd));
	ck_assert_uint_eq(event(THP_FAULT_ALLOC), 1);
	ck_assert_uint_ge(event(COMPACTSTALL), 1);
	ck_assert_uint_eq(event(COMPACTSUCCESS), 1);
	ck_assert_uint_ge(event(PGMIGRATE_SUCCESS), 1);
	/* Moved or not, every page kept its data. */
	for (uint64_t off = 0; off < filled; off += 2 * PAGE_SIZE) {
		ck_assert_int_eq(copy_from_user(mm, &v, BASE + off, sizeof(v)), 0);
		ck_assert_uint_eq(v, (BASE + off) ^ 11);
	}
	check_node(&mm, 1);
	mmput(mm);
	check_node(NULL, 0);
}
END_TEST

/* The PTE at addr (present). */
static pte_t *pte_at(struct mm_struct *mm, uint64_t addr)
{
	pte_t *pte = pte_offset(mm, addr);

	ck_assert_ptr_nonnull(pte);
	ck_assert(pte_present(*pte));
	return pte;
}

START_TEST(migration_moves_anon_and_page_cache_pages)
{
	char path[] = "/tmp/vmemu-test-thp-XXXXXX";
	int fd = mkstemp(path);
	uint8_t buf[4 * PAGE_SIZE];
	struct mm_struct *mm, *child, *mms[2];
	struct file *file;
	struct page *old, *new;
	uint64_t v;

	ck_assert_int_ge(fd, 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 13 + 1);
	ck_assert_int_eq(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	unlink(path);
	file = file_from_fd(fd, path);
	ck_assert_ptr_nonnull(file);
	mm = mm_with_region(4 * PAGE_SIZE, -1);
	ck_assert_int_eq(do_mmap(mm, BASE + PMD_SIZE, sizeof(buf), PROT_READ,
				 MAP_SHARED | MAP_FIXED, file, 0), (int64_t)(BASE + PMD_SIZE));
	file_put(file);
	fill(mm, 4 * PAGE_SIZE, 21);
	ck_assert_int_eq(copy_from_user(mm, &v, BASE + PMD_SIZE + PAGE_SIZE, sizeof(v)), 0);
	/* Anon pages shared with a child: both PTEs move. */
	child = dup_mm(mm);
	mms[0] = mm;
	mms[1] = child;

	old = pfn_to_page(t.node, pte_pfn(*pte_at(mm, BASE + PAGE_SIZE)));
	ck_assert(page_movable(t.node, old));
	new = alloc_page(t.node, 0);
	ck_assert_int_eq(migrate_page(t.node, old, new), 0);
	ck_assert_uint_eq(pte_pfn(*pte_at(mm, BASE + PAGE_SIZE)), page_to_pfn(t.node, new));
	ck_assert_uint_eq(pte_pfn(*pte_at(child, BASE + PAGE_SIZE)), page_to_pfn(t.node, new));
	ck_assert_int_eq(page_mapcount(new), 2);
	put_page(t.node, old);
	check_node(mms, 2);
	check_fill(mm, 4 * PAGE_SIZE, 21, 0);
	check_fill(child, 4 * PAGE_SIZE, 21, 0);
	mmput(child);

	/* A page-cache page: its PTE and its slot in the cache move. */
	old = pfn_to_page(t.node, pte_pfn(*pte_at(mm, BASE + PMD_SIZE + PAGE_SIZE)));
	ck_assert(!PageFlag(old, PG_anon) && old->mapping);
	ck_assert(page_movable(t.node, old));
	new = alloc_page(t.node, 0);
	ck_assert_int_eq(migrate_page(t.node, old, new), 0);
	ck_assert_ptr_eq(filemap_lookup(new->mapping, 1), new);
	ck_assert_uint_eq(pte_pfn(*pte_at(mm, BASE + PMD_SIZE + PAGE_SIZE)),
			  page_to_pfn(t.node, new));
	put_page(t.node, old);
	check_node(&mm, 1);
	ck_assert_int_eq(copy_from_user(mm, buf, BASE + PMD_SIZE, sizeof(buf)), 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		ck_assert_uint_eq(buf[i], (uint8_t)(i * 13 + 1));
	/* A page someone else holds does not move. */
	old = pfn_to_page(t.node, pte_pfn(*pte_at(mm, BASE)));
	get_page(old);
	ck_assert(!page_movable(t.node, old));
	new = alloc_page(t.node, 0);
	ck_assert_int_eq(migrate_page(t.node, old, new), -EBUSY);
	put_page(t.node, new);
	put_page(t.node, old);
	ck_assert_uint_eq(event(PGMIGRATE_SUCCESS), 2);
	check_node(&mm, 1);
	mmput(mm);
	check_node(NULL, 0);
}
END_TEST

/* A small xorshift generator: the same operations every run. */
static uint64_t rnd_state = 88172645463325252ULL;
static uint64_t rnd(uint64_t n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state % n;
}

/*
 * Random operations over 16 MiB of THP-eligible memory, each followed by
 * the invariant checker, with a shadow of what every page must read:
 * writes, munmap and mmap again, MADV_DONTNEED, mprotect, MADV_COLLAPSE,
 * MADV_PAGEOUT, reclaim into swap, khugepaged passes, and fork with the
 * child writing (the parent must not see it).
 */
START_TEST(random_operations_keep_data_and_invariants)
{
	enum { NP = 4096 };
	static uint64_t shadow[NP];
	static int8_t state[NP];          /* 0 unmapped, 1 rw, 2 read-only */
	struct mm_struct *mm = mm_with_region((uint64_t)NP * PAGE_SIZE, MADV_HUGEPAGE);

	ck_assert_int_eq(swapon(t.node, 16384, SWAP_DEFAULT_LEVEL), 0);
	memset(shadow, 0, sizeof(shadow));
	for (int i = 0; i < NP; i++)
		state[i] = 1;
	for (int step = 0; step < 400; step++) {
		uint64_t first = rnd(NP), n = 1 + rnd(rnd(2) ? 8 : 1024);
		uint64_t addr = BASE + first * PAGE_SIZE, len;
		int op = (int)rnd(100);

		if (first + n > NP)
			n = NP - first;
		len = n * PAGE_SIZE;
		if (op < 40) {                                  /* writes */
			for (uint64_t i = first; i < first + n; i++) {
				uint64_t v = rnd(~0ULL) | 1;
				int err = copy_to_user(mm, BASE + i * PAGE_SIZE, &v, sizeof(v));

				ck_assert_int_eq(err, state[i] == 1 ? 0 : -EFAULT);
				if (!err)
					shadow[i] = v;
			}
		} else if (op < 48) {                           /* munmap, mmap again */
			ck_assert_int_eq(do_munmap(mm, addr, len), 0);
			for (uint64_t i = first; i < first + n; i++)
				state[i] = 0;
			if (rnd(2)) {
				ck_assert_int_eq(do_mmap(mm, addr, len, RW, MAP_PRIVATE | MAP_ANONYMOUS |
							 MAP_FIXED, NULL, 0), (int64_t)addr);
				if (rnd(2))
					ck_assert_int_eq(do_madvise(mm, addr, len, MADV_HUGEPAGE), 0);
				for (uint64_t i = first; i < first + n; i++) {
					state[i] = 1;
					shadow[i] = 0;
				}
			}
		} else if (op < 56) {                           /* MADV_DONTNEED */
			int err = do_madvise(mm, addr, len, MADV_DONTNEED);

			ck_assert(err == 0 || err == -ENOMEM);
			for (uint64_t i = first; i < first + n; i++)
				if (state[i])
					shadow[i] = 0;
		} else if (op < 66) {                           /* mprotect */
			/* Over mapped pages only: a hole makes it ENOMEM after
			 * changing what lies before it, as on Linux. */
			int ro = (int)rnd(2), err;
			bool mapped = true;

			for (uint64_t i = first; i < first + n; i++)
				mapped &= state[i] != 0;
			if (!mapped)
				continue;
			err = do_mprotect(mm, addr, len, ro ? PROT_READ : RW);
			ck_assert_int_eq(err, 0);
			for (uint64_t i = first; i < first + n; i++)
				state[i] = ro ? 2 : 1;
		} else if (op < 72) {                           /* MADV_COLLAPSE */
			do_madvise(mm, addr, len, MADV_COLLAPSE);
		} else if (op < 77) {                           /* MADV_PAGEOUT */
			do_madvise(mm, addr, len, MADV_PAGEOUT);
		} else if (op < 82) {                           /* reclaim */
			shrink_node_pages(t.node, 1 + rnd(2048));
		} else if (op < 90) {                           /* khugepaged */
			khugepaged_scan(t.node);
		} else if (op < 95) {                           /* mremap away and back */
			uint64_t scratch = BASE + (64ULL << 20) + (rnd(2) ? 0 : rnd(512) * PAGE_SIZE);
			int64_t to = do_mremap(mm, addr, len, len, MREMAP_MAYMOVE | MREMAP_FIXED,
					       scratch);

			/* Fails (EFAULT) when the range is not one VMA. */
			if (to < 0)
				continue;
			ck_assert_int_eq(to, (int64_t)scratch);
			ck_assert_int_eq(do_mremap(mm, scratch, len, len,
						   MREMAP_MAYMOVE | MREMAP_FIXED, addr), (int64_t)addr);
		} else {                                        /* fork, child writes */
			struct mm_struct *child = dup_mm(mm), *mms[2] = { mm, child };

			ck_assert_ptr_nonnull(child);
			for (int k = 0; k < 64; k++) {
				uint64_t i = rnd(NP), v = 0xc411d;

				copy_to_user(child, BASE + i * PAGE_SIZE, &v, sizeof(v));
			}
			check_node(mms, 2);
			mmput(child);
		}
		check_node(&mm, 1);
		for (uint64_t i = 0; i < NP; i += 1 + rnd(16)) {
			uint64_t v = 0;
			int err = copy_from_user(mm, &v, BASE + i * PAGE_SIZE, sizeof(v));

			ck_assert_int_eq(err, state[i] ? 0 : -EFAULT);
			if (!err)
				ck_assert_uint_eq(v, shadow[i]);
		}
	}
	/* Something of everything happened. */
	ck_assert_uint_gt(event(THP_FAULT_ALLOC), 0);
	ck_assert_uint_gt(event(THP_SPLIT_PAGE), 0);
	ck_assert_uint_gt(event(PSWPOUT), 0);
	mmput(mm);
	check_node(NULL, 0);
}
END_TEST

static Suite *thp_suite(void)
{
	Suite *s = suite_create("thp");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, madvised_region_is_mapped_by_pmd_leaves);
	tcase_add_test(tc, munmap_of_one_page_splits_exactly_one_leaf);
	tcase_add_test(tc, modes_decide_where_thps_go);
	tcase_add_test(tc, read_fault_maps_the_huge_zero_page);
	tcase_add_test(tc, fork_copies_a_huge_page_on_write);
	tcase_add_test(tc, mprotect_and_mremap_split_what_they_cut);
	tcase_add_test(tc, reclaim_splits_before_swapping);
	tcase_add_test(tc, khugepaged_collapses_pages_populated_one_by_one);
	tcase_add_test(tc, compaction_makes_an_order_9_block);
	tcase_add_test(tc, migration_moves_anon_and_page_cache_pages);
	tcase_add_test(tc, random_operations_keep_data_and_invariants);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(thp_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
