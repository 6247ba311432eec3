/* Unit tests for guestmm/pgtable.c: building and walking the 4-level tables,
 * the hardware walk's A/D, RW, NX and user-bit rules, 2 MiB leaves, and
 * freeing tables by Linux's floor/ceiling rule without leaking a frame. */
#include <stdlib.h>
#include <string.h>

#include "mm_test_util.h"
#include "guestmm/mm.h"

#define USER_TOP (1ULL << 47)

/* A user page's PTE bits as the fault path builds them. */
#define PTE_USER_RW  (_PAGE_PRESENT | _PAGE_USER | _PAGE_RW)
#define PTE_USER_RO  (_PAGE_PRESENT | _PAGE_USER)

static struct test_node t;

static void setup(void)
{
	test_node_init(&t, 32);
}

static void teardown(void)
{
	test_node_fini(&t);
}

static long nr_pagetable(void)
{
	return t.node->stat.stat[NR_PAGETABLE];
}

/* Maps addr to a fresh frame with the given PTE bits; returns the frame. */
static struct page *map_frame(struct mm_struct *mm, uint64_t addr, pteval_t bits)
{
	struct page *page = alloc_page(t.node, __GFP_ZERO);
	pte_t *pte;

	ck_assert_ptr_nonnull(page);
	pte = pte_alloc(mm, addr);
	ck_assert_ptr_nonnull(pte);
	*pte = pfn_pte(page_to_pfn(t.node, page), bits);
	return page;
}

static void unmap_frame(struct mm_struct *mm, uint64_t addr)
{
	pte_t *pte = pte_offset(mm, addr);

	ck_assert_ptr_nonnull(pte);
	put_page(t.node, pfn_to_page(t.node, pte_pfn(*pte)));
	pte->pte = 0;
}

static bool translate(struct mm_struct *mm, uint64_t addr, unsigned int flags,
		      uint64_t *paddr, unsigned int *prot)
{
	uint64_t pa;
	unsigned int pr;

	return mmu_translate(mm, addr, flags, paddr ? paddr : &pa, prot ? prot : &pr);
}

/* ---- building and walking ---- */

START_TEST(test_pte_alloc_builds_three_levels)
{
	unsigned long free0;
	struct mm_struct *mm;
	uint64_t addr = 0x400000;
	pte_t *pte, *again;

	/* The mm_struct cache keeps one empty slab once it has been used. */
	mmput(mm_alloc(t.node));
	free0 = nr_free_pages(t.node);
	mm = mm_alloc(t.node);
	ck_assert_ptr_nonnull(mm);
	ck_assert_int_eq(nr_pagetable(), 1);             /* the PGD */
	ck_assert_int_eq(mm->pgtables_bytes, 0);
	ck_assert(PageFlag(pfn_to_page(t.node, mm->pgd), PG_pgtable));

	ck_assert_ptr_null(pte_offset(mm, addr));
	pte = pte_alloc(mm, addr);
	ck_assert_ptr_nonnull(pte);
	ck_assert(pte_none(*pte));
	ck_assert_int_eq(nr_pagetable(), 4);
	ck_assert_int_eq(mm->pgtables_bytes, 3 * PAGE_SIZE);
	ck_assert_ptr_eq(pte_offset(mm, addr), pte);
	/* The next page is the next slot of the same table. */
	ck_assert_ptr_eq(pte_offset(mm, addr + PAGE_SIZE), pte + 1);

	/* Same 2 MiB: no new table. Another PMD of the same PUD: one. Another
	 * PGD slot: three. */
	again = pte_alloc(mm, addr + 0x1ff000);
	ck_assert_ptr_eq(again, pte + 511);
	ck_assert_int_eq(nr_pagetable(), 4);
	ck_assert_ptr_nonnull(pte_alloc(mm, addr + PMD_SIZE));
	ck_assert_int_eq(nr_pagetable(), 5);
	ck_assert_ptr_nonnull(pte_alloc(mm, 0x7f0000000000ULL));
	ck_assert_int_eq(nr_pagetable(), 8);
	ck_assert_int_eq(mm->pgtables_bytes, 7 * PAGE_SIZE);

	/* Only the user half exists. */
	ck_assert_ptr_null(pte_alloc(mm, USER_TOP));
	ck_assert_ptr_null(pte_offset(mm, 0xffff800000000000ULL));

	mmput(mm);
	ck_assert_int_eq(nr_pagetable(), 0);
	ck_assert_uint_eq(nr_free_pages(t.node), free0);
}
END_TEST

