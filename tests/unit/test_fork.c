/* Unit tests for fork's copy of an address space (guestmm/fork.c dup_mm,
 * memory.c copy_page_range and do_wp_page) and for smaps accounting
 * (task_mmu.c): frames shared with mapcount and refcount, write-protected in
 * both, copied on the first write, reused when no longer shared; RSS counted
 * in both and PSS halved; every count back to its pre-fork value when the
 * child goes. */
#include <string.h>

#include "mm_test_util.h"
#include "guestmm/mm.h"
#include "guestmm/task_mmu.h"

#define RW (PROT_READ | PROT_WRITE)
#define NPAGES 16
#define BASE 0x10000000ULL

static struct test_node t;

static void setup(void)
{
	struct mm_struct *mm;

	test_node_init(&t, 32);
	/* Warm the slab caches so that free counts are comparable. */
	mm = mm_alloc(t.node);
	do_mmap(mm, BASE, PAGE_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);
	mmput(mm);
}

static void teardown(void)
{
	test_node_fini(&t);
}

static struct page *page_at(struct mm_struct *mm, uint64_t addr)
{
	pte_t *pte = pte_offset(mm, addr);

	ck_assert_ptr_nonnull(pte);
	ck_assert(pte_present(*pte));
	return pfn_to_page(t.node, pte_pfn(*pte));
}

static bool writable(struct mm_struct *mm, uint64_t addr)
{
	pte_t *pte = pte_offset(mm, addr);

	return pte && pte_present(*pte) && pte_write(*pte);
}

/* A parent with NPAGES anon pages, each holding its index. */
static struct mm_struct *parent_with_pages(void)
{
	struct mm_struct *mm = mm_alloc(t.node);

	ck_assert_int_eq(do_mmap(mm, BASE, NPAGES * PAGE_SIZE, RW,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0), (int64_t)BASE);
	for (int i = 0; i < NPAGES; i++) {
		uint64_t v = i;

		ck_assert_int_eq(copy_to_user(mm, BASE + i * PAGE_SIZE, &v, sizeof(v)), 0);
	}
	return mm;
}

