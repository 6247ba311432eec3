/* madvise(2) and mincore(2): advice applied VMA by VMA over a range, with
 * Linux's errno order, and residency reports from the page tables and the
 * page cache. After Linux's mm/madvise.c and mm/mincore.c. */
#include <errno.h>
#include <stdlib.h>

#include "mm.h"
#include "swap.h"
#include "filemap.h"
#include "shmem.h"
#include "huge_memory.h"

/* The advice values Linux 6.1 (with KSM and THP) accepts; MADV_HWPOISON
 * and MADV_SOFT_OFFLINE need CONFIG_MEMORY_FAILURE and are not offered. */
static bool madvise_behavior_valid(int behavior)
{
	switch (behavior) {
	case MADV_NORMAL: case MADV_RANDOM: case MADV_SEQUENTIAL:
	case MADV_WILLNEED: case MADV_DONTNEED: case MADV_DONTNEED_LOCKED:
	case MADV_FREE: case MADV_REMOVE: case MADV_DONTFORK: case MADV_DOFORK:
	case MADV_COLD: case MADV_PAGEOUT:
	case MADV_POPULATE_READ: case MADV_POPULATE_WRITE:
	case MADV_MERGEABLE: case MADV_UNMERGEABLE:
	case MADV_HUGEPAGE: case MADV_NOHUGEPAGE: case MADV_COLLAPSE:
	case MADV_DONTDUMP: case MADV_DODUMP:
	case MADV_WIPEONFORK: case MADV_KEEPONFORK:
		return true;
	default:
		return false;
	}
}

/* Memory reclaim may touch: not mlocked, not raw PFNs. */
static bool can_madv_lru_vma(const struct vm_area_struct *vma)
{
	return !(vma->vm_flags & (VM_LOCKED | VM_PFNMAP));
}

static uint64_t linear_page_index(const struct vm_area_struct *vma, uint64_t addr)
{
	return vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
}

/* Split or merge so [start, end) carries new_flags. Linux reports a failed
 * split as EAGAIN: kernel resources are only temporarily short. */
static int madvise_update_vma(struct vm_area_struct *vma, uint64_t start, uint64_t end,
			      unsigned long new_flags)
{
	if (new_flags == vma->vm_flags)
		return 0;
	return vma_modify_flags(vma, start, end, new_flags) ? 0 : -EAGAIN;
}

/* File pages are read into the cache without being mapped; anonymous
 * memory and shmem have nothing to read until swap exists (Linux only
 * swaps shmem in: it never allocates holes for the advice). */
static int madvise_willneed(struct vm_area_struct *vma, uint64_t start, uint64_t end)
{
	struct address_space *mapping;

	if (!vma->vm_file)
		return 0;
	mapping = file_mapping(vma->vm_mm->node, vma->vm_file);
	if (!mapping || shmem_mapping(mapping))
		return 0;
	/* Read-ahead is a hint: it stops quietly at EOF or when memory is
	 * short. */
	for (uint64_t addr = start; addr < end; addr += PAGE_SIZE) {
		bool major;
		int err;
		struct page *page = filemap_get_page(mapping, linear_page_index(vma, addr),
						     &major, &err);

		if (!page)
			break;
		put_page(vma->vm_mm->node, page);
	}
	return 0;
}

/*
 * MADV_REMOVE on shmem punches a hole in the file: [first, first + nr) of
 * its pages go, and every mapping of them reads zeroes afterwards. Without
 * a file rmap (i_mmap) only this mm's mappings of the file can be found
 * and unmapped; they are all there is until fork shares files between mms.
 */
static void madvise_remove_shmem(struct mm_struct *mm, struct file *file, uint64_t first,
				 uint64_t nr)
{
	struct vm_area_struct *vma;

	for (vma = find_vma(mm, 0); vma; vma = vma_next(mm, vma)) {
		uint64_t lo = first, hi = first + nr;
		uint64_t vma_first = vma->vm_pgoff, vma_end = vma->vm_pgoff + vma_pages(vma);

		if (vma->vm_file != file)
			continue;
		if (lo < vma_first)
			lo = vma_first;
		if (hi > vma_end)
			hi = vma_end;
		if (lo >= hi)
			continue;
		zap_page_range(vma, vma->vm_start + ((lo - vma_first) << PAGE_SHIFT),
			       vma->vm_start + ((hi - vma_first) << PAGE_SHIFT));
	}
	shmem_truncate_range(file->f_mapping, first, first + nr);
}

/* Linux's madvise_cold_or_pageout_pte_range: pages this mapping alone
 * maps (mapcount 1; the zero page and shmem excepted) go to the tail of
 * the inactive list, or are reclaimed at once for MADV_PAGEOUT. The pages
 * are collected first: reclaim changes the very PTEs being walked. */
struct cold_walk {
	struct pglist_data *node;
	struct page **pages;
	size_t nr, max;
};

