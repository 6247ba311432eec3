/* Page tables: real x86-64 4-level tables kept in guest frames — allocating
 * and freeing them (pte_alloc, free_pgtables, pgd_alloc/pgd_free) and the
 * hardware page walk the MMU hook performs (mmu_translate), A/D bits included. */
#include <errno.h>
#include <stdio.h>

#include "mm.h"
#include "huge_memory.h"

/*
 * Levels are numbered as the walk meets them: 3 = PGD (each entry spans
 * 512 GiB), 2 = PUD (1 GiB), 1 = PMD (2 MiB), 0 = PTE (4 KiB). Every table
 * is one frame of 512 entries. Intermediate entries are always _PAGE_TABLE
 * (present, writable, user, A, D) so that the leaf alone decides access, as
 * Linux sets them up.
 *
 * Only the user half (below 2^47) is ever populated; the PGD is the mm's own
 * frame and is freed only by pgd_free.
 */

#define PUD_SIZE (1ULL << PUD_SHIFT)
#define PUD_MASK (~(PUD_SIZE - 1))
#define PGDIR_SIZE (1ULL << PGDIR_SHIFT)
#define PGDIR_MASK (~(PGDIR_SIZE - 1))
/* The end of the user half: tables may be freed up to here. */
#define USER_PGTABLES_CEILING (1ULL << 47)

static inline unsigned int level_shift(int level)
{
	return PAGE_SHIFT + 9 * level;
}

static inline unsigned int table_index(uint64_t addr, int level)
{
	return (addr >> level_shift(level)) & (PTRS_PER_TABLE - 1);
}

static inline pteval_t *table_at(struct pglist_data *node, pfn_t pfn)
{
	return (pteval_t *)pfn_to_virt(node, pfn);
}

static inline pteval_t *entry_table(struct pglist_data *node, pteval_t entry)
{
	return table_at(node, (entry & PTE_PFN_MASK) >> PAGE_SHIFT);
}

/* The next boundary of a `level`-entry span after addr, capped at end. */
static inline uint64_t level_addr_end(uint64_t addr, uint64_t end, int level)
{
	uint64_t size = 1ULL << level_shift(level);
	uint64_t boundary = (addr + size) & ~(size - 1);

	return boundary - 1 < end - 1 ? boundary : end;
}

static bool table_is_empty(const pteval_t *table)
{
	for (int i = 0; i < PTRS_PER_TABLE; i++)
		if (table[i])
			return false;
	return true;
}

static struct page *pgtable_page_alloc(struct mm_struct *mm)
{
	struct page *page = alloc_page(mm->node, __GFP_ZERO);

	if (!page)
		return NULL;
	SetPageFlag(page, PG_pgtable);
	mod_node_page_state(mm->node, NR_PAGETABLE, 1);
	return page;
}

static void pgtable_page_free(struct mm_struct *mm, pfn_t pfn)
{
	struct page *page = pfn_to_page(mm->node, pfn);

	ClearPageFlag(page, PG_pgtable);
	mod_node_page_state(mm->node, NR_PAGETABLE, -1);
	put_page(mm->node, page);
}

/* Clears *entry and frees the table below it (a PUD, PMD or PTE table). */
static void free_table_at(struct mm_struct *mm, pteval_t *entry)
{
	pfn_t pfn = (*entry & PTE_PFN_MASK) >> PAGE_SHIFT;

	*entry = 0;
	mm->pgtables_bytes -= PAGE_SIZE;
	pgtable_page_free(mm, pfn);
}

int pgd_alloc(struct mm_struct *mm)
{
	struct page *page = pgtable_page_alloc(mm);

	if (!page)
		return -ENOMEM;
	mm->pgd = page_to_pfn(mm->node, page);
	return 0;
}

static void mm_log(struct mm_struct *mm, int level, const char *msg)
{
	const struct mm_host_ops *ops = mm->node->ops;

	if (ops && ops->log)
		ops->log(mm->node->host, level, msg);
}

/* Frees the table tree below a present entry at `level` (>= 1). */
static void free_table_tree(struct mm_struct *mm, pteval_t *entry, int level)
{
	pteval_t *table = entry_table(mm->node, *entry);

	if (level > 1) {
		for (int i = 0; i < PTRS_PER_TABLE; i++)
			if ((table[i] & _PAGE_PRESENT) && !(table[i] & _PAGE_PSE))
				free_table_tree(mm, &table[i], level - 1);
	}
	/* exit_mmap zaps every page first; anything left here is a leak of
	 * the frames it maps, which this layer cannot account for. */
	if (!table_is_empty(table))
		mm_log(mm, 4, "pgd_free: page table still maps pages");
	free_table_at(mm, entry);
}

