/* File objects over host descriptors: what a file-backed VMA and the page
 * cache read from. The last file_put of the last file over an inode writes
 * its dirty pages back and leaves its page cache detached. */
/*
 * Several files may share one address_space (two opens of one inode). The
 * address_space reads misses through its host_file, so that file must live
 * as long as the mapping: every other file attached to the mapping holds a
 * reference on host_file (taken in file_mapping, dropped at its own last
 * put). When host_file itself reaches zero, no file over the inode is left
 * — and no VMA either, since a VMA holds its file.
 * After that last close the address_space stays, with host_file NULL, as
 * Linux keeps the cache with the inode; the next file over the inode takes
 * it up. A shmem file (shmem.c) is its own mapping's host_file, so its last put
 * frees its pages: the memory of a shared anonymous mapping.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "mm.h"
#include "filemap.h"
#include "readahead.h"

struct file *file_from_fd(int host_fd, const char *path)
{
	struct file *f;
	struct stat st;

	/* On failure the descriptor stays the caller's. */
	if (fstat(host_fd, &st) < 0)
		return NULL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->path = strdup(path ? path : "");
	if (!f->path) {
		free(f);
		return NULL;
	}
	f->f_count = 1;
	f->host_fd = host_fd;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->size = (uint64_t)st.st_size;
	file_ra_state_init(&f->f_ra);
	return f;
}

struct file *file_get(struct file *f)
{
	f->f_count++;
	return f;
}

static void file_free(struct file *f)
{
	if (f->host_fd >= 0)
		close(f->host_fd);
	free(f->path);
	free(f);
}

void file_put(struct file *f)
{
	struct address_space *mapping;

	if (!f || --f->f_count > 0)
		return;
	mapping = f->f_mapping;
	if (!mapping) {
		file_free(f);
		return;
	}
	if (mapping->host_file != f) {
		struct file *host = mapping->host_file;

		file_free(f);
		file_put(host);
		return;
	}
	filemap_write_and_wait(mapping);
	/* A host file's cache outlives its last close, as Linux keeps it with
	 * the inode: the next open of the file finds it (file_mapping), and
	 * reclaim takes its pages meanwhile. Pages the host refused to take
	 * back are dropped with it, since nothing could write them later. */
	if (filemap_detach(mapping)) {
		f->f_mapping = NULL;
		file_free(f);
		return;
	}
	address_space_destroy(mapping);
	file_free(f);
}