static int cold_pte_range(pte_t *pte, uint64_t addr, uint64_t end, void *arg)
{
	struct cold_walk *w = arg;

	for (; addr < end; addr += PAGE_SIZE, pte++) {
		struct page *page;

		if (!pte_present(*pte) || pte_pfn(*pte) == w->node->zero_pfn ||
		    pte_pfn(*pte) >= w->node->node_present_pages)
			continue;
		page = pfn_to_page(w->node, pte_pfn(*pte));
		if (page_mapcount(page) != 1 || !PageFlag(page, PG_lru) ||
		    (PageFlag(page, PG_swapbacked) && !PageFlag(page, PG_anon)))
			continue;
		pte->pte &= ~_PAGE_ACCESSED;
		if (w->nr == w->max) {
			size_t max = w->max ? w->max * 2 : 64;
			struct page **p = realloc(w->pages, max * sizeof(*p));

			if (!p)
				return 1;
			w->pages = p;
			w->max = max;
		}
		get_page(page);
		w->pages[w->nr++] = page;
	}
	return 0;
}

static void madvise_cold_or_pageout(struct vm_area_struct *vma, uint64_t start, uint64_t end,
				    bool pageout)
{
	struct pglist_data *node = vma->vm_mm->node;
	struct cold_walk w = { node, NULL, 0, 0 };

	/* Paging out a THP pages out its 4 KiB pages (Linux splits it);
	 * MADV_COLD leaves THPs be. */
	if (pageout)
		split_huge_pmd_range(vma->vm_mm, start, end, true);
	walk_pte_range(vma->vm_mm, start, end, cold_pte_range, &w);
	/* The Accessed bits were cleared: stale translations would hide
	 * the next use. */
	if (w.nr && node->ops && node->ops->flush_tlb)
		node->ops->flush_tlb(node->host);
	for (size_t i = 0; i < w.nr; i++) {
		struct page *page = w.pages[i];

		if (pageout) {
			/* Our reference would look like a user: drop it
			 * first (the page stays mapped, so it stays). */
			put_page(node, page);
			reclaim_page_now(node, page);
		} else {
			deactivate_page(node, page);
			put_page(node, page);
		}
	}
	free(w.pages);
}

static int madvise_vma(struct vm_area_struct *vma, uint64_t start, uint64_t end,
		       int behavior)
{
	unsigned long new_flags = vma->vm_flags;

	switch (behavior) {
	case MADV_DONTNEED:
		if (!can_madv_lru_vma(vma))
			return -EINVAL;
		zap_page_range(vma, start, end);
		return 0;
	case MADV_DONTNEED_LOCKED:
		if (vma->vm_flags & VM_PFNMAP)
			return -EINVAL;
		zap_page_range(vma, start, end);
		return 0;
	case MADV_FREE:
		if (!can_madv_lru_vma(vma))
			return -EINVAL;
		if (vma->vm_file || (vma->vm_flags & VM_SHARED))
			return -EINVAL;
		/* Lazy free keeps the pages until reclaim wants them, and a
		 * write before then cancels it. Without reclaim the only
		 * correct choice is to free now: reads then see zeroes, which
		 * MADV_FREE allows. */
		zap_page_range(vma, start, end);
		return 0;
	case MADV_REMOVE:
		if (vma->vm_flags & VM_LOCKED)
			return -EINVAL;
		if (!vma->vm_file)
			return -EINVAL;
		if ((vma->vm_flags & (VM_SHARED | VM_WRITE)) != (VM_SHARED | VM_WRITE))
			return -EACCES;
		/* Punching holes in host files is not offered. */
		if (!shmem_mapping(vma->vm_file->f_mapping))
			return -EOPNOTSUPP;
		madvise_remove_shmem(vma->vm_mm, vma->vm_file, linear_page_index(vma, start),
				     (end - start) >> PAGE_SHIFT);
		return 0;
	case MADV_WILLNEED:
		return madvise_willneed(vma, start, end);
	case MADV_COLD:
	case MADV_PAGEOUT:
		if (!can_madv_lru_vma(vma))
			return -EINVAL;
		madvise_cold_or_pageout(vma, start, end, behavior == MADV_PAGEOUT);
		return 0;
	case MADV_POPULATE_READ:
	case MADV_POPULATE_WRITE:
		return (int)faultin_vma_page_range(vma, start, end,
						   behavior == MADV_POPULATE_WRITE);
	case MADV_COLLAPSE: {
		int ret;

		if (vma->vm_file || (vma->vm_flags & (VM_SHARED | VM_NOHUGEPAGE | VM_PFNMAP)) ||
		    !(vma->vm_flags & VM_ACCESS_FLAGS))
			return -EINVAL;
		ret = khugepaged_collapse_range(vma->vm_mm, start, end);
		return ret < 0 ? ret : 0;
	}
	case MADV_MERGEABLE:
	case MADV_UNMERGEABLE:
		/* No KSM: nothing to merge, and no flag to show. */
		return 0;
	case MADV_NORMAL:
		new_flags &= ~(VM_SEQ_READ | VM_RAND_READ);
		break;
	case MADV_SEQUENTIAL:
		new_flags = (new_flags & ~VM_RAND_READ) | VM_SEQ_READ;
		break;
	case MADV_RANDOM:
		new_flags = (new_flags & ~VM_SEQ_READ) | VM_RAND_READ;
		break;
	case MADV_DONTFORK:
		new_flags |= VM_DONTCOPY;
		break;
	case MADV_DOFORK:
		new_flags &= ~VM_DONTCOPY;
		break;
	case MADV_WIPEONFORK:
		if (vma->vm_file || (vma->vm_flags & VM_SHARED))
			return -EINVAL;
		new_flags |= VM_WIPEONFORK;
		break;
	case MADV_KEEPONFORK:
		new_flags &= ~VM_WIPEONFORK;
		break;
	case MADV_DONTDUMP:
		new_flags |= VM_DONTDUMP;
		break;
	case MADV_DODUMP:
		if (new_flags & VM_SPECIAL)
			return -EINVAL;
		new_flags &= ~VM_DONTDUMP;
		break;
	case MADV_HUGEPAGE:
		new_flags = (new_flags & ~VM_NOHUGEPAGE) | VM_HUGEPAGE;
		break;
	case MADV_NOHUGEPAGE:
		new_flags = (new_flags & ~VM_HUGEPAGE) | VM_NOHUGEPAGE;
		break;
	default:
		return -EINVAL;
	}
	if (madvise_update_vma(vma, start, end, new_flags))
		return -EAGAIN;
	/* Linux's hugepage_madvise: khugepaged looks at the mm from now on. */
	if (behavior == MADV_HUGEPAGE && (vma = vma_lookup(vma->vm_mm, start)))
		khugepaged_enter(vma);
	return 0;
}

