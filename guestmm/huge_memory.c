/* Anonymous THPs, after Linux's mm/huge_memory.c: the THP fault and the
 * huge zero page, huge COW, unmapping, fork, and splitting a THP back into
 * 4 KiB pages (the rules a THP follows are in huge_memory.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "huge_memory.h"
#include "rmap.h"
#include "swap.h"

static void tlb_flush(struct pglist_data *node)
{
	if (node->ops && node->ops->flush_tlb)
		node->ops->flush_tlb(node->host);
}

struct page *compound_head_of(struct pglist_data *node, pfn_t pfn)
{
	for (unsigned int o = 1; o <= MAX_ORDER; o++) {
		pfn_t head = pfn & ~((1UL << o) - 1);
		struct page *page = pfn_to_page(node, head);

		if (PageFlag(page, PG_head) && page->private >= o)
			return page;
	}
	return NULL;
}

/* ---- which VMAs may have THPs ---- */

static bool vma_thp_allowed(const struct vm_area_struct *vma)
{
	unsigned long flags = vma->vm_flags;

	/* Anonymous private memory only (shmem and file THPs are not
	 * offered); stacks grow a page at a time and keep 4 KiB pages. */
	if (vma->vm_file || (flags & (VM_SHARED | VM_PFNMAP | VM_NOHUGEPAGE | VM_GROWSDOWN)) ||
	    !(flags & VM_ACCESS_FLAGS))
		return false;
	switch (vma->vm_mm->node->thp_enabled) {
	case TRANSPARENT_HUGEPAGE_ALWAYS:
		return true;
	case TRANSPARENT_HUGEPAGE_MADVISE:
		return flags & VM_HUGEPAGE;
	default:
		return false;
	}
}

bool transhuge_vma_suitable(struct vm_area_struct *vma, uint64_t haddr)
{
	return vma_thp_allowed(vma) && haddr >= vma->vm_start &&
	       haddr + HPAGE_PMD_SIZE <= vma->vm_end;
}

bool hugepage_vma_check(struct vm_area_struct *vma)
{
	uint64_t hstart = (vma->vm_start + HPAGE_PMD_SIZE - 1) & HPAGE_PMD_MASK;

	return vma_thp_allowed(vma) && hstart + HPAGE_PMD_SIZE <= vma->vm_end;
}

/* ---- mapping a THP ---- */

static pteval_t huge_pmd_prot(const struct vm_area_struct *vma, bool writable)
{
	pteval_t prot = vm_get_page_prot(vma->vm_flags) | _PAGE_PSE;

	if (writable)
		prot |= _PAGE_RW | _PAGE_DIRTY;
	return prot;
}

struct page *alloc_hugepage(struct pglist_data *node, bool zero)
{
	gfp_t gfp = __GFP_COMP | __GFP_NOWARN | __GFP_NORETRY | (zero ? __GFP_ZERO : 0);

	return alloc_pages(node, gfp, HPAGE_PMD_ORDER);
}

void map_new_anon_thp(struct vm_area_struct *vma, uint64_t haddr, pmd_t *pmd,
		      struct page *head, bool writable)
{
	struct mm_struct *mm = vma->vm_mm;
	struct pglist_data *node = mm->node;

	SetPageFlag(head, PG_anon);
	SetPageFlag(head, PG_swapbacked);
	head->mapping = vma->anon_vma ? vma->anon_vma : anon_vma_prepare(vma);
	head->index = vma->vm_pgoff + ((haddr - vma->vm_start) >> PAGE_SHIFT);
	head->_mapcount = 0;
	mod_node_page_state(node, NR_ANON_MAPPED, HPAGE_PMD_NR);
	mod_node_page_state(node, NR_ANON_THPS, 1);
	add_mm_counter(mm, MM_ANONPAGES, HPAGE_PMD_NR);
	lru_cache_add(node, head);
	pmd->pmd = ((pteval_t)page_to_pfn(node, head) << PAGE_SHIFT) | huge_pmd_prot(vma, writable);
}

/* One PMD mapping of a THP goes (the leaf's reference is the caller's). */
static void huge_page_remove_rmap(struct mm_struct *mm, struct page *head)
{
	struct pglist_data *node = mm->node;

	add_mm_counter(mm, MM_ANONPAGES, -(long)HPAGE_PMD_NR);
	if (--head->_mapcount != -1)
		return;
	mod_node_page_state(node, NR_ANON_MAPPED, -(long)HPAGE_PMD_NR);
	mod_node_page_state(node, NR_ANON_THPS, -1);
}

/* The huge zero page, made on first use (Linux's mm_get_huge_zero_page);
 * reclaim frees it while no leaf maps it (shrink_huge_zero_page). */
