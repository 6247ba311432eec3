/* shmem: the in-memory files behind shared anonymous mappings (shmem.c),
 * after Linux's mm/shmem.c. Their pages live in the file's page cache. */
#ifndef GUESTMM_SHMEM_H
#define GUESTMM_SHMEM_H

#include "mm_types.h"

struct pglist_data;

/* What /proc/PID/maps shows for shared anonymous memory on Linux. */
#define SHMEM_ZERO_PATH "/dev/zero (deleted)"

/* An unlinked in-memory file of size bytes, with its own page cache (never
 * in the node's dev/ino registry), one reference held by the caller. Misses
 * allocate zeroed pages; nothing is ever written back. NULL on ENOMEM.
 * Linux's shmem_kernel_file_setup. */
struct file *shmem_kernel_file_setup(struct pglist_data *node, const char *name,
				     uint64_t size);
/* Makes a MAP_SHARED|MAP_ANONYMOUS VMA a mapping of a new shmem file as
 * long as the VMA, as Linux's shmem_zero_setup: 0 or -ENOMEM. */
int shmem_zero_setup(struct vm_area_struct *vma);
/* Is this address space a shmem file's (Linux's shmem_mapping)? */
bool shmem_mapping(const struct address_space *mapping);
/* The page at index, allocated zeroed and added to the cache on a miss.
 * Returns it with an extra reference, or NULL with *err = -ENOMEM, or
 * -EFAULT past the file's size (which a fault turns into SIGBUS). */
struct page *shmem_get_page(struct address_space *mapping, uint64_t index, int *err);
/* Frees the pages of [start, end) (indices) from the file: a hole punched,
 * which reads back as zeroes. Pages still mapped somewhere are only taken
 * out of the cache (callers unmap first). */
void shmem_truncate_range(struct address_space *mapping, uint64_t start, uint64_t end);

#endif