START_TEST(test_map_walk_unmap)
{
	struct mm_struct *mm = mm_alloc(t.node);
	uint64_t addr = 0x601000, paddr;
	unsigned int prot;
	struct page *page;

	page = map_frame(mm, addr, PTE_USER_RW | _PAGE_NX);
	memcpy(page_address(t.node, page), "hello", 6);
	ck_assert(translate(mm, addr + 0x123, FAULT_FLAG_USER, &paddr, &prot));
	ck_assert_uint_eq(paddr, (uint64_t)page_to_pfn(t.node, page) << PAGE_SHIFT);
	ck_assert_str_eq((char *)t.node->ram + paddr, "hello");
	ck_assert(!translate(mm, addr + PAGE_SIZE, FAULT_FLAG_USER, NULL, NULL));
	ck_assert(!translate(mm, addr - PAGE_SIZE, 0, NULL, NULL));

	unmap_frame(mm, addr);
	ck_assert(!translate(mm, addr, FAULT_FLAG_USER, NULL, NULL));
	mmput(mm);
}
END_TEST

/* ---- the hardware walk ---- */

START_TEST(test_accessed_and_dirty)
{
	struct mm_struct *mm = mm_alloc(t.node);
	uint64_t addr = 0x700000;
	unsigned int prot;
	pte_t *pte;

	map_frame(mm, addr, PTE_USER_RW);
	pte = pte_offset(mm, addr);
	ck_assert(!pte_young(*pte) && !pte_dirty(*pte));

	/* A read of a clean writable page: Accessed, but no write permission
	 * yet, so the first store comes back to set Dirty. */
	ck_assert(translate(mm, addr, FAULT_FLAG_USER, NULL, &prot));
	ck_assert(pte_young(*pte));
	ck_assert(!pte_dirty(*pte));
	ck_assert_uint_eq(prot & MMU_PROT_WRITE, 0);
	ck_assert(prot & MMU_PROT_READ);

	ck_assert(translate(mm, addr, FAULT_FLAG_USER | FAULT_FLAG_WRITE, NULL, &prot));
	ck_assert(pte_dirty(*pte));
	ck_assert(prot & MMU_PROT_WRITE);

	/* Once dirty, a read may cache write permission too. */
	pte->pte &= ~_PAGE_ACCESSED;
	ck_assert(translate(mm, addr, FAULT_FLAG_USER, NULL, &prot));
	ck_assert(prot & MMU_PROT_WRITE);
	ck_assert(pte_young(*pte));

	/* Aging clears A; the next access sets it again. */
	pte->pte &= ~(_PAGE_ACCESSED | _PAGE_DIRTY);
	ck_assert(translate(mm, addr, FAULT_FLAG_USER | FAULT_FLAG_WRITE, NULL, NULL));
	ck_assert(pte_young(*pte) && pte_dirty(*pte));

	unmap_frame(mm, addr);
	mmput(mm);
}
END_TEST

