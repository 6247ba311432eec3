/* mremap(2), after Linux's mm/mremap.c: shrinking in place, growing in place
 * when the space after is free, and moving a mapping by moving its page-table
 * entries (the frames stay where they are; nothing is copied). */
#include <errno.h>

#include "mm.h"
#include "huge_memory.h"

/*
 * A move keeps vm_pgoff of the moved range, so file offsets and the index of
 * each anon page stay right. An anonymous private VMA without anon pages
 * gets vm_pgoff from its new address instead (Linux does so when the VMA has
 * no anon_vma yet), which lets it merge at its destination.
 *
 * Page tables: PTEs are moved one by one into tables allocated at the new
 * address; the old tables stay until the old range is unmapped, so a move
 * that runs out of memory half way can always be moved back. A THP leaf
 * moves whole when both addresses are 2 MiB aligned and the range covers
 * it (Linux's move_huge_pmd); otherwise it is split and moves as PTEs.
 */

static void flush_tlb(struct mm_struct *mm)
{
	const struct mm_host_ops *ops = mm->node->ops;

	if (ops && ops->flush_tlb)
		ops->flush_tlb(mm->node->host);
}

/* Linux's anon_vma test: does the VMA hold a page a fault made for it (an
 * anon page, or a swap entry)? The zero page does not count. */
static int pte_has_anon(pte_t *pte, uint64_t addr, uint64_t end, void *arg)
{
	struct pglist_data *node = arg;

	for (; addr < end; addr += PAGE_SIZE, pte++) {
		if (pte_none(*pte))
			continue;
		if (!pte_present(*pte))
			return 1;
		if (pte_pfn(*pte) < node->node_present_pages &&
		    PageFlag(pfn_to_page(node, pte_pfn(*pte)), PG_anon))
			return 1;
	}
	return 0;
}

static bool vma_has_anon_pages(struct vm_area_struct *vma)
{
	struct mm_struct *mm = vma->vm_mm;

	return vma->anon_vma ||
	       walk_pte_range(mm, vma->vm_start, vma->vm_end, pte_has_anon, mm->node) != 0;
}

/* Moves the PTEs of [old_addr, old_addr + len) to new_addr. Returns how many
 * bytes were handled; less than len when a table could not be allocated. */
static uint64_t move_page_tables(struct mm_struct *mm, uint64_t old_addr, uint64_t new_addr,
				 uint64_t len)
{
	uint64_t off = 0;
	bool moved = false;

	while (off < len) {
		uint64_t from = old_addr + off, to = new_addr + off;
		pte_t *src = pte_offset(mm, from), *dst;
		pmd_t *spmd = src ? NULL : mm_find_pmd(mm, from);

		if (spmd && pmd_trans_huge(*spmd)) {
			/* Linux's move_huge_pmd: a leaf that moves whole to an
			 * aligned, empty slot goes as one entry (the page's
			 * index, from vm_pgoff, stays right); any other is
			 * split and moves as PTEs. */
			pmd_t *dpmd = NULL;

			if (!(from & ~PMD_MASK) && !(to & ~PMD_MASK) && len - off >= PMD_SIZE)
				dpmd = pmd_alloc(mm, to);
			if (dpmd && pmd_none(*dpmd) && pmd_trans_huge(*spmd)) {
				*dpmd = *spmd;
				spmd->pmd = 0;
				moved = true;
				off += PMD_SIZE;
				continue;
			}
			if (pmd_trans_huge(*spmd) &&
			    split_huge_pmd_range(mm, from & PMD_MASK, (from & PMD_MASK) + PMD_SIZE, true))
				break;
			continue;
		}
		if (!src) {
			/* No table here: skip to the next 2 MiB boundary. */
			uint64_t next = ((old_addr + off) & PMD_MASK) + PMD_SIZE;

			off = next - old_addr;
			continue;
		}
		if (!pte_none(*src)) {
			dst = pte_alloc(mm, new_addr + off);
			if (!dst)
				break;
			*dst = *src;
			src->pte = 0;
			moved = true;
		}
		off += PAGE_SIZE;
	}
	/* The old addresses may still be cached in the TLB. */
	if (moved)
		flush_tlb(mm);
	return off < len ? off : len;
}

/* Linux's copy_vma: a VMA for [addr, addr + len) like vma, merged with its
 * new neighbours when possible. vma may be freed by the merge. */
