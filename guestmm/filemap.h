/* The page cache: one address_space per host file (device + inode), holding
 * the file's pages by index; shared by every mapping and read of the file. */
#ifndef GUESTMM_FILEMAP_H
#define GUESTMM_FILEMAP_H

#include "mmzone.h"

struct address_space {
	struct pglist_data *node;
	struct file *host_file;        /* where misses are read from */
	dev_t dev;
	ino_t ino;
	struct list_head list;         /* in node->address_spaces */
	unsigned long nrpages;
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
/* The cached page at index or NULL; no read, and no reference taken (the
 * page stays valid until the cache drops it). */
struct page *filemap_lookup(struct address_space *mapping, uint64_t index);
/* Writes the mapping's dirty pages back to the host file (up to its size).
 * Pages still mapped stay dirty, since a PTE may keep writing to them
 * without another fault. 0 or the first -errno of a failed write. */
int filemap_write_and_wait(struct address_space *mapping);
/* Drops every page of the mapping (at last close / node teardown). */
void truncate_inode_pages(struct address_space *mapping, uint64_t from_index);
void address_space_destroy(struct address_space *mapping);

#endif