void pgd_free(struct mm_struct *mm)
{
	pteval_t *pgd;

	if (!mm->pgd)
		return;
	pgd = table_at(mm->node, mm->pgd);
	for (int i = 0; i < PTRS_PER_TABLE; i++)
		if (pgd[i] & _PAGE_PRESENT)
			free_table_tree(mm, &pgd[i], 3);
	pgtable_page_free(mm, mm->pgd);
	mm->pgd = 0;
}

/* Walks down to the table of `stop_level` entries for addr, allocating
 * missing tables when `alloc`. NULL when a level is missing (or cannot be
 * allocated), or when a huge leaf sits above stop_level. */
static pteval_t *walk_to_level(struct mm_struct *mm, uint64_t addr, int stop_level,
			       bool alloc)
{
	pteval_t *table;

	if (addr >= USER_PGTABLES_CEILING || !mm->pgd)
		return NULL;
	table = table_at(mm->node, mm->pgd);
	for (int level = 3; level > stop_level; level--) {
		pteval_t *e = &table[table_index(addr, level)];

		if (!(*e & _PAGE_PRESENT)) {
			struct page *page;

			if (!alloc)
				return NULL;
			page = pgtable_page_alloc(mm);
			if (!page)
				return NULL;
			mm->pgtables_bytes += PAGE_SIZE;
			*e = ((pteval_t)page_to_pfn(mm->node, page) << PAGE_SHIFT) | _PAGE_TABLE;
		} else if (*e & _PAGE_PSE) {
			return NULL;
		}
		table = entry_table(mm->node, *e);
	}
	return &table[table_index(addr, stop_level)];
}

pte_t *pte_offset(struct mm_struct *mm, uint64_t addr)
{
	return (pte_t *)walk_to_level(mm, addr, 0, false);
}

pte_t *pte_alloc(struct mm_struct *mm, uint64_t addr)
{
	return (pte_t *)walk_to_level(mm, addr, 0, true);
}

pmd_t *mm_find_pmd(struct mm_struct *mm, uint64_t addr)
{
	return (pmd_t *)walk_to_level(mm, addr, 1, false);
}

pmd_t *pmd_alloc(struct mm_struct *mm, uint64_t addr)
{
	return (pmd_t *)walk_to_level(mm, addr, 1, true);
}

/* A PTE table built before it is linked (a THP split), counted in mm. */
struct page *pte_alloc_one(struct mm_struct *mm)
{
	struct page *page = pgtable_page_alloc(mm);

	if (page)
		mm->pgtables_bytes += PAGE_SIZE;
	return page;
}

void pte_free_one(struct mm_struct *mm, struct page *table)
{
	mm->pgtables_bytes -= PAGE_SIZE;
	pgtable_page_free(mm, page_to_pfn(mm->node, table));
}

void pte_free_table(struct mm_struct *mm, pmd_t *pmd)
{
	if (pmd_present(*pmd) && !pmd_trans_huge(*pmd))
		free_table_at(mm, &pmd->pmd);
}

/* ---- walking ranges ---- */

static int walk_leaves(struct mm_struct *mm, pteval_t *table, int level, uint64_t addr,
		       uint64_t end, pmd_leaf_fn fn, void *arg)
{
	while (addr < end) {
		uint64_t next = level_addr_end(addr, end, level);
		pteval_t *e = &table[table_index(addr, level)];
		int ret = 0;

		if (level == 1 && pmd_trans_huge(*(pmd_t *)e))
			ret = fn((pmd_t *)e, addr & PMD_MASK, arg);
		else if (level > 1 && (*e & _PAGE_PRESENT) && !(*e & _PAGE_PSE))
			ret = walk_leaves(mm, entry_table(mm->node, *e), level - 1, addr, next,
					  fn, arg);
		if (ret)
			return ret;
		addr = next;
	}
	return 0;
}

int walk_pmd_leaves(struct mm_struct *mm, uint64_t start, uint64_t end, pmd_leaf_fn fn,
		    void *arg)
{
	if (end > USER_PGTABLES_CEILING)
		end = USER_PGTABLES_CEILING;
	if (start >= end || !mm->pgd)
		return 0;
	return walk_leaves(mm, table_at(mm->node, mm->pgd), 3, start, end, fn, arg);
}

