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

struct address_space *file_mapping(struct pglist_data *node, struct file *file)
{
	struct address_space *mapping;
	struct list_head *pos;

	if (file->f_mapping)
		return file->f_mapping;
	list_for_each(pos, &node->address_spaces) {
		mapping = list_entry(pos, struct address_space, list);
		if (mapping->dev == file->dev && mapping->ino == file->ino) {
			/* This file keeps the mapping's reader alive (file.c). */
			file_get(mapping->host_file);
			file->f_mapping = mapping;
			return mapping;
		}
	}
	mapping = calloc(1, sizeof(*mapping));
	if (!mapping)
		return NULL;
	mapping->node = node;
	mapping->host_file = file;
	mapping->dev = file->dev;
	mapping->ino = file->ino;
	list_add(&mapping->list, &node->address_spaces);
	file->f_mapping = mapping;
	return mapping;
}

/* The host file's size now: files change under us, and Linux checks i_size
 * on every read of a new page. */
static int host_file_size(struct address_space *mapping, uint64_t *size)
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
	ret = host_file_size(mapping, &size);
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

int filemap_write_and_wait(struct address_space *mapping)
{
	struct pglist_data *node = mapping->node;
	uint64_t index = 0, size;
	struct page *page;
	int first_err = 0;

	/* shmem's pages are the data itself; without swap they stay. */
	if (shmem_mapping(mapping))
		return 0;
	if (host_file_size(mapping, &size))
		return -EIO;
	while ((page = radix_tree_next(mapping->i_pages, index, &index))) {
		index++;
		if (!PageFlag(page, PG_dirty))
			continue;
		/* Dirt past EOF has nowhere to go (the file shrank). */
		if (page->index * PAGE_SIZE < size) {
			int err = write_host_page(mapping, page, size);

			if (err) {
				if (!first_err)
					first_err = err;
				continue;
			}
		}
		if (page_mapcount(page) > 0)
			continue;
		ClearPageFlag(page, PG_dirty);
		mod_node_page_state(node, NR_FILE_DIRTY, -1);
	}
	return first_err;
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
	struct pglist_data *node = mapping->node;
	uint64_t index = start;
	struct page *page;

	if (start > last)
		return;
	while ((page = radix_tree_next(mapping->i_pages, index, &index)) && index <= last) {
		radix_tree_delete(&mapping->i_pages, index);
		if (PageFlag(page, PG_dirty)) {
			ClearPageFlag(page, PG_dirty);
			if (!PageFlag(page, PG_swapbacked))
				mod_node_page_state(node, NR_FILE_DIRTY, -1);
		}
		ClearPageFlag(page, PG_uptodate);
		page->mapping = NULL;
		mapping->nrpages--;
		mod_node_page_state(node, NR_FILE_PAGES, -1);
		if (PageFlag(page, PG_swapbacked))
			mod_node_page_state(node, NR_SHMEM, -1);
		put_page(node, page);
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
	if (host_file_size(mapping, &size))
		return -EIO;
	if (page->index * PAGE_SIZE < size) {
		err = write_host_page(mapping, page, size);
		if (err)
			return err;
	}
	ClearPageFlag(page, PG_dirty);
	mod_node_page_state(mapping->node, NR_FILE_DIRTY, -1);
	return 0;
}

void filemap_remove_page(struct address_space *mapping, struct page *page)
{
	struct pglist_data *node = mapping->node;

	if (page->mapping != mapping || radix_tree_lookup(mapping->i_pages, page->index) != page)
		return;
	radix_tree_delete(&mapping->i_pages, page->index);
	if (PageFlag(page, PG_dirty)) {
		ClearPageFlag(page, PG_dirty);
		if (!PageFlag(page, PG_swapbacked))
			mod_node_page_state(node, NR_FILE_DIRTY, -1);
	}
	ClearPageFlag(page, PG_uptodate);
	page->mapping = NULL;
	mapping->nrpages--;
	mod_node_page_state(node, NR_FILE_PAGES, -1);
	if (PageFlag(page, PG_swapbacked))
		mod_node_page_state(node, NR_SHMEM, -1);
	put_page(node, page);
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
