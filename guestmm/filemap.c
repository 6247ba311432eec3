/* The page cache: one address_space per host file (found by device and
 * inode), its pages by index in a 64-way radix tree, read from the host on
 * a miss and written back from dirty pages. After Linux's mm/filemap.c. */
/*
 * Invariants:
 * - every page in a tree has mapping == its address_space, index == its
 *   key, and holds one reference for the cache (mappings add their own);
 * - nrpages and NR_FILE_PAGES count the pages in the trees, NR_SHMEM those
 *   of shmem files (PG_swapbacked); NR_FILE_DIRTY counts the host-file
 *   pages with PG_dirty (shmem has nowhere to write dirt back to, so its
 *   PG_dirty is not accounted, as Linux's noop_dirty_folio);
 * - a tree node's count is its number of non-NULL slots; empty nodes are
 *   freed at once, and an empty tree is a NULL root.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "filemap.h"
#include "page_alloc.h"
#include "readahead.h"
#include "rmap.h"
#include "mm.h"
#include "shmem.h"
#include "swap.h"

/* ---- the radix tree: i_pages points at the top node ---- */

#define RADIX_TREE_MAP_SHIFT 6
#define RADIX_TREE_MAP_SIZE (1u << RADIX_TREE_MAP_SHIFT)
#define RADIX_TREE_MAP_MASK (RADIX_TREE_MAP_SIZE - 1)
/* 64-bit indices need 11 levels of 6 bits. */
#define RADIX_TREE_MAX_PATH 11

struct radix_tree_node {
	unsigned int shift;        /* index bits below this node's slots */
	unsigned int count;        /* non-NULL slots */
	void *slots[RADIX_TREE_MAP_SIZE];
};

/* Does index fit under a node of this shift? */
static bool radix_fits(const struct radix_tree_node *node, uint64_t index)
{
	unsigned int bits = node->shift + RADIX_TREE_MAP_SHIFT;

	return bits >= 64 || (index >> bits) == 0;
}

static void *radix_tree_lookup(void *root, uint64_t index)
{
	struct radix_tree_node *node = root;

	if (!node || !radix_fits(node, index))
		return NULL;
	for (;;) {
		void *slot = node->slots[(index >> node->shift) & RADIX_TREE_MAP_MASK];

		if (node->shift == 0 || !slot)
			return slot;
		node = slot;
	}
}

static struct radix_tree_node *radix_node_alloc(unsigned int shift)
{
	struct radix_tree_node *node = calloc(1, sizeof(*node));

	if (node)
		node->shift = shift;
	return node;
}

/* 0, -ENOMEM or -EEXIST. */
static int radix_tree_insert(void **rootp, uint64_t index, void *item)
{
	struct radix_tree_node *node = *rootp;
	unsigned int offset;

	if (!node) {
		/* A root tall enough for index at once: growing over an empty
		 * root would leave that node behind, counted by its parent but
		 * holding nothing, and leaked with the tree. */
		unsigned int shift = 0;

		while (shift + RADIX_TREE_MAP_SHIFT < 64 &&
		       (index >> (shift + RADIX_TREE_MAP_SHIFT)) != 0)
			shift += RADIX_TREE_MAP_SHIFT;
		node = radix_node_alloc(shift);
		if (!node)
			return -ENOMEM;
		*rootp = node;
	}
	while (!radix_fits(node, index)) {
		struct radix_tree_node *top = radix_node_alloc(node->shift + RADIX_TREE_MAP_SHIFT);

		if (!top)
			return -ENOMEM;
		top->slots[0] = node;
		top->count = 1;
		*rootp = node = top;
	}
	while (node->shift) {
		struct radix_tree_node **child;

		offset = (index >> node->shift) & RADIX_TREE_MAP_MASK;
		child = (struct radix_tree_node **)&node->slots[offset];
		if (!*child) {
			*child = radix_node_alloc(node->shift - RADIX_TREE_MAP_SHIFT);
			if (!*child)
				return -ENOMEM;
			node->count++;
		}
		node = *child;
	}
	offset = index & RADIX_TREE_MAP_MASK;
	if (node->slots[offset])
		return -EEXIST;
	node->slots[offset] = item;
	node->count++;
	return 0;
}