/*
 * Linux's do_madvise and madvise_walk_vmas: the advice is applied to each
 * mapped part of [start, start + len); a hole makes the result ENOMEM, but
 * only after the parts around it were advised (a hole at the end stops the
 * walk there).
 */
int do_madvise(struct mm_struct *mm, uint64_t start, uint64_t len_in, int behavior)
{
	struct vm_area_struct *vma;
	uint64_t len, end;
	int unmapped_error = 0;

	if (!madvise_behavior_valid(behavior))
		return -EINVAL;
	if (!PAGE_ALIGNED(start))
		return -EINVAL;
	len = PAGE_ALIGN(len_in);
	if (len_in && !len)
		return -EINVAL;
	end = start + len;
	if (end < start)
		return -EINVAL;
	if (end == start)
		return 0;

	vma = find_vma(mm, start);
	for (;;) {
		uint64_t tmp;
		int error;

		if (!vma)
			return -ENOMEM;
		if (start < vma->vm_start) {
			unmapped_error = -ENOMEM;
			start = vma->vm_start;
			if (start >= end)
				break;
		}
		tmp = vma->vm_end < end ? vma->vm_end : end;
		/* vma may be split, merged or freed by the call: only
		 * addresses carry over. */
		error = madvise_vma(vma, start, tmp, behavior);
		if (error)
			return error;
		start = tmp;
		if (start >= end)
			break;
		vma = find_vma(mm, start);
	}
	return unmapped_error;
}

/* ---- mincore ---- */

static uint8_t mincore_page(struct vm_area_struct *vma, uint64_t addr)
{
	struct mm_struct *mm = vma->vm_mm;
	struct address_space *mapping;
	pte_t *pte = pte_offset(mm, addr);

	if (pte && pte_present(*pte))
		return 1;
	if (!pte) {
		pmd_t *pmd = mm_find_pmd(mm, addr);

		if (pmd && (pmd->pmd & _PAGE_PRESENT) && (pmd->pmd & _PAGE_PSE))
			return 1;
	}
	/* A swapped-out page is resident while the swap cache holds it. */
	if (pte && !pte_none(*pte))
		return lookup_swap_cache(mm->node, pte_to_swp_entry(*pte)) ? 1 : 0;
	/* An unmapped page of a file is resident if the cache holds it. */
	if (!vma->vm_file)
		return 0;
	mapping = file_mapping(mm->node, vma->vm_file);
	return mapping && filemap_lookup(mapping, linear_page_index(vma, addr)) ? 1 : 0;
}

int do_mincore(struct mm_struct *mm, uint64_t start, uint64_t len, uint8_t *vec)
{
	uint64_t pages;

	if (start & ~PAGE_MASK)
		return -EINVAL;
	/* Linux's access_ok on the range: outside user space is ENOMEM. */
	if (len > TASK_SIZE || start > TASK_SIZE - len)
		return -ENOMEM;
	pages = (len >> PAGE_SHIFT) + ((len & ~PAGE_MASK) != 0);
	while (pages) {
		struct vm_area_struct *vma = vma_lookup(mm, start);
		uint64_t end;

		if (!vma)
			return -ENOMEM;
		end = vma->vm_end;
		if (end - start > pages << PAGE_SHIFT)
			end = start + (pages << PAGE_SHIFT);
		for (; start < end; start += PAGE_SIZE, pages--)
			*vec++ = mincore_page(vma, start);
	}
	return 0;
}
