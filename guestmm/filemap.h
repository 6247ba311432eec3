/* The page cache: one address_space per host file (device + inode), or per
 * shmem file, holding the file's pages by index; shared by every mapping
 * and read of the file. */
#ifndef GUESTMM_FILEMAP_H
#define GUESTMM_FILEMAP_H

#include <sys/stat.h>

#include "mmzone.h"

struct address_space {
	struct pglist_data *node;
	struct file *host_file;        /* where misses are read from */
	char *path;                    /* the path it was first opened by */
	dev_t dev;
	ino_t ino;
	struct list_head list;         /* in node->address_spaces; shmem's
	                                  are found through their file only */
	unsigned long nrpages;
	bool shmem;                    /* a shmem file's: pages are memory */
	uint64_t i_size;               /* shmem: the file's size (a host
	                                  file's is asked of the host) */
	/* index -> struct page *, an xarray-like radix tree */
	void *i_pages;
	/* The host file as the cache last agreed with it (filemap_stamp):
	 * a different size or mtime at the next open means someone else
	 * changed it, and the cache is dropped (filemap_revalidate). */
	bool stamped;
	uint64_t stamp_size;
	struct timespec stamp_mtime;
};

/* Copies len bytes of a cached page out (to guest memory): how many it
 * could take, fewer at a fault. */
typedef size_t (*filemap_actor_t)(void *ctx, const void *src, size_t len);

/* The address_space of a file, created on first use; an address_space
 * kept after its last file closed (its pages stay cached, as on Linux) is
 * taken up again, after filemap_revalidate. */
struct address_space *file_mapping(struct pglist_data *node, struct file *file);
/* The cached page at index, reading it from the host on a miss (*major set
 * when it was read). Returns a page with an extra reference, or NULL with
 * *err = -ENOMEM / -EIO; index past EOF gives NULL with *err = -EFAULT
 * (which a fault turns into SIGBUS). */
struct page *filemap_get_page(struct address_space *mapping, uint64_t index,
			      bool *major, int *err);
/* Puts a new page (one reference, which passes to the cache) at index:
 * sets its mapping and index and counts it in NR_FILE_PAGES, and in NR_SHMEM
 * when PG_swapbacked. 0, or -ENOMEM / -EEXIST with the page still the
 * caller's. Linux's filemap_add_folio. */
int add_to_page_cache(struct address_space *mapping, struct page *page, uint64_t index);
/* The cached page at index or NULL; no read, and no reference taken (the
 * page stays valid until the cache drops it). */
struct page *filemap_lookup(struct address_space *mapping, uint64_t index);
/* The address_space of host file dev:ino if one is cached, or NULL. */
struct address_space *find_mapping(struct pglist_data *node, dev_t dev, ino_t ino);

/* Linux's filemap_read: up to count bytes from pos through the cache,
 * filling misses with readahead; stops at EOF. Bytes copied, or -errno
 * when none were (-EFAULT when the actor took nothing). */
long filemap_read(struct address_space *mapping, struct file_ra_state *ra, uint64_t pos,
		  size_t count, filemap_actor_t actor, void *ctx);
/* After a write the host file took (write-through): puts len bytes of buf
 * at pos into the cache, bringing the pages in as Linux's write_begin
 * does, and marks them dirty until writeback (fsync, close, reclaim). */
void filemap_write_cached(struct address_space *mapping, uint64_t pos, const void *buf,
			  size_t len);
/* Writes back the dirty pages of [start, end] (byte offsets, inclusive):
 * mapped ones are write-protected and cleaned first (page_mkclean), and
 * those stored to through a mapping are written to the host file. 0 or
 * the first -errno of a failed write. */
int filemap_write_and_wait_range(struct address_space *mapping, uint64_t start, uint64_t end);
int filemap_write_and_wait(struct address_space *mapping);
/* Linux's invalidate_mapping_pages: drops the clean, unmapped, unused
 * pages of indices [start, end]. Returns how many went. */
unsigned long invalidate_mapping_pages(struct address_space *mapping, uint64_t start,
				       uint64_t end);
/* The file is now newsize bytes: pages wholly past it are unmapped and
 * dropped, and the tail of the last one zeroed (Linux's truncate_pagecache). */
void truncate_pagecache(struct address_space *mapping, uint64_t newsize);
/* Records the host file's size and mtime as the cache's (after vmemu's own
 * writes to it). */
void filemap_stamp(struct address_space *mapping);
/* At an open: if the host file no longer looks as stamped, someone else
 * wrote it, so the cache (what is not mapped) is dropped. */
void filemap_revalidate(struct address_space *mapping, const struct stat *st);
/* The last file over a host inode is going: the cache stays, detached
 * from any host file, unless nothing is left in it. Pages still dirty
 * (writeback failed) are dropped. True when it stays. */
bool filemap_detach(struct address_space *mapping);
/* The host file's size (fstat of host_file). 0 or -EIO. */
int filemap_host_size(struct address_space *mapping, uint64_t *size);
/* echo 1 > /proc/sys/vm/drop_caches: every clean, unmapped cached page. */
void drop_pagecache(struct pglist_data *node);
/* Its dirty pages and the pages some PTE maps, for reports. */
void filemap_count(struct address_space *mapping, unsigned long *dirty, unsigned long *mapped);
/* Teardown: every address_space left, orphaned ones included. */
void page_cache_destroy(struct pglist_data *node);
/* Drops the cached pages from index start to last (inclusive, as Linux's
 * lend), or every page from from_index on (at last close / teardown). */
void truncate_inode_pages_range(struct address_space *mapping, uint64_t start,
				uint64_t last);
void truncate_inode_pages(struct address_space *mapping, uint64_t from_index);
void address_space_destroy(struct address_space *mapping);
/* Reclaim's pageout: writes one dirty host-file page back and cleans it.
 * 0 or -errno. */
int filemap_write_page(struct address_space *mapping, struct page *page);
/* Reclaim: drops a page from the cache with the cache's reference (the
 * caller unmapped it; Linux's __remove_mapping). */
void filemap_remove_page(struct address_space *mapping, struct page *page);
/* Compaction: new takes old's slot (the caller moves the page state).
 * 0, or -EAGAIN when old is not in the cache at its index. */
int filemap_migrate_page(struct address_space *mapping, struct page *old, struct page *new);

#endif