/* Removes index; empty nodes on the way up are freed. A failed insert may
 * leave empty nodes behind, so the walk frees those too. */
static void radix_tree_delete(void **rootp, uint64_t index)
{
	struct radix_tree_node *path[RADIX_TREE_MAX_PATH];
	struct radix_tree_node *node = *rootp;
	int depth = 0;

	if (!node || !radix_fits(node, index))
		return;
	for (;;) {
		void **slot = &node->slots[(index >> node->shift) & RADIX_TREE_MAP_MASK];

		path[depth++] = node;
		if (!*slot)
			return;
		if (node->shift == 0) {
			*slot = NULL;
			node->count--;
			break;
		}
		node = *slot;
	}
	while (depth > 0 && path[depth - 1]->count == 0) {
		node = path[--depth];
		free(node);
		if (depth == 0) {
			*rootp = NULL;
		} else {
			struct radix_tree_node *parent = path[depth - 1];

			parent->slots[(index >> parent->shift) & RADIX_TREE_MAP_MASK] = NULL;
			parent->count--;
		}
	}
}

/* Frees every node left in a tree whose items are gone (a failed insert
 * can leave empty nodes off any path a later delete walks). */
static void radix_tree_free_nodes(struct radix_tree_node *node)
{
	if (!node)
		return;
	if (node->shift)
		for (unsigned int i = 0; i < RADIX_TREE_MAP_SIZE; i++)
			radix_tree_free_nodes(node->slots[i]);
	free(node);
}

/* The first item at an index >= from under node (whose first index is
 * base), with its index in *found. */
static void *radix_node_next(struct radix_tree_node *node, uint64_t base, uint64_t from,
			     uint64_t *found)
{
	unsigned int slot = 0;

	if (from > base)
		slot = (from - base) >> node->shift;
	for (; slot < RADIX_TREE_MAP_SIZE; slot++) {
		uint64_t child_base = base + ((uint64_t)slot << node->shift);
		void *item = node->slots[slot];

		if (!item)
			continue;
		if (node->shift == 0) {
			*found = child_base;
			return item;
		}
		item = radix_node_next(item, child_base, from > child_base ? from : child_base,
				       found);
		if (item)
			return item;
	}
	return NULL;
}

static void *radix_tree_next(void *root, uint64_t from, uint64_t *found)
{
	struct radix_tree_node *node = root;

	if (!node || !radix_fits(node, from))
		return NULL;
	return radix_node_next(node, 0, from, found);
}

/* ---- the registry ---- */

struct address_space *find_mapping(struct pglist_data *node, dev_t dev, ino_t ino)
{
	struct list_head *pos, *n;

	list_for_each_safe(pos, n, &node->address_spaces) {
		struct address_space *mapping = list_entry(pos, struct address_space, list);

		if (mapping->dev == dev && mapping->ino == ino)
			return mapping;
		/* An orphan whose pages reclaim took is of no more use. */
		if (!mapping->host_file && !mapping->nrpages)
			address_space_destroy(mapping);
	}
	return NULL;
}

struct address_space *file_mapping(struct pglist_data *node, struct file *file)
{
	struct address_space *mapping;

