/* mlock(2), munlock, mlockall and munlockall, after Linux's mm/mlock.c:
 * VM_LOCKED / VM_LOCKONFAULT on the VMAs, mm->locked_vm, mm->def_flags for
 * MCL_FUTURE, and populating what is locked unless it locks on fault. */
#include <errno.h>

#include "mm.h"

/*
 * Locked pages are not yet kept off the LRU (there is no reclaim to keep
 * them from); locking here is the VMA state and the accounting /proc shows
 * (VmLck), plus the population that makes later accesses fault-free.
 * RLIMIT_MEMLOCK is not enforced: tasks carry no rlimits yet, which is what
 * a task with CAP_IPC_LOCK sees.
 */

/* Linux's mlock_fixup: [start, end) of vma gets newflags. *result is the VMA
 * covering the range afterwards. */
static int mlock_fixup(struct vm_area_struct *vma, uint64_t start, uint64_t end,
		       unsigned long newflags, struct vm_area_struct **result)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned long oldflags = vma->vm_flags;
	long nr_pages = (long)((end - start) >> PAGE_SHIFT);

	*result = vma;
	/* Special mappings are never locked, and not counted. */
	if (newflags == oldflags || (oldflags & VM_SPECIAL))
		return 0;

	vma = vma_modify_flags(vma, start, end, newflags);
	if (!vma)
		return -ENOMEM;
	*result = vma;

	if (!(newflags & VM_LOCKED))
		nr_pages = -nr_pages;
	else if (oldflags & VM_LOCKED)
		nr_pages = 0;
	mm->locked_vm += nr_pages;
	return 0;
}

/* Linux's apply_vma_lock_flags: every VMA of [start, start + len) gets its
 * lock bits replaced by `flags`; a hole is ENOMEM (changes before it stay). */
static int apply_vma_lock_flags(struct mm_struct *mm, uint64_t start, uint64_t len,
				unsigned long flags)
{
	struct vm_area_struct *vma, *prev;
	uint64_t end = start + len, nstart, tmp;
	int error;

	if (end < start)
		return -EINVAL;
	if (end == start)
		return 0;
	vma = vma_lookup(mm, start);
	if (!vma)
		return -ENOMEM;

	for (nstart = start;;) {
		unsigned long newflags = (vma->vm_flags & ~VM_LOCKED_MASK) | flags;

		tmp = vma->vm_end < end ? vma->vm_end : end;
		error = mlock_fixup(vma, nstart, tmp, newflags, &prev);
		if (error)
			return error;
		nstart = tmp;
		if (nstart < prev->vm_end)
			nstart = prev->vm_end;
		if (nstart >= end)
			return 0;
		vma = find_vma(mm, prev->vm_end);
		if (!vma || vma->vm_start != nstart)
			return -ENOMEM;
	}
}

/* mlock reports population failures as POSIX wants them. */
static int mlock_posix_error_return(int err)
{
	if (err == -EFAULT)
		return -ENOMEM;
	if (err == -ENOMEM)
		return -EAGAIN;
	return err;
}

static int __do_mlock(struct mm_struct *mm, uint64_t start, uint64_t len,
		      unsigned long vm_flags)
{
	int error;

	len = PAGE_ALIGN(len + (start & ~PAGE_MASK));
	start &= PAGE_MASK;

	error = apply_vma_lock_flags(mm, start, len, vm_flags);
	if (error)
		return error;
	/* mm_populate leaves VM_LOCKONFAULT VMAs to their faults. */
	error = mm_populate(mm, start, len);
	if (error)
		return mlock_posix_error_return(error);
	return 0;
}

int do_mlock(struct mm_struct *mm, uint64_t start, uint64_t len, unsigned long flags)
{
	unsigned long vm_flags = VM_LOCKED;

	/* mlock2's flags; plain mlock passes 0. */
	if (flags & ~(unsigned long)MLOCK_ONFAULT)
		return -EINVAL;
	if (flags & MLOCK_ONFAULT)
		vm_flags |= VM_LOCKONFAULT;
	return __do_mlock(mm, start, len, vm_flags);
}

int do_munlock(struct mm_struct *mm, uint64_t start, uint64_t len)
{
	len = PAGE_ALIGN(len + (start & ~PAGE_MASK));
	start &= PAGE_MASK;
	return apply_vma_lock_flags(mm, start, len, 0);
}

/* Linux's apply_mlockall_flags; errors on single VMAs are ignored. */
static void apply_mlockall_flags(struct mm_struct *mm, int flags)
{
	struct vm_area_struct *vma, *done;
	unsigned long to_add = 0;

	mm->def_flags &= ~VM_LOCKED_MASK;
	if (flags & MCL_FUTURE) {
		mm->def_flags |= VM_LOCKED;
		if (flags & MCL_ONFAULT)
			mm->def_flags |= VM_LOCKONFAULT;
		if (!(flags & MCL_CURRENT))
			return;
	}
	if (flags & MCL_CURRENT) {
		to_add |= VM_LOCKED;
		if (flags & MCL_ONFAULT)
			to_add |= VM_LOCKONFAULT;
	}

	for (vma = find_vma(mm, 0); vma; vma = vma_next(mm, done)) {
		unsigned long newflags = (vma->vm_flags & ~VM_LOCKED_MASK) | to_add;

		/* The VMA may merge with the one before (already done) or
		 * after (whose flags already equal newflags): carry on after
		 * whatever VMA covers it now. */
		if (mlock_fixup(vma, vma->vm_start, vma->vm_end, newflags, &done))
			done = vma;
	}
}

int do_mlockall(struct mm_struct *mm, int flags)
{
	struct vm_area_struct *vma;

	if (!flags || (flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) || flags == MCL_ONFAULT)
		return -EINVAL;
	apply_mlockall_flags(mm, flags);
	if (!(flags & MCL_CURRENT))
		return 0;
	/* Populate VMA by VMA, ignoring failures (a PROT_NONE VMA cannot be
	 * faulted in, and must not stop the others). */
	for (vma = find_vma(mm, 0); vma; vma = vma_next(mm, vma))
		if ((vma->vm_flags & VM_LOCKED_MASK) == VM_LOCKED)
			mm_populate(mm, vma->vm_start, vma->vm_end - vma->vm_start);
	return 0;
}

int do_munlockall(struct mm_struct *mm)
{
	apply_mlockall_flags(mm, 0);
	return 0;
}