START_TEST(test_read_only_page)
{
	struct mm_struct *mm = mm_alloc(t.node);
	uint64_t addr = 0x700000;
	unsigned int prot;
	pte_t *pte;

	map_frame(mm, addr, PTE_USER_RO | _PAGE_DIRTY);
	pte = pte_offset(mm, addr);
	ck_assert(translate(mm, addr, FAULT_FLAG_USER, NULL, &prot));
	ck_assert_uint_eq(prot & MMU_PROT_WRITE, 0);        /* D set, RW clear */
	/* Writes fail for the guest and for the kernel (CR0.WP), and a failed
	 * walk changes no bit. */
	pte->pte &= ~(_PAGE_ACCESSED | _PAGE_DIRTY);
	ck_assert(!translate(mm, addr, FAULT_FLAG_USER | FAULT_FLAG_WRITE, NULL, NULL));
	ck_assert(!translate(mm, addr, FAULT_FLAG_WRITE, NULL, NULL));
	ck_assert(!pte_young(*pte) && !pte_dirty(*pte));

	unmap_frame(mm, addr);
	mmput(mm);
}
END_TEST

START_TEST(test_nx_and_exec)
{
	struct mm_struct *mm = mm_alloc(t.node);
	uint64_t data = 0x700000, code = 0x701000;
	struct page *dpage, *cpage;
	unsigned int prot;

	dpage = map_frame(mm, data, PTE_USER_RW | _PAGE_NX);
	cpage = map_frame(mm, code, PTE_USER_RO);

	ck_assert(!translate(mm, data, FAULT_FLAG_USER | FAULT_FLAG_INSTRUCTION, NULL, NULL));
	ck_assert(translate(mm, data, FAULT_FLAG_USER, NULL, &prot));
	ck_assert_uint_eq(prot & MMU_PROT_EXEC, 0);
	ck_assert(!PageFlag(dpage, PG_exec));

	ck_assert(!PageFlag(cpage, PG_exec));
	ck_assert(translate(mm, code, FAULT_FLAG_USER | FAULT_FLAG_INSTRUCTION, NULL, &prot));
	ck_assert(prot & MMU_PROT_EXEC);
	ck_assert(PageFlag(cpage, PG_exec));

	/* Freeing a frame that held code has its translations dropped. */
	unmap_frame(mm, code);
	ck_assert_int_eq(t.code_invalidations, 1);
	unmap_frame(mm, data);
	ck_assert_int_eq(t.code_invalidations, 1);
	mmput(mm);
}
END_TEST

START_TEST(test_user_bit)
{
	struct mm_struct *mm = mm_alloc(t.node);
	uint64_t addr = 0x700000;

	map_frame(mm, addr, _PAGE_PRESENT | _PAGE_RW | _PAGE_NX);
	ck_assert(!translate(mm, addr, FAULT_FLAG_USER, NULL, NULL));
	ck_assert(translate(mm, addr, 0, NULL, NULL));
	unmap_frame(mm, addr);

	/* The user bit is needed at every level, not only in the leaf. */
	map_frame(mm, addr, PTE_USER_RW);
	ck_assert(translate(mm, addr, FAULT_FLAG_USER, NULL, NULL));
	{
		pteval_t *pgd = (pteval_t *)pfn_to_virt(t.node, mm->pgd);

		pgd[0] &= ~_PAGE_USER;
		ck_assert(!translate(mm, addr, FAULT_FLAG_USER, NULL, NULL));
		ck_assert(translate(mm, addr, 0, NULL, NULL));
		/* And RW at every level for a write, NX at any level for a fetch. */
		pgd[0] |= _PAGE_USER;
		pgd[0] &= ~_PAGE_RW;
		ck_assert(!translate(mm, addr, FAULT_FLAG_USER | FAULT_FLAG_WRITE, NULL, NULL));
		pgd[0] |= _PAGE_RW | _PAGE_NX;
		ck_assert(!translate(mm, addr, FAULT_FLAG_USER | FAULT_FLAG_INSTRUCTION, NULL, NULL));
		pgd[0] &= ~_PAGE_NX;
	}
	unmap_frame(mm, addr);
	mmput(mm);
}
END_TEST