static pfn_t get_huge_zero_page(struct pglist_data *node)
{
	struct page *page;

	if (node->huge_zero_pfn)
		return node->huge_zero_pfn;
	page = alloc_hugepage(node, true);
	if (!page) {
		count_vm_event(node, THP_ZERO_PAGE_ALLOC_FAILED);
		return 0;
	}
	node->huge_zero_pfn = page_to_pfn(node, page);
	count_vm_event(node, THP_ZERO_PAGE_ALLOC);
	return node->huge_zero_pfn;
}

vm_fault_t do_huge_pmd_anonymous_page(struct vm_area_struct *vma, uint64_t haddr,
				      pmd_t *pmd, unsigned int flags)
{
	struct pglist_data *node = vma->vm_mm->node;
	struct page *page;

	if (!vma->vm_mm->khugepaged)
		khugepaged_enter(vma);
	if (!(flags & FAULT_FLAG_WRITE)) {
		pfn_t zero = get_huge_zero_page(node);

		if (zero && pmd_none(*pmd)) {
			pmd->pmd = ((pteval_t)zero << PAGE_SHIFT) | huge_pmd_prot(vma, false);
			node->huge_zero_mappings++;
			return 0;
		}
		if (!zero) {
			count_vm_event(node, THP_FAULT_FALLBACK);
			return VM_FAULT_FALLBACK;
		}
		return 0;
	}
	page = alloc_hugepage(node, true);
	if (!page) {
		count_vm_event(node, THP_FAULT_FALLBACK);
		return VM_FAULT_FALLBACK;
	}
	/* Compaction in the allocation moves PTEs, never PMD leaves; still,
	 * look again as every fault path does after allocating. */
	if (!pmd_none(*pmd)) {
		put_page(node, page);
		return 0;
	}
	map_new_anon_thp(vma, haddr, pmd, page, true);
	count_vm_event(node, THP_FAULT_ALLOC);
	return 0;
}

/* A huge zero page leaf becomes a PTE table of 4 KiB zero pages. */
static int split_huge_zero_pmd(struct mm_struct *mm, pmd_t *pmd)
{
	struct pglist_data *node = mm->node;
	pmd_t old = *pmd;
	struct page *table;
	pteval_t *pt, flags;
	bool nested = node->in_reclaim;

	/* The table comes from the reserves, without reclaim: a split is
	 * what reclaim itself may be doing (Linux deposits one instead). */
	node->in_reclaim = true;
	table = pte_alloc_one(mm);
	node->in_reclaim = nested;
	if (!table)
		return -ENOMEM;
	if (pmd->pmd != old.pmd) {
		pte_free_one(mm, table);
		return 0;
	}
	pt = page_address(node, table);
	flags = old.pmd & ~PTE_PFN_MASK & ~(_PAGE_PSE | _PAGE_RW | _PAGE_DIRTY);
	for (unsigned int i = 0; i < PTRS_PER_TABLE; i++)
		pt[i] = ((pteval_t)node->zero_pfn << PAGE_SHIFT) | flags;
	pmd->pmd = ((pteval_t)page_to_pfn(node, table) << PAGE_SHIFT) | _PAGE_TABLE;
	node->huge_zero_mappings--;
	count_vm_event(node, THP_SPLIT_PMD);
	return 0;
}

/*
 * A write to a read-only PMD leaf in a writable VMA. The huge zero page is
 * replaced by a new zeroed THP; a THP only this leaf maps and references is
 * reused; a THP shared after fork is copied whole when an order-9 block is
 * to be had, and split otherwise, the caller then copying the one 4 KiB
 * page written. Every change of the frame behind the leaf flushes the TLB:
 * it may hold translations of any of the 512 pages, not only this one.
 */
