/* Per-mapping and per-mm memory statistics as /proc/PID/smaps and
 * smaps_rollup compute them (Linux's fs/proc/task_mmu.c): RSS, PSS with
 * PSS_SHIFT precision, shared/private clean/dirty, anonymous, swap. */
#ifndef GUESTMM_TASK_MMU_H
#define GUESTMM_TASK_MMU_H

#include "mm.h"

#define PSS_SHIFT 12

/* Sizes in bytes; pss* in bytes << PSS_SHIFT, as Linux keeps them. */
struct mem_size_stats {
	uint64_t resident;
	uint64_t shared_clean, shared_dirty, private_clean, private_dirty;
	uint64_t referenced, anonymous, lazyfree, anonymous_thp, shmem_thp;
	uint64_t swap, swap_pss;
	uint64_t pss, pss_anon, pss_file, pss_shmem, pss_dirty, pss_locked;
	uint64_t locked;
};

/* Adds one VMA's pages to mss (smap_gather_stats). */
void smap_gather_stats(struct vm_area_struct *vma, struct mem_size_stats *mss);
/* The whole address space (smaps_rollup). */
void smaps_rollup(struct mm_struct *mm, struct mem_size_stats *mss);

#endif