START_TEST(test_huge_pmd_leaf)
{
	struct mm_struct *mm = mm_alloc(t.node);
	uint64_t base = 0x40000000, paddr;
	struct page *huge = alloc_pages(t.node, __GFP_ZERO, HPAGE_PMD_ORDER);
	pfn_t pfn = page_to_pfn(t.node, huge);
	unsigned int prot;
	pmd_t *pmd;

	ck_assert_ptr_nonnull(huge);
	ck_assert_ptr_nonnull(pte_alloc(mm, base));
	pmd = mm_find_pmd(mm, base);
	ck_assert_ptr_nonnull(pmd);
	/* Replace the PTE table by a 2 MiB leaf (as THP will). */
	{
		pfn_t table = (pmd->pmd & PTE_PFN_MASK) >> PAGE_SHIFT;

		pmd->pmd = ((pteval_t)pfn << PAGE_SHIFT) | PTE_USER_RW | _PAGE_PSE | _PAGE_NX;
		pfn_to_page(t.node, table)->flags = 0;
		put_page(t.node, pfn_to_page(t.node, table));
		mm->pgtables_bytes -= PAGE_SIZE;
		t.node->stat.stat[NR_PAGETABLE]--;
	}
	ck_assert_ptr_null(pte_offset(mm, base));
	ck_assert_ptr_null(pte_alloc(mm, base));

	ck_assert(translate(mm, base + 5 * PAGE_SIZE + 7, FAULT_FLAG_USER, &paddr, &prot));
	ck_assert_uint_eq(paddr, (uint64_t)(pfn + 5) << PAGE_SHIFT);
	ck_assert(pmd->pmd & _PAGE_ACCESSED);
	ck_assert(!(pmd->pmd & _PAGE_DIRTY));
	ck_assert_uint_eq(prot & MMU_PROT_WRITE, 0);
	ck_assert(translate(mm, base + 511 * PAGE_SIZE, FAULT_FLAG_USER | FAULT_FLAG_WRITE,
			    &paddr, &prot));
	ck_assert_uint_eq(paddr, (uint64_t)(pfn + 511) << PAGE_SHIFT);
	ck_assert(pmd->pmd & _PAGE_DIRTY);
	ck_assert(prot & MMU_PROT_WRITE);
	ck_assert(!translate(mm, base, FAULT_FLAG_USER | FAULT_FLAG_INSTRUCTION, NULL, NULL));

	pmd->pmd = 0;
	__free_pages(t.node, huge, HPAGE_PMD_ORDER);
	mmput(mm);
	ck_assert_int_eq(nr_pagetable(), 0);
}
END_TEST

START_TEST(test_kernel_range_rejected)
{
	struct mm_struct *mm = mm_alloc(t.node);

	ck_assert(!translate(mm, USER_TOP, 0, NULL, NULL));
	ck_assert(!translate(mm, 0xffffffffff600000ULL, FAULT_FLAG_USER, NULL, NULL));
	mmput(mm);
}
END_TEST

/* ---- walking ranges ---- */

struct walk_log {
	int calls;
	uint64_t first[8], end[8];
};

static int log_range(pte_t *pte, uint64_t addr, uint64_t end, void *arg)
{
	struct walk_log *w = arg;

	(void)pte;
	if (w->calls < 8) {
		w->first[w->calls] = addr;
		w->end[w->calls] = end;
	}
	w->calls++;
	return 0;
}

START_TEST(test_walk_pte_range_skips_holes)
{
	struct mm_struct *mm = mm_alloc(t.node);
	struct walk_log w = { 0 };

	pte_alloc(mm, 0x400000);
	pte_alloc(mm, 0x7f0000200000ULL);
	walk_pte_range(mm, 0x3ff000, 0x7f0000201000ULL, log_range, &w);
	ck_assert_int_eq(w.calls, 2);
	ck_assert_uint_eq(w.first[0], 0x400000);
	ck_assert_uint_eq(w.end[0], 0x600000);
	ck_assert_uint_eq(w.first[1], 0x7f0000200000ULL);
	ck_assert_uint_eq(w.end[1], 0x7f0000201000ULL);
	mmput(mm);
}
END_TEST

