/* mprotect(2), after Linux's mm/mprotect.c: the argument checks, splitting
 * and re-merging VMAs, and change_protection, which rewrites the permission
 * bits of the PTEs already present. */
#include <errno.h>

#include "mm.h"
#include "huge_memory.h"

/*
 * PTE rules (the same ones memory.c builds PTEs with):
 *  - USER is set when the VMA allows any access. PROT_NONE keeps the PTE
 *    present but clears USER, so the frame stays mapped and counted, a guest
 *    access faults, and the fault path refuses it (SEGV_ACCERR). Linux uses
 *    its PROTNONE bit for this; here pte_present() must stay true for the
 *    unmap and reclaim paths.
 *  - NX is set unless VM_EXEC.
 *  - RW is always cleared when VM_WRITE goes. When VM_WRITE comes, RW is set
 *    only where no write fault is needed: a private anon page this mm alone
 *    maps and references (otherwise COW must copy it first), or a shared page
 *    that is already dirty or is shmem (a clean file page waits for its write
 *    fault, which marks it dirty for writeback, as Linux's writenotify does).
 * Raising permissions needs no TLB flush; losing one does, once per call.
 */

#define PROT_SEM 0x8

struct change_prot {
	struct pglist_data *node;
	unsigned long vm_flags;
	bool lost;	/* some PTE lost a permission: flush the TLB */
};

static bool pte_may_become_writable(struct pglist_data *node, unsigned long vm_flags,
				    pte_t pte)
{
	pfn_t pfn = pte_pfn(pte);
	struct page *page;

	if (pfn == node->zero_pfn || pfn >= node->node_present_pages ||
	    (node->huge_zero_pfn && pfn == node->huge_zero_pfn))
		return false;
	page = pfn_to_page(node, pfn);
	if (vm_flags & VM_SHARED)
		return pte_dirty(pte) || PageFlag(page, PG_swapbacked);
	return PageFlag(page, PG_anon) && page_mapcount(page) == 1 && page_count(page) == 1;
}

static int change_pte_range(pte_t *pte, uint64_t addr, uint64_t end, void *arg)
{
	struct change_prot *cp = arg;
	unsigned long flags = cp->vm_flags;

	for (; addr < end; addr += PAGE_SIZE, pte++) {
		pteval_t old = pte->pte, new = old;

		if (!pte_present(*pte))
			continue;
		if (flags & VM_ACCESS_FLAGS)
			new |= _PAGE_USER;
		else
			new &= ~_PAGE_USER;
		if (flags & VM_EXEC)
			new &= ~_PAGE_NX;
		else
			new |= _PAGE_NX;
		if (!(flags & VM_WRITE))
			new &= ~_PAGE_RW;
		else if (!(old & _PAGE_RW) && pte_may_become_writable(cp->node, flags, *pte))
			new |= _PAGE_RW;

		if (((old & ~new) & (_PAGE_RW | _PAGE_USER)) || ((new & ~old) & _PAGE_NX))
			cp->lost = true;
		pte->pte = new;
	}
	return 0;
}

/* A PMD leaf takes the same bits as a PTE (PSE is left alone). */
static int change_huge_pmd(pmd_t *pmd, uint64_t haddr, void *arg)
{
	return change_pte_range((pte_t *)pmd, haddr, haddr + PAGE_SIZE, arg);
}

/* Rewrites the PTEs of [start, end) for vm_flags; true if any PTE lost a
 * permission (the caller flushes). */
static bool change_protection(struct mm_struct *mm, uint64_t start, uint64_t end,
			      unsigned long vm_flags)
{
	struct change_prot cp = { .node = mm->node, .vm_flags = vm_flags, .lost = false };

	/* vma_modify_flags split the leaves straddling the range's ends;
	 * the ones inside change as a whole. */
	walk_pmd_leaves(mm, start, end, change_huge_pmd, &cp);
	walk_pte_range(mm, start, end, change_pte_range, &cp);
	return cp.lost;
}