vm_fault_t do_huge_pmd_wp_page(struct vm_area_struct *vma, uint64_t haddr, pmd_t *pmd,
			       unsigned int flags)
{
	struct mm_struct *mm = vma->vm_mm;
	struct pglist_data *node = mm->node;
	pmd_t orig = *pmd;
	struct page *head, *page;

	(void)flags;
	if (is_huge_zero_pmd(node, orig)) {
		page = alloc_hugepage(node, true);
		if (page && pmd->pmd != orig.pmd) {
			put_page(node, page);
			return 0;
		}
		if (!page) {
			count_vm_event(node, THP_FAULT_FALLBACK);
			return split_huge_zero_pmd(mm, pmd) ? VM_FAULT_OOM : VM_FAULT_FALLBACK;
		}
		map_new_anon_thp(vma, haddr, pmd, page, true);
		node->huge_zero_mappings--;
		tlb_flush(node);
		count_vm_event(node, THP_FAULT_ALLOC);
		return 0;
	}

	head = pfn_to_page(node, pmd_pfn(orig));
	if (page_mapcount(head) == 1 && page_count(head) == 1) {
		pmd->pmd = orig.pmd | _PAGE_RW | _PAGE_DIRTY;
		return 0;
	}
	get_page(head);
	page = alloc_hugepage(node, false);
	if (pmd->pmd != orig.pmd) {
		if (page)
			put_page(node, page);
		put_page(node, head);
		return 0;
	}
	if (!page) {
		put_page(node, head);
		count_vm_event(node, THP_FAULT_FALLBACK);
		return split_huge_page(node, head, 0) ? VM_FAULT_OOM : VM_FAULT_FALLBACK;
	}
	for (unsigned int i = 0; i < HPAGE_PMD_NR; i++)
		flush_icache_page(node, page + i);
	memcpy(page_address(node, page), page_address(node, head), HPAGE_PMD_SIZE);
	map_new_anon_thp(vma, haddr, pmd, page, true);
	tlb_flush(node);
	huge_page_remove_rmap(mm, head);
	put_page(node, head);           /* the old leaf's reference */
	put_page(node, head);           /* ours */
	count_vm_event(node, THP_FAULT_ALLOC);
	count_vm_event(node, COW_FAULT);
	return 0;
}

/* ---- splitting ---- */

struct pmd_mapping {
	struct mm_struct *mm;
	pmd_t *pmd;
};

struct collect_arg {
	struct pmd_mapping *maps;
	int nr, max;
};

static bool collect_pmd_mapping(struct vm_area_struct *vma, uint64_t addr, pte_t *pte,
				void *arg)
{
	struct collect_arg *c = arg;

	(void)addr;
	if (c->nr == c->max)
		return false;
	c->maps[c->nr++] = (struct pmd_mapping){ vma->vm_mm, (pmd_t *)pte };
	return true;
}

/* The flags a PTE of a split leaf keeps: all but PSE (bit 7 of a PTE is
 * PAT) and the frame. */
static pteval_t pmd_flags_to_pte(pteval_t pmd)
{
	return pmd & ~PTE_PFN_MASK & ~_PAGE_PSE;
}

int split_huge_page(struct pglist_data *node, struct page *head, int extra)
{
	pfn_t head_pfn = page_to_pfn(node, head);
	int nr_maps = page_mapcount(head);
	struct collect_arg c = { NULL, 0, nr_maps };
	struct page **tables = NULL;
	uint32_t keep;
	bool lru, nested;
	int err = 0;

	if (!PageFlag(head, PG_head))
		return 0;
	if (!nr_maps || page_count(head) != nr_maps + extra || PageFlag(head, PG_swapcache))
		return -EBUSY;
	if (nr_maps) {
		c.maps = calloc((size_t)nr_maps, sizeof(*c.maps));
		tables = calloc((size_t)nr_maps, sizeof(*tables));
		if (!c.maps || !tables) {
			err = -ENOMEM;
			goto out;
		}
		rmap_walk(node, head, collect_pmd_mapping, &c);
		if (c.nr != nr_maps) {
			err = -EBUSY;
			goto out;
		}
		/* Every table first, from the reserves and without reclaim
		 * (which might want to split this very page), so that the
		 * split itself cannot fail half way. */
		nested = node->in_reclaim;
		node->in_reclaim = true;
		for (int i = 0; i < nr_maps && !err; i++) {
			tables[i] = pte_alloc_one(c.maps[i].mm);
			if (!tables[i])
				err = -ENOMEM;
		}
		node->in_reclaim = nested;
		if (err) {
			for (int i = 0; i < nr_maps; i++)
				if (tables[i])
					pte_free_one(c.maps[i].mm, tables[i]);
			goto out;
		}
	}

	for (int i = 0; i < nr_maps; i++) {
		pteval_t *pt = page_address(node, tables[i]);
		pteval_t flags = pmd_flags_to_pte(c.maps[i].pmd->pmd);

		for (unsigned int j = 0; j < PTRS_PER_TABLE; j++)
			pt[j] = ((pteval_t)(head_pfn + j) << PAGE_SHIFT) | flags;
		c.maps[i].pmd->pmd = ((pteval_t)page_to_pfn(node, tables[i]) << PAGE_SHIFT) |
				     _PAGE_TABLE;
		count_vm_event(node, THP_SPLIT_PMD);
	}

	/* The compound page becomes 512 pages, each mapped where the leaves
	 * were, each with a reference per mapping; the head keeps the
	 * caller's extra ones. The LRU counted the head as 512 pages. */
	lru = PageFlag(head, PG_lru);
	if (lru)
		del_page_from_lru(node, head);
	ClearPageFlag(head, PG_head);
	head->private = 0;
	keep = head->flags & ((1u << PG_anon) | (1u << PG_swapbacked) | (1u << PG_dirty) |
			      (1u << PG_active) | (1u << PG_referenced) | (1u << PG_uptodate));
	for (unsigned int j = 1; j < HPAGE_PMD_NR; j++) {
		struct page *p = head + j;

		p->flags = keep | (p->flags & (1u << PG_exec));
		p->mapping = head->mapping;
		p->index = head->index + j;
		p->_mapcount = head->_mapcount;
		p->_refcount = nr_maps;
		INIT_LIST_HEAD(&p->lru);
		if (nr_maps)
			lru_cache_add(node, p);
	}
	if (lru)
		lru_cache_add(node, head);
	if (nr_maps)
		mod_node_page_state(node, NR_ANON_THPS, -1);
	count_vm_event(node, THP_SPLIT_PAGE);
out:
	free(c.maps);
	free(tables);
	return err;
}

