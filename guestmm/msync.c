/* msync(2): writing back the part of a shared file mapping's page cache a
 * range covers, with Linux's checks. After Linux's mm/msync.c. */
#include <errno.h>
#include <unistd.h>
#include <sys/mman.h>

#include "mm.h"
#include "filemap.h"

/*
 * MS_ASYNC does nothing (Linux tracks dirty pages anyway); MS_SYNC writes
 * back the range of every shared file VMA it covers and makes it durable on
 * the host. An unmapped gap in the range gives ENOMEM after the rest is
 * done; MS_INVALIDATE over mlocked memory gives EBUSY.
 */
int do_msync(struct mm_struct *mm, uint64_t start, uint64_t len, int flags)
{
	uint64_t end;
	int unmapped_error = 0, error = 0;

	if (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC))
		return -EINVAL;
	if (start & (PAGE_SIZE - 1))
		return -EINVAL;
	if ((flags & MS_ASYNC) && (flags & MS_SYNC))
		return -EINVAL;
	len = (len + PAGE_SIZE - 1) & ~(uint64_t)(PAGE_SIZE - 1);
	end = start + len;
	if (end < start)
		return -ENOMEM;
	if (end == start)
		return 0;
	for (;;) {
		struct vm_area_struct *vma = find_vma(mm, start);
		uint64_t fstart, fend;

		if (!vma)
			return -ENOMEM;
		if (start < vma->vm_start) {
			if (flags == MS_SYNC)
				return -ENOMEM;
			start = vma->vm_start;
			if (start >= end)
				return -ENOMEM;
			unmapped_error = -ENOMEM;
		}
		if ((flags & MS_INVALIDATE) && (vma->vm_flags & VM_LOCKED))
			return -EBUSY;
		fstart = (start - vma->vm_start) + (vma->vm_pgoff << PAGE_SHIFT);
		fend = fstart + ((end < vma->vm_end ? end : vma->vm_end) - start) - 1;
		start = vma->vm_end;
		if ((flags & MS_SYNC) && vma->vm_file && (vma->vm_flags & VM_SHARED)) {
			struct address_space *mapping = vma->vm_file->f_mapping;

			if (mapping && !mapping->shmem) {
				error = filemap_write_and_wait_range(mapping, fstart, fend);
				if (!error && mapping->host_file &&
				    fdatasync(mapping->host_file->host_fd) < 0)
					error = -EIO;
				if (error)
					return error;
			}
		}
		if (start >= end)
			return unmapped_error;
	}
}