	if (file->f_mapping)
		return file->f_mapping;
	mapping = find_mapping(node, file->dev, file->ino);
	if (mapping && !mapping->host_file) {
		/* Kept since the last close: this file reads its misses now,
		 * once the cache is known to still be the file's. */
		struct stat st;

		mapping->host_file = file;
		file->f_mapping = mapping;
		if (!fstat(file->host_fd, &st))
			filemap_revalidate(mapping, &st);
		return mapping;
	}
	if (mapping) {
		/* This file keeps the mapping's reader alive (file.c). */
		file_get(mapping->host_file);
		file->f_mapping = mapping;
		return mapping;
	}
	mapping = calloc(1, sizeof(*mapping));
	if (!mapping)
		return NULL;
	mapping->node = node;
	mapping->host_file = file;
	mapping->path = strdup(file->path ? file->path : "");
	mapping->dev = file->dev;
	mapping->ino = file->ino;
	list_add(&mapping->list, &node->address_spaces);
	file->f_mapping = mapping;
	filemap_stamp(mapping);
	return mapping;
}

/* The host file's size now: files change under us, and Linux checks i_size
 * on every read of a new page. */
int filemap_host_size(struct address_space *mapping, uint64_t *size)
{
	struct stat st;

	if (!mapping->host_file || fstat(mapping->host_file->host_fd, &st) < 0)
		return -EIO;
	*size = (uint64_t)st.st_size;
	return 0;
}