static struct vm_area_struct *copy_vma(struct vm_area_struct *vma, uint64_t addr,
				       uint64_t len, uint64_t pgoff)
{
	struct mm_struct *mm = vma->vm_mm;
	struct vm_area_struct *prev, *next, *new_vma;

	if (!vma->vm_file && !(vma->vm_flags & VM_SHARED) && !vma_has_anon_pages(vma))
		pgoff = addr >> PAGE_SHIFT;

	/* The range is free (unmapped or just found free): prev is the VMA
	 * below the first one above it, or the last VMA. */
	next = find_vma(mm, addr);
	if (next)
		prev = vma_prev(mm, next);
	else if (!list_empty(&mm->mmap_list))
		prev = list_last_entry(&mm->mmap_list, struct vm_area_struct, vm_list);
	else
		prev = NULL;
	new_vma = vma_merge(mm, prev, addr, addr + len, vma->vm_flags, vma->anon_vma,
			    vma->vm_file, pgoff, vma->vm_name);
	if (new_vma)
		return new_vma;

	new_vma = vm_area_dup(vma);
	if (!new_vma)
		return NULL;
	new_vma->vm_start = addr;
	new_vma->vm_end = addr + len;
	new_vma->vm_pgoff = pgoff;
	vma_link(mm, new_vma);
	return new_vma;
}

/* Linux's move_vma. *locked is set when the new range should be populated
 * because the mapping is locked. */
static int64_t move_vma(struct vm_area_struct *vma, uint64_t old_addr, uint64_t old_len,
			uint64_t new_len, uint64_t new_addr, int flags, bool *locked)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned long vm_flags = vma->vm_flags;
	uint64_t new_pgoff = vma->vm_pgoff + ((old_addr - vma->vm_start) >> PAGE_SHIFT);
	struct vm_area_struct *new_vma, *old;
	uint64_t moved_len;
	int64_t ret = (int64_t)new_addr;

	/* munmap below may split a VMA into three; keep room for it. */
	if (mm->map_count >= DEFAULT_MAX_MAP_COUNT - 3)
		return -ENOMEM;

	new_vma = copy_vma(vma, new_addr, new_len, new_pgoff);
	if (!new_vma)
		return -ENOMEM;
	vma = NULL;	/* may have been merged away */

	moved_len = move_page_tables(mm, old_addr, new_addr, old_len);
	if (moved_len < old_len) {
		/* Put back what moved and unmap the new range instead; the old
		 * tables still exist, so this cannot fail. */
		move_page_tables(mm, new_addr, old_addr, moved_len);
		old_addr = new_addr;
		old_len = new_len;
		ret = -ENOMEM;
	}

	/* do_munmap below takes old_len off again. */
	vm_stat_account(mm, vm_flags, (long)(new_len >> PAGE_SHIFT));

	if (ret >= 0 && (flags & MREMAP_DONTUNMAP)) {
		/* The old VMA stays, empty and unlocked; locked_vm is left
		 * alone as Linux does. */
		old = vma_lookup(mm, old_addr);
		if (old)
			old->vm_flags &= ~VM_LOCKED_MASK;
		return ret;
	}

	do_munmap(mm, old_addr, old_len);

	if (vm_flags & VM_LOCKED) {
		mm->locked_vm += (long)(new_len >> PAGE_SHIFT);
		*locked = true;
	}
	return ret;
}

/* Linux's vma_to_resize: the VMA at addr, if [addr, addr + old_len) may
 * become new_len long. */
static struct vm_area_struct *vma_to_resize(struct mm_struct *mm, uint64_t addr,
					    uint64_t old_len, uint64_t new_len, int flags,
					    int *err)
{
	struct vm_area_struct *vma = vma_lookup(mm, addr);
	uint64_t pgoff;

	*err = -EFAULT;
	if (!vma)
		return NULL;
	/* old_len 0 duplicates a shared mapping; for a private one it would
	 * make an unrelated new mapping. */
	*err = -EINVAL;
	if (!old_len && !(vma->vm_flags & (VM_SHARED | VM_MAYSHARE)))
		return NULL;
	if ((flags & MREMAP_DONTUNMAP) && (vma->vm_flags & (VM_DONTEXPAND | VM_PFNMAP)))
		return NULL;
	*err = -EFAULT;
	if (old_len > vma->vm_end - addr)
		return NULL;
	*err = 0;
	if (new_len == old_len)
		return vma;

	pgoff = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
	*err = -EINVAL;
	if (pgoff + (new_len >> PAGE_SHIFT) < pgoff)
		return NULL;
	*err = -EFAULT;
	if (vma->vm_flags & (VM_DONTEXPAND | VM_PFNMAP))
		return NULL;
	*err = 0;
	return vma;
}

static bool vma_expandable(struct vm_area_struct *vma, uint64_t delta)
{
	struct mm_struct *mm = vma->vm_mm;
	uint64_t end = vma->vm_end + delta;

	if (end < vma->vm_end)
		return false;
	if (find_vma_intersection(mm, vma->vm_end, end))
		return false;
	return get_unmapped_area(mm, NULL, vma->vm_start, end - vma->vm_start, 0, MAP_FIXED) >= 0;
}

