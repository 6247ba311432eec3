/* smaps accounting over the real page tables: every present PTE's frame is
 * counted once in RSS and 1/mapcount in PSS, exactly as Linux's
 * smaps_pte_entry and smaps_account do. */
#include <string.h>

#include "task_mmu.h"
#include "swap.h"
#include "huge_memory.h"

static void smaps_page_accumulate(struct mem_size_stats *mss, const struct page *page,
				  uint64_t size, uint64_t pss, bool dirty, bool locked,
				  bool private)
{
	mss->pss += pss;
	if (PageFlag(page, PG_anon))
		mss->pss_anon += pss;
	else if (PageFlag(page, PG_swapbacked))
		mss->pss_shmem += pss;
	else
		mss->pss_file += pss;
	if (locked)
		mss->pss_locked += pss;
	if (dirty || PageFlag(page, PG_dirty)) {
		mss->pss_dirty += pss;
		if (private)
			mss->private_dirty += size;
		else
			mss->shared_dirty += size;
	} else {
		if (private)
			mss->private_clean += size;
		else
			mss->shared_clean += size;
	}
}

static void smaps_account(struct mem_size_stats *mss, const struct page *page, uint64_t size,
			  bool young, bool dirty, bool locked)
{
	int mapcount;

	if (PageFlag(page, PG_anon)) {
		mss->anonymous += size;
		if (!PageFlag(page, PG_swapbacked) && !dirty && !PageFlag(page, PG_dirty))
			mss->lazyfree += size;
	}
	mss->resident += size;
	if (young || PageFlag(page, PG_referenced))
		mss->referenced += size;
	/* A page only this mapping references is private, whatever its
	 * mapcount says (Linux's page_count == 1 shortcut). */
	if (page->_refcount == 1) {
		smaps_page_accumulate(mss, page, size, size << PSS_SHIFT, dirty, locked, true);
		return;
	}
	mapcount = page_mapcount(page);
	if (mapcount >= 2)
		smaps_page_accumulate(mss, page, size, (size << PSS_SHIFT) / mapcount, dirty,
				      locked, false);
	else
		smaps_page_accumulate(mss, page, size, size << PSS_SHIFT, dirty, locked, true);
}

void smap_gather_stats(struct vm_area_struct *vma, struct mem_size_stats *mss)
{
	struct mm_struct *mm = vma->vm_mm;
	bool locked = vma->vm_flags & VM_LOCKED;
	uint64_t addr;

	for (addr = vma->vm_start; addr < vma->vm_end; addr += PAGE_SIZE) {
		pte_t *pte = pte_offset(mm, addr);
		struct page *page;

		if (!pte) {
			pmd_t *pmd = mm_find_pmd(mm, addr);

			/* Linux's smaps_pmd_entry: a THP counts whole, and as
			 * AnonHugePages; the huge zero page not at all. */
			if (pmd && pmd_trans_huge(*pmd) && !is_huge_zero_pmd(mm->node, *pmd)) {
				page = pfn_to_page(mm->node, pmd_pfn(*pmd));
				smaps_account(mss, page, HPAGE_PMD_SIZE, pmd->pmd & _PAGE_ACCESSED,
					      pmd->pmd & _PAGE_DIRTY, locked);
				mss->anonymous_thp += HPAGE_PMD_SIZE;
				if (locked)
					mss->locked += HPAGE_PMD_SIZE;
			}
			/* No PTE table: skip to the next one. */
			addr = (addr | (PMD_SIZE - 1)) + 1 - PAGE_SIZE;
			continue;
		}
		if (is_swap_pte(*pte)) {
			/* Linux's smaps_pte_entry: Swap, and SwapPss shared
			 * by the PTEs holding the entry. */
			int count = swp_swapcount(mm->node, pte_to_swp_entry(*pte));

			mss->swap += PAGE_SIZE;
			if (count >= 2)
				mss->swap_pss += ((uint64_t)PAGE_SIZE << PSS_SHIFT) / (uint64_t)count;
			else
				mss->swap_pss += (uint64_t)PAGE_SIZE << PSS_SHIFT;
			continue;
		}
		if (!pte_present(*pte))
			continue;
		page = pfn_to_page(mm->node, pte_pfn(*pte));
		/* vm_normal_page: the shared zero page is not the mapping's. */
		if (PageFlag(page, PG_zero))
			continue;
		smaps_account(mss, page, PAGE_SIZE, pte_young(*pte), pte_dirty(*pte), locked);
		if (locked)
			mss->locked += PAGE_SIZE;
	}
}

void smaps_rollup(struct mm_struct *mm, struct mem_size_stats *mss)
{
	struct list_head *pos;

	memset(mss, 0, sizeof(*mss));
	list_for_each(pos, &mm->mmap_list)
		smap_gather_stats(list_entry(pos, struct vm_area_struct, vm_list), mss);
}

uint64_t pagemap_entry(struct mm_struct *mm, uint64_t addr, bool show_pfn)
{
	struct pglist_data *node = mm->node;
	struct vm_area_struct *vma = vma_lookup(mm, addr);
	pmd_t *pmd;
	pte_t *pte;
	uint64_t e = 0;

	if (!vma)
		return 0;
	pmd = mm_find_pmd(mm, addr);
	if (pmd && (pmd->pmd & _PAGE_PRESENT) && (pmd->pmd & _PAGE_PSE)) {
		/* A 2 MiB leaf: the frame of this 4 KiB part of it. */
		pfn_t pfn = ((pmd->pmd & PTE_PFN_MASK) >> PAGE_SHIFT) +
			    ((addr & (PMD_SIZE - 1)) >> PAGE_SHIFT);
		struct page *page = pfn_to_page(node, pfn & ~(pfn_t)((PMD_SIZE >> PAGE_SHIFT) - 1));

		e = PM_PRESENT | (show_pfn ? (uint64_t)pfn : 0);
		if (page_mapcount(page) == 1)
			e |= PM_MMAP_EXCLUSIVE;
		return e;
	}
	pte = pte_offset(mm, addr);
	if (!pte || pte_none(*pte))
		return 0;
	if (pte_present(*pte)) {
		pfn_t pfn = pte_pfn(*pte);

		e = PM_PRESENT | (show_pfn ? (uint64_t)pfn : 0);
		if (pfn != node->zero_pfn) {
			struct page *page = pfn_to_page(node, pfn);

			if (!PageFlag(page, PG_anon))
				e |= PM_FILE;
			if (page_mapcount(page) == 1)
				e |= PM_MMAP_EXCLUSIVE;
		}
		return e;
	}
	/* A swap entry: type in bits 0-4, offset above, as Linux encodes it. */
	{
		swp_entry_t entry = pte_to_swp_entry(*pte);

		return PM_SWAP | ((uint64_t)swp_type(entry) & 0x1f) |
		       ((swp_offset(entry) << 5) & PM_PFRAME_MASK);
	}
}
