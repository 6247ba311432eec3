/* khugepaged, after Linux's mm/khugepaged.c: passes the machine runs
 * between time slices collapse 2 MiB ranges of 4 KiB pages (up to
 * max_ptes_none missing) into THPs; MADV_COLLAPSE does so on demand. */
/*
 * A range collapses when every present PTE maps an anon page that this PTE
 * alone maps and references (nothing else could see the copy go stale), it
 * holds no swap entry, and at most max_ptes_none PTEs are empty or map the
 * zero page. The new THP is allocated (compaction may run) before anything
 * changes, the range is checked again, the pages are copied, their PTEs and
 * the PTE table go, the PMD becomes a leaf, and the TLB is flushed before
 * the old pages are freed.
 */
#include <errno.h>

#include "huge_memory.h"
#include "rmap.h"
#include "swap.h"

static void tlb_flush(struct pglist_data *node)
{
	if (node->ops && node->ops->flush_tlb)
		node->ops->flush_tlb(node->host);
}

void khugepaged_enter(struct vm_area_struct *vma)
{
	struct mm_struct *mm = vma->vm_mm;

	if (hugepage_vma_check(vma)) {
		/* New work: the next pass comes soon again (Linux wakes
		 * khugepaged when an mm is registered). */
		mm->khugepaged = true;
		mm->node->khugepaged_sleep = KHUGEPAGED_SLICES;
	}
}

void khugepaged_exit(struct mm_struct *mm)
{
	struct pglist_data *node = mm->node;

	mm->khugepaged = false;
	if (node->khugepaged_mm == mm) {
		node->khugepaged_mm = NULL;
		node->khugepaged_address = 0;
	}
}

bool khugepaged_has_work(const struct pglist_data *node)
{
	const struct list_head *pos;

	if (node->thp_enabled == TRANSPARENT_HUGEPAGE_NEVER)
		return false;
	list_for_each(pos, &node->mmlist)
		if (list_entry(pos, struct mm_struct, mmlist)->khugepaged)
			return true;
	return false;
}

bool khugepaged_tick(struct pglist_data *node)
{
	if (!node->khugepaged_sleep)
		node->khugepaged_sleep = KHUGEPAGED_SLICES;
	if (!node->khugepaged_wake && ++node->khugepaged_ticks >= node->khugepaged_sleep) {
		node->khugepaged_ticks = 0;
		node->khugepaged_wake = khugepaged_has_work(node);
	}
	/* Stopping the CPU for a pass costs the guest (Unicorn's restart),
	 * so only passes soon after new work force one; the others wait for
	 * the machine's next stop (a syscall, another task's turn). */
	return node->khugepaged_wake && node->khugepaged_sleep <= KHUGEPAGED_SLICES_FORCE;
}

/* Linux's hpage_collapse_scan_pmd: may the PTE table below pmd become a
 * THP? */
static bool collapse_scan_pmd(struct mm_struct *mm, pmd_t *pmd, unsigned int max_ptes_none)
{
	struct pglist_data *node = mm->node;
	const pte_t *pte;
	unsigned int none = 0;

	if (!pmd || !pmd_present(*pmd) || pmd_trans_huge(*pmd))
		return false;
	pte = page_address(node, pfn_to_page(node, pmd_pfn(*pmd)));
	for (unsigned int i = 0; i < PTRS_PER_TABLE; i++) {
		const struct page *page;

		if (pte_none(pte[i]) || (pte_present(pte[i]) && pte_pfn(pte[i]) == node->zero_pfn)) {
			if (++none > max_ptes_none)
				return false;
			continue;
		}
		if (!pte_present(pte[i]) || pte_pfn(pte[i]) >= node->node_present_pages)
			return false;
		page = pfn_to_page(node, pte_pfn(pte[i]));
		if (!PageFlag(page, PG_anon) || PageFlag(page, PG_head) ||
		    PageFlag(page, PG_swapcache) || !PageFlag(page, PG_lru) ||
		    page_mapcount(page) != 1 || page_count(page) != 1)
			return false;
	}
	return none < PTRS_PER_TABLE;
}

/* Linux's collapse_huge_page. 1 collapsed, 0 not suitable, -ENOMEM when no
 * THP could be allocated. */
