/* The guest's open regular files and the page cache: which open files read
 * and write through guestmm's cache, and what the file syscalls around it
 * (open, truncate, fsync, sync, fadvise, copies the host makes itself) do
 * to keep the cache and the host file in agreement. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "pagecache.h"
#include "guestmm/mm.h"
#include "guestmm/readahead.h"

struct file *vfile_mm_file(struct vfile *f, int *err)
{
	int dupfd;

	if (f->mm_file)
		return f->mm_file;
	dupfd = fcntl(f->host_fd, F_DUPFD_CLOEXEC, 0);
	if (dupfd < 0) {
		*err = -ENFILE;
		return NULL;
	}
	f->mm_file = file_from_fd(dupfd, f->path);
	if (!f->mm_file) {
		close(dupfd);
		*err = -ENOMEM;
	}
	return f->mm_file;
}

bool vfile_page_cached(struct vfile *f)
{
	if (f->kind != VFILE_HOST || f->generated || (f->flags & (O_DIRECT | O_PATH)))
		return false;
	if (!f->reg_checked) {
		struct stat st;

		f->reg_checked = true;
		f->regular = fstat(f->host_fd, &st) == 0 && S_ISREG(st.st_mode);
	}
	return f->regular;
}

struct address_space *vfile_mapping(struct task_struct *t, struct vfile *f)
{
	int err = 0;
	struct file *file = vfile_mm_file(f, &err);

	return file ? file_mapping(t->mm->node, file) : NULL;
}

struct address_space *host_fd_mapping(struct task_struct *t, int host_fd)
{
	struct stat st;

	if (fstat(host_fd, &st) < 0 || !S_ISREG(st.st_mode))
		return NULL;
	return find_mapping(t->mm->node, st.st_dev, st.st_ino);
}

void pagecache_opened(struct task_struct *t, int host_fd, bool truncated)
{
	struct address_space *mapping;
	struct stat st;

	if (fstat(host_fd, &st) < 0 || !S_ISREG(st.st_mode))
		return;
	mapping = find_mapping(t->mm->node, st.st_dev, st.st_ino);
	if (!mapping)
		return;
	if (truncated && mapping->host_file)
		truncate_pagecache(mapping, (uint64_t)st.st_size);
	else if (truncated)
		truncate_inode_pages(mapping, 0);   /* detached: nothing maps it */
	filemap_revalidate(mapping, &st);
}

void pagecache_truncated(struct task_struct *t, int host_fd)
{
	struct address_space *mapping = host_fd_mapping(t, host_fd);
	struct stat st;

	if (!mapping || fstat(host_fd, &st) < 0)
		return;
	if (mapping->host_file)
		truncate_pagecache(mapping, (uint64_t)st.st_size);
	else
		truncate_inode_pages(mapping, ((uint64_t)st.st_size + PAGE_SIZE - 1) >> PAGE_SHIFT);
	filemap_revalidate(mapping, &st);
}

void pagecache_invalidate(struct task_struct *t, int host_fd, uint64_t start, uint64_t len)
{
	struct address_space *mapping = host_fd_mapping(t, host_fd);
	uint64_t last;

	if (!mapping || !len)
		return;
	last = len > UINT64_MAX - start ? UINT64_MAX : start + len - 1;
	/* Dirty pages (write() wrote them through) are cleaned first, so
	 * that none of the range survives with the old bytes. */
	filemap_write_and_wait_range(mapping, start, last);
	invalidate_mapping_pages(mapping, start >> PAGE_SHIFT, last >> PAGE_SHIFT);
	filemap_stamp(mapping);
}

int pagecache_flush(struct task_struct *t, int host_fd)
{
	struct address_space *mapping = host_fd_mapping(t, host_fd);

	return mapping ? filemap_write_and_wait(mapping) : 0;
}

int pagecache_writeback(struct task_struct *t, int host_fd, uint64_t start, uint64_t end)
{
	struct address_space *mapping = host_fd_mapping(t, host_fd);

	return mapping ? filemap_write_and_wait_range(mapping, start, end) : 0;
}

void pagecache_sync_all(struct task_struct *t)
{
	struct pglist_data *node = t->mm->node;
	struct list_head *pos;

	list_for_each(pos, &node->address_spaces)
		filemap_write_and_wait(list_entry(pos, struct address_space, list));
}

void pagecache_fadvise(struct task_struct *t, struct vfile *f, int64_t off, int64_t len,
		       int advice)
{
	struct address_space *mapping;
	struct file *file;
	uint64_t start, end;
	int err = 0;

	if (!vfile_page_cached(f))
		return;
	file = vfile_mm_file(f, &err);
	if (!file)
		return;
	/* len 0 means to the end of the file, as Linux reads it. */
	start = (uint64_t)off;
	end = len == 0 || (uint64_t)len > UINT64_MAX - start ? UINT64_MAX : start + (uint64_t)len - 1;
	switch (advice) {
	case POSIX_FADV_NORMAL:
		file->f_ra.ra_pages = VM_READAHEAD_PAGES;
		break;
	case POSIX_FADV_RANDOM:
		file->f_ra.ra_pages = 0;
		break;
	case POSIX_FADV_SEQUENTIAL:
		file->f_ra.ra_pages = 2 * VM_READAHEAD_PAGES;
		break;
	case POSIX_FADV_WILLNEED:
		mapping = file_mapping(t->mm->node, file);
		if (mapping)
			force_page_cache_readahead(mapping, &file->f_ra, start >> PAGE_SHIFT,
						   end == UINT64_MAX ? ~0UL :
						   (unsigned long)((end >> PAGE_SHIFT) -
								   (start >> PAGE_SHIFT) + 1));
		break;
	case POSIX_FADV_DONTNEED:
		/* Linux starts writeback, then drops the clean whole pages
		 * of the range that nobody maps. */
		mapping = file_mapping(t->mm->node, file);
		if (!mapping)
			break;
		filemap_write_and_wait_range(mapping, start, end);
		{
			uint64_t first = (start + PAGE_SIZE - 1) >> PAGE_SHIFT;
			uint64_t last = end == UINT64_MAX ? UINT64_MAX
							  : ((end + 1) >> PAGE_SHIFT);

			/* Only pages wholly inside the range. */
			if (end != UINT64_MAX && last-- == 0)
				break;
			if (first <= last)
				invalidate_mapping_pages(mapping, first, last);
		}
		break;
	default:
		break;
	}
}