struct split_range {
	struct mm_struct *mm;
	uint64_t start, end;
	bool all;
	int err;
};

static int split_leaf(pmd_t *pmd, uint64_t haddr, void *arg)
{
	struct split_range *s = arg;
	struct pglist_data *node = s->mm->node;

	if (!s->all && haddr >= s->start && haddr + HPAGE_PMD_SIZE <= s->end)
		return 0;
	if (is_huge_zero_pmd(node, *pmd))
		s->err = split_huge_zero_pmd(s->mm, pmd);
	else
		s->err = split_huge_page(node, pfn_to_page(node, pmd_pfn(*pmd)), 0);
	return s->err;
}

int split_huge_pmd_range(struct mm_struct *mm, uint64_t start, uint64_t end, bool all)
{
	struct split_range s = { mm, start, end, all, 0 };

	if (start >= end)
		return 0;
	walk_pmd_leaves(mm, start & HPAGE_PMD_MASK,
			((end - 1) & HPAGE_PMD_MASK) + HPAGE_PMD_SIZE, split_leaf, &s);
	return s.err;
}

int vma_adjust_trans_huge(struct vm_area_struct *vma, uint64_t start, uint64_t end)
{
	uint64_t bounds[2] = { start, end };

	for (int i = 0; i < 2; i++) {
		uint64_t b = bounds[i], haddr = b & HPAGE_PMD_MASK;
		int err;

		if (!(b & ~HPAGE_PMD_MASK) || b <= vma->vm_start || b >= vma->vm_end)
			continue;
		err = split_huge_pmd_range(vma->vm_mm, haddr, haddr + HPAGE_PMD_SIZE, true);
		if (err)
			return err;
	}
	return 0;
}

/* ---- unmapping and fork ---- */

struct page *zap_huge_pmd(struct mm_struct *mm, pmd_t *pmd)
{
	struct pglist_data *node = mm->node;
	pmd_t old = *pmd;
	struct page *head;

	pmd->pmd = 0;
	if (is_huge_zero_pmd(node, old)) {
		node->huge_zero_mappings--;
		return NULL;
	}
	head = pfn_to_page(node, pmd_pfn(old));
	huge_page_remove_rmap(mm, head);
	return head;
}

int copy_huge_pmd(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma,
		  uint64_t addr, pmd_t *src_pmd, bool *wrprotected)
{
	struct mm_struct *dst = dst_vma->vm_mm;
	struct pglist_data *node = dst->node;
	pmd_t *dst_pmd = pmd_alloc(dst, addr);
	struct page *head;

	(void)src_vma;
	if (!dst_pmd)
		return -ENOMEM;
	/* pmd_alloc may have reclaimed, which splits THPs: the caller then
	 * copies PTEs instead. */
	if (!pmd_trans_huge(*src_pmd))
		return -EAGAIN;
	if (is_huge_zero_pmd(node, *src_pmd)) {
		dst_pmd->pmd = src_pmd->pmd & ~_PAGE_ACCESSED;
		node->huge_zero_mappings++;
		return 0;
	}
	head = pfn_to_page(node, pmd_pfn(*src_pmd));
	if (src_pmd->pmd & _PAGE_RW) {
		src_pmd->pmd &= ~_PAGE_RW;
		*wrprotected = true;
	}
	dst_pmd->pmd = src_pmd->pmd & ~_PAGE_ACCESSED;
	get_page(head);
	head->_mapcount++;
	add_mm_counter(dst, MM_ANONPAGES, HPAGE_PMD_NR);
	return 0;
}

unsigned long shrink_huge_zero_page(struct pglist_data *node)
{
	if (!node->huge_zero_pfn || node->huge_zero_mappings)
		return 0;
	put_page(node, pfn_to_page(node, node->huge_zero_pfn));
	node->huge_zero_pfn = 0;
	return HPAGE_PMD_NR;
}
