/* The guest's open regular files and the page cache (guestmm/filemap.c):
 * which files go through it, and the file syscalls' hooks into it. */
#ifndef EMU_PAGECACHE_H
#define EMU_PAGECACHE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "task.h"
#include "guestmm/filemap.h"

/* The mm's struct file for an open file description: made on first use by
 * mmap or read (it holds its own dup of the host fd, so that mappings
 * outlive the descriptor). NULL and *err set on failure. */
struct file *vfile_mm_file(struct vfile *f, int *err);
/* Does this open file go through the page cache? A regular host file, not
 * a generated /proc file, not opened O_DIRECT. */
bool vfile_page_cached(struct vfile *f);
/* The file's address_space, made when missing; NULL on ENOMEM. */
struct address_space *vfile_mapping(struct task_struct *t, struct vfile *f);
/* The address_space cached for a host file, if any (no new one). */
struct address_space *host_fd_mapping(struct task_struct *t, int host_fd);

/* After an open: the cache of a file someone else changed is dropped
 * (mtime or size differ from what vmemu last saw); O_TRUNC empties it. */
void pagecache_opened(struct task_struct *t, int host_fd, bool truncated);
/* The host file behind host_fd now has size newsize (truncate, ftruncate,
 * fallocate): the cache follows. */
void pagecache_truncated(struct task_struct *t, int host_fd);
/* The host file changed outside the cache over [start, start + len)
 * (copy_file_range, sendfile into it, an O_DIRECT write): cached copies of
 * that range are written back (if dirty) and dropped. */
void pagecache_invalidate(struct task_struct *t, int host_fd, uint64_t start, uint64_t len);
/* Before the host reads the file itself (sendfile, copy_file_range, an
 * O_DIRECT read): stores made through mappings are written back. */
int pagecache_flush(struct task_struct *t, int host_fd);
/* fsync/fdatasync/sync_file_range's writeback of the guest's dirty pages. */
int pagecache_writeback(struct task_struct *t, int host_fd, uint64_t start, uint64_t end);
/* sync(2) and syncfs(2): every cached file. */
void pagecache_sync_all(struct task_struct *t);
/* posix_fadvise's page-cache part, after the host accepted the advice. */
void pagecache_fadvise(struct task_struct *t, struct vfile *f, int64_t off, int64_t len,
		       int advice);

#endif
