/* Reverse mapping: fork families of mms for anon pages, the node's mm list
 * for file pages, and the walks reclaim makes over them (page_referenced,
 * try_to_unmap). After Linux's mm/rmap.c; the design is in rmap.h. */
/*
 * Invariants:
 * - every mm is on node->mmlist from mm_alloc to mmput;
 * - mm->anon_vma, once set, is the family every VMA of the mm with anon
 *   pages points at (vma->anon_vma), and the mm is on its mms list; a
 *   family is freed with its last mm;
 * - a mapped anon page's mapping is its family and its index the linear
 *   index of its address in every VMA mapping it (fork copies addresses,
 *   mremap keeps vm_pgoff), so within one mm it is mapped at most once;
 * - an unmapped page's mapping may point at a family since freed: the
 *   walks only run for mapped pages (page_mapcount > 0).
 */
#include <stdlib.h>

#include "rmap.h"
#include "swap.h"
#include "huge_memory.h"

void mm_rmap_init(struct mm_struct *mm)
{
	INIT_LIST_HEAD(&mm->anon_vma_node);
	list_add_tail(&mm->mmlist, &mm->node->mmlist);
}

static void anon_vma_put(struct mm_struct *mm)
{
	struct anon_vma *av = mm->anon_vma;

	if (!av)
		return;
	list_del(&mm->anon_vma_node);
	INIT_LIST_HEAD(&mm->anon_vma_node);
	mm->anon_vma = NULL;
	if (--av->refcount == 0)
		free(av);
}

void mm_rmap_exit(struct mm_struct *mm)
{
	anon_vma_put(mm);
	list_del(&mm->mmlist);
}

void anon_vma_fork(struct mm_struct *child, struct mm_struct *parent)
{
	if (!parent->anon_vma || child->anon_vma)
		return;
	child->anon_vma = parent->anon_vma;
	child->anon_vma->refcount++;
	list_add_tail(&child->anon_vma_node, &child->anon_vma->mms);
}

struct anon_vma *anon_vma_prepare(struct vm_area_struct *vma)
{
	struct mm_struct *mm = vma->vm_mm;

	if (!mm->anon_vma) {
		struct anon_vma *av = calloc(1, sizeof(*av));

		/* Host memory for 24 bytes; without it the page still gets
		 * mapped, but reclaim cannot find it (it is never unmapped
		 * by reclaim, which is safe). */
		if (!av)
			return NULL;
		av->refcount = 1;
		INIT_LIST_HEAD(&av->mms);
		list_add_tail(&mm->anon_vma_node, &av->mms);
		mm->anon_vma = av;
	}
	vma->anon_vma = mm->anon_vma;
	return mm->anon_vma;
}

/* ---- walking ---- */

/* Where vma maps index, or 0 when its range does not hold it. */
static uint64_t vma_address(const struct vm_area_struct *vma, uint64_t index)
{
	if (index < vma->vm_pgoff || index - vma->vm_pgoff >= vma_pages(vma))
		return 0;
	return vma->vm_start + ((index - vma->vm_pgoff) << PAGE_SHIFT);
}

/* The PTE at addr if it maps pfn; for a THP's head, the PMD leaf at addr
 * (its entry has the PTE's layout: Accessed and Dirty are where a PTE's
 * are, so page_referenced reads it alike). */
static pte_t *page_pte(struct mm_struct *mm, uint64_t addr, pfn_t pfn)
{
	pte_t *pte = pte_offset(mm, addr);
	pmd_t *pmd;

	if (pte && pte_present(*pte) && pte_pfn(*pte) == pfn)
		return pte;
	if (!pte && (pmd = mm_find_pmd(mm, addr)) && pmd_trans_huge(*pmd) && pmd_pfn(*pmd) == pfn)
		return (pte_t *)pmd;
	return NULL;
}

struct walk_state {
	rmap_one_fn fn;
	void *arg;
	int left;           /* mappings not found yet */
	bool stop;
};

static void visit(struct walk_state *w, struct vm_area_struct *vma, uint64_t addr, pte_t *pte)
{
	w->left--;
	if (!w->fn(vma, addr, pte, w->arg))
		w->stop = true;
}

/* One mm of an anon page's family: the VMA at the page's original address
 * first (nearly always the one), then any other whose pgoff range holds
 * the index (a VMA moved by mremap). */
static void rmap_walk_anon_mm(struct mm_struct *mm, struct anon_vma *av, uint64_t index,
			      pfn_t pfn, struct walk_state *w)
{
	struct vm_area_struct *first = NULL, *vma;
	struct list_head *pos;
	uint64_t addr;
	pte_t *pte;

	if (index < (TASK_SIZE >> PAGE_SHIFT)) {
		first = vma_lookup(mm, index << PAGE_SHIFT);
		if (first && first->anon_vma == av && (addr = vma_address(first, index)) &&
		    (pte = page_pte(mm, addr, pfn))) {
			visit(w, first, addr, pte);
			return;
		}
	}
	list_for_each(pos, &mm->mmap_list) {
		vma = list_entry(pos, struct vm_area_struct, vm_list);
		if (vma == first || vma->anon_vma != av)
			continue;
		addr = vma_address(vma, index);
		if (addr && (pte = page_pte(mm, addr, pfn))) {
			visit(w, vma, addr, pte);
			return;
		}
	}
}