static int walk_level(struct mm_struct *mm, pteval_t *table, int level, uint64_t addr,
		      uint64_t end, pte_range_fn fn, void *arg)
{
	while (addr < end) {
		uint64_t next = level_addr_end(addr, end, level);
		pteval_t e = table[table_index(addr, level)];
		int ret = 0;

		if ((e & _PAGE_PRESENT) && !(e & _PAGE_PSE)) {
			pteval_t *below = entry_table(mm->node, e);

			if (level == 1)
				ret = fn((pte_t *)&below[table_index(addr, 0)], addr, next, arg);
			else
				ret = walk_level(mm, below, level - 1, addr, next, fn, arg);
		}
		if (ret)
			return ret;
		addr = next;
	}
	return 0;
}

int walk_pte_range(struct mm_struct *mm, uint64_t start, uint64_t end, pte_range_fn fn,
		   void *arg)
{
	if (end > USER_PGTABLES_CEILING)
		end = USER_PGTABLES_CEILING;
	if (start >= end || !mm->pgd)
		return 0;
	return walk_level(mm, table_at(mm->node, mm->pgd), 3, start, end, fn, arg);
}

/* ---- freeing tables: Linux's free_pgd_range ----
 *
 * A table may go only when the whole span it covers lies inside
 * [floor, ceiling), the hole between the VMAs around the range, so tables
 * still shared with a neighbouring VMA stay. The arithmetic is Linux's
 * (including its "end - 1 > ceiling - 1" comparisons); ceiling is never 0
 * here because the top of the user half is passed explicitly. As a guard
 * Linux does not need, a table that still holds an entry is kept: freeing
 * it would lose the frames it maps.
 */

static void free_pte_range(struct mm_struct *mm, pteval_t *pmd_entry)
{
	if (table_is_empty(entry_table(mm->node, *pmd_entry)))
		free_table_at(mm, pmd_entry);
}

static void free_pmd_range(struct mm_struct *mm, pteval_t *pud_entry, uint64_t addr,
			   uint64_t end, uint64_t floor, uint64_t ceiling)
{
	pteval_t *pmd = entry_table(mm->node, *pud_entry);
	uint64_t start = addr;

	do {
		uint64_t next = level_addr_end(addr, end, 1);
		pteval_t *e = &pmd[table_index(addr, 1)];

		if ((*e & _PAGE_PRESENT) && !(*e & _PAGE_PSE))
			free_pte_range(mm, e);
		addr = next;
	} while (addr != end);

	start &= PUD_MASK;
	if (start < floor)
		return;
	ceiling &= PUD_MASK;
	if (!ceiling)
		return;
	if (end - 1 > ceiling - 1)
		return;
	if (table_is_empty(pmd))
		free_table_at(mm, pud_entry);
}

static void free_pud_range(struct mm_struct *mm, pteval_t *pgd_entry, uint64_t addr,
			   uint64_t end, uint64_t floor, uint64_t ceiling)
{
	pteval_t *pud = entry_table(mm->node, *pgd_entry);
	uint64_t start = addr;

	do {
		uint64_t next = level_addr_end(addr, end, 2);
		pteval_t *e = &pud[table_index(addr, 2)];

		if ((*e & _PAGE_PRESENT) && !(*e & _PAGE_PSE))
			free_pmd_range(mm, e, addr, next, floor, ceiling);
		addr = next;
	} while (addr != end);

	start &= PGDIR_MASK;
	if (start < floor)
		return;
	ceiling &= PGDIR_MASK;
	if (!ceiling)
		return;
	if (end - 1 > ceiling - 1)
		return;
	if (table_is_empty(pud))
		free_table_at(mm, pgd_entry);
}

static void free_pgd_range(struct mm_struct *mm, uint64_t addr, uint64_t end,
			   uint64_t floor, uint64_t ceiling)
{
	pteval_t *pgd = table_at(mm->node, mm->pgd);

	/* Only PTE tables wholly inside [floor, ceiling) are candidates; the
	 * levels above re-check against their own, larger spans. */
	addr &= PMD_MASK;
	if (addr < floor)
		addr += PMD_SIZE;
	ceiling &= PMD_MASK;
	if (!ceiling)
		return;
	if (end - 1 > ceiling - 1)
		end -= PMD_SIZE;
	if (addr > end - 1)
		return;

	do {
		uint64_t next = level_addr_end(addr, end, 3);
		pteval_t *e = &pgd[table_index(addr, 3)];

		if (*e & _PAGE_PRESENT)
			free_pud_range(mm, e, addr, next, floor, ceiling);
		addr = next;
	} while (addr != end);
}

static struct vm_area_struct *vma_list_next(struct mm_struct *mm, struct vm_area_struct *vma)
{
	if (vma->vm_list.next == &mm->mmap_list)
		return NULL;
	return list_entry(vma->vm_list.next, struct vm_area_struct, vm_list);
}