/* Linux's mprotect_fixup: [start, end) of vma gets newflags. *result is the
 * VMA that covers the range afterwards. */
static int mprotect_fixup(struct vm_area_struct *vma, uint64_t start, uint64_t end,
			  unsigned long newflags, struct vm_area_struct **result, bool *lost)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned long oldflags = vma->vm_flags;
	long nrpages = (long)((end - start) >> PAGE_SHIFT);

	*result = vma;
	if (newflags == oldflags)
		return 0;

	/* Making private memory writable commits it; making it read-only
	 * again does not uncommit it (so VM_ACCOUNT stays, and the pieces
	 * can merge back). */
	if ((newflags & VM_WRITE) &&
	    !(oldflags & (VM_ACCOUNT | VM_WRITE | VM_SHARED | VM_NORESERVE)))
		newflags |= VM_ACCOUNT;

	vma = vma_modify_flags(vma, start, end, newflags);
	if (!vma)
		return -ENOMEM;
	*result = vma;

	if (change_protection(mm, start, end, newflags))
		*lost = true;

	/* A locked private mapping becoming writable is faulted for write
	 * now, so it does not take COW faults later. */
	if ((oldflags & (VM_WRITE | VM_SHARED | VM_LOCKED)) == VM_LOCKED && (newflags & VM_WRITE))
		mm_populate(mm, start, end - start);

	vm_stat_account(mm, oldflags, -nrpages);
	vm_stat_account(mm, newflags, nrpages);
	return 0;
}

int do_mprotect(struct mm_struct *mm, uint64_t start, uint64_t len, int prot)
{
	const int grows = prot & (PROT_GROWSDOWN | PROT_GROWSUP);
	struct vm_area_struct *vma, *prev;
	uint64_t end, nstart, tmp;
	bool lost = false;
	int error = 0;

	prot &= ~(PROT_GROWSDOWN | PROT_GROWSUP);
	if (grows == (PROT_GROWSDOWN | PROT_GROWSUP))
		return -EINVAL;
	if (!PAGE_ALIGNED(start))
		return -EINVAL;
	if (!len)
		return 0;
	len = PAGE_ALIGN(len);
	end = start + len;
	if (end <= start)
		return -ENOMEM;
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM))
		return -EINVAL;

	vma = find_vma(mm, start);
	if (!vma)
		return -ENOMEM;
	if (grows & PROT_GROWSDOWN) {
		/* Applies from the start of the stack VMA. */
		if (vma->vm_start >= end)
			return -ENOMEM;
		start = vma->vm_start;
		if (!(vma->vm_flags & VM_GROWSDOWN))
			return -EINVAL;
	} else {
		if (vma->vm_start > start)
			return -ENOMEM;
		/* x86-64 has no VM_GROWSUP mappings. */
		if (grows & PROT_GROWSUP)
			return -EINVAL;
	}

	/* VMA by VMA, as Linux: changes made before a hole or an error stay. */
	for (nstart = start;;) {
		unsigned long newflags = (unsigned long)(prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) |
					 (vma->vm_flags & ~VM_ACCESS_FLAGS);

		/* Each VM_MAY* sits 4 bits above its VM_*. */
		if ((newflags & ~(newflags >> 4)) & VM_ACCESS_FLAGS) {
			error = -EACCES;
			break;
		}
		tmp = vma->vm_end < end ? vma->vm_end : end;
		error = mprotect_fixup(vma, nstart, tmp, newflags, &prev, &lost);
		if (error)
			break;
		nstart = tmp;
		if (nstart < prev->vm_end)
			nstart = prev->vm_end;
		if (nstart >= end)
			break;
		vma = find_vma(mm, prev->vm_end);
		if (!vma || vma->vm_start != nstart) {
			error = -ENOMEM;
			break;
		}
	}

	if (lost && mm->node->ops && mm->node->ops->flush_tlb)
		mm->node->ops->flush_tlb(mm->node->host);
	return error;
}