void rmap_walk(struct pglist_data *node, struct page *page, rmap_one_fn fn, void *arg)
{
	struct walk_state w = { fn, arg, page_mapcount(page), false };
	pfn_t pfn = page_to_pfn(node, page);
	struct list_head *pos, *vpos;

	if (w.left <= 0 || !page->mapping)
		return;
	if (PageFlag(page, PG_anon)) {
		struct anon_vma *av = page->mapping;

		list_for_each(pos, &av->mms) {
			struct mm_struct *mm = list_entry(pos, struct mm_struct, anon_vma_node);

			rmap_walk_anon_mm(mm, av, page->index, pfn, &w);
			if (w.stop || w.left <= 0)
				return;
		}
		return;
	}
	/* A file page: every VMA of every mm mapping its address_space.
	 * (Linux keeps an i_mmap tree per file; the node's mm list finds the
	 * same VMAs at the cost of looking at the others.) */
	list_for_each(pos, &node->mmlist) {
		struct mm_struct *mm = list_entry(pos, struct mm_struct, mmlist);

		list_for_each(vpos, &mm->mmap_list) {
			struct vm_area_struct *vma = list_entry(vpos, struct vm_area_struct, vm_list);
			uint64_t addr;
			pte_t *pte;

			if (!vma->vm_file || vma->vm_file->f_mapping != page->mapping)
				continue;
			addr = vma_address(vma, page->index);
			if (addr && (pte = page_pte(mm, addr, pfn))) {
				visit(&w, vma, addr, pte);
				if (w.stop || w.left <= 0)
					return;
			}
		}
	}
}

/* ---- page_referenced ---- */

struct referenced_arg {
	int referenced;
	unsigned long vm_flags;
	bool need_flush;
};

static bool page_referenced_one(struct vm_area_struct *vma, uint64_t addr, pte_t *pte,
				void *arg)
{
	struct referenced_arg *ra = arg;

	(void)addr;
	if (vma->vm_flags & VM_LOCKED) {
		ra->vm_flags |= VM_LOCKED;
		return false;
	}
	if (pte_young(*pte)) {
		pte->pte &= ~_PAGE_ACCESSED;
		ra->referenced++;
		ra->vm_flags |= vma->vm_flags;
		ra->need_flush = true;
	}
	return true;
}

int page_referenced(struct pglist_data *node, struct page *page, unsigned long *vm_flags,
		    bool *need_flush)
{
	struct referenced_arg ra = { 0 };

	if (page_mapcount(page) > 0)
		rmap_walk(node, page, page_referenced_one, &ra);
	*vm_flags = ra.vm_flags;
	if (ra.need_flush && need_flush)
		*need_flush = true;
	return ra.referenced;
}

/* ---- page_mkclean ---- */

struct mkclean_arg {
	struct pglist_data *node;
	int cleaned;
};

static bool page_mkclean_one(struct vm_area_struct *vma, uint64_t addr, pte_t *pte, void *arg)
{
	struct mkclean_arg *ma = arg;

	(void)addr;
	if (!(pte->pte & (_PAGE_RW | _PAGE_DIRTY)))
		return true;
	if (pte_dirty(*pte))
		set_page_dirty(ma->node, pfn_to_page(ma->node, pte_pfn(*pte)));
	pte->pte &= ~(uint64_t)(_PAGE_RW | _PAGE_DIRTY);
	ma->cleaned++;
	(void)vma;
	return true;
}

int page_mkclean(struct pglist_data *node, struct page *page)
{
	struct mkclean_arg ma = { node, 0 };

	if (page_mapcount(page) > 0 && page_is_file_cache(page))
		rmap_walk(node, page, page_mkclean_one, &ma);
	return ma.cleaned;
}

/* ---- try_to_unmap ---- */

struct unmap_arg {
	struct pglist_data *node;
	bool failed;
};

static bool try_to_unmap_one(struct vm_area_struct *vma, uint64_t addr, pte_t *pte, void *arg)
{
	struct unmap_arg *ua = arg;
	struct pglist_data *node = ua->node;
	struct mm_struct *mm = vma->vm_mm;
	struct page *page = pfn_to_page(node, pte_pfn(*pte));
	pte_t entry = *pte;

	(void)addr;
	if (vma->vm_flags & VM_LOCKED) {
		ua->failed = true;
		return false;
	}
	if (pte_dirty(entry))
		set_page_dirty(node, page);
	if (PageFlag(page, PG_anon)) {
		swp_entry_t swp = page_swap_entry(page);

		if (!PageFlag(page, PG_swapcache) || swap_duplicate(node, swp)) {
			ua->failed = true;
			return false;
		}
		*pte = swp_entry_to_pte(swp);
		add_mm_counter(mm, MM_SWAPENTS, 1);
	} else {
		pte->pte = 0;
	}
	page_remove_rmap(mm, page);
	put_page(node, page);        /* the PTE's reference */
	return true;
}

bool try_to_unmap(struct pglist_data *node, struct page *page)
{
	struct unmap_arg ua = { node, false };

	/* A THP is split before it is unmapped (reclaim does so). */
	if (PageFlag(page, PG_head))
		return false;
	if (page_mapcount(page) > 0)
		rmap_walk(node, page, try_to_unmap_one, &ua);
	return !ua.failed && page_mapcount(page) == 0;
}
