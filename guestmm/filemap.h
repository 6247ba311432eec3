/* The page cache: one address_space per host file (device + inode), or per
 * shmem file, holding the file's pages by index; shared by every mapping
 * and read of the file. */
#ifndef GUESTMM_FILEMAP_H
#define GUESTMM_FILEMAP_H

#include "mmzone.h"

struct address_space {
	struct pglist_data *node;
	struct file *host_file;        /* where misses are read from */
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
};

/* The address_space of a file, created on first use. */
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
/* Writes the mapping's dirty pages back to the host file (up to its size).
 * Pages still mapped stay dirty, since a PTE may keep writing to them
 * without another fault. 0 or the first -errno of a failed write. */
int filemap_write_and_wait(struct address_space *mapping);
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