/* ---- freeing tables ---- */

static void map_anon(struct mm_struct *mm, uint64_t addr, uint64_t len)
{
	ck_assert_int_eq(do_mmap(mm, addr, len, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0), (int64_t)addr);
}

static void touch(struct mm_struct *mm, uint64_t addr)
{
	ck_assert_int_eq(handle_mm_fault(mm, addr, FAULT_FLAG_WRITE | FAULT_FLAG_USER, NULL), 0);
}

START_TEST(test_free_pgtables_keeps_shared_tables)
{
	struct mm_struct *mm = mm_alloc(t.node);

	/* A and B share one PTE table; C is 2 MiB further (same PMD table). */
	map_anon(mm, 0x400000, PAGE_SIZE);
	map_anon(mm, 0x402000, PAGE_SIZE);
	map_anon(mm, 0x800000, PAGE_SIZE);
	touch(mm, 0x400000);
	touch(mm, 0x402000);
	touch(mm, 0x800000);
	ck_assert_int_eq(nr_pagetable(), 5);       /* PGD, PUD, PMD, 2 PTE tables */

	ck_assert_int_eq(do_munmap(mm, 0x400000, PAGE_SIZE), 0);
	ck_assert_int_eq(nr_pagetable(), 5);       /* B still uses the table */
	ck_assert(translate(mm, 0x402000, FAULT_FLAG_USER, NULL, NULL));

	ck_assert_int_eq(do_munmap(mm, 0x402000, PAGE_SIZE), 0);
	ck_assert_int_eq(nr_pagetable(), 4);       /* that PTE table went */
	ck_assert_ptr_null(pte_offset(mm, 0x402000));
	ck_assert(translate(mm, 0x800000, FAULT_FLAG_USER, NULL, NULL));

	ck_assert_int_eq(do_munmap(mm, 0x800000, PAGE_SIZE), 0);
	ck_assert_int_eq(nr_pagetable(), 1);       /* nothing below the PGD */
	ck_assert_int_eq(mm->pgtables_bytes, 0);
	mmput(mm);
	ck_assert_int_eq(nr_pagetable(), 0);
}
END_TEST

START_TEST(test_free_pgtables_floor_ceiling)
{
	struct mm_struct *mm = mm_alloc(t.node);
	pte_t *pte;

	/* VMAs end at 0x5ff000 (prev) and start at 0xa01000 (next): the hole
	 * [0x5ff000, 0xa01000) has PTE tables at 0x400000 (shared with prev),
	 * 0x600000, 0x800000 (wholly inside) and 0xa00000 (shared with next). */
	map_anon(mm, 0x5fe000, PAGE_SIZE);
	map_anon(mm, 0xa01000, PAGE_SIZE);
	touch(mm, 0x5fe000);
	touch(mm, 0xa01000);
	ck_assert_ptr_nonnull(pte_alloc(mm, 0x600000));
	ck_assert_ptr_nonnull(pte_alloc(mm, 0x800000));
	ck_assert_int_eq(nr_pagetable(), 7);

	free_pgtables(mm, 0x5ff000, 0xa01000);
	ck_assert_int_eq(nr_pagetable(), 5);
	ck_assert_ptr_null(pte_offset(mm, 0x600000));
	ck_assert_ptr_null(pte_offset(mm, 0x800000));
	ck_assert_ptr_nonnull(pte_offset(mm, 0x5fe000));
	ck_assert_ptr_nonnull(pte_offset(mm, 0xa01000));

	/* A table that still maps something is never freed. */
	pte = pte_alloc(mm, 0x700000);
	ck_assert_ptr_nonnull(pte);
	pte->pte = pfn_pte(t.node->zero_pfn, PTE_USER_RO).pte;
	free_pgtables(mm, 0x5ff000, 0xa01000);
	ck_assert_ptr_eq(pte_offset(mm, 0x700000), pte);
	pte->pte = 0;
	free_pgtables(mm, 0x5ff000, 0xa01000);
	ck_assert_ptr_null(pte_offset(mm, 0x700000));
	ck_assert_int_eq(nr_pagetable(), 5);

	/* VMAs inside the range are stepped over, never stripped. */
	free_pgtables(mm, 0, USER_TOP);
	ck_assert(translate(mm, 0x5fe000, FAULT_FLAG_USER, NULL, NULL));
	ck_assert(translate(mm, 0xa01000, FAULT_FLAG_USER, NULL, NULL));
	mmput(mm);
}
END_TEST