static int read_host_page(struct address_space *mapping, uint64_t index, uint8_t *buf)
{
	int fd = mapping->host_file->host_fd;
	size_t done = 0;

	if (mm_inject(mapping->node, MM_INJECT_FILE_READ))
		return -EIO;
	while (done < PAGE_SIZE) {
		ssize_t n = pread(fd, buf + done, PAGE_SIZE - done,
				  (off_t)(index * PAGE_SIZE + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -EIO;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	/* The tail of the last page reads as zeroes, as mmap promises. */
	memset(buf + done, 0, PAGE_SIZE - done);
	return 0;
}

int add_to_page_cache(struct address_space *mapping, struct page *page, uint64_t index)
{
	struct pglist_data *node = mapping->node;
	int ret = radix_tree_insert(&mapping->i_pages, index, page);

	if (ret) {
		/* Frees the empty nodes a failed insert may leave, but never
		 * a page already there (-EEXIST comes before any change). */
		if (ret != -EEXIST)
			radix_tree_delete(&mapping->i_pages, index);
		return ret;
	}
	page->mapping = mapping;
	page->index = index;
	mapping->nrpages++;
	mod_node_page_state(node, NR_FILE_PAGES, 1);
	if (PageFlag(page, PG_swapbacked))
		mod_node_page_state(node, NR_SHMEM, 1);
	lru_cache_add(node, page);
	return 0;
}

struct page *filemap_get_page(struct address_space *mapping, uint64_t index,
			      bool *major, int *err)
{
	struct pglist_data *node = mapping->node;
	struct page *page;
	uint64_t size;
	int ret;

	*major = false;
	/* shmem has its own miss path (Linux's shmem_fault): nothing to read. */
	if (shmem_mapping(mapping))
		return shmem_get_page(mapping, index, err);
	page = radix_tree_lookup(mapping->i_pages, index);
	if (page) {
		get_page(page);
		return page;
	}
	ret = filemap_host_size(mapping, &size);
	if (ret) {
		*err = ret;
		return NULL;
	}
	if (index >= (size + PAGE_SIZE - 1) / PAGE_SIZE) {
		*err = -EFAULT;
		return NULL;
	}
	page = alloc_page(node, 0);
	if (!page) {
		*err = -ENOMEM;
		return NULL;
	}
	ret = read_host_page(mapping, index, page_address(node, page));
	if (!ret)
		ret = add_to_page_cache(mapping, page, index);
	if (ret) {
		put_page(node, page);
		*err = ret == -EIO ? -EIO : -ENOMEM;
		return NULL;
	}
	SetPageFlag(page, PG_uptodate);
	/* pgpgin is in kB, as /proc/vmstat shows it. */
	count_vm_events(node, PGPGIN, PAGE_SIZE / 1024);
	get_page(page);
	*major = true;
	return page;
}

struct page *filemap_lookup(struct address_space *mapping, uint64_t index)
{
	return radix_tree_lookup(mapping->i_pages, index);
}

static int write_host_page(struct address_space *mapping, struct page *page, uint64_t size)
{
	int fd = mapping->host_file->host_fd;
	const uint8_t *buf = page_address(mapping->node, page);
	uint64_t pos = page->index * PAGE_SIZE;
	size_t len = size - pos < PAGE_SIZE ? (size_t)(size - pos) : PAGE_SIZE;
	size_t done = 0;
	int err = mm_inject(mapping->node, MM_INJECT_FILE_WRITE);

	if (err)
		return err;

	while (done < len) {
		ssize_t n = pwrite(fd, buf + done, len - done, (off_t)(pos + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		done += (size_t)n;
	}
	count_vm_events(mapping->node, PGPGOUT, PAGE_SIZE / 1024);
	return 0;
}

static void tlb_flush(struct pglist_data *node)
{
	if (node->ops && node->ops->flush_tlb)
		node->ops->flush_tlb(node->host);
}

/* Writing a frame that may hold translated code: drop the translations. */
static void invalidate_code(struct pglist_data *node, struct page *page)
{
	if (PageFlag(page, PG_exec) && node->ops && node->ops->invalidate_code)
		node->ops->invalidate_code(node->host, page_to_pfn(node, page));
}

/*
 * Writeback. A dirty page's bytes are already in the host file when only
 * write() dirtied it (write-through); one stored to through a mapping
 * (PG_host_stale) is written now. Mapped pages are cleaned first: their
 * PTEs lose the Dirty and Write bits, so the next store faults and dirties
 * the page again (Linux's folio_mkclean).
 */
int filemap_write_and_wait_range(struct address_space *mapping, uint64_t start, uint64_t end)
{
	struct pglist_data *node = mapping->node;
	uint64_t index = start >> PAGE_SHIFT, last = end >> PAGE_SHIFT, size;
	bool need_flush = false, wrote = false;
	struct page *page;
	int first_err = 0;

	/* shmem's pages are the data itself; without swap they stay. */
	if (shmem_mapping(mapping) || !mapping->host_file)
		return 0;
	if (filemap_host_size(mapping, &size))
		return -EIO;
	while ((page = radix_tree_next(mapping->i_pages, index, &index)) && index <= last) {
		if (page_mapcount(page) > 0 && page_mkclean(node, page))
			need_flush = true;
		if (PageFlag(page, PG_dirty)) {
			int err = 0;

			/* Dirt past EOF has nowhere to go (the file shrank). */
			if (PageFlag(page, PG_host_stale) && page->index * PAGE_SIZE < size) {
				err = write_host_page(mapping, page, size);
				wrote = true;
			}
			if (err) {
				if (!first_err)
					first_err = err;
			} else {
				ClearPageFlag(page, PG_host_stale);
				clear_page_dirty(node, page);
			}
		}
		if (index == last)
			break;
		index++;
	}
	if (need_flush)
		tlb_flush(node);
	if (wrote)
		filemap_stamp(mapping);
	return first_err;
}

int filemap_write_and_wait(struct address_space *mapping)
{
	return filemap_write_and_wait_range(mapping, 0, UINT64_MAX);
}

/* Takes page (at page->index) out of the cache, with the cache's reference
 * and its counts (Linux's __filemap_remove_folio). PG_swapbacked stays, so
 * that unmapping it later still counts it as the shmem page it was. */
static void delete_from_page_cache(struct address_space *mapping, struct page *page)
{
	struct pglist_data *node = mapping->node;

	radix_tree_delete(&mapping->i_pages, page->index);
	if (PageFlag(page, PG_dirty)) {
		ClearPageFlag(page, PG_dirty);
		if (!PageFlag(page, PG_swapbacked))
			mod_node_page_state(node, NR_FILE_DIRTY, -1);
	}
	ClearPageFlag(page, PG_uptodate);
	ClearPageFlag(page, PG_host_stale);
	ClearPageFlag(page, PG_readahead);
	page->mapping = NULL;
	mapping->nrpages--;
	mod_node_page_state(node, NR_FILE_PAGES, -1);
	if (PageFlag(page, PG_swapbacked))
		mod_node_page_state(node, NR_SHMEM, -1);
	put_page(node, page);
}

/*
 * Callers unmap the pages first (there is no file rmap yet to do it here);
 * a page still mapped only loses its place in the cache and is freed when
 * its last PTE goes. PG_swapbacked stays, so that unmapping it still counts
 * it as the shmem page it was mapped as.
 */
void truncate_inode_pages_range(struct address_space *mapping, uint64_t start,
				uint64_t last)
{
	uint64_t index = start;
	struct page *page;

	if (start > last)
		return;
	while ((page = radix_tree_next(mapping->i_pages, index, &index)) && index <= last) {
		delete_from_page_cache(mapping, page);
		if (index == last)
			break;          /* also keeps index from wrapping */
		index++;
	}
}

int filemap_write_page(struct address_space *mapping, struct page *page)
{
	uint64_t size;
	int err;

	if (shmem_mapping(mapping) || !PageFlag(page, PG_dirty))
		return 0;
	if (!PageFlag(page, PG_host_stale)) {
		/* write() put these bytes in the host file already. */
		clear_page_dirty(mapping->node, page);
		return 0;
	}
	if (filemap_host_size(mapping, &size))
		return -EIO;
	if (page->index * PAGE_SIZE < size) {
		err = write_host_page(mapping, page, size);
		if (err)
			return err;
		filemap_stamp(mapping);
	}
	ClearPageFlag(page, PG_host_stale);
	clear_page_dirty(mapping->node, page);
	return 0;
}

void filemap_remove_page(struct address_space *mapping, struct page *page)
{
	if (page->mapping != mapping || radix_tree_lookup(mapping->i_pages, page->index) != page)
		return;
	delete_from_page_cache(mapping, page);
}

void truncate_inode_pages(struct address_space *mapping, uint64_t from_index)
{
	truncate_inode_pages_range(mapping, from_index, UINT64_MAX);
}

void address_space_destroy(struct address_space *mapping)
{
	truncate_inode_pages(mapping, 0);
	radix_tree_free_nodes(mapping->i_pages);
	mapping->i_pages = NULL;
	list_del(&mapping->list);
	if (mapping->host_file && mapping->host_file->f_mapping == mapping)
		mapping->host_file->f_mapping = NULL;
	free(mapping->path);
	free(mapping);
}

/* Compaction (migrate.c): new takes old's slot in the cache; mapping,
 * index, flags and counts move with the rest of the page's state. */
int filemap_migrate_page(struct address_space *mapping, struct page *old, struct page *new)
{
	struct radix_tree_node *node = mapping->i_pages;
	uint64_t index = old->index;

	if (!node || !radix_fits(node, index))
		return -EAGAIN;
	for (;;) {
		void **slot = &node->slots[(index >> node->shift) & RADIX_TREE_MAP_MASK];

		if (!*slot)
			return -EAGAIN;
		if (node->shift == 0) {
			if (*slot != old)
				return -EAGAIN;
			*slot = new;
			return 0;
		}
		node = *slot;
	}
}

void page_cache_destroy(struct pglist_data *node)
{
	while (!list_empty(&node->address_spaces)) {
		struct address_space *mapping =
			list_first_entry(&node->address_spaces, struct address_space, list);

		address_space_destroy(mapping);
	}
}

/* ---- read() and write() through the cache ---- */

long filemap_read(struct address_space *mapping, struct file_ra_state *ra, uint64_t pos,
		  size_t count, filemap_actor_t actor, void *ctx)
{
	struct pglist_data *node = mapping->node;
	uint64_t size, last_index;
	size_t done = 0;

	if (!count)
		return 0;
	if (filemap_host_size(mapping, &size))
		return -EIO;
	if (pos >= size)
		return 0;
	if (count > size - pos)
		count = (size_t)(size - pos);
	last_index = (pos + count - 1) >> PAGE_SHIFT;
	while (done < count) {
		uint64_t p = pos + done, index = p >> PAGE_SHIFT;
		size_t off = p & (PAGE_SIZE - 1), n = PAGE_SIZE - off, took;
		struct page *page = filemap_lookup(mapping, index);

		if (n > count - done)
			n = count - done;
		if (!page) {
			page_cache_sync_readahead(mapping, ra, index, last_index - index + 1);
			page = filemap_lookup(mapping, index);
		}
		if (page) {
			get_page(page);
			if (PageFlag(page, PG_readahead)) {
				ClearPageFlag(page, PG_readahead);
				page_cache_async_readahead(mapping, ra, index,
							   last_index - index + 1);
			}
		} else {
			/* Readahead found no free memory: one page, with
			 * reclaim, as any allocation. */
			bool major;
			int err = 0;

			page = filemap_get_page(mapping, index, &major, &err);
			if (!page) {
				if (done)
					break;
				return err == -EFAULT ? 0 : err;   /* -EFAULT: now past EOF */
			}
		}
		mark_page_accessed(node, page);
		took = actor(ctx, (const uint8_t *)page_address(node, page) + off, n);
		put_page(node, page);
		done += took;
		if (took < n) {
			if (!done)
				return -EFAULT;
			break;
		}
	}
	ra->prev_pos = pos + done;
	return (long)done;
}

/* Dirtied by write(): counted dirty, but not stale (the host has it). */
static void account_page_dirtied(struct pglist_data *node, struct page *page)
{
	if (PageFlag(page, PG_dirty))
		return;
	SetPageFlag(page, PG_dirty);
	mod_node_page_state(node, NR_FILE_DIRTY, 1);
}

void filemap_write_cached(struct address_space *mapping, uint64_t pos, const void *buf,
			  size_t len)
{
	struct pglist_data *node = mapping->node;
	const uint8_t *src = buf;

	if (shmem_mapping(mapping))
		return;
	while (len) {
		uint64_t index = pos >> PAGE_SHIFT;
		size_t off = pos & (PAGE_SIZE - 1), n = PAGE_SIZE - off;
		struct page *page = filemap_lookup(mapping, index);

		if (n > len)
			n = len;
		if (page) {
			invalidate_code(node, page);
			memcpy((uint8_t *)page_address(node, page) + off, src, n);
		} else if (n == PAGE_SIZE) {
			/* A whole page: nothing to read (Linux's write_begin
			 * skips the read too). The host has the bytes already,
			 * so when memory is short the page is just not cached. */
			page = alloc_page(node, __GFP_NORETRY | __GFP_NOWARN);
			if (page) {
				memcpy(page_address(node, page), src, PAGE_SIZE);
				if (add_to_page_cache(mapping, page, index)) {
					put_page(node, page);
					page = NULL;
				} else {
					SetPageFlag(page, PG_uptodate);
				}
			}
		} else {
			/* Part of a page: read it, which brings these bytes
			 * too, as the host took them first. */
			do_page_cache_ra(mapping, index, 1, 0);
			page = filemap_lookup(mapping, index);
		}
		if (page) {
			mark_page_accessed(node, page);
			account_page_dirtied(node, page);
		}
		pos += n;
		src += n;
		len -= n;
	}
}

/* ---- dropping and truncating ---- */

unsigned long invalidate_mapping_pages(struct address_space *mapping, uint64_t start,
				       uint64_t end)
{
	uint64_t index = start;
	unsigned long dropped = 0;
	struct page *page;

	while ((page = radix_tree_next(mapping->i_pages, index, &index)) && index <= end) {
		/* The cache's own reference only: no PTE, no reader, no
		 * reclaim holding it, and nothing to write back. */
		if (!PageFlag(page, PG_dirty) && !PageFlag(page, PG_writeback) &&
		    !PageFlag(page, PG_locked) && page_mapcount(page) <= 0 && page_count(page) == 1) {
			filemap_remove_page(mapping, page);
			dropped++;
		}
		if (index == end)
			break;
		index++;
	}
	return dropped;
}

void truncate_pagecache(struct address_space *mapping, uint64_t newsize)
{
	struct pglist_data *node = mapping->node;
	uint64_t from = (newsize + PAGE_SIZE - 1) >> PAGE_SHIFT, index = from;
	bool need_flush = false;
	struct page *page;

	/* Linux's unmap_mapping_range first, then the cache. */
	while ((page = radix_tree_next(mapping->i_pages, index, &index))) {
		if (page_mapcount(page) > 0) {
			try_to_unmap(node, page);
			need_flush = true;
		}
		if (index == UINT64_MAX)
			break;
		index++;
	}
	if (need_flush)
		tlb_flush(node);
	truncate_inode_pages(mapping, from);
	/* The tail of the last page reads as zeroes from now on, also when the
	 * file grows again. */
	if (newsize & (PAGE_SIZE - 1)) {
		page = filemap_lookup(mapping, newsize >> PAGE_SHIFT);
		if (page) {
			size_t off = newsize & (PAGE_SIZE - 1);

			invalidate_code(node, page);
			memset((uint8_t *)page_address(node, page) + off, 0, PAGE_SIZE - off);
		}
	}
	filemap_stamp(mapping);
}

/* ---- agreeing with the host file ---- */

static void stamp_from(struct address_space *mapping, const struct stat *st)
{
	mapping->stamped = true;
	mapping->stamp_size = (uint64_t)st->st_size;
	mapping->stamp_mtime = st->st_mtim;
}

void filemap_stamp(struct address_space *mapping)
{
	struct stat st;

	if (mapping->shmem || !mapping->host_file || fstat(mapping->host_file->host_fd, &st))
		return;
	stamp_from(mapping, &st);
}

void filemap_revalidate(struct address_space *mapping, const struct stat *st)
{
	if (mapping->shmem)
		return;
	if (mapping->stamped && ((uint64_t)st->st_size != mapping->stamp_size ||
				 st->st_mtim.tv_sec != mapping->stamp_mtime.tv_sec ||
				 st->st_mtim.tv_nsec != mapping->stamp_mtime.tv_nsec)) {
		if ((uint64_t)st->st_size < mapping->stamp_size)
			truncate_pagecache(mapping, (uint64_t)st->st_size);
		invalidate_mapping_pages(mapping, 0, UINT64_MAX);
	}
	stamp_from(mapping, st);
}

bool filemap_detach(struct address_space *mapping)
{
	uint64_t index = 0;
	struct page *page;

	if (mapping->shmem || !mapping->host_file)
		return false;
	filemap_stamp(mapping);
	while ((page = radix_tree_next(mapping->i_pages, index, &index))) {
		if (PageFlag(page, PG_dirty))
			filemap_remove_page(mapping, page);
		if (index == UINT64_MAX)
			break;
		index++;
	}
	mapping->host_file = NULL;
	return mapping->nrpages != 0;
}

void drop_pagecache(struct pglist_data *node)
{
	struct list_head *pos, *n;

	list_for_each_safe(pos, n, &node->address_spaces) {
		struct address_space *mapping = list_entry(pos, struct address_space, list);

		invalidate_mapping_pages(mapping, 0, UINT64_MAX);
		if (!mapping->host_file && !mapping->nrpages)
			address_space_destroy(mapping);
	}
}

void filemap_count(struct address_space *mapping, unsigned long *dirty, unsigned long *mapped)
{
	uint64_t index = 0;
	struct page *page;

	*dirty = *mapped = 0;
	while ((page = radix_tree_next(mapping->i_pages, index, &index))) {
		if (PageFlag(page, PG_dirty))
			(*dirty)++;
		if (page_mapcount(page) > 0)
			(*mapped)++;
		if (index == UINT64_MAX)
			break;
		index++;
	}
}
