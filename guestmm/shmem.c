/* shmem: an in-memory file for each shared anonymous mapping, whose page
 * cache is the memory itself — zero-filled on first touch, never written
 * back, freed with the last reference to the file. After Linux's mm/shmem.c. */
/*
 * The file is unlinked from birth (no name reaches it, so its address_space
 * is not in the node's dev/ino registry): only VMAs reach it, each holding a
 * reference on the file, as Linux's shmem_zero_setup arranges. When the last
 * VMA goes, file_put destroys the address_space and its pages with it.
 *
 * The size is fixed at setup, the mapping's length: growing the mapping
 * with mremap does not grow the file, so touching the new part raises
 * SIGBUS, exactly as on Linux.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "shmem.h"
#include "filemap.h"
#include "mm.h"

/* The device /proc/PID/maps shows for shmem's internal mount ("00:01"). */
#define SHMEM_DEV makedev(0, 1)

bool shmem_mapping(const struct address_space *mapping)
{
	return mapping && mapping->shmem;
}

struct file *shmem_kernel_file_setup(struct pglist_data *node, const char *name,
				     uint64_t size)
{
	struct address_space *mapping;
	struct file *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->path = strdup(name);
	mapping = calloc(1, sizeof(*mapping));
	if (!f->path || !mapping) {
		free(mapping);
		free(f->path);
		free(f);
		return NULL;
	}
	f->f_count = 1;
	f->host_fd = -1;
	f->dev = SHMEM_DEV;
	f->ino = (ino_t)++node->shmem_last_ino;
	f->size = size;

	mapping->node = node;
	/* host_file is the owner whose last put destroys the mapping
	 * (file.c); shmem reads nothing through it. */
	mapping->host_file = f;
	mapping->dev = f->dev;
	mapping->ino = f->ino;
	INIT_LIST_HEAD(&mapping->list);
	mapping->shmem = true;
	mapping->i_size = size;
	f->f_mapping = mapping;
	return f;
}

int shmem_zero_setup(struct vm_area_struct *vma)
{
	struct file *file = shmem_kernel_file_setup(vma->vm_mm->node, SHMEM_ZERO_PATH,
						    vma->vm_end - vma->vm_start);

	if (!file)
		return -ENOMEM;
	if (vma->vm_file)
		file_put(vma->vm_file);
	vma->vm_file = file;
	vma->vm_pgoff = 0;
	return 0;
}

/* Linux's shmem_get_folio for a fault: a miss inside the file is a fresh
 * zeroed page (also for a read: shmem has no zero-page mappings), added to
 * the cache so every mapping of the file finds the same frame. */
struct page *shmem_get_page(struct address_space *mapping, uint64_t index, int *err)
{
	struct pglist_data *node = mapping->node;
	struct page *page = filemap_lookup(mapping, index);
	int ret;

	if (page) {
		get_page(page);
		return page;
	}
	if (index >= (mapping->i_size + PAGE_SIZE - 1) / PAGE_SIZE) {
		*err = -EFAULT;
		return NULL;
	}
	page = alloc_page(node, __GFP_ZERO);
	if (!page) {
		*err = -ENOMEM;
		return NULL;
	}
	SetPageFlag(page, PG_swapbacked);
	ret = add_to_page_cache(mapping, page, index);
	if (ret) {
		put_page(node, page);
		*err = -ENOMEM;
		return NULL;
	}
	SetPageFlag(page, PG_uptodate);
	get_page(page);
	return page;
}

void shmem_truncate_range(struct address_space *mapping, uint64_t start, uint64_t end)
{
	if (start < end)
		truncate_inode_pages_range(mapping, start, end - 1);
}