START_TEST(test_upper_tables_freed_across_gigabytes)
{
	struct mm_struct *mm = mm_alloc(t.node);

	/* Two VMAs in different PGD slots; unmapping one frees its PUD, PMD
	 * and PTE tables but not the PGD slot of the other. */
	map_anon(mm, 0x10000000, PAGE_SIZE);
	map_anon(mm, 0x7f0000000000ULL, PAGE_SIZE);
	touch(mm, 0x10000000);
	touch(mm, 0x7f0000000000ULL);
	ck_assert_int_eq(nr_pagetable(), 7);
	ck_assert_int_eq(do_munmap(mm, 0x7f0000000000ULL, PAGE_SIZE), 0);
	ck_assert_int_eq(nr_pagetable(), 4);
	ck_assert(translate(mm, 0x10000000, FAULT_FLAG_USER, NULL, NULL));
	mmput(mm);
}
END_TEST

START_TEST(test_mmput_returns_every_frame)
{
	unsigned long free0;
	struct mm_struct *mm;

	/* Warm the slab caches: each keeps one empty slab once used. */
	mm = mm_alloc(t.node);
	map_anon(mm, 0x400000, PAGE_SIZE);
	mmput(mm);
	free0 = nr_free_pages(t.node);

	mm = mm_alloc(t.node);
	for (uint64_t a = 0x400000; a < 0x400000 + 64 * PMD_SIZE; a += PMD_SIZE / 2) {
		map_anon(mm, a, PAGE_SIZE);
		touch(mm, a);
	}
	ck_assert_int_gt(nr_pagetable(), 60);
	mmput(mm);
	ck_assert_int_eq(nr_pagetable(), 0);
	ck_assert_int_eq(t.node->stat.stat[NR_ANON_MAPPED], 0);
	ck_assert_uint_eq(nr_free_pages(t.node), free0);
	ck_assert_uint_eq(t.node->bad_pages, 0);
}
END_TEST

static Suite *pgtable_suite(void)
{
	Suite *s = suite_create("pgtable");
	TCase *tc = tcase_create("walk");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_pte_alloc_builds_three_levels);
	tcase_add_test(tc, test_map_walk_unmap);
	tcase_add_test(tc, test_accessed_and_dirty);
	tcase_add_test(tc, test_read_only_page);
	tcase_add_test(tc, test_nx_and_exec);
	tcase_add_test(tc, test_user_bit);
	tcase_add_test(tc, test_huge_pmd_leaf);
	tcase_add_test(tc, test_kernel_range_rejected);
	tcase_add_test(tc, test_walk_pte_range_skips_holes);
	suite_add_tcase(s, tc);

	tc = tcase_create("free");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_free_pgtables_keeps_shared_tables);
	tcase_add_test(tc, test_free_pgtables_floor_ceiling);
	tcase_add_test(tc, test_upper_tables_freed_across_gigabytes);
	tcase_add_test(tc, test_mmput_returns_every_frame);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(pgtable_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