/*
 * Frees the tables covering the holes between VMAs inside [start, end).
 * Callers normally pass a range whose VMAs were just removed (munmap,
 * exit_mmap); VMAs still present inside the range are simply stepped over,
 * so the call is safe whatever the caller's order.
 */
void free_pgtables(struct mm_struct *mm, uint64_t start, uint64_t end)
{
	struct vm_area_struct *vma, *prev;
	uint64_t floor, addr;

	if (end > USER_PGTABLES_CEILING)
		end = USER_PGTABLES_CEILING;
	if (start >= end || !mm->pgd)
		return;

	vma = find_vma(mm, start);
	if (vma)
		prev = vma->vm_list.prev == &mm->mmap_list ? NULL :
			list_entry(vma->vm_list.prev, struct vm_area_struct, vm_list);
	else
		prev = list_empty(&mm->mmap_list) ? NULL :
			list_last_entry(&mm->mmap_list, struct vm_area_struct, vm_list);
	floor = prev ? prev->vm_end : 0;

	addr = start;
	while (addr < end) {
		uint64_t gap_end, ceiling;

		if (vma && vma->vm_start <= addr) {
			addr = vma->vm_end;
			floor = vma->vm_end;
			vma = vma_list_next(mm, vma);
			continue;
		}
		ceiling = vma ? vma->vm_start : USER_PGTABLES_CEILING;
		gap_end = ceiling < end ? ceiling : end;
		free_pgd_range(mm, addr, gap_end, floor, ceiling);
		addr = gap_end;
	}
}

/* ---- the hardware walk ---- */

bool mmu_translate(struct mm_struct *mm, uint64_t addr, unsigned int flags,
		   uint64_t *paddr, unsigned int *prot)
{
	struct pglist_data *node = mm->node;
	bool write = flags & FAULT_FLAG_WRITE;
	pteval_t need = _PAGE_PRESENT;
	pteval_t rw_all = _PAGE_RW, nx_any = 0;
	pteval_t *entries[4], *table, *leaf = NULL;
	uint64_t span = PAGE_SIZE;
	unsigned int n = 0, p;
	pfn_t pfn;

	/* Supervisor writes honour RW too: Linux runs with CR0.WP set. */
	if (write)
		need |= _PAGE_RW;
	if (flags & FAULT_FLAG_USER)
		need |= _PAGE_USER;
	if (addr >= USER_PGTABLES_CEILING || !mm->pgd)
		return false;

	table = table_at(node, mm->pgd);
	for (int level = 3; level >= 0; level--) {
		pteval_t *e = &table[table_index(addr, level)];

		if ((*e & need) != need)
			return false;
		rw_all &= *e;
		nx_any |= *e & _PAGE_NX;
		entries[n++] = e;
		/* PS in a PUD or PMD entry makes it the leaf (1 GiB / 2 MiB). */
		if (level == 0 || ((level == 1 || level == 2) && (*e & _PAGE_PSE))) {
			leaf = e;
			span = 1ULL << level_shift(level);
			break;
		}
		table = entry_table(node, *e);
	}
	if ((flags & FAULT_FLAG_INSTRUCTION) && nx_any)
		return false;

	pfn = ((*leaf & PTE_PFN_MASK & ~(span - 1)) + (addr & (span - 1))) >> PAGE_SHIFT;
	if (pfn >= node->node_present_pages)
		return false;

	for (unsigned int i = 0; i < n; i++)
		*entries[i] |= _PAGE_ACCESSED;
	if (write)
		*leaf |= _PAGE_DIRTY;

	p = MMU_PROT_READ;
	/* A clean page is handed out read-only so the first store comes back
	 * here and sets Dirty, as the x86 TLB does. */
	if (rw_all && (*leaf & _PAGE_DIRTY))
		p |= MMU_PROT_WRITE;
	if (!nx_any) {
		p |= MMU_PROT_EXEC;
		/* Any translation with execute permission may let the TLB serve
		 * later fetches without coming back here, so the frame is marked
		 * now, not only on a fetch: its translated code must be dropped
		 * before the frame is freed or rewritten. */
		SetPageFlag(pfn_to_page(node, pfn), PG_exec);
	}
	*paddr = (uint64_t)pfn << PAGE_SHIFT;
	*prot = p;
	return true;
}

/* ---- protections ---- */

pteval_t vm_get_page_prot(unsigned long vm_flags)
{
	pteval_t prot = _PAGE_PRESENT | _PAGE_USER;

	if (!(vm_flags & VM_ACCESS_FLAGS))
		return 0;
	if (!(vm_flags & VM_EXEC))
		prot |= _PAGE_NX;
	return prot;
}