static int64_t mremap_to(struct mm_struct *mm, uint64_t addr, uint64_t old_len,
			 uint64_t new_addr, uint64_t new_len, int flags, bool *locked)
{
	struct vm_area_struct *vma;
	int map_flags = 0, err;
	int64_t ret;

	if (!PAGE_ALIGNED(new_addr))
		return -EINVAL;
	if (new_len > TASK_SIZE || new_addr > TASK_SIZE - new_len)
		return -EINVAL;
	/* The old and new ranges must not overlap. */
	if (addr + old_len > new_addr && new_addr + new_len > addr)
		return -EINVAL;
	/* Both ranges may split a VMA in three before anything moves; fail
	 * now rather than half way. */
	if (mm->map_count + 2 >= DEFAULT_MAX_MAP_COUNT - 3)
		return -ENOMEM;

	if (flags & MREMAP_FIXED) {
		err = do_munmap(mm, new_addr, new_len);
		if (err)
			return err;
	}
	if (old_len > new_len) {
		err = do_munmap(mm, addr + new_len, old_len - new_len);
		if (err)
			return err;
		old_len = new_len;
	}

	vma = vma_to_resize(mm, addr, old_len, new_len, flags, &err);
	if (!vma)
		return err;

	if (flags & MREMAP_FIXED)
		map_flags |= MAP_FIXED;
	if (vma->vm_flags & VM_MAYSHARE)
		map_flags |= MAP_SHARED;
	ret = get_unmapped_area(mm, vma->vm_file, new_addr, new_len,
				vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT), map_flags);
	if (ret < 0)
		return ret;
	if (!(flags & MREMAP_FIXED))
		new_addr = (uint64_t)ret;
	return move_vma(vma, addr, old_len, new_len, new_addr, flags, locked);
}

int64_t do_mremap(struct mm_struct *mm, uint64_t addr, uint64_t old_len,
		  uint64_t new_len, int flags, uint64_t new_addr)
{
	struct vm_area_struct *vma;
	bool locked = false;
	int64_t ret;
	int err;

	if (flags & ~(MREMAP_FIXED | MREMAP_MAYMOVE | MREMAP_DONTUNMAP))
		return -EINVAL;
	if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE))
		return -EINVAL;
	/* DONTUNMAP always moves, and cannot resize. */
	if ((flags & MREMAP_DONTUNMAP) && (!(flags & MREMAP_MAYMOVE) || old_len != new_len))
		return -EINVAL;
	if (!PAGE_ALIGNED(addr))
		return -EINVAL;
	old_len = PAGE_ALIGN(old_len);
	new_len = PAGE_ALIGN(new_len);
	if (!new_len)
		return -EINVAL;

	vma = vma_lookup(mm, addr);
	if (!vma)
		return -EFAULT;

	if (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) {
		ret = mremap_to(mm, addr, old_len, new_addr, new_len, flags, &locked);
		goto out;
	}

	/* Shrinking always works: it only unmaps the tail. */
	if (old_len >= new_len) {
		if (old_len != new_len) {
			err = do_munmap(mm, addr + new_len, old_len - new_len);
			if (err)
				return err;
		}
		return (int64_t)addr;
	}

	vma = vma_to_resize(mm, addr, old_len, new_len, flags, &err);
	if (!vma)
		return err;

	/* Growing in place: the range must end where the VMA ends, and the
	 * space after it must be free. */
	if (old_len == vma->vm_end - addr && vma_expandable(vma, new_len - old_len)) {
		uint64_t ext_start = addr + old_len, ext_end = addr + new_len;
		long pages = (long)((new_len - old_len) >> PAGE_SHIFT);
		uint64_t ext_pgoff = vma->vm_pgoff + ((ext_start - vma->vm_start) >> PAGE_SHIFT);

		vma = vma_merge(mm, vma, ext_start, ext_end, vma->vm_flags, vma->anon_vma,
				vma->vm_file, ext_pgoff, vma->vm_name);
		if (!vma)
			return -ENOMEM;
		vm_stat_account(mm, vma->vm_flags, pages);
		if (vma->vm_flags & VM_LOCKED) {
			mm->locked_vm += pages;
			locked = true;
			new_addr = addr;
		}
		ret = (int64_t)addr;
		goto out;
	}

	ret = -ENOMEM;
	if (flags & MREMAP_MAYMOVE) {
		int map_flags = (vma->vm_flags & VM_MAYSHARE) ? MAP_SHARED : 0;

		ret = get_unmapped_area(mm, vma->vm_file, 0, new_len,
					vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT),
					map_flags);
		if (ret >= 0) {
			new_addr = (uint64_t)ret;
			ret = move_vma(vma, addr, old_len, new_len, new_addr, flags, &locked);
		}
	}
out:
	/* A locked mapping that grew gets its new part faulted in, as mlock
	 * would have done (errors ignored, as in Linux). */
	if (ret >= 0 && locked && new_len > old_len)
		mm_populate(mm, (uint64_t)ret + old_len, new_len - old_len);
	return ret;
}