static int collapse_huge_page(struct mm_struct *mm, struct vm_area_struct *vma,
			      uint64_t haddr, unsigned int max_ptes_none)
{
	struct pglist_data *node = mm->node;
	struct page *new, *old[PTRS_PER_TABLE];
	unsigned int nr_old = 0;
	pmd_t *pmd = mm_find_pmd(mm, haddr);
	pte_t *pte;

	if (!collapse_scan_pmd(mm, pmd, max_ptes_none))
		return 0;
	new = alloc_hugepage(node, true);
	if (!new) {
		count_vm_event(node, THP_COLLAPSE_ALLOC_FAILED);
		return -ENOMEM;
	}
	count_vm_event(node, THP_COLLAPSE_ALLOC);
	/* The allocation may have compacted memory, moving these very
	 * pages: look again. */
	pmd = mm_find_pmd(mm, haddr);
	if (!collapse_scan_pmd(mm, pmd, max_ptes_none)) {
		put_page(node, new);
		return 0;
	}
	pte = page_address(node, pfn_to_page(node, pmd_pfn(*pmd)));
	for (unsigned int i = 0; i < PTRS_PER_TABLE; i++) {
		struct page *page;

		if (pte_none(pte[i]) || pte_pfn(pte[i]) == node->zero_pfn) {
			pte[i].pte = 0;
			continue;
		}
		page = pfn_to_page(node, pte_pfn(pte[i]));
		copy_highpage(node, new + i, page);
		pte[i].pte = 0;
		page_remove_rmap(mm, page);
		old[nr_old++] = page;
	}
	pte_free_table(mm, pmd);
	map_new_anon_thp(vma, haddr, pmd, new, vma->vm_flags & VM_WRITE);
	tlb_flush(node);
	for (unsigned int i = 0; i < nr_old; i++)
		put_page(node, old[i]);
	node->khugepaged_pages_collapsed++;
	return 1;
}

/* Collapses what it can of [start, end) of vma; stops at the first range
 * for which no THP could be had. Returns ranges collapsed or -ENOMEM. */
static int collapse_vma_range(struct mm_struct *mm, struct vm_area_struct *vma, uint64_t start,
			      uint64_t end, unsigned int max_ptes_none, unsigned int *budget)
{
	uint64_t haddr = (start + HPAGE_PMD_SIZE - 1) & HPAGE_PMD_MASK;
	int collapsed = 0;

	if (vma->vm_start > haddr)
		haddr = (vma->vm_start + HPAGE_PMD_SIZE - 1) & HPAGE_PMD_MASK;
	if (end > vma->vm_end)
		end = vma->vm_end;
	for (; haddr + HPAGE_PMD_SIZE <= end; haddr += HPAGE_PMD_SIZE) {
		int ret;

		if (budget) {
			if (!*budget)
				break;
			*budget = *budget > PTRS_PER_TABLE ? *budget - PTRS_PER_TABLE : 0;
			mm->node->khugepaged_address = haddr + HPAGE_PMD_SIZE;
		}
		ret = collapse_huge_page(mm, vma, haddr, max_ptes_none);
		if (ret < 0)
			return collapsed ? collapsed : ret;
		collapsed += ret;
	}
	return collapsed;
}

/* The registered mm after mm in the node's list, or the first one. */
static struct mm_struct *next_khugepaged_mm(struct pglist_data *node, struct mm_struct *mm)
{
	struct list_head *pos = mm ? mm->mmlist.next : node->mmlist.next;

	for (; pos != &node->mmlist; pos = pos->next) {
		struct mm_struct *next = list_entry(pos, struct mm_struct, mmlist);

		if (next->khugepaged)
			return next;
	}
	return NULL;
}

unsigned int khugepaged_scan(struct pglist_data *node)
{
	unsigned int budget = node->khugepaged_pages_to_scan, collapsed = 0;
	struct mm_struct *mm = node->khugepaged_mm;

	node->khugepaged_wake = false;
	if (node->thp_enabled == TRANSPARENT_HUGEPAGE_NEVER)
		return 0;
	if (!mm) {
		mm = next_khugepaged_mm(node, NULL);
		node->khugepaged_address = 0;
	}
	while (mm && budget) {
		struct vm_area_struct *vma;
		bool oom = false;

		for (vma = find_vma(mm, node->khugepaged_address); vma && budget;
		     vma = vma_next(mm, vma)) {
			int ret;

			if (!hugepage_vma_check(vma))
				continue;
			ret = collapse_vma_range(mm, vma, node->khugepaged_address > vma->vm_start ?
						 node->khugepaged_address : vma->vm_start,
						 vma->vm_end, node->khugepaged_max_ptes_none, &budget);
			if (ret < 0) {
				oom = true;
				break;
			}
			collapsed += (unsigned int)ret;
		}
		if (oom || !budget)
			break;          /* resume here next time */
		mm = next_khugepaged_mm(node, mm);
		node->khugepaged_address = 0;
		if (!mm)
			node->khugepaged_full_scans++;
	}
	node->khugepaged_mm = mm;
	/* A pass that found nothing sleeps twice as long before the next. */
	if (collapsed)
		node->khugepaged_sleep = KHUGEPAGED_SLICES;
	else if (node->khugepaged_sleep < KHUGEPAGED_SLICES_MAX)
		node->khugepaged_sleep = node->khugepaged_sleep ? 2 * node->khugepaged_sleep :
					 KHUGEPAGED_SLICES;
	return collapsed;
}

int khugepaged_collapse_range(struct mm_struct *mm, uint64_t start, uint64_t end)
{
	struct vm_area_struct *vma = vma_lookup(mm, start);

	if (!vma)
		return -ENOMEM;
	/* MADV_COLLAPSE fills any number of holes (Linux ignores
	 * max_ptes_none for it). */
	return collapse_vma_range(mm, vma, start & HPAGE_PMD_MASK, end, PTRS_PER_TABLE - 1, NULL);
}