START_TEST(fork_shares_frames_copy_on_write)
{
	struct mm_struct *parent = parent_with_pages(), *child;
	unsigned long free_before = nr_free_pages(t.node);
	struct page *p0 = page_at(parent, BASE);
	uint64_t v;

	ck_assert_int_eq(page_mapcount(p0), 1);
	ck_assert_int_eq(page_count(p0), 1);
	child = dup_mm(parent);
	ck_assert_ptr_nonnull(child);
	for (int i = 0; i < NPAGES; i++) {
		uint64_t a = BASE + i * PAGE_SIZE;

		ck_assert_ptr_eq(page_at(child, a), page_at(parent, a));
		ck_assert_int_eq(page_mapcount(page_at(parent, a)), 2);
		ck_assert_int_eq(page_count(page_at(parent, a)), 2);
		ck_assert(!writable(parent, a));
		ck_assert(!writable(child, a));
	}
	ck_assert_int_eq(child->rss_stat[MM_ANONPAGES], NPAGES);
	/* The parent's TLB lost write permission: it was flushed. */
	ck_assert_int_gt(t.tlb_flushes, 0);

	/* The child's first write copies; the parent keeps its data. */
	v = 0xc0ffee;
	ck_assert_int_eq(copy_to_user(child, BASE, &v, sizeof(v)), 0);
	ck_assert_ptr_ne(page_at(child, BASE), p0);
	ck_assert_int_eq(page_mapcount(p0), 1);
	ck_assert_int_eq(copy_from_user(parent, &v, BASE, sizeof(v)), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(copy_from_user(child, &v, BASE, sizeof(v)), 0);
	ck_assert_uint_eq(v, 0xc0ffee);
	/* The parent's page is its own again: a write reuses the frame. */
	v = 7;
	ck_assert_int_eq(copy_to_user(parent, BASE, &v, sizeof(v)), 0);
	ck_assert_ptr_eq(page_at(parent, BASE), p0);

	/* When the child goes, every count is back where it was. */
	mmput(child);
	for (int i = 0; i < NPAGES; i++) {
		struct page *pg = page_at(parent, BASE + i * PAGE_SIZE);

		ck_assert_int_eq(page_mapcount(pg), 1);
		ck_assert_int_eq(page_count(pg), 1);
	}
	ck_assert_uint_eq(nr_free_pages(t.node), free_before);
	mmput(parent);
}
END_TEST

START_TEST(read_only_child_halves_pss)
{
	struct mm_struct *parent = parent_with_pages(), *child;
	struct mem_size_stats before, p, c;
	uint64_t v;

	smaps_rollup(parent, &before);
	ck_assert_uint_eq(before.resident, NPAGES * PAGE_SIZE);
	ck_assert_uint_eq(before.pss >> PSS_SHIFT, NPAGES * PAGE_SIZE);
	ck_assert_uint_eq(before.private_dirty, NPAGES * PAGE_SIZE);

	child = dup_mm(parent);
	for (int i = 0; i < NPAGES; i++)
		ck_assert_int_eq(copy_from_user(child, &v, BASE + i * PAGE_SIZE, sizeof(v)), 0);
	smaps_rollup(parent, &p);
	smaps_rollup(child, &c);
	/* RSS counted in both; PSS halved in each; all of it shared now. */
	ck_assert_uint_eq(p.resident, NPAGES * PAGE_SIZE);
	ck_assert_uint_eq(c.resident, NPAGES * PAGE_SIZE);
	ck_assert_uint_eq(p.pss >> PSS_SHIFT, NPAGES * PAGE_SIZE / 2);
	ck_assert_uint_eq(c.pss >> PSS_SHIFT, NPAGES * PAGE_SIZE / 2);
	ck_assert_uint_eq(p.shared_dirty, NPAGES * PAGE_SIZE);
	ck_assert_uint_eq(p.private_dirty, 0);
	ck_assert_uint_eq(c.anonymous, NPAGES * PAGE_SIZE);

	/* One write in the child makes one page private in each. */
	v = 1;
	copy_to_user(child, BASE, &v, sizeof(v));
	smaps_rollup(parent, &p);
	smaps_rollup(child, &c);
	ck_assert_uint_eq(p.pss >> PSS_SHIFT, PAGE_SIZE + (NPAGES - 1) * PAGE_SIZE / 2);
	ck_assert_uint_eq(c.private_dirty, PAGE_SIZE);
	mmput(child);
	smaps_rollup(parent, &p);
	ck_assert_uint_eq(p.pss, before.pss);
	mmput(parent);
}
END_TEST

START_TEST(shared_anon_stays_shared)
{
	struct mm_struct *parent = mm_alloc(t.node), *child;
	uint64_t v = 41;

	ck_assert_int_eq(do_mmap(parent, BASE, PAGE_SIZE, RW,
				 MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, NULL, 0), (int64_t)BASE);
	copy_to_user(parent, BASE, &v, sizeof(v));
	child = dup_mm(parent);
	v = 42;
	ck_assert_int_eq(copy_to_user(child, BASE, &v, sizeof(v)), 0);
	v = 0;
	copy_from_user(parent, &v, BASE, sizeof(v));
	ck_assert_uint_eq(v, 42);
	mmput(child);
	mmput(parent);
}
END_TEST

START_TEST(dontfork_and_wipeonfork)
{
	struct mm_struct *parent = parent_with_pages(), *child;
	uint64_t v = 99;

	ck_assert_int_eq(do_mmap(parent, BASE + 0x100000, PAGE_SIZE, RW,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0),
			 (int64_t)(BASE + 0x100000));
	copy_to_user(parent, BASE + 0x100000, &v, sizeof(v));
	ck_assert_int_eq(do_madvise(parent, BASE + 0x100000, PAGE_SIZE, MADV_DONTFORK), 0);
	ck_assert_int_eq(do_madvise(parent, BASE, PAGE_SIZE, MADV_WIPEONFORK), 0);
	child = dup_mm(parent);
	ck_assert_ptr_null(vma_lookup(child, BASE + 0x100000));
	v = 5;
	ck_assert_int_eq(copy_from_user(child, &v, BASE, sizeof(v)), 0);
	ck_assert_uint_eq(v, 0);
	copy_from_user(child, &v, BASE + PAGE_SIZE, sizeof(v));
	ck_assert_uint_eq(v, 1);
	mmput(child);
	mmput(parent);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fork");
	TCase *tc = tcase_create("dup_mm");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, fork_shares_frames_copy_on_write);
	tcase_add_test(tc, read_only_child_halves_pss);
	tcase_add_test(tc, shared_anon_stays_shared);
	tcase_add_test(tc, dontfork_and_wipeonfork);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
